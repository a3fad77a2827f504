import { describe, expect, it } from 'vitest';
import type { BillableResource } from '../../../lib/pricing/billable-resource.js';
import { bandedLines, costLine, hourlyLine } from '../../../lib/pricing/cost-line.js';
import type { Price } from '../../../lib/pricing/prices.js';

const r: BillableResource = { type: 'AWS::X::Y', logicalId: 'Thing', component: 'ingest', size: {} };
const price = (usd: number): Price => ({ usd, unit: 'GB', source: 'test', asOf: '2026-01-01' });

describe('costLine', () => {
  it("puts the line in the resource's component, at quantity × price, in the price's unit", () => {
    expect(costLine(r, 'thing', 4, price(0.25), 'because')).toEqual({
      component: 'ingest',
      item: 'thing',
      quantity: 4,
      unit: 'GB',
      unitPriceUsd: 0.25,
      monthlyUsd: 1,
      formula: 'because',
    });
  });

  it('bills an hourly thing for 730 hours a month', () => {
    expect(hourlyLine(r, 'thing', 3, price(0.01))).toMatchObject({
      quantity: 2_190,
      monthlyUsd: expect.closeTo(21.9, 9),
      formula: '3 × 730 h',
    });
  });
});

describe('bandedLines', () => {
  const bands = { sizes: [10, 20], prices: [price(3), price(2), price(1)] };

  it.each([
    [0, []],
    [5, [['thing', 5, 15]]],
    [10, [['thing', 10, 30]]],
    [
      25,
      [
        ['thing', 10, 30],
        ['thing (band 2)', 15, 30],
      ],
    ],
    [
      40,
      [
        ['thing', 10, 30],
        ['thing (band 2)', 20, 40],
        ['thing (band 3)', 10, 10],
      ],
    ],
  ])('splits %d over bands of 10 and 20 at $3, $2, then $1', (quantity, expected) => {
    expect(
      bandedLines(r, 'thing', quantity, bands, 'f').map((l) => [l.item, l.quantity, l.monthlyUsd]),
    ).toEqual(expected);
  });

  it('leaves out the part beyond the last priced band', () => {
    const short = { sizes: [10], prices: [price(3)] };
    expect(bandedLines(r, 'thing', 25, short, 'f').map((l) => l.quantity)).toEqual([10]);
  });
});
