import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { selectRows } from '../shared/clickhouse/client.js';
import { EVENT_LIMITS, PROJECT_ID_PATTERN } from '../shared/contract/event.js';
import { DEAD_LETTER_ID_SQL } from '../shared/dead-letter-id.js';
import { describeZodIssues } from '../shared/zod-issues.js';
import { QUERY_SETTINGS, type QueryLimitSettings, settingsClause } from './limits.js';

/**
 * The ClickHouse queries behind the query API (its request core is core.ts): typed queries over
 * one project's events in a time window [from, to). Every function checks its input before it
 * touches ClickHouse and binds every value as a query parameter: no user string ever becomes SQL
 * text. The window itself is taken as given: the request core checks a window's rules (from before
 * to, at most `QUERY_LIMITS.maxWindowMs`, whole buckets for the rollups) once, with the messages
 * its callers read.
 *
 * Dashboard queries (`minuteStats`, `hourStats`, `modelUsage`, `summary`) read only the rollups
 * (`events_minute`, `events_hour`), so their cost follows buckets × models, not events; the call
 * lists and traces read the raw `events` table, lean columns only, except `traceSpans`, which is
 * the one place that returns prompt and response. `callCount` reads the raw table too: it counts
 * rows, duplicates included, which a rollup cannot tell apart. `deadLetters` reads
 * `load_dead_letters`, the events the loader set aside because ClickHouse refused them, less those
 * redriven since (`load_dead_letter_redrives`).
 */

/** Input limits, documented with the query API. */
export const QUERY_LIMITS = {
  /** The longest window any query may cover. */
  maxWindowMs: 31 * 24 * 60 * 60 * 1000,
  maxRows: 1_000,
  defaultRows: 100,
} as const;

/** How much of a dead letter's texts a list shows, documented with the query API. */
export const DEAD_LETTER_LIMITS = {
  /** A line is cut at 16 KiB: 100 letters of whole lines would not fit in one answer. */
  maxLineBytes: 16_384,
  /** An engine message can quote the data it choked on; 4 KiB of it is plenty to read. */
  maxReasonBytes: 4_096,
} as const;

const HOUR_MS = 3_600_000;
/** From this window length on, totals over whole hours read the hourly rollup. */
const HOURLY_FROM_MS = 6 * HOUR_MS;

/** A caller's input that no query may run with; the message names the fields at fault. */
export class QueryInputError extends Error {
  override readonly name = 'QueryInputError';
}

/**
 * A project's events in [from, to): `from` before `to`, at most `QUERY_LIMITS.maxWindowMs` apart.
 * The request core's windows are; a query does not check it again.
 */
export interface WindowParams {
  readonly projectId: string;
  /** Inclusive. */
  readonly from: Date;
  /** Exclusive. */
  readonly to: Date;
}

export interface ListParams extends WindowParams {
  /** 1 to 1,000 rows. @default 100 */
  readonly limit?: number;
}

/**
 * Metadata filters: each a path of keys joined by "." (`load_run`, `deploy.id`) and the value
 * the metadata at that path must equal, as a string. All must match.
 */
export type MetadataFilters = Readonly<Record<string, string>>;

export interface CountParams extends WindowParams {
  /** Up to 4 filters. @default {} (every call of the window) */
  readonly metadata?: MetadataFilters;
}

export interface CallListParams extends ListParams {
  /** Only calls of this model. */
  readonly model?: string;
  /** Only calls with this status. */
  readonly status?: 'ok' | 'error';
  /** Up to 4 filters, as `callCount` takes them. @default {} */
  readonly metadata?: MetadataFilters;
  /** `latest` first, or the `slowest` first. @default 'latest' */
  readonly order?: CallOrder;
}

/** How a list of calls is ordered. */
export type CallOrder = 'latest' | 'slowest';

export interface TraceParams {
  readonly projectId: string;
  /** 32 lowercase hex characters, as the contract normalises trace ids. */
  readonly traceId: string;
}

/** One minute of one model: the dashboard's time series. Latencies in milliseconds. */
/** Tokens and cost, as every answer that counts them names them. */
export interface Usage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  /** The events' `tokens_used`: input + output unless the client reported more. */
  readonly total_tokens: number;
  readonly cost_cents: number;
}

export interface MinuteStat extends Usage {
  /** Start of the minute, ISO-8601 UTC. */
  readonly minute: string;
  readonly model: string;
  readonly requests: number;
  readonly errors: number;
  /** errors / requests, 0 to 1. */
  readonly error_rate: number;
  readonly latency_ms_avg: number;
  /** p50/p95/p99 are t-digest estimates, not exact ranks. */
  readonly latency_ms_p50: number;
  readonly latency_ms_p95: number;
  readonly latency_ms_p99: number;
  readonly latency_ms_max: number;
}

/** One hour and model: the same figures as a minute's. */
export type HourStat = Omit<MinuteStat, 'minute'> & {
  /** Start of the hour, ISO-8601 UTC. */
  readonly hour: string;
};

export interface ModelUsage extends Usage {
  readonly model: string;
  readonly requests: number;
}

/** Totals over a window. Ratios and latencies are `null` when the window has no requests. */
export interface Summary extends Usage {
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number | null;
  readonly latency_ms_avg: number | null;
  /** A t-digest estimate. */
  readonly latency_ms_p95: number | null;
  readonly latency_ms_max: number | null;
}

/** How many calls of a window match; a call stored more than once counts in `calls` each time. */
export interface CallCount {
  /** Rows. */
  readonly calls: number;
  /** Distinct (trace_id, span_id) among them. */
  readonly distinct_calls: number;
  /** calls - distinct_calls: rows that repeat a call already counted. */
  readonly duplicate_calls: number;
}

/** What every list of calls shows of a call. */
interface Call {
  readonly trace_id: string;
  readonly span_id: string;
  /** ISO-8601 UTC with milliseconds. */
  readonly timestamp: string;
  readonly model: string;
  readonly name: string;
  readonly latency_ms: number;
}

export interface CallRow extends Call {
  readonly status: 'ok' | 'error';
}

/** A call as the filtered list shows it: what a table row needs, without prompt, response or metadata. */
export interface ListedCall extends CallRow, Usage {
  /** '' unless the call failed with a message. */
  readonly error_message: string;
  readonly user_id: string;
  readonly session_id: string;
}

/** One UTC day of one model: what it cost. */
export interface DayCost extends Usage {
  /** The day, `YYYY-MM-DD` (UTC). */
  readonly day: string;
  readonly model: string;
  readonly requests: number;
}

export interface FailedCall extends Call {
  readonly error_message: string;
}

/**
 * An event the loader set aside because ClickHouse refused it, as the query API lists it. Texts
 * are cut at `DEAD_LETTER_LIMITS`, always on a character boundary.
 */
export interface DeadLetterRow {
  /** When the loader wrote it, ISO-8601 UTC with milliseconds. */
  readonly failed_at: string;
  /** The stream record it came in: `<stream ARN>/<shard id>:<sequence number>`. */
  readonly source: string;
  /** The id of the ingest request that sent the event; '' when unknown. */
  readonly request_id: string;
  /** ClickHouse's error code; 0 when the letter did not come from the engine. */
  readonly engine_code: number;
  /** Why: the engine's error message. A reason cut short ends in "…". */
  readonly reason: string;
  /**
   * The event's NDJSON line as its stream record carried it: the client's own line, unless the
   * validator forwarded the normalised event instead. Its first bytes when `line_truncated`.
   */
  readonly line: string;
  /** The whole line's length in bytes (UTF-8). */
  readonly line_bytes: number;
  /** Whether `line` is only the start of the line. */
  readonly line_truncated: boolean;
}

/** One page of a project's dead letters, and how many the window holds in all. */
export interface DeadLetterPage {
  readonly total: number;
  readonly dead_letters: DeadLetterRow[];
}

export interface TraceSpan {
  readonly trace_id: string;
  readonly span_id: string;
  /** Empty for the root span. */
  readonly parent_span_id: string;
  readonly timestamp: string;
  readonly name: string;
  readonly model: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
  readonly latency_ms: number;
  readonly cost_cents: number;
  readonly status: 'ok' | 'error';
  readonly error_message: string;
  readonly user_id: string;
  readonly session_id: string;
  readonly tags: string[];
  /** As stored by the `JSON` column: keys in sorted order, numbers as numbers. */
  readonly metadata: Record<string, unknown>;
  readonly prompt: string;
  readonly response: string;
}

// ---------------------------------------------------------------------------------------------
// Input validation

const projectId = z.string({ error: 'must be a string' }).regex(PROJECT_ID_PATTERN, {
  error: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

/** Epoch milliseconds of a valid Date: an invalid one would bind as no time at all. */
const instant = z.date({ error: 'must be a valid Date' }).transform((date) => date.getTime());

const windowShape = { projectId, from: instant, to: instant };

type WindowMs = { projectId: string; from: number; to: number };

const WindowSchema = z.strictObject(windowShape);

/**
 * Which rollup answers totals over a window: the hourly one when the window is whole hours and
 * long enough for it to matter (fewer latency sketches to merge), else the minute one. Both hold
 * the same counts.
 */
function rollupFor(w: WindowMs): { table: 'events_minute' | 'events_hour'; column: 'minute' | 'hour' } {
  const wholeHours = w.from % HOUR_MS === 0 && w.to % HOUR_MS === 0;
  return wholeHours && w.to - w.from >= HOURLY_FROM_MS
    ? { table: 'events_hour', column: 'hour' }
    : { table: 'events_minute', column: 'minute' };
}

const ListSchema = z.strictObject({
  ...windowShape,
  limit: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(QUERY_LIMITS.maxRows, { error: `must be at most ${QUERY_LIMITS.maxRows}` })
    .default(QUERY_LIMITS.defaultRows),
});

/** Limits of `callCount`'s metadata filters, documented with the query API. */
export const METADATA_FILTER_LIMITS = {
  maxFilters: 4,
  /**
   * Keys in a path: the metadata object is depth 1, so the contract's deepest object holds
   * values under this many keys.
   */
  maxPathKeys: EVENT_LIMITS.metadataMaxDepth,
  maxKeyChars: 64,
  maxValueChars: 256,
} as const;

/**
 * A path key: plain enough to be written into SQL backquoted, as an identifier cannot be a
 * query parameter. The values are parameters.
 */
const METADATA_KEY = new RegExp(`^[A-Za-z0-9_-]{1,${METADATA_FILTER_LIMITS.maxKeyChars}}$`);

const quoted = (text: string) => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);

/** What is wrong with a metadata filter's path (`deploy.id`), or undefined when it is a valid path. */
export function metadataPathProblem(path: string): string | undefined {
  const keys = path.split('.');
  const bad = keys.find((key) => !METADATA_KEY.test(key));
  if (bad !== undefined) {
    return `each key of a metadata path must be 1-${METADATA_FILTER_LIMITS.maxKeyChars} letters, digits, "_" or "-", nested keys joined by "." (metadata.deploy.id); got key ${quoted(bad)}`;
  }
  if (keys.length > METADATA_FILTER_LIMITS.maxPathKeys) {
    return `a metadata path has at most ${METADATA_FILTER_LIMITS.maxPathKeys} keys, as metadata nests at most ${EVENT_LIMITS.metadataMaxDepth} levels deep; got ${keys.length}`;
  }
  return undefined;
}

/** What is wrong with the value a metadata filter matches, or undefined when it is a valid value. */
export function metadataValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty: give the value the metadata must equal';
  if (value.length > METADATA_FILTER_LIMITS.maxValueChars) {
    return `must be at most ${METADATA_FILTER_LIMITS.maxValueChars} characters; got ${value.length}`;
  }
  return undefined;
}

/** Read with Object.entries, not z.record: a `__proto__` key must stay a key like any other. */
const metadataFilters = z
  .custom<MetadataFilters>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), {
    error: 'must be an object of metadata paths and the values they must equal',
  })
  .default({})
  .transform((filters, ctx) => {
    const entries = Object.entries(filters);
    if (entries.length > METADATA_FILTER_LIMITS.maxFilters) {
      ctx.addIssue({
        code: 'custom',
        message: `must hold at most ${METADATA_FILTER_LIMITS.maxFilters} filters; got ${entries.length}`,
      });
      return z.NEVER;
    }
    for (const [path, value] of entries) {
      const problem = metadataPathProblem(path) ?? metadataValueProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', path: [path], message: problem });
    }
    return entries;
  });

const CountSchema = z.strictObject({ ...windowShape, metadata: metadataFilters });

const CallListSchema = z.strictObject({
  ...ListSchema.shape,
  model: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(EVENT_LIMITS.modelMaxChars, { error: `must be at most ${EVENT_LIMITS.modelMaxChars} characters` })
    .optional(),
  status: z.enum(['ok', 'error'], { error: 'must be "ok" or "error"' }).optional(),
  metadata: metadataFilters,
  order: z.enum(['latest', 'slowest'], { error: 'must be "latest" or "slowest"' }).default('latest'),
});

/** A window of whole UTC hours: the hourly rollup's rows are whole hours. */
const HoursSchema = z.strictObject(windowShape).superRefine((w, ctx) => {
  for (const key of ['from', 'to'] as const) {
    if (w[key] % HOUR_MS !== 0)
      ctx.addIssue({ code: 'custom', path: [key], message: 'must be a whole hour' });
  }
});

const TraceSchema = z.strictObject({
  projectId,
  traceId: z.string({ error: 'must be a string' }).regex(/^[0-9a-f]{32}$/, {
    error: 'must be 32 lowercase hex characters (a W3C trace id)',
  }),
});

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new QueryInputError(
      // Paths here are parameter names as sent (`metadata.deploy.id`), joined as they came.
      `invalid query: ${describeZodIssues(parsed.error, { input, maxIssues: 3 })}`,
    );
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Query helpers

/** A DateTime64(3, 'UTC') parameter value: the text form the engine parses, with the zone in the type. */
function dateTimeParam(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function windowParams(w: WindowMs): Record<string, string> {
  return { project: w.projectId, from: dateTimeParam(w.from), to: dateTimeParam(w.to) };
}

/** JSONEachRow quotes 64-bit integers by default; every number is converted, whichever it got. */
type Wire<T> = { readonly [K in keyof T]: T[K] extends number ? number | string : T[K] };

/**
 * A query's rows, within `limits`: sent as the query's own SETTINGS clause, not beside it, as the
 * embedded engine turns settings sent beside a query into a SET that its later queries (a
 * loader's insert among them) would keep.
 */
function bounded<Row>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  limits: QueryLimitSettings,
): Promise<Row[]> {
  return selectRows<Row>(client, `${query}\n${settingsClause(limits)}`, params);
}

function select<Row>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
  limits: QueryLimitSettings,
): Promise<Wire<Row>[]> {
  return bounded<Wire<Row>>(client, query, params, limits);
}

const num = (v: number | string): number => Number(v);

/** A rollup's tokens and cost summed, as `usageOf` reads them back. */
const USAGE_SUMS = `sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens,
       sum(tokens_used) AS total_tokens,
       sum(cost_cents) AS cost_cents`;

/** A row's usage columns (`USAGE_SUMS`, or an event's own), as numbers: 64-bit sums may come as text. */
type UsageWire = { readonly [K in keyof Usage]: number | string };
const usageOf = (r: UsageWire): Usage => ({
  input_tokens: num(r.input_tokens),
  output_tokens: num(r.output_tokens),
  total_tokens: num(r.total_tokens),
  cost_cents: num(r.cost_cents),
});
const nullableNum = (v: number | string | null): number | null => (v === null ? null : Number(v));
const isoFromMs = (v: number | string): string => new Date(Number(v)).toISOString();

const rollupWindowSql = (column: 'minute' | 'hour') => `project_id = {project:String}
  AND ${column} >= {from:DateTime64(3, 'UTC')} AND ${column} < {to:DateTime64(3, 'UTC')}`;

const RAW_WINDOW = `project_id = {project:String}
  AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}`;

// ---------------------------------------------------------------------------------------------
// Dashboard queries: the rollup only. Its AggregatingMergeTree may hold rows not yet merged, so
// every query groups and re-aggregates.

type BucketStat = Omit<MinuteStat, 'minute'> & { readonly bucket: string };

async function bucketStats(
  client: ClickHouseClient,
  w: WindowMs,
  rollup: { table: 'events_minute' | 'events_hour'; column: 'minute' | 'hour' },
  limits: QueryLimitSettings,
): Promise<BucketStat[]> {
  const rows = await select<
    {
      bucket_s: number;
      model: string;
      requests: number;
      errors: number;
      latency_sum: number;
      latency_max: number;
      latency_q: [number, number, number];
    } & UsageWire
  >(
    client,
    `SELECT
       toUnixTimestamp(${rollup.column}) AS bucket_s,
       model,
       sum(requests) AS requests,
       sum(errors) AS errors,
       sum(latency_ms_sum) AS latency_sum,
       max(latency_ms_max) AS latency_max,
       quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms_quantiles) AS latency_q,
       ${USAGE_SUMS}
     FROM ${rollup.table}
     WHERE ${rollupWindowSql(rollup.column)}
     GROUP BY ${rollup.column}, model
     ORDER BY ${rollup.column}, model`,
    windowParams(w),
    limits,
  );
  return rows.map((r) => {
    const requests = num(r.requests);
    const errors = num(r.errors);
    return {
      bucket: isoFromMs(num(r.bucket_s) * 1000),
      model: r.model,
      requests,
      errors,
      error_rate: errors / requests,
      latency_ms_avg: num(r.latency_sum) / requests,
      latency_ms_p50: num(r.latency_q[0]),
      latency_ms_p95: num(r.latency_q[1]),
      latency_ms_p99: num(r.latency_q[2]),
      latency_ms_max: num(r.latency_max),
      ...usageOf(r),
    };
  });
}

/**
 * Per minute and model: requests, errors, error rate, latency (avg, p50/p95/p99, max), tokens
 * and cost, ordered by minute then model — the design document's dashboard query, from the minute rollup.
 * `from` and `to` are whole minutes: a rollup row is a whole minute's.
 */
export async function minuteStats(
  client: ClickHouseClient,
  params: WindowParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<MinuteStat[]> {
  const w = parse(WindowSchema, params);
  const stats = await bucketStats(client, w, { table: 'events_minute', column: 'minute' }, limits);
  return stats.map(({ bucket, ...rest }) => ({ minute: bucket, ...rest }));
}

/**
 * Per hour and model, the same figures from the hourly rollup: the series for windows of days,
 * where minutes would be thousands of points. `from` and `to` are whole hours.
 */
export async function hourStats(
  client: ClickHouseClient,
  params: WindowParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<HourStat[]> {
  const w = parse(WindowSchema, params);
  const stats = await bucketStats(client, w, { table: 'events_hour', column: 'hour' }, limits);
  return stats.map(({ bucket, ...rest }) => ({ hour: bucket, ...rest }));
}

/** Per model over the window (whole minutes): requests, tokens and cost, the costliest model first. */
export async function modelUsage(
  client: ClickHouseClient,
  params: WindowParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<ModelUsage[]> {
  const w = parse(WindowSchema, params);
  const rollup = rollupFor(w);
  const rows = await select<{ model: string; requests: number } & UsageWire>(
    client,
    `SELECT
       model,
       sum(requests) AS requests,
       ${USAGE_SUMS}
     FROM ${rollup.table}
     WHERE ${rollupWindowSql(rollup.column)}
     GROUP BY model
     ORDER BY cost_cents DESC, model`,
    windowParams(w),
    limits,
  );
  return rows.map((r) => ({ model: r.model, requests: num(r.requests), ...usageOf(r) }));
}

/** Totals over the window. `from` and `to` are whole minutes. */
export async function summary(
  client: ClickHouseClient,
  params: WindowParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<Summary> {
  const w = parse(WindowSchema, params);
  const rollup = rollupFor(w);
  const [row] = await select<
    {
      requests: number;
      errors: number;
      latency_sum: number;
      latency_max: number;
      latency_p95: number | null;
    } & UsageWire
  >(
    client,
    `SELECT
       sum(requests) AS requests,
       sum(errors) AS errors,
       sum(latency_ms_sum) AS latency_sum,
       max(latency_ms_max) AS latency_max,
       quantilesTDigestMerge(0.5, 0.95, 0.99)(latency_ms_quantiles)[2] AS latency_p95,
       ${USAGE_SUMS}
     FROM ${rollup.table}
     WHERE ${rollupWindowSql(rollup.column)}`,
    windowParams(w),
    limits,
  );
  // An aggregate without GROUP BY always returns one row; an empty window gives zero sums.
  const requests = row ? num(row.requests) : 0;
  const errors = row ? num(row.errors) : 0;
  const any = row !== undefined && requests > 0;
  return {
    requests,
    errors,
    error_rate: any ? errors / requests : null,
    latency_ms_avg: any ? num(row.latency_sum) / requests : null,
    latency_ms_p95: any ? nullableNum(row.latency_p95) : null,
    latency_ms_max: any ? num(row.latency_max) : null,
    ...(row ? usageOf(row) : { input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_cents: 0 }),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw-row queries: window-bounded, so they read only the window's part of the sort key.

const CALL_COLUMNS =
  'trace_id, span_id, toUnixTimestamp64Milli(timestamp) AS timestamp_ms, model, name, latency_ms';
type CallWire = Omit<Call, 'timestamp' | 'latency_ms'> & {
  timestamp_ms: number | string;
  latency_ms: number | string;
};

function call(r: CallWire): Call {
  return {
    trace_id: r.trace_id,
    span_id: r.span_id,
    timestamp: isoFromMs(r.timestamp_ms),
    model: r.model,
    name: r.name,
    latency_ms: num(r.latency_ms),
  };
}

/** The `limit` slowest calls in the window, slowest first (ties: latest first, then by ids). */
export async function slowestCalls(
  client: ClickHouseClient,
  params: ListParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<CallRow[]> {
  const w = parse(ListSchema, params);
  const rows = await bounded<CallWire & { status: CallRow['status'] }>(
    client,
    `SELECT ${CALL_COLUMNS}, status
     FROM events
     WHERE ${RAW_WINDOW}
     ORDER BY latency_ms DESC, timestamp DESC, trace_id, span_id
     LIMIT {limit:UInt32}`,
    { ...windowParams(w), limit: w.limit },
    limits,
  );
  return rows.map((r) => ({ ...call(r), status: r.status }));
}

/** The `limit` most recent failed calls in the window, latest first (ties: by ids). */
export async function failedCalls(
  client: ClickHouseClient,
  params: ListParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<FailedCall[]> {
  const w = parse(ListSchema, params);
  const rows = await bounded<CallWire & { error_message: string }>(
    client,
    `SELECT ${CALL_COLUMNS}, error_message
     FROM events
     WHERE ${RAW_WINDOW} AND status = 'error'
     ORDER BY timestamp DESC, trace_id, span_id
     LIMIT {limit:UInt32}`,
    { ...windowParams(w), limit: w.limit },
    limits,
  );
  return rows.map((r) => ({ ...call(r), error_message: r.error_message }));
}

const LISTED_CALL_COLUMNS = `${CALL_COLUMNS}, status, input_tokens, output_tokens,
  tokens_used AS total_tokens, cost_cents, error_message, user_id, session_id`;

const CALL_ORDERS: Readonly<Record<CallOrder, string>> = {
  latest: 'timestamp DESC, trace_id, span_id',
  slowest: 'latency_ms DESC, timestamp DESC, trace_id, span_id',
};

/**
 * The window's calls that match every filter (model, status, metadata), the latest or the
 * slowest first, `limit` of them: the dashboard's list of calls. Prompt, response and metadata
 * stay out (a trace's route has them): a page of 1,000 calls stays small.
 */
export async function listCalls(
  client: ClickHouseClient,
  params: CallListParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<ListedCall[]> {
  const c = parse(CallListSchema, params);
  const metadata = metadataConditions(c.metadata);
  const filters = [
    c.model === undefined ? '' : ' AND model = {model:String}',
    c.status === undefined ? '' : ' AND status = {status:String}',
    metadata.sql,
  ].join('');
  const values = {
    ...(c.model === undefined ? {} : { model: c.model }),
    ...(c.status === undefined ? {} : { status: c.status }),
    ...metadata.values,
  };
  const rows = await bounded<
    CallWire &
      UsageWire & {
        status: CallRow['status'];
        error_message: string;
        user_id: string;
        session_id: string;
      }
  >(
    client,
    `SELECT ${LISTED_CALL_COLUMNS}
     FROM events
     WHERE ${RAW_WINDOW}${filters}
     ORDER BY ${CALL_ORDERS[c.order]}
     LIMIT {limit:UInt32}`,
    { ...windowParams(c), ...values, limit: c.limit },
    limits,
  );
  return rows.map((r) => ({
    ...call(r),
    status: r.status,
    ...usageOf(r),
    error_message: r.error_message,
    user_id: r.user_id,
    session_id: r.session_id,
  }));
}

/**
 * Per UTC day and model over a window of whole hours, from the hourly rollup: requests, tokens
 * and cost, by day then model. A day the window cuts counts only its hours inside the window.
 */
export async function dailyCosts(
  client: ClickHouseClient,
  params: WindowParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<DayCost[]> {
  const w = parse(HoursSchema, params);
  const rows = await select<{ day: string; model: string; requests: number } & UsageWire>(
    client,
    `SELECT
       toString(toDate(hour)) AS day,
       model,
       sum(requests) AS requests,
       ${USAGE_SUMS}
     FROM events_hour
     WHERE ${rollupWindowSql('hour')}
     GROUP BY day, model
     ORDER BY day, model`,
    windowParams(w),
    limits,
  );
  return rows.map((r) => ({ day: r.day, model: r.model, requests: num(r.requests), ...usageOf(r) }));
}

/**
 * The metadata at a path as a string. A JSON path reads as a `Dynamic` holding whichever type
 * the value was stored as, and `toString` prints it: a string "42" and a number 42 both read
 * '42', `true` reads 'true'. A missing path (or a null, or an object) reads '', which no filter
 * equals, as filter values are never empty. A typed subcolumn (`metadata.a.:String`) would miss
 * the numbers.
 */
const metadataAt = (path: string) =>
  `toString(metadata.${path
    .split('.')
    .map((key) => `\`${key}\``)
    .join('.')})`;

/** Metadata filters as SQL conditions (each ` AND …`) and their parameters `m0`, `m1`…. */
function metadataConditions(filters: readonly (readonly [string, string])[]): {
  sql: string;
  values: Record<string, string>;
} {
  return {
    sql: filters.map(([path], i) => ` AND ${metadataAt(path)} = {m${i}:String}`).join(''),
    values: Object.fromEntries(filters.map(([, value], i) => [`m${i}`, value])),
  };
}

/**
 * How many calls of the window match every metadata filter, and how many of those rows repeat a
 * (trace_id, span_id) already counted: `events` is a plain MergeTree, so a call that reached it
 * twice (under two deduplication tokens) stays two rows.
 */
export async function callCount(
  client: ClickHouseClient,
  params: CountParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<CallCount> {
  const c = parse(CountSchema, params);
  const { sql: filters, values } = metadataConditions(c.metadata);
  const [row] = await select<{ calls: number; distinct_calls: number }>(
    client,
    `SELECT count() AS calls, uniqExact(trace_id, span_id) AS distinct_calls
     FROM events
     WHERE ${RAW_WINDOW}${filters}`,
    { ...windowParams(c), ...values },
    limits,
  );
  const calls = row ? num(row.calls) : 0;
  const distinct = row ? num(row.distinct_calls) : 0;
  return { calls, distinct_calls: distinct, duplicate_calls: calls - distinct };
}

/**
 * Every span of one trace, oldest first (ties: by span id), with prompt and response. Not
 * window-bounded: a trace id is looked up through the bloom filter index on `trace_id`.
 */
export async function traceSpans(
  client: ClickHouseClient,
  params: TraceParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<TraceSpan[]> {
  const t = parse(TraceSchema, params);
  const rows = await select<Omit<TraceSpan, 'timestamp'> & { timestamp_ms: number }>(
    client,
    `SELECT trace_id, span_id, parent_span_id, toUnixTimestamp64Milli(timestamp) AS timestamp_ms, name, model,
            input_tokens, output_tokens, tokens_used AS total_tokens, latency_ms, cost_cents, status,
            error_message, user_id, session_id, tags, metadata, prompt, response
     FROM events
     WHERE project_id = {project:String} AND trace_id = {trace:String}
     ORDER BY timestamp, span_id`,
    { project: t.projectId, trace: t.traceId },
    limits,
  );
  return rows.map((r) => ({
    trace_id: r.trace_id,
    span_id: r.span_id,
    parent_span_id: r.parent_span_id,
    timestamp: isoFromMs(r.timestamp_ms),
    name: r.name,
    model: r.model,
    input_tokens: num(r.input_tokens),
    output_tokens: num(r.output_tokens),
    total_tokens: num(r.total_tokens),
    latency_ms: num(r.latency_ms),
    cost_cents: num(r.cost_cents),
    status: r.status,
    error_message: r.error_message,
    user_id: r.user_id,
    session_id: r.session_id,
    tags: r.tags,
    metadata: r.metadata,
    prompt: r.prompt,
    response: r.response,
  }));
}

// ---------------------------------------------------------------------------------------------
// Dead letters

// A letter redriven (whatever the outcome) is not listed: its events are stored now, or it was
// refused again and the new letter its redrive wrote is listed instead.
const DEAD_LETTER_WINDOW = `project_id = {project:String}
  AND failed_at >= {from:DateTime64(3, 'UTC')} AND failed_at < {to:DateTime64(3, 'UTC')}
  AND ${DEAD_LETTER_ID_SQL} GLOBAL NOT IN
    (SELECT letter_id FROM load_dead_letter_redrives WHERE project_id = {project:String})`;

/** "…" in UTF-8. */
const ELLIPSIS_BYTES = 3;

/** The longest start of `text` that is whole characters and at most `maxBytes` bytes of UTF-8. */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text);
  let end = Math.max(0, maxBytes);
  // Back off over continuation bytes (10xxxxxx) to the start of the character cut through.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString();
}

/**
 * The project's dead letters in the window, newest first (ties: by source, then line), up to
 * `limit`, and how many the window holds. Letters of records the loader could not read at all
 * carry no project (`project_id` ''), which no project id matches, so no tenant sees them.
 * Letters already redriven are left out (`DEAD_LETTER_WINDOW`).
 *
 * The engine sends at most `DEAD_LETTER_LIMITS` characters of each text, and this cuts them to
 * as many bytes: a page of 1,000 letters of whole 1 MB events never crosses the wire.
 */
export async function deadLetters(
  client: ClickHouseClient,
  params: ListParams,
  limits: QueryLimitSettings = QUERY_SETTINGS,
): Promise<DeadLetterPage> {
  const w = parse(ListSchema, params);
  const { maxLineBytes, maxReasonBytes } = DEAD_LETTER_LIMITS;
  const [rows, counted] = await Promise.all([
    bounded<{
      failed_at_ms: number;
      source: string;
      request_id: string;
      engine_code: number;
      reason_head: string;
      reason_bytes: number;
      line_head: string;
      line_bytes: number;
      line_chars: number;
    }>(
      client,
      `SELECT toUnixTimestamp64Milli(failed_at) AS failed_at_ms, source, request_id, engine_code,
              substringUTF8(reason, 1, {reason_chars:UInt32}) AS reason_head, length(reason) AS reason_bytes,
              substringUTF8(line, 1, {line_chars:UInt32}) AS line_head, length(line) AS line_bytes,
              lengthUTF8(line) AS line_chars
       FROM load_dead_letters
       WHERE ${DEAD_LETTER_WINDOW}
       ORDER BY failed_at DESC, source, line_head
       LIMIT {limit:UInt32}`,
      { ...windowParams(w), limit: w.limit, reason_chars: maxReasonBytes, line_chars: maxLineBytes },
      limits,
    ),
    select<{ total: number }>(
      client,
      `SELECT count() AS total FROM load_dead_letters WHERE ${DEAD_LETTER_WINDOW}`,
      windowParams(w),
      limits,
    ),
  ]);
  const dead_letters = rows.map((r): DeadLetterRow => {
    const reason =
      num(r.reason_bytes) > maxReasonBytes
        ? `${utf8Prefix(r.reason_head, maxReasonBytes - ELLIPSIS_BYTES)}…`
        : r.reason_head;
    const line = utf8Prefix(r.line_head, maxLineBytes);
    return {
      failed_at: isoFromMs(r.failed_at_ms),
      source: r.source,
      request_id: r.request_id,
      engine_code: num(r.engine_code),
      reason,
      line,
      line_bytes: num(r.line_bytes),
      line_truncated: num(r.line_chars) > maxLineBytes || line.length < r.line_head.length,
    };
  });
  return { total: num(counted[0]?.total ?? 0), dead_letters };
}
