/**
 * What every benchmark reports, and the one table and JSON document `npm run bench` makes of
 * them. Pure: no clock, no machine, no I/O; the caller passes the date and the machine.
 */

/** The benchmarks `npm run bench` runs, in the order it runs them. */
export const BENCHMARKS = [
  'validator',
  'loader',
  'query',
  'end-to-end',
  'storage',
  'compression',
  'otlp',
  'viewers',
  'regions',
] as const;

export type BenchmarkName = (typeof BENCHMARKS)[number];

/** A limit measured in the same run on the same bytes: the figure is read as a ratio to it. */
export interface BenchLimit {
  /** What the limit is, e.g. 'bare gunzip + JSON.parse'. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** A target from the issue and whether this run met it, judged by the benchmark that measured it. */
export interface BenchTarget {
  /** e.g. '>= 25,000 events/s', '>= 0.5 of the limit', '<= 100 ms'. */
  readonly text: string;
  readonly met: boolean;
}

/** One measured figure. */
export interface BenchFigure {
  readonly benchmark: BenchmarkName;
  /** What was measured, e.g. 'gzip NDJSON events/s, one core'. */
  readonly figure: string;
  readonly value: number;
  /** 'events/s', 'rows/s', 'ms', 's', 'MiB', '×'. */
  readonly unit: string;
  readonly limit?: BenchLimit;
  /** value ÷ limit.value; present exactly when `limit` is. */
  readonly ratio?: number;
  /** Absent for a figure that is information only. */
  readonly target?: BenchTarget;
}

/** The machine the figures were measured on. */
export interface BenchMachine {
  readonly cores: number;
  readonly cpu: string;
  readonly node: string;
  readonly platform: string;
  /** V8 flags the measured code ran with, as the functions set them (`heap-tuning.ts`). */
  readonly v8Flags?: readonly string[];
}

/** What `npm run bench -- --json` prints. */
export interface BenchReport {
  /** When the run started, ISO-8601 UTC. */
  readonly date: string;
  readonly machine: BenchMachine;
  readonly figures: readonly BenchFigure[];
  /** Benchmarks that ended without figures (crashed or wrote none). */
  readonly failed: readonly BenchmarkName[];
  /** Every target met, and no benchmark failed (a failed one's targets are not known to be met). */
  readonly allTargetsMet: boolean;
}

/**
 * A figure with a limit: the ratio is computed here, so it is value ÷ limit everywhere. With
 * `minRatio`, the target is that ratio (`>= 0.5 of the limit`), judged on the ratio computed here.
 */
export function againstLimit(
  figure: Omit<BenchFigure, 'limit' | 'ratio'>,
  limit: BenchLimit,
  minRatio?: number,
): BenchFigure {
  // Keys in reading order, as the table's columns: the JSON reads the same way.
  const { target: given, ...measured } = figure;
  const ratio = figure.value / limit.value;
  const target =
    minRatio === undefined ? given : { text: `>= ${minRatio} of the limit`, met: ratio >= minRatio };
  return { ...measured, limit, ratio, ...(target && { target }) };
}

/** The median of a benchmark's rounds: the figure it reports, steady against one slow round. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Nearest-rank percentile (`q` from 0 to 1) of `values`, unsorted; NaN of no values. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** `24,775`: rounded, with thousands separators, as the benchmarks print counts and rates. */
export const formatInteger = (n: number): string => Math.round(n).toLocaleString('en-US');

/** How a target reads in the printed figures and the table. */
export const verdict = (met: boolean): 'met' | 'MISSED' => (met ? 'met' : 'MISSED');

/** The date and machine come from the caller: this module reads neither. */
export function benchReport(
  figures: readonly BenchFigure[],
  machine: BenchMachine,
  date: Date,
  failed: readonly BenchmarkName[] = [],
): BenchReport {
  return {
    date: date.toISOString(),
    machine,
    figures,
    failed,
    allTargetsMet: failed.length === 0 && figures.every((f) => f.target === undefined || f.target.met),
  };
}

/**
 * `24,775`, `30.8`, `3.96`, `0.86`, `0.022`: thousands separators; no decimals from 100, one
 * from 10, two from 1, and two significant digits below 1. A benchmark's run-to-run noise leaves
 * no more meaningful.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const abs = Math.abs(n);
  if (abs === 0) return '0';
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 1 - Math.floor(Math.log10(abs));
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `24,775 events/s`, `1.70×`: a unit that is a symbol sticks to its number. */
export function formatQuantity(value: number, unit: string): string {
  return unit === '×' || unit === '%' ? `${formatNumber(value)}${unit}` : `${formatNumber(value)} ${unit}`;
}

/** A cell with nothing to show: no limit, no target. */
export const NONE = '—';

export const TABLE_HEAD = ['benchmark', 'figure', 'value', 'limit', 'ratio', 'target', 'verdict'] as const;

/** The cells of one figure's row, in TABLE_HEAD order. */
export function figureCells(f: BenchFigure): string[] {
  return [
    f.benchmark,
    f.figure,
    formatQuantity(f.value, f.unit),
    f.limit ? `${formatQuantity(f.limit.value, f.limit.unit)} (${f.limit.name})` : NONE,
    f.ratio === undefined ? NONE : formatNumber(f.ratio),
    f.target?.text ?? NONE,
    f.target === undefined ? NONE : verdict(f.target.met),
  ];
}

/** `machine: 2 cores (AMD EPYC), node v20.20.2, linux x64` */
export function machineLine(machine: BenchMachine): string {
  const flags = machine.v8Flags?.length ? `, V8 ${machine.v8Flags.join(' ')}` : '';
  return `machine: ${machine.cores} cores (${machine.cpu}), node ${machine.node}, ${machine.platform}${flags}`;
}

/** Value and ratio are right-aligned, as numbers are; the rest left. */
const RIGHT: ReadonlySet<number> = new Set([2, 4]);

/**
 * The machine line, then one plain-text table of every figure: columns padded, a rule under the
 * head, rows in the order given.
 */
export function formatFigureTable(figures: readonly BenchFigure[], machine: BenchMachine): string {
  const rows = [[...TABLE_HEAD], ...figures.map(figureCells)];
  const widths = TABLE_HEAD.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (RIGHT.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows.map(line);
  return [machineLine(machine), '', head ?? '', widths.map((w) => '-'.repeat(w)).join('  '), ...body].join(
    '\n',
  );
}
