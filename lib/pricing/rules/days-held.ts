/**
 * How long steadily written data stays in a storage class or log group, for the month billed:
 * storage accumulates from the first write, so month 12 bills more than month 1.
 */

/**
 * Average over days `t0`–`t1` since the first write of `clamp(t − from, 0, to − from)`: the days
 * of writes whose age is in `[from, to)`, i.e. held in the class that keeps objects of those ages,
 * when writes arrive at a steady rate.
 */
export function averageDaysHeld(t0: number, t1: number, from: number, to: number): number {
  const width = Math.max(0, to - from);
  const integral = (t: number): number => {
    if (t <= from) return 0;
    if (t <= from + width) return (t - from) ** 2 / 2;
    return width ** 2 / 2 + width * (t - from - width);
  };
  return (integral(t1) - integral(t0)) / (t1 - t0);
}

/** Days in `[t0, t1]` at which objects written from day 0 reach `age`: the transitions then. */
export function daysReaching(t0: number, t1: number, age: number): number {
  return Math.max(0, t1 - Math.max(t0, age));
}
