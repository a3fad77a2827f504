import { describe, expect, it } from 'vitest';
import {
  errorResponse,
  HEALTH_PATH,
  INGEST_EVENTS_PATH,
  INGEST_TRACES_PATH,
  isQueryPath,
  jsonResponse,
  QUERY_HEALTH_PATH,
  splitPath,
} from '../../../functions/shared/http.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('routes', () => {
  it.each(['/v1/metrics', '/v1/summary', '/v1/models', '/v1/calls', '/v1/dead-letters'])(
    'sends %s and every path under it to the query API, for the load balancer and the local server',
    (prefix) => {
      for (const path of [prefix, `${prefix}?window=1h`, `${prefix}/x`]) expect(isQueryPath(path)).toBe(true);
      expect(isQueryPath(`${prefix}x`)).toBe(false);
      expect(isQueryPath(prefix.slice(0, -1))).toBe(false);
    },
  );

  it('matches paths the way the load balancer does: a prefix and what is under it', () => {
    for (const path of [
      '/v1/metrics',
      '/v1/metrics?window=1h',
      '/v1/calls/slowest',
      `/v1/traces/${TRACE}`,
      '/v1/dead-letters?window=24h',
    ]) {
      expect(isQueryPath(path)).toBe(true);
    }
    for (const path of ['/v1/events', '/v1/health', '/v1/metricsx', '/v1/dead-letter', '/v1', '/']) {
      expect(isQueryPath(path)).toBe(false);
    }
  });

  it('sends the ingest routes to the validator, health checks of the query function included', () => {
    expect([INGEST_EVENTS_PATH, INGEST_TRACES_PATH, HEALTH_PATH]).toEqual([
      '/v1/events',
      '/v1/traces',
      '/v1/health',
    ]);
    expect(QUERY_HEALTH_PATH).toBe(HEALTH_PATH);
    expect(isQueryPath(INGEST_EVENTS_PATH) || isQueryPath(HEALTH_PATH)).toBe(false);
  });

  it("sends OTLP's trace export to the validator and a trace's read under it to the query API", () => {
    for (const path of ['/v1/traces', '/v1/traces?x=1']) expect(isQueryPath(path)).toBe(false);
    for (const path of [`/v1/traces/${TRACE}`, '/v1/traces/', `/v1/traces/${TRACE}?x=1`])
      expect(isQueryPath(path)).toBe(true);
    expect(isQueryPath('/v1/tracesx')).toBe(false);
  });
});

describe('splitPath', () => {
  it.each([
    ['/v1/events', '/v1/events', ''],
    ['/v1/events/', '/v1/events', ''],
    ['/v1/summary//?window=15m', '/v1/summary', 'window=15m'],
    ['/v1/calls/count?metadata.a=b?c', '/v1/calls/count', 'metadata.a=b?c'],
    ['/', '', ''],
  ])('splits %s into its path and query string', (requestPath, path, search) => {
    expect(splitPath(requestPath)).toEqual({ path, search });
  });
});

describe('responses', () => {
  it('writes JSON with its content type first, then the given headers in order', () => {
    const response = jsonResponse(200, { status: 'ok' }, { 'cache-control': 'no-store', 'retry-after': '5' });
    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '5' },
      body: '{"status":"ok"}',
    });
    expect(Object.keys(response.headers)).toEqual(['content-type', 'cache-control', 'retry-after']);
  });

  it('wraps an error in { error: { code, message } }', () => {
    expect(errorResponse(405, 'method_not_allowed', 'PUT is not allowed', { allow: 'GET, HEAD' })).toEqual({
      statusCode: 405,
      headers: { 'content-type': 'application/json', allow: 'GET, HEAD' },
      body: '{"error":{"code":"method_not_allowed","message":"PUT is not allowed"}}',
    });
  });
});
