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
  readonly body: string;
}

/** The ingest API's route: `POST` a batch of events. */
export const INGEST_EVENTS_PATH = '/v1/events';

/**
 * `GET /v1/health`: a client's check goes to the ingest validator (it is not a query path); the
 * load balancer checks each target group's health at this path, sent to that group as is.
 */
export const HEALTH_PATH = '/v1/health';

/** Where the load balancer checks the query function's health: {@link HEALTH_PATH}, answered without a key. */
export const QUERY_HEALTH_PATH = HEALTH_PATH;

/**
 * The paths the query API answers: each prefix itself and everything under it. The load balancer
 * and the local server send these to the query handler and every other path to the ingest
 * validator. A new prefix goes at the end: the load balancer's rules take the patterns five at a
 * time.
 */
export const QUERY_ROUTE_PREFIXES = [
  '/v1/metrics',
  '/v1/summary',
  '/v1/models',
  '/v1/calls',
  '/v1/traces',
  '/v1/dead-letters',
] as const;

/**
 * Whether a path matches one of `prefixes` the way the load balancer's rules match them: the
 * prefix itself or anything under it (`/v1/calls` and `/v1/calls/x`, not `/v1/callsx`). The
 * query string, if any, is not part of the match.
 */
export function matchesRoutePrefix(path: string, prefixes: readonly string[]): boolean {
  const bare = path.split('?', 1)[0] ?? '';
  return prefixes.some((prefix) => bare === prefix || bare.startsWith(`${prefix}/`));
}

/** Whether a request path (with or without its query string) belongs to the query API. */
export function isQueryPath(path: string): boolean {
  return matchesRoutePrefix(path, QUERY_ROUTE_PREFIXES);
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
