/**
 * The HTTP face of EvalForge: the routes the load balancer splits between the ingest validator and
 * the query API, and the request and response both cores take and give. The load balancer's rules
 * (lib/), the local server (local/) and the functions read the routes from here, so a route is
 * added in one place.
 */

/** An HTTP request as a core sees it; header names are lowercase. */
export interface HttpRequest {
  readonly method: string;
  /** The path, and the query string after `?` when the route reads one. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** Text, or with `bodyEncoding` 'base64' the base64 of binary bytes (an OTLP protobuf answer). */
  readonly body: string;
  /** @default - text */
  readonly bodyEncoding?: 'base64';
}

/** The ingest API's route: `POST` a batch of events. */
export const INGEST_EVENTS_PATH = '/v1/events';

/** OTLP/HTTP's trace export route: `POST` an `ExportTraceServiceRequest`, each span an event. */
export const INGEST_TRACES_PATH = '/v1/traces';

/**
 * `GET /v1/health`: a client's check goes to the ingest validator (it is not a query path); the
 * load balancer checks each target group's health at this path, sent to that group as is.
 */
export const HEALTH_PATH = '/v1/health';

/** Where the load balancer checks the query function's health: {@link HEALTH_PATH}, answered without a key. */
export const QUERY_HEALTH_PATH = HEALTH_PATH;

/**
 * The paths the query API answers, as the load balancer's path patterns: a pattern ending in `/*`
 * is everything under its prefix, any other the path itself. The load balancer and the local
 * server send these to the query handler and every other path to the ingest validator. A new
 * pattern goes at the end: the load balancer's rules take the patterns five at a time.
 *
 * `/v1/traces` itself is not among them: `POST /v1/traces` is OTLP/HTTP's trace export, which the
 * validator takes; a trace is read at `GET /v1/traces/{trace_id}`, under it.
 */
export const QUERY_ROUTE_PATTERNS = [
  '/v1/metrics',
  '/v1/metrics/*',
  '/v1/summary',
  '/v1/summary/*',
  '/v1/models',
  '/v1/models/*',
  '/v1/calls',
  '/v1/calls/*',
  '/v1/traces/*',
  '/v1/dead-letters',
  '/v1/dead-letters/*',
  '/v1/costs',
  '/v1/costs/*',
] as const;

/**
 * Whether a path matches one of `patterns` the way the load balancer's rules match them: `/x/*`
 * matches `/x/` and anything under it (not `/x` nor `/xy`), any other pattern only itself. The query
 * string, if any, is not part of the match.
 */
export function matchesRoutePattern(path: string, patterns: readonly string[]): boolean {
  const bare = path.split('?', 1)[0] ?? '';
  return patterns.some((pattern) =>
    pattern.endsWith('/*') ? bare.startsWith(pattern.slice(0, -1)) : bare === pattern,
  );
}

/** Whether a request path (with or without its query string) belongs to the query API. */
export function isQueryPath(path: string): boolean {
  return matchesRoutePattern(path, QUERY_ROUTE_PATTERNS);
}

/** A request's path without its query string and trailing slashes (`/v1/events/` is `/v1/events`), and the query string. */
export function splitPath(requestPath: string): { path: string; search: string } {
  const at = requestPath.indexOf('?');
  const path = (at < 0 ? requestPath : requestPath.slice(0, at)).replace(/\/+$/, '');
  return { path, search: at < 0 ? '' : requestPath.slice(at + 1) };
}

/** A JSON answer: `content-type: application/json`, then `headers` in their order. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** Every non-2xx answer's body: `{ "error": { "code", "message" } }`. */
export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  headers?: Readonly<Record<string, string>>,
): HttpResponse {
  return jsonResponse(statusCode, { error: { code, message } }, headers);
}
