import type { ClickHouseClient } from '@clickhouse/client';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { QueryDeps } from '../../../functions/query/core.js';
import { CORS_PREFLIGHT, corsDecision, ORIGIN_NOT_ALLOWED } from '../../../functions/query/cors.js';
import type { HttpRequest } from '../../../functions/shared/http.js';
import { albFixture } from '../../fixtures/alb-events.js';
import { capturePowertoolsConsole } from '../../helpers/powertools-console.js';

const DASHBOARD = 'https://d111111abcdef8.cloudfront.net';
const ELSEWHERE = 'https://evil.example';

const request = (overrides: Partial<HttpRequest> & { origin?: string; preflight?: string } = {}) => {
  const { origin, preflight, ...rest } = overrides;
  return {
    method: 'GET',
    path: '/v1/metrics?window=1h',
    body: Buffer.alloc(0),
    ...rest,
    headers: {
      ...(origin === undefined ? {} : { origin }),
      ...(preflight === undefined ? {} : { 'access-control-request-method': preflight }),
      ...rest.headers,
    },
  } satisfies HttpRequest;
};

describe('corsDecision', () => {
  it("names the dashboard's origin on an answer to it, and lets it read Retry-After", () => {
    expect(corsDecision(request({ origin: DASHBOARD }), DASHBOARD)).toEqual({
      headers: {
        'access-control-allow-origin': DASHBOARD,
        'access-control-expose-headers': 'retry-after',
        vary: 'origin',
      },
    });
  });

  it.each([
    ['another origin', ELSEWHERE],
    ['the same host over http', 'http://d111111abcdef8.cloudfront.net'],
    ['the same host on another port', `${DASHBOARD}:8443`],
    ['a longer name ending in it', 'https://xd111111abcdef8.cloudfront.net'],
    ['the origin with a trailing slash', `${DASHBOARD}/`],
    ['the literal null origin', 'null'],
  ])('adds no CORS header for %s, only Vary', (_, origin) => {
    expect(corsDecision(request({ origin }), DASHBOARD)).toEqual({ headers: { vary: 'origin' } });
  });

  it('adds only Vary to a request without an Origin (curl, the SDK, a same-origin GET)', () => {
    expect(corsDecision(request(), DASHBOARD)).toEqual({ headers: { vary: 'origin' } });
  });

  it('changes nothing when no origin is allowed (the local runtime, same origin)', () => {
    expect(corsDecision(request({ origin: DASHBOARD }), undefined)).toEqual({ headers: {} });
    expect(
      corsDecision(request({ method: 'OPTIONS', origin: DASHBOARD, preflight: 'GET' }), undefined),
    ).toEqual({
      headers: {},
    });
  });

  it.each(['/v1/metrics?window=1h', '/v1/calls/slowest', '/v1/traces/0af7651916cd43dd8448eb211c80319c'])(
    "answers the dashboard's preflight of %s with 204 and what it may send",
    (path) => {
      const decision = corsDecision(
        request({ method: 'OPTIONS', path, origin: DASHBOARD, preflight: 'GET' }),
        DASHBOARD,
      );
      expect(decision).toEqual({
        preflight: {
          statusCode: 204,
          headers: {
            'access-control-allow-origin': DASHBOARD,
            'access-control-allow-methods': 'GET, HEAD',
            'access-control-allow-headers': 'authorization',
            'access-control-max-age': '600',
            vary: 'origin',
          },
          body: '',
        },
      });
      expect(CORS_PREFLIGHT.maxAgeSec).toBe(600);
    },
  );

  it('refuses a preflight from another origin with 403 and the API error body', () => {
    const decision = corsDecision(
      request({ method: 'OPTIONS', origin: ELSEWHERE, preflight: 'GET' }),
      DASHBOARD,
    );
    expect(decision).toMatchObject({ errorCode: ORIGIN_NOT_ALLOWED, preflight: { statusCode: 403 } });
    if (!('preflight' in decision)) throw new Error('expected a preflight answer');
    expect(decision.preflight.headers).toMatchObject({ 'content-type': 'application/json', vary: 'origin' });
    expect(decision.preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.parse(decision.preflight.body)).toEqual({
      error: { code: 'origin_not_allowed', message: expect.stringContaining('"https://evil.example"') },
    });
  });

  it.each([
    ['OPTIONS without Origin', request({ method: 'OPTIONS', preflight: 'GET' })],
    ['OPTIONS without Access-Control-Request-Method', request({ method: 'OPTIONS', origin: DASHBOARD })],
    [
      'OPTIONS of a path outside the query API',
      request({ method: 'OPTIONS', path: '/v1/events', origin: DASHBOARD, preflight: 'POST' }),
    ],
  ])('leaves %s to the API, as any other method', (_, req) => {
    expect(corsDecision(req, DASHBOARD)).toHaveProperty('headers');
  });
});

describe('the query handler with the dashboard origin', () => {
  const context = {
    functionName: 'evalforge-query',
    awsRequestId: '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
  /** No key is known and no query may run: what these tests reach never needs either. */
  const deps: QueryDeps = {
    keys: { findByKeyId: async () => undefined },
    clickhouse: {
      query: () => {
        throw new Error('no query is expected');
      },
    } as unknown as ClickHouseClient,
    now: Date.now,
  };
  let createQueryHandler: typeof import('../../../functions/query/handler.js').createQueryHandler;

  beforeAll(async () => {
    capturePowertoolsConsole({ logLevel: 'WARN' });
    ({ createQueryHandler } = await import('../../../functions/query/handler.js'));
  });
  afterAll(() => vi.restoreAllMocks());

  const event = (method: string, headers: Record<string, string>): ALBEvent => {
    const base = albFixture('get-query-metrics');
    return { ...base, httpMethod: method, headers: { ...base.headers, ...headers } };
  };
  const dashboard = () => createQueryHandler(() => deps, { dashboardOrigin: () => DASHBOARD });

  it("adds the headers to the API's own answers (a refused key here), for the dashboard's origin only", async () => {
    const mine = (await dashboard()(event('GET', { origin: DASHBOARD }), context)) as ALBResult;
    expect(mine.statusCode).toBe(401);
    expect(mine.headers).toMatchObject({
      'access-control-allow-origin': DASHBOARD,
      'access-control-expose-headers': 'retry-after',
      vary: 'origin',
      'www-authenticate': 'Bearer',
    });

    const theirs = (await dashboard()(event('GET', { origin: ELSEWHERE }), context)) as ALBResult;
    expect(theirs.statusCode).toBe(401);
    expect(theirs.headers?.['access-control-allow-origin']).toBeUndefined();
    expect(theirs.headers?.vary).toBe('origin');
  });

  it('answers a preflight without a key and without its dependencies, 204 or 403', async () => {
    const unreachable = createQueryHandler(
      () => {
        throw new Error('a preflight must not need the dependencies');
      },
      { dashboardOrigin: () => DASHBOARD },
    );
    /** A browser's preflight: no credentials, only what the page will send. */
    const preflight = (origin: string): ALBEvent => {
      const e = event('OPTIONS', {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      });
      const { authorization: _, ...headers } = e.headers ?? {};
      return { ...e, headers };
    };
    const allowed = (await unreachable(preflight(DASHBOARD), context)) as ALBResult;
    expect(allowed).toMatchObject({
      statusCode: 204,
      statusDescription: '204 No Content',
      body: '',
      headers: {
        'access-control-allow-origin': DASHBOARD,
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'authorization',
        'access-control-max-age': '600',
      },
    });
    const refused = (await unreachable(preflight(ELSEWHERE), context)) as ALBResult;
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body ?? '')).toMatchObject({ error: { code: 'origin_not_allowed' } });
  });

  it('keeps the headers on a 503 when the dependencies fail, so the dashboard can read Retry-After', async () => {
    const failing = createQueryHandler(() => Promise.reject(new Error('ClickHouse password unavailable')), {
      dashboardOrigin: () => DASHBOARD,
    });
    const answer = (await failing(event('GET', { origin: DASHBOARD }), context)) as ALBResult;
    expect(answer.statusCode).toBe(503);
    expect(answer.headers).toMatchObject({ 'access-control-allow-origin': DASHBOARD, 'retry-after': '5' });
  });

  it('without a dashboard origin adds nothing, and OPTIONS gets the usual 405', async () => {
    const local = createQueryHandler(() => deps);
    const get = (await local(event('GET', { origin: DASHBOARD }), context)) as ALBResult;
    expect(get.statusCode).toBe(401);
    expect(
      Object.keys(get.headers ?? {}).filter((h) => h.startsWith('access-control-') || h === 'vary'),
    ).toEqual([]);
    const options = (await local(
      event('OPTIONS', { origin: DASHBOARD, 'access-control-request-method': 'GET' }),
      context,
    )) as ALBResult;
    expect(options.statusCode).toBe(405);
    expect(options.headers?.allow).toBe('GET, HEAD');
  });

  it('answers with a 503 naming nothing to the client when DASHBOARD_ORIGIN is malformed', async () => {
    const misconfigured = createQueryHandler(() => deps, {
      dashboardOrigin: () => {
        throw new Error('query environment is invalid: DASHBOARD_ORIGIN: must be an https origin');
      },
    });
    const answer = (await misconfigured(event('GET', { origin: DASHBOARD }), context)) as ALBResult;
    expect(answer.statusCode).toBe(503);
    expect(answer.body).not.toContain('DASHBOARD_ORIGIN');
  });
});

describe('lambdaDashboardOrigin', () => {
  afterAll(() => vi.unstubAllEnvs());
  /** deps.ts reads the variable once per container: a fresh module per case. */
  const read = async (value: string | undefined) => {
    vi.stubEnv('DASHBOARD_ORIGIN', value);
    vi.resetModules();
    const { lambdaDashboardOrigin } = await import('../../../functions/query/deps.js');
    return lambdaDashboardOrigin;
  };

  it('reads DASHBOARD_ORIGIN, and nothing when it is unset', async () => {
    expect((await read(DASHBOARD))()).toBe(DASHBOARD);
    expect((await read(undefined))()).toBeUndefined();
  });

  it.each([
    'http://d111111abcdef8.cloudfront.net',
    `${DASHBOARD}/`,
    `${DASHBOARD}/index.html`,
    'd111111abcdef8.cloudfront.net',
  ])('fails by name on %s: an https origin has no path', async (value) => {
    expect(await read(value)).toThrow(/^query environment is invalid: .*DASHBOARD_ORIGIN/);
  });
});
