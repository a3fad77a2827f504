import { describe, expect, it } from 'vitest';
import { synthesizeTierTemplate } from '../../../lib/app.js';
import { ceilingLoad, tierCost } from '../../../lib/pricing/tier-cost.js';
import { TIERS } from '../../../lib/tiers.js';

const template = synthesizeTierTemplate(1);

describe('tierCost', () => {
  const cost = tierCost({ tier: 1, template });

  it('prices the tier at its ceiling by default', () => {
    expect(cost.load).toEqual(ceilingLoad(1));
    expect(cost.load.eventsPerSec).toBe(TIERS[1].ceilingEventsPerSec);
  });

  it('totals the sum of its lines, and of its components', () => {
    expect(cost.total).toBe(cost.lines.reduce((sum, line) => sum + line.monthlyUsd, 0));
    const byComponent = Object.values(cost.byComponent).reduce((sum, usd) => sum + usd, 0);
    expect(byComponent).toBeCloseTo(cost.total, 6);
  });

  it('gives the cost per million events of month 1', () => {
    const millionsPerMonth = (1_000 * 730 * 3_600) / 1e6;
    expect(cost.perMillion).toBeCloseTo(cost.total / millionsPerMonth, 9);
  });

  it('projects 12 months by default, month 1 equal to the lines, never falling as storage accumulates', () => {
    expect(cost.projection.map((m) => m.month)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(cost.projection[0]?.totalUsd).toBeCloseTo(cost.total, 9);
    const totals = cost.projection.map((m) => m.totalUsd);
    expect(totals.every((usd, i) => i === 0 || usd >= (totals[i - 1] as number))).toBe(true);
  });

  it('prices a given load and months', () => {
    const half = tierCost({ tier: 1, template, load: { ...ceilingLoad(1), eventsPerSec: 500 }, months: 3 });
    expect(half.projection).toHaveLength(3);
    expect(half.total).toBeLessThan(cost.total);
  });

  it('prices a template synthesized again the same: the figures depend on the template alone', () => {
    expect(tierCost({ tier: 1, months: 1, template: synthesizeTierTemplate(1) }).total).toBeCloseTo(
      cost.total,
      9,
    );
  });
}, 60_000);
