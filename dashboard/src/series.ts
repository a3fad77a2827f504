/** Series as the charts draw them, pure: pivoted by label, and stacked. */

/** Buckets (unix seconds) and, per label, a value per bucket (null where the label had none). */
export interface SeriesSet {
  readonly times: number[];
  readonly series: { readonly label: string; readonly values: (number | null)[] }[];
}

/**
 * Rows of (time, label, value) pivoted into a series per label, buckets in order. `buckets` are
 * times to show even without a row (the API leaves out buckets without calls), so that a line
 * breaks there instead of joining the buckets either side.
 */
export function pivot<R>(
  rows: readonly R[],
  time: (row: R) => number,
  label: (row: R) => string,
  value: (row: R) => number | undefined,
  buckets: readonly number[] = [],
): SeriesSet {
  const times = [...new Set([...buckets, ...rows.map(time)])].sort((a, b) => a - b);
  const labels = [...new Set(rows.map(label))].sort();
  const at = new Map(times.map((t, i) => [t, i]));
  const series = labels.map((name) => ({ label: name, values: times.map((): number | null => null) }));
  const byLabel = new Map(series.map((s) => [s.label, s]));
  for (const row of rows) {
    const v = value(row);
    const target = byLabel.get(label(row));
    const i = at.get(time(row));
    if (v === undefined || target === undefined || i === undefined) continue;
    target.values[i] = (target.values[i] ?? 0) + v;
  }
  return { times, series };
}

/** A series as drawn: its values (running totals when stacked), its own values, its colour's index. */
export interface Drawn {
  readonly label: string;
  readonly values: (number | null)[];
  readonly own: (number | null)[];
  readonly index: number;
}

/**
 * Running totals for stacked bars: series i is the sum of series 0..i. uPlot draws series in
 * order, so they are listed tallest first and each model's part shows above the ones before it.
 */
export function stack(series: SeriesSet['series']): Drawn[] {
  const totals: number[] = [];
  const drawn = series.map((s, index) => ({
    label: s.label,
    own: s.values,
    index,
    values: s.values.map((v, i) => {
      totals[i] = (totals[i] ?? 0) + (v ?? 0);
      return totals[i] ?? 0;
    }),
  }));
  return drawn.reverse();
}

/** Every bucket start from `from` to before `to`, `stepSec` apart (unix seconds). */
export function bucketsBetween(from: number, to: number, stepSec: number): number[] {
  const buckets: number[] = [];
  for (let t = from; t < to; t += stepSec) buckets.push(t);
  return buckets;
}

/**
 * Indexes of the values with no value on either side: a line has nothing to join them to, so
 * they are drawn as points or a model's only minute would not show at all.
 */
export function isolatedIndexes(values: ArrayLike<number | null | undefined>): number[] {
  const present = (i: number) => values[i] !== null && values[i] !== undefined;
  const isolated: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (present(i) && !present(i - 1) && !present(i + 1)) isolated.push(i);
  }
  return isolated;
}
