/**
 * What one query of the query API may cost ClickHouse, in one place: the query API sends
 * `QUERY_SETTINGS` with every query it runs (so the embedded engine, which has no users.d, holds
 * them too), and the cluster's query profile carries the same values as its defaults and as the
 * highest a client may set (lib/constructs/clickhouse/users-config.ts). A query over one of them
 * stops with the engine's error, which the query API answers as a 4xx naming the limit
 * (`limitExceeded`), so one tenant's heavy query cannot hold the nodes that every tenant's inserts
 * and dashboards share.
 *
 * The figures are sized for the dashboard's heaviest queries with margin: a month of the hourly
 * rollup or a day of the minute rollup (thousands of rows), a day of a busy project's call lists
 * (hundreds of millions of raw rows, lean columns), a trace lookup (the bloom filter's granules,
 * prompts and responses included). What passes them (a month of raw rows filtered on metadata, a
 * trace of hundreds of MB) is refused with a message saying to narrow the window.
 */

/** Per-query limits, as ClickHouse settings: names and units are the engine's. */
export interface QueryLimitSettings {
  /** Seconds. */
  readonly max_execution_time: number;
  /** Bytes. */
  readonly max_memory_usage: number;
  readonly max_rows_to_read: number;
  /** Bytes, uncompressed. */
  readonly max_bytes_to_read: number;
  readonly max_result_rows: number;
  /** Bytes, uncompressed. */
  readonly max_result_bytes: number;
  readonly timeout_overflow_mode: 'throw';
  readonly read_overflow_mode: 'throw';
  readonly result_overflow_mode: 'throw';
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const QUERY_SETTINGS = {
  // The query function times out at 30 s in every tier: 20 s leaves it time to answer 422 with
  // the limit's name instead of dying with a 502. The heaviest dashboard query (a month by the
  // hour, a day of a busy project's slowest calls) takes a few seconds.
  max_execution_time: 20,
  // The series and totals group a few thousand buckets, the call lists keep their top 1,000 rows:
  // tens of MB. The one query that grows with its window is the count's exact distinct calls,
  // ~16 bytes a call: 2 GiB holds ~100 M of them, hours of a busy project. It is a quarter of the
  // smallest node's 8 GiB (c5.xlarge, tier 1), so one heavy query leaves the inserts their memory.
  max_memory_usage: 2 * GiB,
  // A day of a project sending 10,000 events/s is 864 M raw rows: a day of call lists passes, a
  // month of raw rows (a metadata count over 31 days of a busy project) does not. The rollups read
  // buckets × models: a month by the minute of 100 models is 4.5 M rows.
  max_rows_to_read: 1_000_000_000,
  // The call lists' lean columns are ~50 bytes a row: 1e9 rows are ~50 GB. A trace lookup reads
  // whole granules of prompts and responses (~5 KB a row): this stops one that would read ~10 M.
  max_bytes_to_read: 50 * GiB,
  // The longest answer is a day by the minute: 1,440 points per model, 72,000 rows for 50
  // models; the lists stop at 1,000.
  max_result_rows: 100_000,
  // 1,000 dead letters of 16 KiB lines and 4 KiB reasons are ~20 MiB before the query core cuts
  // them to the answer's 1 MB; a trace whose spans carry more text than this would be refused as
  // response_too_large anyway, and is stopped before the function has to hold it.
  max_result_bytes: 64 * MiB,
  timeout_overflow_mode: 'throw',
  read_overflow_mode: 'throw',
  result_overflow_mode: 'throw',
} as const satisfies QueryLimitSettings;

/**
 * The query user's quota on the cluster: what all tenants' queries together may cost in an
 * interval, a brake on the read load the query API can put beside the inserts. The per-query
 * limits above keep one query from costing much; this keeps many from doing so together. It is
 * one quota for the user, not per tenant: every tenant queries as the query API.
 */
export interface QueryQuota {
  readonly intervalSec: number;
  readonly queries: number;
  readonly errors: number;
  /** Seconds of query execution, summed over the interval's queries. */
  readonly executionTimeSec: number;
  readonly readRows: number;
}

export const QUERY_QUOTA = {
  intervalSec: 60,
  // A dashboard page is ~6 queries: 6,000 a minute is 1,000 page loads a minute, beyond the
  // query function's reserved concurrency at sub-second answers in tiers 1-2.
  queries: 6_000,
  // A client looping over a failing request (a window always over a limit) stops here.
  errors: 1_000,
  // 30 queries running the whole minute: the nodes' cores stay mostly the inserts'.
  executionTimeSec: 1_800,
  // 20 of the heaviest queries a minute.
  readRows: 20 * QUERY_SETTINGS.max_rows_to_read,
} as const satisfies QueryQuota;

/** `SETTINGS a = 1, b = 'throw'`: the limits as a query's own SETTINGS clause. */
export function settingsClause(settings: QueryLimitSettings): string {
  const values = Object.entries(settings).map(([name, value]) => {
    if (!/^[a-z_]+$/.test(name)) throw new Error(`not a setting name: ${name}`);
    return `${name} = ${typeof value === 'number' ? String(value) : `'${value}'`}`;
  });
  return `SETTINGS ${values.join(', ')}`;
}

/** The setting a query went over, or the quota. */
export type QueryLimitName =
  | 'max_execution_time'
  | 'max_memory_usage'
  | 'max_rows_to_read'
  | 'max_bytes_to_read'
  | 'max_result_rows'
  | 'max_result_bytes'
  | 'quota';

/** How the query API answers a query the engine stopped at a limit. */
export interface LimitExceeded {
  readonly statusCode: 422 | 429;
  readonly code: 'query_limit_exceeded' | 'query_quota_exceeded';
  readonly limit: QueryLimitName;
  /** What went over, in the client's terms; the route adds what to ask for instead. */
  readonly message: string;
  /** For the quota: when the client may send the request again. */
  readonly retryAfterSec?: number;
}

/** ClickHouse's error codes for a query stopped at a limit (ErrorCodes.cpp). */
export const LIMIT_ERROR_CODES = {
  TOO_MANY_ROWS: 158,
  TIMEOUT_EXCEEDED: 159,
  TOO_SLOW: 160,
  QUOTA_EXCEEDED: 201,
  MEMORY_LIMIT_EXCEEDED: 241,
  TOO_MANY_BYTES: 307,
  TOO_MANY_ROWS_OR_BYTES: 396,
} as const;

/**
 * The engine's error code: `@clickhouse/client` gives it as a string of digits in `code` (over
 * HTTP and over chDB alike), chDB's own errors as a number in `clickhouseCode`.
 */
function engineCode(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, clickhouseCode } = error as { code?: unknown; clickhouseCode?: unknown };
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  if (typeof clickhouseCode === 'number') return clickhouseCode;
  return undefined;
}

const count = (n: number) => n.toLocaleString('en-US');
const bytes = (n: number) => (n >= 1024 ** 3 ? `${n / 1024 ** 3} GiB` : `${n / 1024 ** 2} MiB`);

/**
 * Whether `error` is the engine stopping a query at one of `limits` or at the quota, and how to
 * answer it: 422 naming the setting, or 429 with Retry-After for the quota. Any other error,
 * the server's own memory limit included (every query's, not this one's), is not: it stays a
 * failure of the store.
 */
export function limitExceeded(
  error: unknown,
  limits: QueryLimitSettings,
  quota: QueryQuota = QUERY_QUOTA,
): LimitExceeded | undefined {
  const code = engineCode(error);
  if (code === undefined) return undefined;
  const text = error instanceof Error ? error.message : '';
  const over = (limit: Exclude<QueryLimitName, 'quota'>, message: string): LimitExceeded => ({
    statusCode: 422,
    code: 'query_limit_exceeded',
    limit,
    message: `${limit}: ${message}`,
  });
  switch (code) {
    case LIMIT_ERROR_CODES.TIMEOUT_EXCEEDED:
      return over('max_execution_time', `the query ran longer than ${limits.max_execution_time} s`);
    case LIMIT_ERROR_CODES.TOO_SLOW:
      return over(
        'max_execution_time',
        `the query would run longer than ${limits.max_execution_time} s, at the speed it reads`,
      );
    case LIMIT_ERROR_CODES.TOO_MANY_ROWS:
      return over(
        'max_rows_to_read',
        `the query would read more than ${count(limits.max_rows_to_read)} rows`,
      );
    case LIMIT_ERROR_CODES.TOO_MANY_BYTES:
      return over('max_bytes_to_read', `the query would read more than ${bytes(limits.max_bytes_to_read)}`);
    case LIMIT_ERROR_CODES.TOO_MANY_ROWS_OR_BYTES:
      return /max bytes/i.test(text)
        ? over('max_result_bytes', `the answer would be more than ${bytes(limits.max_result_bytes)}`)
        : over('max_result_rows', `the answer would be more than ${count(limits.max_result_rows)} rows`);
    case LIMIT_ERROR_CODES.MEMORY_LIMIT_EXCEEDED:
      // "Query memory limit exceeded" (26.x), "Memory limit (for query) exceeded" (older); the
      // server's "(total)" and a user's "(for user)" limits are the store's, not this query's.
      return /query memory limit|\(for query\)/i.test(text)
        ? over(
            'max_memory_usage',
            `the query would use more than ${bytes(limits.max_memory_usage)} of memory`,
          )
        : undefined;
    case LIMIT_ERROR_CODES.QUOTA_EXCEEDED: {
      const resource = /has been exceeded: (\w+) =/.exec(text)?.[1];
      return {
        statusCode: 429,
        code: 'query_quota_exceeded',
        limit: 'quota',
        message: `quota: the query API's queries of the last ${quota.intervalSec} s are over its quota${resource ? ` (${resource})` : ''}; send the request again after Retry-After seconds`,
        retryAfterSec: quota.intervalSec,
      };
    }
    default:
      return undefined;
  }
}
