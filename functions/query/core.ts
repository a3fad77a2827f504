import type { ClickHouseClient } from '@clickhouse/client';
import { albStringBytes, escapedBytes, escapedPrefix, fairCap } from '../shared/answer-size.js';
import { authenticate, type KeyStore } from '../shared/auth/api-keys.js';
import { EVENT_LIMITS } from '../shared/contract/event.js';
import {
  errorResponse,
  type HttpRequest,
  type HttpResponse,
  jsonResponse,
  QUERY_HEALTH_PATH,
  splitPath,
} from '../shared/http.js';
import { limitExceeded, QUERY_SETTINGS, type QueryLimitSettings } from './limits.js';
import {
  type CallOrder,
  callCount,
  type DeadLetterRow,
  dailyCosts,
  deadLetters,
  failedCalls,
  hourStats,
  listCalls,
  METADATA_FILTER_LIMITS,
  metadataPathProblem,
  metadataValueProblem,
  minuteStats,
  modelUsage,
  QUERY_LIMITS,
  QueryInputError,
  slowestCalls,
  summary,
  traceSpans,
  type WindowParams,
} from './queries.js';

/**
 * The query API over HTTP: routes, parameters and answers around the queries (queries.ts). Every
 * route authenticates with the ingest API keys and reads only the key's project; no parameter can
 * name another one. The parameters are checked here, the time window's rules included (see
 * `resolveWindow`): the queries take the window as given.
 */

export interface QueryDeps {
  readonly keys: KeyStore;
  readonly clickhouse: ClickHouseClient;
  readonly now: () => number;
  /**
   * What each query may cost the store, sent with every query.
   * @default - QUERY_SETTINGS, the values of the cluster's query profile
   */
  readonly limits?: QueryLimitSettings;
  /**
   * This API's region, in a deployment across regions: a project homed in another region is
   * answered 421 with its home region's endpoint, since only that region's store holds its events.
   * @default - keys' home regions are not looked at
   */
  readonly region?: string;
  /** Each region's API endpoint (`https://ingest.<region>.<domain>`), for the 421's directions. */
  readonly regionalEndpoints?: Readonly<Record<string, string>>;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const QUERY_API_LIMITS = {
  defaultWindow: '1h',
  /** Longer windows in whole hours default to `step=hour`. */
  minuteStepUpToMs: 6 * HOUR_MS,
  /** A per-minute series covers at most a day: 1,440 points per model. */
  maxMinuteSeriesMs: DAY_MS,
  /**
   * The body as a Lambda returns it, a JSON string (every quote escaped), must stay within the
   * load balancer's 1 MB limit on a Lambda's response; the rest is headroom for the headers.
   */
  maxEscapedBodyBytes: 990_000,
  /** Seconds a client is asked to wait when ClickHouse or the key store failed. */
  retryAfterSec: 5,
} as const;

export type QueryRoute =
  | 'metrics'
  | 'summary'
  | 'models'
  | 'calls_slowest'
  | 'calls_failed'
  | 'calls_count'
  | 'calls'
  | 'costs'
  | 'trace'
  | 'dead_letters'
  | 'health'
  | 'other';

/** What one request did, for metrics and logs. */
export interface QuerySummary {
  readonly route: QueryRoute;
  readonly method: string;
  readonly statusCode: number;
  readonly projectId?: string;
  readonly keyId?: string;
  readonly errorCode?: string;
  /** Series points, models, calls, spans or dead letters in the answer. */
  readonly rows?: number;
  /** ClickHouse's or the key store's own error: for operators' logs only, never sent to the client. */
  readonly internalError?: string;
}

export type QueryResult = { response: HttpResponse; summary: QuerySummary };

/** Answers read a moving window: no cache may keep one. */
const NO_STORE = { 'cache-control': 'no-store' };

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return jsonResponse(statusCode, body, { ...NO_STORE, ...headers });
}

function failure(statusCode: number, code: string, message: string, headers: Record<string, string> = {}) {
  return errorResponse(statusCode, code, message, { ...NO_STORE, ...headers });
}

// ---------------------------------------------------------------------------------------------
// Parameters. Every message starts with the parameter at fault and says what it may be.

type Params = ReadonlyMap<string, string>;

/** Shows a caller's value in a message, cut short: it is echoed back and logged. */
const got = (value: string) => `got ${JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)}`;

/** A parameter's name at the start of a message, cut short like a value. */
const named = (name: string) => (name.length > 64 ? `${name.slice(0, 64)}…` : name);

/** How a route lists that it takes `metadata.<path>=<value>` filters, any path. */
const METADATA_PARAM = 'metadata.<key>';
const METADATA_PREFIX = 'metadata.';

function readParams(search: string, allowed: readonly string[], routePath: string): Params {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(search)) {
    const known =
      allowed.includes(name) || (allowed.includes(METADATA_PARAM) && name.startsWith(METADATA_PREFIX));
    if (!known) {
      throw new QueryInputError(
        `${name.slice(0, 64)}: unknown parameter; ${routePath} takes ${allowed.join(', ')}`,
      );
    }
    if (params.has(name)) throw new QueryInputError(`${named(name)}: give it once`);
    params.set(name, value);
  }
  return params;
}

const WINDOW = /^(\d{1,9})([mhd])$/;
const UNIT_MS = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS } as const;
const MAX_WINDOW = `${QUERY_LIMITS.maxWindowMs / DAY_MS}d`;

function windowLength(text: string): number {
  const allowed = `must be a length in minutes, hours or days (15m, 1h, 24h, 7d), from 1m to ${MAX_WINDOW}`;
  const match = WINDOW.exec(text);
  if (!match) throw new QueryInputError(`window: ${allowed}; ${got(text)}`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms === 0 || ms > QUERY_LIMITS.maxWindowMs)
    throw new QueryInputError(`window: ${allowed}; ${got(text)}`);
  return ms;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** Epoch ms of an ISO-8601 time with a zone, or NaN; calendar-checked, where Date.parse would roll 02-30 over. */
function parseInstant(text: string): number {
  const m = ISO_WITH_ZONE.exec(text);
  const ms = m ? Date.parse(text) : Number.NaN;
  if (!m || Number.isNaN(ms)) return Number.NaN;
  const offsetMs = (m[1] === '-' ? -1 : 1) * (Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60_000;
  // The local date and time written must be the ones the instant has at that offset.
  return new Date(ms + offsetMs).toISOString().slice(0, 19) === text.slice(0, 19) ? ms : Number.NaN;
}

function instant(name: 'from' | 'to', raw: string): number {
  // An unencoded "+" in a query string reads as a space: `…T12:00:00 02:00` meant `+02:00`.
  const ms = parseInstant(raw.replace(/ (\d{2}:\d{2})$/, '+$1'));
  if (Number.isNaN(ms)) {
    throw new QueryInputError(
      `${name}: must be an ISO-8601 time with a zone, like 2026-01-31T12:00:00Z (encode "+" as %2B); ${got(raw)}`,
    );
  }
  return ms;
}

type Step = 'minute' | 'hour';

function stepParam(text: string | undefined): Step | undefined {
  if (text === undefined || text === 'minute' || text === 'hour') return text;
  throw new QueryInputError(`step: must be minute or hour; ${got(text)}`);
}

/** Hourly when the window is longer than 6 hours and in whole hours: at most 744 points. */
const defaultStep = (lengthMs: number): Step =>
  lengthMs > QUERY_API_LIMITS.minuteStepUpToMs && lengthMs % HOUR_MS === 0 ? 'hour' : 'minute';

interface Window {
  readonly from: number;
  readonly to: number;
  readonly step: Step;
}

/**
 * The window a request asks for. `series` is the dashboard's time series, in steps of a minute or
 * an hour; `totals` reads the same rollups, so its window is aligned the way the series' default
 * step aligns it; `raw` reads events, to the millisecond.
 *
 * A `window` ends with the current minute, so the minute in progress is included; a series by
 * the hour ends with the current hour.
 */
function resolveWindow(params: Params, now: number, kind: 'series' | 'totals' | 'raw'): Window {
  const step = kind === 'series' ? stepParam(params.get('step')) : undefined;
  const windowText = params.get('window');
  const fromText = params.get('from');
  const toText = params.get('to');
  let from: number;
  let to: number;
  let resolved: Step;
  if (fromText === undefined && toText === undefined) {
    const length = windowLength(windowText ?? QUERY_API_LIMITS.defaultWindow);
    resolved = step ?? defaultStep(length);
    if (resolved === 'hour' && length % HOUR_MS !== 0) {
      throw new QueryInputError(
        `window: must be whole hours (6h, 24h, 7d) with step=hour; ${got(windowText ?? QUERY_API_LIMITS.defaultWindow)}`,
      );
    }
    const minuteEnd = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    to = kind !== 'raw' && resolved === 'hour' ? Math.ceil(minuteEnd / HOUR_MS) * HOUR_MS : minuteEnd;
    from = to - length;
  } else {
    if (windowText !== undefined)
      throw new QueryInputError('window: give either window or from and to, not both');
    if (fromText === undefined) throw new QueryInputError('from: is required with to');
    if (toText === undefined) throw new QueryInputError('to: is required with from');
    from = instant('from', fromText);
    to = instant('to', toText);
    if (from >= to)
      throw new QueryInputError(`from: must be before to; ${got(fromText)}, to ${toText.slice(0, 64)}`);
    if (to - from > QUERY_LIMITS.maxWindowMs) {
      throw new QueryInputError(`to: must be at most ${MAX_WINDOW} after from`);
    }
    const wholeHours = from % HOUR_MS === 0 && to % HOUR_MS === 0;
    resolved = step ?? (wholeHours ? defaultStep(to - from) : 'minute');
    if (kind !== 'raw') {
      const [unit, example] = resolved === 'hour' ? [HOUR_MS, '12:00:00Z'] : [MINUTE_MS, '12:34:00Z'];
      for (const [name, ms, text] of [
        ['from', from, fromText],
        ['to', to, toText],
      ] as const) {
        if (ms % unit !== 0) {
          throw new QueryInputError(
            `${name}: must be a whole ${resolved} (like …T${example}), as this reads the rollup by the ${resolved}; ${got(text)}`,
          );
        }
      }
    }
  }
  if (kind === 'series' && resolved === 'minute' && to - from > QUERY_API_LIMITS.maxMinuteSeriesMs) {
    throw new QueryInputError(
      `step: a series by the minute covers at most 24h; use step=hour (with a window of whole hours) for ${(to - from) / HOUR_MS}h`,
    );
  }
  return { from, to, step: resolved };
}

function limitParam(text: string | undefined): number {
  if (text === undefined) return QUERY_LIMITS.defaultRows;
  const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= QUERY_LIMITS.maxRows)) {
    throw new QueryInputError(
      `limit: must be a whole number from 1 to ${QUERY_LIMITS.maxRows}; ${got(text)}`,
    );
  }
  return n;
}

/** The forms the event contract takes a trace id in; stored as 32 lowercase hex. */
const TRACE_ID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

function traceIdParam(text: string): string {
  if (!TRACE_ID.test(text)) {
    throw new QueryInputError(
      `trace_id: must be 32 hex characters (a W3C trace id) or a UUID, as it was sent; ${got(text)}`,
    );
  }
  return text.replaceAll('-', '').toLowerCase();
}

/**
 * The `metadata.<path>=<value>` parameters, in the order given, as the path each filters on and
 * its value. A path cannot be given twice: `readParams` takes each name once.
 */
function metadataParams(params: Params): Record<string, string> {
  const filters: [string, string][] = [];
  for (const [name, value] of params) {
    if (!name.startsWith(METADATA_PREFIX)) continue;
    if (filters.length === METADATA_FILTER_LIMITS.maxFilters) {
      throw new QueryInputError(
        `${named(name)}: at most ${METADATA_FILTER_LIMITS.maxFilters} metadata filters per request`,
      );
    }
    const path = name.slice(METADATA_PREFIX.length);
    const problem = metadataPathProblem(path) ?? metadataValueProblem(value);
    if (problem) throw new QueryInputError(`${named(name)}: ${problem}`);
    filters.push([path, value]);
  }
  // fromEntries defines every key as its own property, `__proto__` too.
  return Object.fromEntries(filters);
}

function orderParam(text: string | undefined): CallOrder {
  if (text === undefined) return 'latest';
  if (text === 'latest' || text === 'slowest') return text;
  throw new QueryInputError(`order: must be latest or slowest; ${got(text)}`);
}

function statusParam(text: string | undefined): 'ok' | 'error' | undefined {
  if (text === undefined || text === 'ok' || text === 'error') return text;
  throw new QueryInputError(`status: must be ok or error; ${got(text)}`);
}

function modelParam(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text.length === 0 || text.length > EVENT_LIMITS.modelMaxChars) {
    throw new QueryInputError(
      `model: must be 1-${EVENT_LIMITS.modelMaxChars} characters, a model's name as sent`,
    );
  }
  return text;
}

/** Days of `/v1/costs`: a month and a day at most, as every window. */
const COST_DAYS = { default: 30, max: QUERY_LIMITS.maxWindowMs / DAY_MS } as const;

function daysParam(text: string | undefined): number {
  if (text === undefined) return COST_DAYS.default;
  const n = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= COST_DAYS.max)) {
    throw new QueryInputError(`days: must be a whole number from 1 to ${COST_DAYS.max}; ${got(text)}`);
  }
  return n;
}

/**
 * The windows of `/v1/costs` at `now`: `days` whole UTC days ending with today, and the month so
 * far; both end with the current hour, as the hourly rollup counts it.
 */
function costWindows(now: number, days: number): { days: Window; month: Window } {
  const to = Math.ceil((Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS) / HOUR_MS) * HOUR_MS;
  const today = Math.floor((to - 1) / DAY_MS) * DAY_MS;
  const date = new Date(today);
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  return {
    days: { from: today - (days - 1) * DAY_MS, to, step: 'hour' },
    month: { from: monthStart, to, step: 'hour' },
  };
}

// ---------------------------------------------------------------------------------------------
// Routes

interface Context {
  readonly client: ClickHouseClient;
  readonly projectId: string;
  readonly params: Params;
  readonly now: number;
  /** The path segment after the route's prefix: the trace id. */
  readonly arg: string;
  readonly limits: QueryLimitSettings;
}

/** A route's answer: 200 and its body, or an error of the route's own (a trace not found). */
type Answer =
  | { body: unknown; rows: number }
  | { error: { statusCode: number; code: string; message: string } };

interface RouteSpec {
  readonly name: Exclude<QueryRoute, 'other'>;
  /** As listed to a caller. */
  readonly path: string;
  readonly params: readonly string[];
  /** What a caller can ask for instead when a query of the route goes over a limit. */
  readonly narrower: string;
  run(ctx: Context): Promise<Answer>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW_PARAMS = ['window', 'from', 'to', 'project'] as const;

/**
 * The window a route reads: as the queries take it, and as the answer names it (every answer
 * starts with `project`, `from` and `to`).
 */
function routeWindow(ctx: Context, kind: Parameters<typeof resolveWindow>[2]) {
  const w = resolveWindow(ctx.params, ctx.now, kind);
  return {
    step: w.step,
    query: { projectId: ctx.projectId, from: new Date(w.from), to: new Date(w.to) },
    head: { project: ctx.projectId, from: iso(w.from), to: iso(w.to) },
  };
}

async function callList(ctx: Context, list: typeof slowestCalls | typeof failedCalls): Promise<Answer> {
  const limit = limitParam(ctx.params.get('limit'));
  const { query, head } = routeWindow(ctx, 'raw');
  const calls = await list(ctx.client, { ...query, limit }, ctx.limits);
  return { body: { ...head, limit, calls }, rows: calls.length };
}

/** "…" is not escaped: its three bytes of UTF-8. */
const ELLIPSIS_ESCAPED_BYTES = 3;

/**
 * The letters with their longest texts cut so that the answer `page` makes of them fits the load
 * balancer's limit: the reasons and lines share what the rest of the answer leaves, the shorter
 * ones whole and the longer ones cut to an equal share (a cut reason ends in "…", a cut line is
 * flagged `line_truncated`). A page of any size then fits, however long its events were.
 */
export function fitDeadLetters(
  letters: readonly DeadLetterRow[],
  page: (letters: readonly DeadLetterRow[]) => unknown,
): DeadLetterRow[] {
  const bare = letters.map((letter) => ({ ...letter, reason: '', line: '' }));
  const budget = QUERY_API_LIMITS.maxEscapedBodyBytes - albStringBytes(JSON.stringify(page(bare)));
  // Each text is measured once: a page holds up to 1,000 letters of lines up to 16 KiB.
  const measured = letters.map((letter) => ({
    letter,
    reasonBytes: escapedBytes(letter.reason),
    lineBytes: escapedBytes(letter.line),
  }));
  const cap = fairCap(
    measured.flatMap((m) => [m.reasonBytes, m.lineBytes]),
    budget,
  );
  if (cap === Number.POSITIVE_INFINITY) return [...letters];
  return measured.map(({ letter, reasonBytes, lineBytes }) => {
    const reason =
      reasonBytes > cap
        ? `${escapedPrefix(letter.reason, Math.max(0, cap - ELLIPSIS_ESCAPED_BYTES))}…`
        : letter.reason;
    return lineBytes > cap
      ? { ...letter, reason, line: escapedPrefix(letter.line, cap), line_truncated: true }
      : { ...letter, reason };
  });
}

/** A route of totals over the window from the rollups: one query, its result named as the route. */
function totalsRoute<T>(
  name: 'summary' | 'models',
  path: string,
  read: (client: ClickHouseClient, query: WindowParams, limits: QueryLimitSettings) => Promise<T>,
  rows: (result: T) => number,
): RouteSpec {
  return {
    name,
    path,
    params: WINDOW_PARAMS,
    narrower: 'ask for a shorter window',
    async run(ctx) {
      const { query, head } = routeWindow(ctx, 'totals');
      const result = await read(ctx.client, query, ctx.limits);
      return { body: { ...head, [name]: result }, rows: rows(result) };
    },
  };
}

const ROUTES: readonly RouteSpec[] = [
  {
    name: 'metrics',
    path: '/v1/metrics',
    params: [...WINDOW_PARAMS, 'step'],
    narrower: 'ask for a shorter window, or step=hour',
    async run(ctx) {
      const { query, head, step } = routeWindow(ctx, 'series');
      const series =
        step === 'hour'
          ? (await hourStats(ctx.client, query, ctx.limits)).map(({ hour, ...rest }) => ({
              time: hour,
              ...rest,
            }))
          : (await minuteStats(ctx.client, query, ctx.limits)).map(({ minute, ...rest }) => ({
              time: minute,
              ...rest,
            }));
      return { body: { ...head, step, series }, rows: series.length };
    },
  },
  totalsRoute('summary', '/v1/summary', summary, () => 1),
  totalsRoute('models', '/v1/models', modelUsage, (models) => models.length),
  {
    name: 'calls_slowest',
    path: '/v1/calls/slowest',
    params: [...WINDOW_PARAMS, 'limit'],
    narrower: 'ask for a shorter window',
    run: (ctx) => callList(ctx, slowestCalls),
  },
  {
    name: 'calls_failed',
    path: '/v1/calls/failed',
    params: [...WINDOW_PARAMS, 'limit'],
    narrower: 'ask for a shorter window',
    run: (ctx) => callList(ctx, failedCalls),
  },
  {
    name: 'calls_count',
    path: '/v1/calls/count',
    params: [...WINDOW_PARAMS, METADATA_PARAM],
    narrower: 'ask for a shorter window (the count reads every call of its window, filters or not)',
    async run(ctx) {
      const { query, head } = routeWindow(ctx, 'raw');
      const metadata = metadataParams(ctx.params);
      const count = await callCount(ctx.client, { ...query, metadata }, ctx.limits);
      return { body: { ...head, metadata, ...count }, rows: 1 };
    },
  },
  {
    name: 'calls',
    path: '/v1/calls',
    params: [...WINDOW_PARAMS, 'model', 'status', 'order', 'limit', METADATA_PARAM],
    narrower: 'ask for a shorter window, or filter by model or status',
    async run(ctx) {
      const order = orderParam(ctx.params.get('order'));
      const limit = limitParam(ctx.params.get('limit'));
      const model = modelParam(ctx.params.get('model'));
      const status = statusParam(ctx.params.get('status'));
      const metadata = metadataParams(ctx.params);
      const { query, head } = routeWindow(ctx, 'raw');
      const filters = {
        ...(model === undefined ? {} : { model }),
        ...(status === undefined ? {} : { status }),
      };
      const calls = await listCalls(ctx.client, { ...query, ...filters, metadata, order, limit }, ctx.limits);
      return {
        body: { ...head, order, limit, filters: { ...filters, metadata }, calls },
        rows: calls.length,
      };
    },
  },
  {
    name: 'costs',
    path: '/v1/costs',
    params: ['days', 'project'],
    narrower: 'ask for fewer days',
    async run(ctx) {
      const windows = costWindows(ctx.now, daysParam(ctx.params.get('days')));
      const at = (w: Window) => ({ projectId: ctx.projectId, from: new Date(w.from), to: new Date(w.to) });
      const [days, models] = await Promise.all([
        dailyCosts(ctx.client, at(windows.days), ctx.limits),
        modelUsage(ctx.client, at(windows.month), ctx.limits),
      ]);
      const total = (field: 'requests' | 'input_tokens' | 'output_tokens' | 'total_tokens' | 'cost_cents') =>
        models.reduce((sum, m) => sum + m[field], 0);
      const month = {
        from: iso(windows.month.from),
        to: iso(windows.month.to),
        requests: total('requests'),
        input_tokens: total('input_tokens'),
        output_tokens: total('output_tokens'),
        total_tokens: total('total_tokens'),
        cost_cents: total('cost_cents'),
        models,
      };
      return {
        body: {
          project: ctx.projectId,
          from: iso(windows.days.from),
          to: iso(windows.days.to),
          days,
          month,
        },
        rows: days.length + models.length,
      };
    },
  },
  {
    name: 'trace',
    path: '/v1/traces/{trace_id}',
    params: ['project'],
    // A trace has no window to narrow: its spans and texts are what they are.
    narrower: 'this trace is more than one request may read',
    async run(ctx) {
      const traceId = traceIdParam(ctx.arg);
      const spans = await traceSpans(ctx.client, { projectId: ctx.projectId, traceId }, ctx.limits);
      if (spans.length === 0) {
        return {
          error: {
            statusCode: 404,
            code: 'trace_not_found',
            message: `no spans of trace ${traceId} in project "${ctx.projectId}" (a trace is queryable a few seconds after it is sent)`,
          },
        };
      }
      return { body: { project: ctx.projectId, trace_id: traceId, spans }, rows: spans.length };
    },
  },
  {
    name: 'dead_letters',
    path: '/v1/dead-letters',
    params: [...WINDOW_PARAMS, 'limit'],
    narrower: 'ask for a shorter window or a lower limit',
    async run(ctx) {
      const limit = limitParam(ctx.params.get('limit'));
      const { query, head } = routeWindow(ctx, 'raw');
      const { total, dead_letters } = await deadLetters(ctx.client, { ...query, limit }, ctx.limits);
      const page = (letters: readonly DeadLetterRow[]) => ({ ...head, limit, total, dead_letters: letters });
      const letters = fitDeadLetters(dead_letters, page);
      return { body: page(letters), rows: letters.length };
    },
  },
];

const ROUTE_LIST = ROUTES.map((r) => r.path).join(', ');

function matchRoute(path: string): { spec: RouteSpec; arg: string } | undefined {
  const trace = /^\/v1\/traces\/([^/]+)$/.exec(path);
  if (trace?.[1]) return { spec: ROUTES.find((r) => r.name === 'trace') as RouteSpec, arg: trace[1] };
  const spec = ROUTES.find((r) => r.name !== 'trace' && r.path === path);
  return spec ? { spec, arg: '' } : undefined;
}

// ---------------------------------------------------------------------------------------------
// The request

/**
 * Answers one query request: `GET` (or `HEAD`) on a path of `QUERY_ROUTE_PATTERNS`, with an API
 * key. `request.path` may carry the query string.
 */
export async function handleQueryRequest(request: HttpRequest, deps: QueryDeps): Promise<QueryResult> {
  const result = await answer(request, deps);
  // A HEAD answer is the GET answer's status and headers, without its body.
  return request.method === 'HEAD' ? { ...result, response: { ...result.response, body: '' } } : result;
}

async function answer(request: HttpRequest, deps: QueryDeps): Promise<QueryResult> {
  const { method } = request;
  const { path, search } = splitPath(request.path);
  if (path === QUERY_HEALTH_PATH && (method === 'GET' || method === 'HEAD')) {
    // The load balancer's health check of this function's target group: no key, no ClickHouse,
    // so a ClickHouse outage shows in the answers, not as a load balancer taken out of DNS.
    return {
      response: respond(200, { status: 'ok' }),
      summary: { route: 'health', method, statusCode: 200 },
    };
  }
  const matched = matchRoute(path);
  if (!matched) {
    return {
      response: failure(
        404,
        'not_found',
        `no such endpoint: ${method} ${path.slice(0, 200) || '/'}; the query API has GET ${ROUTE_LIST}`,
      ),
      summary: { route: 'other', method, statusCode: 404, errorCode: 'not_found' },
    };
  }
  const { spec, arg } = matched;
  const route = spec.name;
  const result = (
    statusCode: number,
    code: string,
    message: string,
    extra: Partial<QuerySummary> = {},
    headers: Record<string, string> = {},
  ): QueryResult => ({
    response: failure(statusCode, code, message, headers),
    summary: { route, method, statusCode, errorCode: code, ...extra },
  });
  if (method !== 'GET' && method !== 'HEAD') {
    return result(
      405,
      'method_not_allowed',
      `${method} is not allowed on ${spec.path}; use GET`,
      {},
      {
        allow: 'GET, HEAD',
      },
    );
  }

  const retryAfter = { 'retry-after': String(QUERY_API_LIMITS.retryAfterSec) };
  let auth: Awaited<ReturnType<typeof authenticate>>;
  try {
    auth = await authenticate(deps.keys, request.headers.authorization);
  } catch (error) {
    return result(
      503,
      'key_store_unavailable',
      'the API key could not be checked; send the request again after Retry-After seconds',
      { internalError: String(error) },
      retryAfter,
    );
  }
  if (!auth.ok) return result(401, 'unauthorized', auth.reason, {}, { 'www-authenticate': 'Bearer' });
  const who = { projectId: auth.projectId, keyId: auth.keyId };
  if (auth.homeRegion !== undefined && deps.region !== undefined && auth.homeRegion !== deps.region) {
    const endpoint = deps.regionalEndpoints?.[auth.homeRegion];
    return result(
      421,
      'wrong_region',
      `project ${auth.projectId} keeps its events in region ${auth.homeRegion}, and this is region ${deps.region}: ask ${endpoint === undefined ? `that region's endpoint` : endpoint}`,
      { ...who },
      endpoint === undefined ? {} : { 'x-evalforge-home-endpoint': endpoint },
    );
  }

  const limits = deps.limits ?? QUERY_SETTINGS;
  let routeAnswer: Answer;
  try {
    const params = readParams(search, spec.params, spec.path);
    const project = params.get('project');
    if (project !== undefined && project !== auth.projectId) {
      return result(
        403,
        'forbidden',
        `this API key belongs to project "${auth.projectId}" and cannot read project ${JSON.stringify(project.slice(0, 64))}; use a key of that project`,
        who,
      );
    }
    routeAnswer = await spec.run({
      client: deps.clickhouse,
      projectId: auth.projectId,
      params,
      now: deps.now(),
      arg,
      limits,
    });
  } catch (error) {
    if (error instanceof QueryInputError) return result(400, 'invalid_query', error.message, who);
    const over = limitExceeded(error, limits);
    if (over) {
      const message = over.statusCode === 429 ? over.message : `${over.message}; ${spec.narrower}`;
      const headers: Record<string, string> =
        over.retryAfterSec === undefined ? {} : { 'retry-after': String(over.retryAfterSec) };
      return {
        // The error names the limit for programs too, beside the usual code and message.
        response: respond(
          over.statusCode,
          { error: { code: over.code, message, limit: over.limit } },
          headers,
        ),
        summary: {
          route,
          method,
          statusCode: over.statusCode,
          errorCode: over.code,
          ...who,
          internalError: String(error),
        },
      };
    }
    return result(
      503,
      'unavailable',
      'the event store could not be queried; send the request again after Retry-After seconds',
      { ...who, internalError: String(error) },
      retryAfter,
    );
  }

  if ('error' in routeAnswer) {
    const { statusCode, code, message } = routeAnswer.error;
    return result(statusCode, code, message, { ...who, rows: 0 });
  }
  const { body, rows } = routeAnswer;
  const response = respond(200, body);
  const answerBytes = albStringBytes(response.body);
  if (answerBytes > QUERY_API_LIMITS.maxEscapedBodyBytes) {
    return result(
      422,
      'response_too_large',
      `the answer (${rows} rows, ${answerBytes} bytes as a Lambda returns it) is over the load balancer's 1 MB limit; ask for a shorter window, a lower limit or step=hour`,
      { ...who, rows },
    );
  }
  return {
    response,
    summary: { route, method, statusCode: 200, ...who, rows },
  };
}

/**
 * The answer when the function could not set up what it queries with (its environment, the
 * ClickHouse password): 503, the cause for operators' logs only.
 */
export function unavailableResult(request: HttpRequest, error: unknown): QueryResult {
  const route = matchRoute(splitPath(request.path).path)?.spec.name ?? 'other';
  const response = failure(
    503,
    'unavailable',
    'the query API is not available; send the request again after Retry-After seconds',
    { 'retry-after': String(QUERY_API_LIMITS.retryAfterSec) },
  );
  return {
    response: request.method === 'HEAD' ? { ...response, body: '' } : response,
    summary: {
      route,
      method: request.method,
      statusCode: 503,
      errorCode: 'unavailable',
      internalError: String(error),
    },
  };
}
