import { errorResponse, type HttpRequest, type HttpResponse, isQueryPath } from '../shared/http.js';

/**
 * Cross-origin reads of the query API, for the web dashboard alone: the dashboard is served from
 * its own origin (CloudFront) and calls the regional API, so a browser lets it read an answer only
 * when the answer names that origin. Any other origin gets no CORS header, so a browser keeps the
 * answer from its page; a preflight from it is refused. Without an allowed origin (the local
 * runtime, where the dashboard and the API share one) nothing changes. Pure: no env, no clock.
 */

/** What a preflight from the dashboard's origin is told. */
export const CORS_PREFLIGHT = {
  /** The query API's methods (every route is `GET`, and `HEAD` of it). */
  methods: 'GET, HEAD',
  /** The one header the dashboard sends that is not CORS-safelisted: the API key. */
  headers: 'authorization',
  /** How long a browser may keep the preflight's answer, in seconds. */
  maxAgeSec: 600,
} as const;

/** The error code of a preflight from an origin other than the dashboard's. */
export const ORIGIN_NOT_ALLOWED = 'origin_not_allowed';

export type CorsDecision =
  /** Answer with this: a preflight, allowed (204) or refused (403, with its error code), checked for no key. */
  | { readonly preflight: HttpResponse; readonly errorCode?: string }
  /** Answer as usual, with these headers added (none when no origin is allowed). */
  | { readonly headers: Readonly<Record<string, string>> };

/**
 * What CORS asks of one request to the query API, given the request and the one origin allowed
 * (`https://<dashboard domain>`, or `undefined` for none). Only an exact match of the `Origin`
 * header is allowed: scheme, host and port.
 */
export function corsDecision(request: HttpRequest, allowedOrigin: string | undefined): CorsDecision {
  if (allowedOrigin === undefined) return { headers: {} };
  const origin = request.headers.origin;
  const allowed = origin !== undefined && origin === allowedOrigin;
  // Caches between the browser and the API must keep answers to different origins apart.
  const vary = { vary: 'origin' };
  const isPreflight =
    request.method === 'OPTIONS' &&
    origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined &&
    isQueryPath(request.path);
  if (isPreflight && !allowed) {
    return {
      preflight: errorResponse(
        403,
        ORIGIN_NOT_ALLOWED,
        `this API answers browser pages of the EvalForge dashboard only; got origin ${JSON.stringify(origin.slice(0, 200))}`,
        { 'cache-control': 'no-store', ...vary },
      ),
      errorCode: ORIGIN_NOT_ALLOWED,
    };
  }
  if (isPreflight) {
    return {
      preflight: {
        statusCode: 204,
        headers: {
          'access-control-allow-origin': allowedOrigin,
          'access-control-allow-methods': CORS_PREFLIGHT.methods,
          'access-control-allow-headers': CORS_PREFLIGHT.headers,
          'access-control-max-age': String(CORS_PREFLIGHT.maxAgeSec),
          ...vary,
        },
        body: '',
      },
    };
  }
  if (!allowed) return { headers: vary };
  return {
    headers: {
      'access-control-allow-origin': allowedOrigin,
      // The dashboard waits as long as a 429 or 503 asks before it asks again.
      'access-control-expose-headers': 'retry-after',
      ...vary,
    },
  };
}
