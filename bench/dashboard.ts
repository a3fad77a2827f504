import { rmSync } from 'node:fs';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { isMainModule } from '../cli/main-module.js';
import { migrate } from '../clickhouse/migrate.js';
import { hourStats, minuteStats } from '../functions/query/queries.js';
import { createClickHouseClient, selectRows } from '../functions/shared/clickhouse/client.js';
import { againstLimit, type BenchFigure, formatInteger, percentile, verdict } from './figures.js';
import { jsonOutPath, writeFiguresFile } from './figures-file.js';

/**
 * What a dashboard asks, at scale: the query core's rollup reads (functions/query/queries.ts, the
 * real code path) against the limit measured in the same run on the same data, the same figures
 * per bucket and model computed from the raw `events` table. Three windows of one project (the
 * biggest), all whole hours ending at the last whole hour before the newest event:
 *
 *   1h  per minute: `minuteStats` (events_minute) against the design document's query
 *       (scaling-analysis.md, "4. Query Performance"). The headline: the issue's targets apply here.
 *   24h per hour:   `hourStats` (events_hour) against the per-hour query on events. Information.
 *   7d  per hour:   `hourStats` (events_hour) against the per-hour query on events. Information.
 *
 * Both sides go through the same client and JSON decode, and both must return the same requests
 * and errors for every bucket and model, or the benchmark fails.
 *
 * The events are generated inside ClickHouse (`INSERT INTO events SELECT … FROM numbers_mt()`), so
 * the materialized views fill both rollups during the insert exactly as the loader's inserts do.
 * Rows are lean (no prompt, response, tags or metadata) and written in time order, as a loader
 * writes them: each insert block covers a slice of the data's span, not all of it. The span is the
 * 7 days before the windows' end plus the first 30 minutes of the current hour, so a dashboard
 * opened at half past sees a full week of whole hours.
 *
 *   npx tsx bench/dashboard.ts [--rows 10M,100M] [--runs 20] [--json] [--json-out <file>] [--check]
 *
 * Sizes are cumulative: 10M are inserted and measured, then 90M more, and so on. `--json` adds
 * the result as one JSON object on the last line of stdout (progress goes to stderr);
 * `--json-out` writes the figures `npm run bench` tabulates to a file; `--check` exits 1 when the
 * headline misses a target at 100M events or more.
 */

// ---------------------------------------------------------------------------------------------
// The data set

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const WEEK_HOURS = 7 * 24;
/** The part of the current hour the data reaches past the windows' end. */
const CURRENT_HOUR_MS = 30 * MINUTE_MS;
/** Timestamps spread evenly over the week before the windows' end and the current half hour. */
const SPAN_MS = WEEK_HOURS * HOUR_MS + CURRENT_HOUR_MS;

/** Ten projects, the biggest ~40% of the events: a few large tenants and a long tail. */
export const PROJECTS: readonly { readonly id: string; readonly share: number }[] = [
  { id: 'bench-acme', share: 0.4 },
  { id: 'bench-globex', share: 0.18 },
  { id: 'bench-initech', share: 0.12 },
  { id: 'bench-umbrella', share: 0.09 },
  { id: 'bench-hooli', share: 0.07 },
  { id: 'bench-stark', share: 0.05 },
  { id: 'bench-wayne', share: 0.04 },
  { id: 'bench-tyrell', share: 0.025 },
  { id: 'bench-soylent', share: 0.015 },
  { id: 'bench-vandelay', share: 0.01 },
];

/** Six models: share of calls, median latency (ms), and price per million tokens (USD). */
export const MODELS: readonly {
  readonly name: string;
  readonly share: number;
  readonly medianMs: number;
  readonly inPerM: number;
  readonly outPerM: number;
}[] = [
  { name: 'gpt-4o-mini', share: 0.35, medianMs: 450, inPerM: 0.15, outPerM: 0.6 },
  { name: 'gpt-4o', share: 0.2, medianMs: 950, inPerM: 2.5, outPerM: 10 },
  { name: 'claude-sonnet-4', share: 0.2, medianMs: 1_300, inPerM: 3, outPerM: 15 },
  { name: 'claude-3-5-haiku', share: 0.1, medianMs: 380, inPerM: 0.8, outPerM: 4 },
  { name: 'gemini-1.5-pro', share: 0.1, medianMs: 1_100, inPerM: 1.25, outPerM: 5 },
  { name: 'llama-3.1-70b', share: 0.05, medianMs: 700, inPerM: 0.6, outPerM: 0.8 },
];

export const ERROR_RATE = 0.02;
/** Spans per trace: a root call and three children, adjacent in time. */
const SPANS_PER_TRACE = 4;
/** Log-normal latency: median × e^(σ·z). σ = 0.6 puts p95 at ~2.7× the median. */
const LATENCY_SIGMA = 0.6;

/** A uniform number in [0, 1) from a 53-bit slice of a hash of `args`: reproducible, never 1. */
const uniform = (args: string) => `(bitShiftRight(cityHash64(${args}), 11) / 9007199254740992.0)`;

/** `multiIf(u < c1, v1, u < c2, v2, …, vn)` over cumulative shares. */
function pick(u: string, shares: readonly number[], values: readonly string[]): string {
  const arms: string[] = [];
  let cumulative = 0;
  shares.slice(0, -1).forEach((share, i) => {
    cumulative += share;
    arms.push(`${u} < ${cumulative.toFixed(6)}`, values[i] ?? "''");
  });
  return `multiIf(${arms.join(', ')}, ${values[values.length - 1] ?? "''"})`;
}

const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const floatArray = (values: readonly number[]) => `[${values.map((v) => v.toFixed(4)).join(', ')}]`;
const hexId = (args: string) => `lower(hex(reinterpretAsFixedString(cityHash64(${args}))))`;

/**
 * Rows `offset` .. `offset + count - 1` of a phase that spreads rows `phaseStart` ..
 * `phaseStart + phaseRows - 1` evenly, in order, over [startMs, startMs + SPAN_MS). Every value
 * is a hash of the row number: the same numbers give the same events.
 */
export const INSERT_SQL = `INSERT INTO events
  (project_id, timestamp, trace_id, span_id, parent_span_id, name, model, input_tokens, output_tokens,
   tokens_used, latency_ms, cost_cents, status, error_message, user_id, session_id, received_at, request_id)
WITH
  intDiv(number, ${SPANS_PER_TRACE}) AS trace_n,
  number % ${SPANS_PER_TRACE} AS span_i,
  ${pick(
    uniform('trace_n, 1'),
    PROJECTS.map((p) => p.share),
    PROJECTS.map((_, i) => String(i + 1)),
  )} AS project_i,
  ${pick(
    uniform('number, 2'),
    MODELS.map((m) => m.share),
    MODELS.map((_, i) => String(i + 1)),
  )} AS model_i,
  sqrt(-2 * log(1 - ${uniform('number, 3')})) * cos(2 * pi() * ${uniform('number, 4')}) AS z,
  ${uniform('number, 5')} < ${ERROR_RATE} AS failed,
  50 + least(toUInt32(floor(-log(1 - ${uniform('number, 6')}) * 900)), 30000) AS input_n,
  10 + least(toUInt32(floor(-log(1 - ${uniform('number, 7')}) * 300)), 8000) AS output_n,
  fromUnixTimestamp64Milli(toInt64({startMs:Int64} + intDiv((number - {phaseStart:UInt64}) * ${SPAN_MS}, {phaseRows:UInt64})), 'UTC') AS ts
SELECT
  [${PROJECTS.map((p) => sqlString(p.id)).join(', ')}][project_i] AS project_id,
  ts AS timestamp,
  concat(${hexId('trace_n, 10')}, ${hexId('trace_n, 11')}) AS trace_id,
  ${hexId('number, 12')} AS span_id,
  if(span_i = 0, '', ${hexId(`trace_n * ${SPANS_PER_TRACE}, 12`)}) AS parent_span_id,
  ['agent.run', 'chat.completion', 'tool.call', 'chat.completion'][span_i + 1] AS name,
  [${MODELS.map((m) => sqlString(m.name)).join(', ')}][model_i] AS model,
  input_n AS input_tokens,
  output_n AS output_tokens,
  input_n + output_n AS tokens_used,
  round(${floatArray(MODELS.map((m) => m.medianMs))}[model_i] * exp(${LATENCY_SIGMA} * z) * if(failed, 1.5, 1), 1) AS latency_ms,
  (input_n * ${floatArray(MODELS.map((m) => m.inPerM))}[model_i]
    + output_n * ${floatArray(MODELS.map((m) => m.outPerM))}[model_i]) / 10000 AS cost_cents,
  if(failed, 'error', 'ok') AS status,
  if(failed, ['rate limit exceeded', 'upstream timeout', 'context length exceeded'][1 + number % 3], '') AS error_message,
  concat('user-', toString(cityHash64(trace_n, 8) % 20000)) AS user_id,
  concat('sess-', ${hexId(`intDiv(trace_n, 6), 9`)}) AS session_id,
  ts + toIntervalMillisecond(150 + cityHash64(number, 13) % 2000) AS received_at,
  concat('req-', ${hexId(`intDiv(number, 200), 14`)}) AS request_id
FROM numbers_mt({offset:UInt64}, {count:UInt64})`;

/** Inserts run with both cores and a memory cap: a runaway insert fails instead of swapping. */
const INSERT_SETTINGS: ClickHouseSettings = {
  max_threads: 2,
  max_insert_threads: '2',
  // The rollup's view runs beside the events' write instead of after it.
  parallel_view_processing: 1,
  max_memory_usage: String(4 * 1024 ** 3),
};

// ---------------------------------------------------------------------------------------------
// The queries

export type Bucket = 'minute' | 'hour';

/**
 * The design document's query, with errors added, per minute or per hour, bound like the query
 * core binds its windows.
 */
export function rawSql(bucket: Bucket): string {
  const start = bucket === 'minute' ? 'toStartOfMinute' : 'toStartOfHour';
  return `SELECT
  toUnixTimestamp(${start}(timestamp)) AS bucket_s,
  model,
  count() AS requests,
  countIf(status = 'error') AS errors,
  avg(latency_ms) AS latency_avg,
  quantile(0.95)(latency_ms) AS latency_p95
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
GROUP BY bucket_s, model
ORDER BY bucket_s, model`;
}

/** One bucket (minute or hour) of one model, from either side. */
export interface BucketStat {
  /** Start of the bucket, ISO-8601 UTC. */
  readonly bucket: string;
  readonly model: string;
  readonly requests: number;
  readonly errors: number;
  readonly latency_ms_avg: number;
  readonly latency_ms_p95: number;
}

const dateTimeParam = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

interface Window {
  readonly projectId: string;
  readonly from: number;
  readonly to: number;
}

const rawParams = (w: Window) => ({
  project: w.projectId,
  from: dateTimeParam(w.from),
  to: dateTimeParam(w.to),
});

async function rawStats(client: ClickHouseClient, w: Window, bucket: Bucket): Promise<BucketStat[]> {
  const rows = await select<{
    bucket_s: number | string;
    model: string;
    requests: number | string;
    errors: number | string;
    latency_avg: number | string;
    latency_p95: number | string;
  }>(client, rawSql(bucket), rawParams(w));
  return rows.map((r) => ({
    bucket: new Date(Number(r.bucket_s) * 1000).toISOString(),
    model: r.model,
    requests: Number(r.requests),
    errors: Number(r.errors),
    latency_ms_avg: Number(r.latency_avg),
    latency_ms_p95: Number(r.latency_p95),
  }));
}

/** The query core's call for the bucket: what the dashboard's API runs. */
async function rollupStats(client: ClickHouseClient, w: Window, bucket: Bucket): Promise<BucketStat[]> {
  const params = { projectId: w.projectId, from: new Date(w.from), to: new Date(w.to) };
  if (bucket === 'minute') {
    return (await minuteStats(client, params)).map(({ minute, ...r }) => ({ bucket: minute, ...r }));
  }
  return (await hourStats(client, params)).map(({ hour, ...r }) => ({ bucket: hour, ...r }));
}

export class DashboardBenchError extends Error {
  override readonly name = 'DashboardBenchError';
}

export interface Agreement {
  readonly groups: number;
  readonly requests: number;
  readonly errors: number;
}

type Compared = Pick<BucketStat, 'bucket' | 'model' | 'requests' | 'errors' | 'latency_ms_avg'>;

/**
 * The rollup and the raw rows must give the same requests and errors for every bucket and model,
 * and the same average latency up to float summation order. Throws on the first disagreement,
 * naming up to five.
 */
export function compareStats(
  rollup: readonly Compared[],
  raw: readonly Compared[],
  label: string,
): Agreement {
  const problems: string[] = [];
  const total = (rows: readonly { requests: number; errors: number }[]) =>
    rows.reduce((t, r) => ({ requests: t.requests + r.requests, errors: t.errors + r.errors }), {
      requests: 0,
      errors: 0,
    });
  const a = total(rollup);
  const b = total(raw);
  if (a.requests !== b.requests || a.errors !== b.errors) {
    problems.push(
      `totals: rollup ${a.requests} requests / ${a.errors} errors, raw ${b.requests} requests / ${b.errors} errors`,
    );
  }
  if (rollup.length !== raw.length) {
    problems.push(`groups: rollup ${rollup.length} bucket×model rows, raw ${raw.length}`);
  }
  const byKey = new Map(raw.map((r) => [`${r.bucket} ${r.model}`, r]));
  for (const r of rollup) {
    if (problems.length >= 5) break;
    const key = `${r.bucket} ${r.model}`;
    const other = byKey.get(key);
    if (!other) {
      problems.push(`${key}: in the rollup only (${r.requests} requests)`);
    } else if (other.requests !== r.requests || other.errors !== r.errors) {
      problems.push(
        `${key}: rollup ${r.requests} requests / ${r.errors} errors, raw ${other.requests} / ${other.errors}`,
      );
    } else if (Math.abs(other.latency_ms_avg - r.latency_ms_avg) > 1e-9 * Math.max(1, other.latency_ms_avg)) {
      problems.push(`${key}: rollup avg latency ${r.latency_ms_avg} ms, raw ${other.latency_ms_avg} ms`);
    }
    byKey.delete(key);
  }
  if (problems.length < 5) {
    for (const key of [...byKey.keys()].slice(0, 5 - problems.length))
      problems.push(`${key}: in the raw rows only`);
  }
  if (problems.length > 0) {
    throw new DashboardBenchError(
      `${label}: the rollup and the raw events disagree:\n  ${problems.join('\n  ')}`,
    );
  }
  return { groups: rollup.length, requests: a.requests, errors: a.errors };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

/** The windows a dashboard shows, the design document's first: the issue's targets apply to it. */
export const DASHBOARD_WINDOWS = [
  { window: '1h', hours: 1, bucket: 'minute', rollupQuery: 'minuteStats', rollupTable: 'events_minute' },
  { window: '24h', hours: 24, bucket: 'hour', rollupQuery: 'hourStats', rollupTable: 'events_hour' },
  { window: '7d', hours: WEEK_HOURS, bucket: 'hour', rollupQuery: 'hourStats', rollupTable: 'events_hour' },
] as const;

type WindowSpec = (typeof DASHBOARD_WINDOWS)[number];

export interface TimingStats {
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** Rows in the granules the query reads (EXPLAIN ESTIMATE); null if the engine gave none. */
  readonly rowsToRead: number | null;
}

export interface WindowResult {
  readonly window: WindowSpec['window'];
  /** One row per bucket and model. */
  readonly bucket: Bucket;
  /** The query core function the rollup side calls, and the table it reads. */
  readonly rollupQuery: WindowSpec['rollupQuery'];
  readonly rollupTable: WindowSpec['rollupTable'];
  /** The design document's query: the issue's targets apply to it; the others are information. */
  readonly headline: boolean;
  readonly projectId: string;
  readonly from: string;
  readonly to: string;
  /** Bucket × model rows in the answer. */
  readonly groups: number;
  /** Events of the project in the window, equal on both sides. */
  readonly requests: number;
  readonly errors: number;
  readonly rollup: TimingStats;
  readonly raw: TimingStats;
  /** raw p95 / rollup p95. */
  readonly ratio: number;
  /** Rollup p95 within the target; null where the targets do not apply (not the headline). */
  readonly rollupTargetMet: boolean | null;
  /** Ratio at least the target; null where the targets do not apply (not the headline). */
  readonly ratioTargetMet: boolean | null;
}

export interface SizeResult {
  /** Events in the table when measured. */
  readonly rows: number;
  /** Inserted in this step (sizes are cumulative). */
  readonly insertedRows: number;
  readonly insertSeconds: number;
  readonly insertRowsPerSec: number;
  readonly insertStatements: number;
  /** The newest event's timestamp; the windows end at the whole hour before it. */
  readonly newestEvent: string;
  /** Seconds waited after the insert for background merges (capped). */
  readonly mergeWaitSeconds: number;
  /** Merges still running when measuring started. */
  readonly mergesRunning: number;
  readonly eventsParts: number;
  readonly minuteRollupParts: number;
  /** Rows stored in the minute rollup, merged or not. */
  readonly minuteRollupRows: number;
  readonly hourRollupParts: number;
  /** Rows stored in the hour rollup, merged or not. */
  readonly hourRollupRows: number;
  readonly biggestProjectShare: number;
  /**
   * A parameterised `SELECT` of one constant through the same client and JSON decode: what any
   * query costs before it reads a row, the floor under both sides' times.
   */
  readonly queryFloor: Omit<TimingStats, 'rowsToRead'>;
  /** In DASHBOARD_WINDOWS order: 1h (headline), 24h, 7d. */
  readonly windows: readonly WindowResult[];
}

export interface DashboardBenchResult {
  readonly benchmark: 'dashboard';
  readonly startedAt: string;
  readonly node: string;
  readonly engine: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly runs: number;
  readonly targets: typeof DASHBOARD_TARGETS;
  /** The generated events' span: [dataFrom, dataTo). */
  readonly dataFrom: string;
  readonly dataTo: string;
  /** Where every window ends: a whole hour. */
  readonly windowEnd: string;
  readonly sizes: readonly SizeResult[];
  /** Peak resident set of this process (the engine runs in it), KiB. */
  readonly maxRssKiB: number;
  readonly totalSeconds: number;
}

/** From the issue: the design document's query (the 1h headline) at 100M events on this 2-core machine. */
export const DASHBOARD_TARGETS = {
  rollupP95MaxMs: 50,
  rawToRollupMinRatio: 20,
  atRows: 100_000_000,
} as const;

export interface DashboardBenchOptions {
  /** Cumulative sizes, ascending. @default [10_000_000, 100_000_000] */
  readonly rows?: readonly number[];
  /** Timed runs of each query per window, after one warm-up. @default 20 */
  readonly runs?: number;
  /** Rows per INSERT statement. @default 10_000_000 */
  readonly chunkRows?: number;
  /** Refuse to start with less free space than this in the temp directory. @default 20 */
  readonly minFreeGiB?: number;
  /** Longest wait for background merges after each insert step. @default 60_000 */
  readonly mergeWaitMs?: number;
  /** Parent of the engine's temp directory. @default os.tmpdir() */
  readonly tmpDir?: string;
  /** Progress lines. @default nothing */
  readonly log?: (line: string) => void;
}

const select = selectRows;

/** Rows the granules of a query cover, summed over tables: the engine's own estimate. */
async function rowsToRead(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> | undefined,
): Promise<number | null> {
  try {
    const rows = await select<{ rows: number | string }>(client, `EXPLAIN ESTIMATE ${query}`, params ?? {});
    return rows.length > 0 ? rows.reduce((n, r) => n + Number(r.rows), 0) : null;
  } catch {
    return null;
  }
}

/** The SQL and parameters of the queries a call makes, recorded by a client that passes them on. */
function recordingClient(client: ClickHouseClient): {
  client: ClickHouseClient;
  calls: { query: string; query_params?: Record<string, unknown> }[];
} {
  const calls: { query: string; query_params?: Record<string, unknown> }[] = [];
  const proxy = new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') {
        return (params: { query: string; query_params?: Record<string, unknown> }) => {
          calls.push({
            query: params.query,
            ...(params.query_params && { query_params: params.query_params }),
          });
          return target.query(params as Parameters<ClickHouseClient['query']>[0]);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { client: proxy, calls };
}

const elapsedMs = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function freeGiB(dir: string): Promise<number> {
  const s = await statfs(dir);
  return (s.bavail * s.bsize) / 1024 ** 3;
}

async function waitForMerges(
  client: ClickHouseClient,
  maxMs: number,
): Promise<{ waited: number; running: number }> {
  const start = process.hrtime.bigint();
  for (;;) {
    const [row] = await select<{ n: number }>(
      client,
      `SELECT count() AS n FROM system.merges WHERE database = currentDatabase()`,
    );
    const running = Number(row?.n ?? 0);
    const waited = elapsedMs(start);
    if (running === 0 || waited >= maxMs) return { waited: waited / 1000, running };
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The cost of a query that reads nothing, measured like the windows' queries. */
async function measureFloor(
  client: ClickHouseClient,
  runs: number,
): Promise<Omit<TimingStats, 'rowsToRead'>> {
  const query = 'SELECT {x:UInt8} AS x';
  await select(client, query, { x: 1 });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await select(client, query, { x: 1 });
    times.push(elapsedMs(start));
  }
  return { p50Ms: percentile(times, 0.5), p95Ms: percentile(times, 0.95) };
}

async function measureWindow(
  client: ClickHouseClient,
  w: Window,
  spec: WindowSpec,
  runs: number,
  rows: number,
): Promise<WindowResult> {
  const { bucket } = spec;
  const name = `${rows.toLocaleString('en-US')} events, ${spec.window} window (${spec.rollupQuery})`;
  // Warm up both, and check they agree.
  const agreement = compareStats(
    await rollupStats(client, w, bucket),
    await rawStats(client, w, bucket),
    name,
  );
  const rollupMs: number[] = [];
  const rawMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, alternating which goes first, so both see the same machine state.
    const order = i % 2 === 0 ? (['rollup', 'raw'] as const) : (['raw', 'rollup'] as const);
    for (const side of order) {
      const start = process.hrtime.bigint();
      if (side === 'rollup') {
        const r = await rollupStats(client, w, bucket);
        rollupMs.push(elapsedMs(start));
        if (r.length !== agreement.groups) throw new DashboardBenchError(`${name}: rollup answer changed`);
      } else {
        const r = await rawStats(client, w, bucket);
        rawMs.push(elapsedMs(start));
        if (r.length !== agreement.groups) throw new DashboardBenchError(`${name}: raw answer changed`);
      }
    }
  }
  const recording = recordingClient(client);
  await rollupStats(recording.client, w, bucket);
  const rollupCall = recording.calls.at(-1);
  const rollup: TimingStats = {
    p50Ms: percentile(rollupMs, 0.5),
    p95Ms: percentile(rollupMs, 0.95),
    rowsToRead: rollupCall ? await rowsToRead(client, rollupCall.query, rollupCall.query_params) : null,
  };
  const raw: TimingStats = {
    p50Ms: percentile(rawMs, 0.5),
    p95Ms: percentile(rawMs, 0.95),
    rowsToRead: await rowsToRead(client, rawSql(bucket), rawParams(w)),
  };
  const ratio = raw.p95Ms / rollup.p95Ms;
  const headline = spec === DASHBOARD_WINDOWS[0];
  return {
    window: spec.window,
    bucket,
    rollupQuery: spec.rollupQuery,
    rollupTable: spec.rollupTable,
    headline,
    projectId: w.projectId,
    from: new Date(w.from).toISOString(),
    to: new Date(w.to).toISOString(),
    ...agreement,
    rollup,
    raw,
    ratio,
    rollupTargetMet: headline ? rollup.p95Ms <= DASHBOARD_TARGETS.rollupP95MaxMs : null,
    ratioTargetMet: headline ? ratio >= DASHBOARD_TARGETS.rawToRollupMinRatio : null,
  };
}

export async function benchDashboard(options: DashboardBenchOptions = {}): Promise<DashboardBenchResult> {
  const sizes = options.rows ?? [10_000_000, 100_000_000];
  const runs = options.runs ?? 20;
  const chunkRows = options.chunkRows ?? 10_000_000;
  const minFreeGiB = options.minFreeGiB ?? 20;
  const log = options.log ?? (() => {});
  if (
    sizes.length === 0 ||
    sizes.some((n, i) => !Number.isSafeInteger(n) || n <= 0 || n <= (sizes[i - 1] ?? 0))
  ) {
    throw new DashboardBenchError(`--rows must be ascending positive whole numbers, got ${sizes.join(',')}`);
  }
  if (!Number.isSafeInteger(runs) || runs < 1) throw new DashboardBenchError('runs must be at least 1');
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1)
    throw new DashboardBenchError('chunkRows must be >= 1');

  const parent = options.tmpDir ?? tmpdir();
  const free = await freeGiB(parent);
  if (free < minFreeGiB) {
    throw new DashboardBenchError(
      `only ${free.toFixed(1)} GiB free in ${parent}; the dashboard benchmark needs at least ${minFreeGiB} GiB ` +
        '(100M lean events and their rollups take ~10 GiB, merges need as much again). Free some space or set TMPDIR.',
    );
  }

  const startedAt = new Date();
  const runStart = process.hrtime.bigint();
  // The windows end on the last whole hour at least 30 minutes ago; the data covers the week
  // before it and the 30 minutes after it, so it ends in the past and its newest event lies in
  // the hour after the windows' end.
  const windowEnd = Math.floor((startedAt.getTime() - CURRENT_HOUR_MS) / HOUR_MS) * HOUR_MS;
  const start = windowEnd - WEEK_HOURS * HOUR_MS;
  const biggest = PROJECTS[0]?.id ?? 'bench-acme';
  const dir = await mkdtemp(join(parent, 'evalforge-dashboard-'));
  // Interrupted, the data directory (gigabytes) goes too.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let client: ClickHouseClient | undefined;
  try {
    client = await createClickHouseClient({ kind: 'embedded', path: join(dir, 'db') });
    await migrate(client, { kind: 'single' });
    const [engineRow] = await select<{ v: string }>(client, 'SELECT version() AS v');
    const results: SizeResult[] = [];
    let inserted = 0;
    for (const target of sizes) {
      const phaseStart = inserted;
      const phaseRows = target - inserted;
      log(`inserting ${phaseRows.toLocaleString('en-US')} events (to ${target.toLocaleString('en-US')})…`);
      const insertStart = process.hrtime.bigint();
      let statements = 0;
      for (let offset = phaseStart; offset < target; offset += chunkRows) {
        const count = Math.min(chunkRows, target - offset);
        const chunkStart = process.hrtime.bigint();
        await client.command({
          query: INSERT_SQL,
          query_params: { offset, count, phaseStart, phaseRows, startMs: start },
          clickhouse_settings: INSERT_SETTINGS,
        });
        statements++;
        log(
          `  ${(offset + count).toLocaleString('en-US')} rows (${Math.round(count / (elapsedMs(chunkStart) / 1000)).toLocaleString('en-US')} rows/s)`,
        );
      }
      const insertSeconds = elapsedMs(insertStart) / 1000;
      inserted = target;

      // Everything the insert wrote is there, once, in all three tables, and the windows end at
      // the last whole hour before the newest event.
      const [counts] = await select<{
        events: number;
        minute: number;
        hour: number;
        biggest: number;
        newest_ms: number;
        oldest_ms: number;
      }>(
        client,
        `SELECT (SELECT count() FROM events) AS events,
                (SELECT sum(requests) FROM events_minute) AS minute,
                (SELECT sum(requests) FROM events_hour) AS hour,
                (SELECT count() FROM events WHERE project_id = {p:String}) AS biggest,
                (SELECT toUnixTimestamp64Milli(max(timestamp)) FROM events) AS newest_ms,
                (SELECT toUnixTimestamp64Milli(min(timestamp)) FROM events) AS oldest_ms`,
        { p: biggest },
      );
      if (
        Number(counts?.events) !== target ||
        Number(counts?.minute) !== target ||
        Number(counts?.hour) !== target
      ) {
        throw new DashboardBenchError(
          `after inserting ${target} events: events holds ${counts?.events}, ` +
            `events_minute counts ${counts?.minute}, events_hour counts ${counts?.hour}`,
        );
      }
      const newest = Number(counts?.newest_ms);
      if (Math.floor(newest / HOUR_MS) * HOUR_MS !== windowEnd || Number(counts?.oldest_ms) !== start) {
        throw new DashboardBenchError(
          `the events span ${new Date(Number(counts?.oldest_ms)).toISOString()} to ${new Date(newest).toISOString()}; ` +
            `the windows need ${new Date(start).toISOString()} to past ${new Date(windowEnd).toISOString()}`,
        );
      }
      const merges = await waitForMerges(client, options.mergeWaitMs ?? 60_000);
      const parts = await select<{ table: string; parts: number; rows: number }>(
        client,
        `SELECT table, count() AS parts, sum(rows) AS rows FROM system.parts
         WHERE active AND database = currentDatabase() AND table IN ('events', 'events_minute', 'events_hour')
         GROUP BY table`,
      );
      const part = (t: string) => parts.find((p) => p.table === t);
      log(`measuring at ${target.toLocaleString('en-US')} events…`);
      const queryFloor = await measureFloor(client, runs);
      const windows: WindowResult[] = [];
      for (const spec of DASHBOARD_WINDOWS) {
        const w = { projectId: biggest, from: windowEnd - spec.hours * HOUR_MS, to: windowEnd };
        windows.push(await measureWindow(client, w, spec, runs, target));
      }
      results.push({
        rows: target,
        insertedRows: phaseRows,
        insertSeconds,
        insertRowsPerSec: phaseRows / insertSeconds,
        insertStatements: statements,
        newestEvent: new Date(newest).toISOString(),
        mergeWaitSeconds: merges.waited,
        mergesRunning: merges.running,
        eventsParts: Number(part('events')?.parts ?? 0),
        minuteRollupParts: Number(part('events_minute')?.parts ?? 0),
        minuteRollupRows: Number(part('events_minute')?.rows ?? 0),
        hourRollupParts: Number(part('events_hour')?.parts ?? 0),
        hourRollupRows: Number(part('events_hour')?.rows ?? 0),
        biggestProjectShare: Number(counts?.biggest) / target,
        queryFloor,
        windows,
      });
    }
    return {
      benchmark: 'dashboard',
      startedAt: startedAt.toISOString(),
      node: process.version,
      engine: `chDB embedded, ClickHouse ${engineRow?.v ?? 'unknown'}`,
      cores: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown cpu',
      runs,
      targets: DASHBOARD_TARGETS,
      dataFrom: new Date(start).toISOString(),
      dataTo: new Date(start + SPAN_MS).toISOString(),
      windowEnd: new Date(windowEnd).toISOString(),
      sizes: results,
      maxRssKiB: process.resourceUsage().maxRSS,
      totalSeconds: elapsedMs(runStart) / 1000,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Printing

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
/** `2026-01-31 12:00Z`: the windows are whole hours, the data whole minutes. */
const minuteText = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

export function formatDashboardResult(r: DashboardBenchResult): string {
  const t = r.targets;
  const lines = [
    `EvalForge dashboard benchmark: ${r.startedAt}, node ${r.node}, ${r.engine}`,
    `machine: ${r.cores} cores (${r.cpuModel})`,
    `data: ${PROJECTS.length} projects (biggest ${(PROJECTS[0]?.share ?? 0) * 100}%), ${MODELS.length} models, ` +
      `${ERROR_RATE * 100}% errors, log-normal latencies; lean rows (no prompt/response), in time order, ` +
      `evenly from ${minuteText(r.dataFrom)} to ${minuteText(r.dataTo)}`,
    `windows: whole hours ending ${minuteText(r.windowEnd)} (the last whole hour before the newest event), ` +
      `project ${PROJECTS[0]?.id ?? ''}`,
    `queries: rollup = the query core (minuteStats over events_minute, hourStats over events_hour); ` +
      `raw = the same per bucket and model over events; ${r.runs} interleaved runs each after a warm-up; ` +
      'both must agree on requests and errors per bucket and model',
    `targets (issue, on the 1h headline at ${formatInteger(t.atRows)} events): rollup p95 <= ${t.rollupP95MaxMs} ms, ` +
      `raw/rollup >= ${t.rawToRollupMinRatio}x; 24h and 7d are information`,
  ];
  for (const s of r.sizes) {
    const targetSize = s.rows >= t.atRows ? '' : ` (target stated for ${formatInteger(t.atRows)})`;
    lines.push(
      '',
      `${formatInteger(s.rows)} events (newest ${s.newestEvent})`,
      `  insert:   ${formatInteger(s.insertedRows)} rows in ${s.insertSeconds.toFixed(1)} s = ${formatInteger(s.insertRowsPerSec)} rows/s ` +
        `(${s.insertStatements} INSERT … SELECT, rollups filled by the materialized views)`,
      `  storage:  events ${s.eventsParts} parts; events_minute ${s.minuteRollupParts} parts, ${formatInteger(s.minuteRollupRows)} rows; ` +
        `events_hour ${s.hourRollupParts} parts, ${formatInteger(s.hourRollupRows)} rows; ` +
        `merges waited ${s.mergeWaitSeconds.toFixed(0)} s, ${s.mergesRunning} still running`,
      `  project ${PROJECTS[0]?.id ?? ''}: ${(s.biggestProjectShare * 100).toFixed(1)}% of events; ` +
        `query floor (SELECT of a constant, same client): p50 ${ms(s.queryFloor.p50Ms)}  p95 ${ms(s.queryFloor.p95Ms)}`,
    );
    for (const w of s.windows) {
      const rows = (n: number | null) => (n === null ? '' : `  rows to read ~${formatInteger(n)}`);
      const role = w.headline ? 'headline, the design document query' : 'information';
      lines.push(
        `  ${w.window} per ${w.bucket} (${role}), ${minuteText(w.from)} to ${minuteText(w.to)}: ` +
          `${formatInteger(w.requests)} events, ${formatInteger(w.errors)} errors, ${formatInteger(w.groups)} ${w.bucket} x model rows; rollup = raw: yes`,
        `    rollup (${w.rollupQuery}, ${w.rollupTable}):`.padEnd(42) +
          `p50 ${ms(w.rollup.p50Ms)}  p95 ${ms(w.rollup.p95Ms)}${rows(w.rollup.rowsToRead)}`,
        '    raw (events):'.padEnd(42) +
          `p50 ${ms(w.raw.p50Ms)}  p95 ${ms(w.raw.p95Ms)}${rows(w.raw.rowsToRead)}`,
        `    raw/rollup p95 = ${w.ratio.toFixed(1)}x`,
      );
      if (w.rollupTargetMet !== null) {
        lines.push(`    rollup p95 <= ${t.rollupP95MaxMs} ms: ${verdict(w.rollupTargetMet)}${targetSize}`);
      }
      if (w.ratioTargetMet !== null) {
        lines.push(`    raw/rollup >= ${t.rawToRollupMinRatio}x: ${verdict(w.ratioTargetMet)}${targetSize}`);
      }
    }
  }
  lines.push(
    '',
    `cores: ${r.cores}  peak RSS: ${formatInteger(r.maxRssKiB)} KiB (${(r.maxRssKiB / 1024 ** 2).toFixed(2)} GiB)  total: ${r.totalSeconds.toFixed(0)} s`,
  );
  return lines.join('\n');
}

/**
 * The issue's targets hold on the headline window at every size of at least `atRows` events; a
 * run that measured no such size has nothing to miss. The 24h and 7d windows are information.
 */
export function dashboardTargetsMet(r: DashboardBenchResult): boolean {
  return r.sizes
    .filter((s) => s.rows >= r.targets.atRows)
    .every((s) =>
      s.windows
        .filter((w) => w.headline)
        .every((w) => w.rollupTargetMet === true && w.ratioTargetMet === true),
    );
}
/** `10M`, `100M`, `30,000`: the size a figure was measured at. */
const eventsText = (n: number) => (n % 1_000_000 === 0 ? `${n / 1_000_000}M` : formatInteger(n));

/**
 * Per size and window, the rollup's p95 against the raw table's p95 on the same question (the
 * ratio is rollup ÷ raw: lower is better), and for the headline the raw ÷ rollup speed-up. The
 * issue's targets are attached where `dashboardTargetsMet` judges them: the headline at sizes of
 * at least `targets.atRows`; elsewhere the figures are information.
 */
export function dashboardFigures(r: DashboardBenchResult): BenchFigure[] {
  const benchmark = 'query';
  const t = r.targets;
  const figures: BenchFigure[] = [];
  for (const s of r.sizes) {
    const targeted = s.rows >= t.atRows;
    for (const w of s.windows) {
      const name = `${w.window} per ${w.bucket}${w.headline ? ' (headline)' : ''}, ${eventsText(s.rows)} events`;
      figures.push(
        againstLimit(
          {
            benchmark,
            figure: `${name}: rollup p95`,
            value: w.rollup.p95Ms,
            unit: 'ms',
            ...(targeted &&
              w.rollupTargetMet !== null && {
                target: { text: `<= ${t.rollupP95MaxMs} ms`, met: w.rollupTargetMet },
              }),
          },
          { name: 'raw-table p95', value: w.raw.p95Ms, unit: 'ms' },
        ),
      );
      if (w.headline) {
        figures.push({
          benchmark,
          figure: `${name}: raw ÷ rollup p95`,
          value: w.ratio,
          unit: '×',
          ...(targeted &&
            w.ratioTargetMet !== null && {
              target: { text: `>= ${t.rawToRollupMinRatio}×`, met: w.ratioTargetMet },
            }),
        });
      }
    }
  }
  figures.push({ benchmark, figure: 'peak RSS, engine included', value: r.maxRssKiB / 1024, unit: 'MiB' });
  return figures;
}

/** `10000000`, `10M`, `1.5M`, `100k`. */
export function parseRows(arg: string): number[] {
  return arg.split(',').map((part) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMbB]?)\s*$/.exec(part);
    if (!m?.[1]) throw new DashboardBenchError(`--rows: "${part}" is not a row count`);
    const unit = { '': 1, k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
    return Math.round(Number(m[1]) * unit);
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const json = argv.includes('--json');
  const out = jsonOutPath(argv);
  const rowsArg = value('--rows');
  const runsArg = value('--runs');
  const result = await benchDashboard({
    ...(rowsArg !== undefined && { rows: parseRows(rowsArg) }),
    ...(runsArg !== undefined && { runs: Number(runsArg) }),
    log: (line) => console.error(line),
  });
  console.log(formatDashboardResult(result));
  if (json) console.log(JSON.stringify(result));
  if (out !== undefined) await writeFiguresFile(out, dashboardFigures(result));
  if (argv.includes('--check') && !dashboardTargetsMet(result)) process.exit(1);
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof DashboardBenchError ? error.message : error);
    process.exit(1);
  });
}
