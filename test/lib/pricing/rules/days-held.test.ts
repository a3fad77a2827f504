import { describe, expect, it } from 'vitest';
import { averageDaysHeld, daysReaching } from '../../../../lib/pricing/rules/days-held.js';

describe('averageDaysHeld', () => {
  it.each([
    // [t0, t1, from, to, expected average]
    [0, 10, 0, 100, 5],
    [0, 10, 0, 4, (16 / 2 + 4 * 6) / 10],
    [20, 30, 0, 10, 10],
    [0, 10, 20, 30, 0],
    [0, 10, 0, Number.POSITIVE_INFINITY, 5],
  ])('averageDaysHeld(%d, %d, %d, %d) = %d', (t0, t1, from, to, expected) => {
    expect(averageDaysHeld(t0, t1, from, to)).toBeCloseTo(expected, 10);
  });
});

describe('daysReaching', () => {
  it.each([
    // [t0, t1, age, days in [t0, t1] at which the first writes are at least `age` old]
    [0, 10, 30, 0],
    [25, 35, 30, 5],
    [40, 50, 30, 10],
  ])('daysReaching(%d, %d, %d) = %d', (t0, t1, age, expected) => {
    expect(daysReaching(t0, t1, age)).toBe(expected);
  });
});
