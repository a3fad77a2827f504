import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { migrate } from '../../../clickhouse/migrate.js';
import type { QueryDeps } from '../../../functions/query/core.js';
import { newApiKey } from '../../../functions/shared/auth/api-keys.js';
import { KEY_TABLE_ATTRIBUTES as K } from '../../../functions/shared/auth/key-store-dynamodb.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { albFixture, keyTableItem, withKey } from '../../fixtures/alb-events.js';
import { insertIngestRows } from '../../helpers/clickhouse.js';
import { capturePowertoolsConsole, type PowertoolsConsole } from '../../helpers/powertools-console.js';

const TABLE = 'evalforge-api-keys-test';
const PROJECT = 'demo-project';
const MINUTE = 60_000;
// Rows expire some days after their timestamp, so the events sit just before the real clock.
const NOW = Date.now();

const dynamoMock = mockClient(DynamoDBClient);

const context = {
  functionName: 'evalforge-query',
  awsRequestId: '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const known = newApiKey(PROJECT, new Date(NOW - 60 * MINUTE));
const generator = eventGenerator({ seed: 9 });
/** 40 calls of the project over the last half hour; two of them failed. */
const EVENTS = Array.from({ length: 40 }, (_, i) =>
  generator.next({
    timestamp: new Date(NOW - i * 45_000).toISOString(),
    latency_ms: 100 + i,
    ...(i % 20 === 3
      ? { status: 'error', error_message: 'upstream 500' }
      : { status: 'ok', error_message: undefined }),
  }),
);

type Handler = (event: ALBEvent, context: Context) => Promise<ALBResult>;
let handler: Handler;
let createQueryHandler: typeof import('../../../functions/query/handler.js').createQueryHandler;
let lambdaQueryDeps: typeof import('../../../functions/query/deps.js').lambdaQueryDeps;
let dir: string;
let client: ClickHouseClient | undefined;
let log: MockInstance<typeof console.log>;
let powertools: PowertoolsConsole;
let errors: MockInstance<typeof console.error>;

const emfBlobs = () => powertools.emfBlobs();

const errorLines = () => errors.mock.calls.map(([line]) => String(line));
const json = (result: ALBResult) => JSON.parse(result.body ?? '');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-query-handler-'));
  // Warnings too: an answer over a query limit is one.
  for (const name of ['API_KEYS_TABLE_NAME', 'CLICKHOUSE_URL', 'CLICKHOUSE_EMBEDDED_PATH']) {
    vi.stubEnv(name, undefined);
  }
  powertools = capturePowertoolsConsole({ logLevel: 'WARN' });
  ({ log, error: errors } = powertools);
  // Imported without its environment, as the local runtime imports it.
  ({ handler, createQueryHandler } = await import('../../../functions/query/handler.js'));
  ({ lambdaQueryDeps } = await import('../../../functions/query/deps.js'));
});

beforeEach(() => {
  log.mockClear();
  errors.mockClear();
  dynamoMock.reset();
  dynamoMock
    .on(GetItemCommand)
    .resolves({})
    .on(GetItemCommand, { TableName: TABLE, Key: { [K.keyId]: { S: known.record.keyId } } })
    .resolves({ Item: keyTableItem(known.record) });
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
  dynamoMock.restore();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

async function insertEvents(target: ClickHouseClient): Promise<void> {
  await insertIngestRows(
    target,
    EVENTS.map((e) => ({
      ...e,
      _project_id: PROJECT,
      _received_at: new Date(NOW).toISOString(),
      _request_id: 'request-1',
      _request_key: 'key-1',
    })),
  );
}

/** The deps the deployed handler made, with the key store replaced by one that needs no DynamoDB. */
async function injected(overrides: Partial<QueryDeps> = {}): Promise<QueryDeps> {
  const deps = await lambdaQueryDeps();
  return { ...deps, now: () => NOW, ...overrides };
}

// The tests run in order: the deployed handler first without its environment, then with it.
describe('the deployed handler', () => {
  it('reads its environment on its first request, not on import, and answers 503 while it is incomplete', async () => {
    const result = await handler(withKey(albFixture('get-query-metrics'), known.key), context);

    expect(result).toMatchObject({ statusCode: 503, statusDescription: '503 Service Unavailable' });
    expect(result.headers?.['retry-after']).toBe('5');
    expect(json(result).error.code).toBe('unavailable');
    expect(result.body).not.toContain('API_KEYS_TABLE_NAME');
    const logged = errorLines().join('\n');
    expect(logged).toContain('query environment is invalid');
    expect(logged).toContain('API_KEYS_TABLE_NAME');
    expect(emfBlobs()).toEqual([
      expect.objectContaining({ QueryRequests: 1, Status503: 1, route: 'metrics' }),
    ]);
  });

  it('answers from ClickHouse with keys from DynamoDB once configured, the failed start not kept', async () => {
    vi.stubEnv('API_KEYS_TABLE_NAME', TABLE);
    vi.stubEnv('CLICKHOUSE_EMBEDDED_PATH', join(dir, 'db'));
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    const deps = await lambdaQueryDeps();
    client = deps.clickhouse;
    await migrate(client, { kind: 'single' });
    await insertEvents(client);
    expect(await lambdaQueryDeps()).toBe(deps);

    const result = await handler(withKey(albFixture('get-query-metrics'), known.key), context);

    expect(result).toMatchObject({ statusCode: 200, statusDescription: '200 OK', isBase64Encoded: false });
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const body = json(result);
    expect(body).toMatchObject({ project: PROJECT, step: 'minute' });
    const requests = body.series.reduce((n: number, p: { requests: number }) => n + p.requests, 0);
    expect(requests).toBe(EVENTS.length);
    expect(dynamoMock.commandCalls(GetItemCommand, { TableName: TABLE })).toHaveLength(1);
  });
});

describe('createQueryHandler', () => {
  it('reads the query string of a multi-value event, URL-encoded, and answers in that shape', async () => {
    const query = createQueryHandler(() => injected());
    const event = withKey(albFixture('get-query-calls-multi-value-headers'), known.key);
    const end = Math.floor(NOW / MINUTE) * MINUTE + MINUTE;
    // The fixture's encoding, on times the engine still keeps.
    const from = `${new Date(end - 60 * MINUTE).toISOString().slice(0, 23)}+00:00`;
    const to = new Date(end).toISOString().replace('.000Z', 'Z');
    event.multiValueQueryStringParameters = {
      ...event.multiValueQueryStringParameters,
      from: [encodeURIComponent(from)],
      to: [encodeURIComponent(to)],
    };

    const result = await query(event, context);

    expect(result.statusCode).toBe(200);
    expect(result.headers).toBeUndefined();
    expect(result.multiValueHeaders?.['cache-control']).toEqual(['no-store']);
    const body = json(result);
    expect(body).toMatchObject({ from: new Date(end - 60 * MINUTE).toISOString(), limit: 5 });
    expect(body.calls.map((c: { latency_ms: number }) => c.latency_ms)).toEqual([139, 138, 137, 136, 135]);
  });

  it('takes deps that are not a promise', async () => {
    const deps = await injected();
    const query = createQueryHandler(() => deps);
    const event = withKey(albFixture('get-query-metrics'), known.key);
    event.path = '/v1/calls/failed';
    event.queryStringParameters = { window: '1h' };

    const result = await query(event, context);

    expect(result.statusCode).toBe(200);
    expect(json(result).calls).toHaveLength(2);
  });

  it('passes metadata parameters through: GET /v1/calls/count', async () => {
    const query = createQueryHandler(() => injected());
    const event = withKey(albFixture('get-query-metrics'), known.key);
    event.path = '/v1/calls/count';
    event.queryStringParameters = { window: '1h', 'metadata.feature': 'chat' };

    const result = await query(event, context);

    expect(result.statusCode).toBe(200);
    const chat = EVENTS.filter((e) => e.metadata?.feature === 'chat').length;
    expect(chat).toBeGreaterThan(0);
    expect(json(result)).toMatchObject({
      project: PROJECT,
      metadata: { feature: 'chat' },
      calls: chat,
      distinct_calls: chat,
      duplicate_calls: 0,
    });
    expect(emfBlobs()).toEqual([expect.objectContaining({ route: 'calls_count', QueryRequests: 1 })]);
  });

  it('rejects a bad parameter with 400 and another project with 403', async () => {
    const query = createQueryHandler(() => injected());
    const event = withKey(albFixture('get-query-metrics'), known.key);

    const bad = await query({ ...event, queryStringParameters: { window: '100d' } }, context);
    expect(bad).toMatchObject({ statusCode: 400, statusDescription: '400 Bad Request' });
    expect(json(bad).error).toMatchObject({
      code: 'invalid_query',
      message: expect.stringMatching(/^window: /),
    });

    const other = await query({ ...event, queryStringParameters: { project: 'someone-else' } }, context);
    expect(other).toMatchObject({ statusCode: 403, statusDescription: '403 Forbidden' });
    expect(json(other).error.code).toBe('forbidden');
  });

  it('fails with 503 when ClickHouse fails: its error in the log, one metric set, nothing of it to the client', async () => {
    const failing = {
      query: async () => {
        throw new Error('Timeout error. (clickhouse-0.evalforge.internal:8123)');
      },
    } as unknown as ClickHouseClient;
    const query = createQueryHandler(() => injected({ clickhouse: failing }));

    const result = await query(withKey(albFixture('get-query-metrics'), known.key), context);

    expect(result).toMatchObject({ statusCode: 503, statusDescription: '503 Service Unavailable' });
    expect(result.headers?.['retry-after']).toBe('5');
    expect(result.body).not.toContain('clickhouse-0');
    expect(errorLines().some((line) => line.includes('clickhouse-0.evalforge.internal:8123'))).toBe(true);
    const blobs = emfBlobs();
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({
      service: 'query',
      route: 'metrics',
      QueryRequests: 1,
      Status503: 1,
      QueryLatency: expect.any(Number),
      _aws: { CloudWatchMetrics: [{ Namespace: 'EvalForge' }] },
    });
  });

  it("answers 422 naming the limit a query went over, with the engine's error in a warning only", async () => {
    const warnings = vi.mocked(console.warn);
    warnings.mockClear();
    const { QUERY_SETTINGS } = await import('../../../functions/query/limits.js');
    const query = createQueryHandler(() => injected({ limits: { ...QUERY_SETTINGS, max_rows_to_read: 1 } }));

    const result = await query(withKey(albFixture('get-query-metrics'), known.key), context);

    expect(result).toMatchObject({ statusCode: 422 });
    expect(json(result).error).toMatchObject({ code: 'query_limit_exceeded', limit: 'max_rows_to_read' });
    expect(result.body).not.toContain('current rows');
    const warned = warnings.mock.calls.map(([line]) => String(line));
    expect(warned.some((line) => line.includes('query over a limit') && line.includes('current rows'))).toBe(
      true,
    );
    expect(errorLines()).toEqual([]);
    expect(emfBlobs()[0]).toMatchObject({ route: 'metrics', Status422: 1 });
  });

  it('prints one metric set per request, with its route and latency', async () => {
    const query = createQueryHandler(() => injected());
    await query(withKey(albFixture('get-query-metrics'), known.key), context);
    await query({ ...albFixture('get-query-metrics'), path: '/v1/nowhere' }, context);

    const blobs = emfBlobs();
    expect(blobs).toHaveLength(2);
    expect(blobs[0]).toMatchObject({ route: 'metrics', QueryRequests: 1, QueryLatency: expect.any(Number) });
    expect(blobs[0]).not.toHaveProperty('Status200');
    expect(blobs[1]).toMatchObject({ route: 'other', QueryRequests: 1, Status404: 1 });
  });
});
