import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './http.js';

/**
 * The load balancer's Lambda event and result as the cores' request and response, for both
 * functions behind it. Multi-value headers are off (the load balancer's default) unless the
 * event carries them; the result answers in the same form.
 */

const REASONS: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  207: 'Multi-Status',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  421: 'Misdirected Request',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An ALB target-group event as the core's request; the ALB base64-encodes binary (gzip) bodies. */
export function fromAlbEvent(event: ALBEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) {
    headers[name.toLowerCase()] = values?.[0];
  }
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  return { method: event.httpMethod.toUpperCase(), path: event.path, headers, body };
}

/**
 * The path with its query string, for a core that reads one from the path as a local server's
 * request line has it. The load balancer passes the query string apart from the path, still
 * URL-encoded as the client sent it.
 */
export function albPathWithQuery(event: ALBEvent): string {
  const pairs = event.multiValueQueryStringParameters
    ? Object.entries(event.multiValueQueryStringParameters).flatMap(([name, values]) =>
        (values ?? []).map((value) => `${name}=${value}`),
      )
    : Object.entries(event.queryStringParameters ?? {}).map(([name, value]) => `${name}=${value ?? ''}`);
  return pairs.length > 0 ? `${event.path}?${pairs.join('&')}` : event.path;
}

/** The core's response as the load balancer's result, its headers in the form the event came in. */
export function toAlbResult(response: HttpResponse, multiValueHeaders: boolean): ALBResult {
  const status = `${response.statusCode} ${REASONS[response.statusCode] ?? 'Unknown'}`;
  const common = {
    statusCode: response.statusCode,
    statusDescription: status,
    body: response.body,
    isBase64Encoded: response.bodyEncoding === 'base64',
  };
  if (multiValueHeaders) {
    return {
      ...common,
      multiValueHeaders: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, [v]])),
    };
  }
  return { ...common, headers: response.headers };
}
