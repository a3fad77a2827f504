import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './core.js';

const REASONS: Record<number, string> = {
  200: 'OK',
  207: 'Multi-Status',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
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

export function toAlbResult(response: HttpResponse, multiValueHeaders: boolean): ALBResult {
  const status = `${response.statusCode} ${REASONS[response.statusCode] ?? 'Unknown'}`;
  const common = {
    statusCode: response.statusCode,
    statusDescription: status,
    body: response.body,
    isBase64Encoded: false,
  };
  if (multiValueHeaders) {
    return {
      ...common,
      multiValueHeaders: Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, [v]])),
    };
  }
  return { ...common, headers: response.headers };
}
