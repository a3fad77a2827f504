import { describe, expect, it } from 'vitest';
import { bucketsBetween, isolatedIndexes, pivot, stack } from '../../dashboard/src/series.js';

const rows = [
  { t: 120, model: 'b', n: 4 },
  { t: 60, model: 'a', n: 1 },
  { t: 120, model: 'a', n: 2 },
  { t: 60, model: 'a', n: 5 },
];

describe('pivot', () => {
  it('gives a series per label over the sorted buckets, null where a label had none, repeats added', () => {
    expect(
      pivot(
        rows,
        (r) => r.t,
        (r) => r.model,
        (r) => r.n,
      ),
    ).toEqual({
      times: [60, 120],
      series: [
        { label: 'a', values: [6, 2] },
        { label: 'b', values: [null, 4] },
      ],
    });
  });

  it('shows the buckets asked for without rows as null, so a line breaks there', () => {
    const set = pivot(
      rows,
      (r) => r.t,
      (r) => r.model,
      (r) => r.n,
      bucketsBetween(0, 180, 60),
    );
    expect(set.times).toEqual([0, 60, 120]);
    expect(set.series.map((s) => s.values)).toEqual([
      [null, 6, 2],
      [null, null, 4],
    ]);
  });

  it('leaves a bucket null when the value is absent (an API without the field)', () => {
    const set = pivot(
      rows,
      (r) => r.t,
      (r) => r.model,
      () => undefined,
    );
    expect(set.series.map((s) => s.values)).toEqual([
      [null, null],
      [null, null],
    ]);
  });
});

describe('stack', () => {
  it('draws running totals tallest first and keeps each series own values', () => {
    const drawn = stack([
      { label: 'a', values: [1, null] },
      { label: 'b', values: [2, 3] },
    ]);
    expect(drawn).toEqual([
      { label: 'b', index: 1, values: [3, 3], own: [2, 3] },
      { label: 'a', index: 0, values: [1, 0], own: [1, null] },
    ]);
  });
});

describe('isolatedIndexes', () => {
  it('finds the values with no value on either side, at the ends too', () => {
    expect(isolatedIndexes([5, null, 1, 2, null, 3, null, null, 4])).toEqual([0, 5, 8]);
    expect(isolatedIndexes([null, 7, null])).toEqual([1]);
    expect(isolatedIndexes([1, 2, 3])).toEqual([]);
    expect(isolatedIndexes([])).toEqual([]);
    expect(isolatedIndexes([0])).toEqual([0]);
  });
});
