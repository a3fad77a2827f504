import { type ClickHouseClient, parseError } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleQueryRequest, type QueryDeps } from '../../../functions/query/core.js';
import {
  LIMIT_ERROR_CODES,
  QUERY_QUOTA,
  QUERY_SETTINGS,
  type QueryLimitSettings,
  settingsClause,
} from '../../../functions/query/limits.js';
import { type ApiKeyRecord, type KeyStore, newApiKey } from '../../../functions/shared/auth/api-keys.js';
import type { EventInput } from '../../../functions/shared/contract/event.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, insertIngestRows } from '../../helpers/clickhouse.js';

/**
 * The query limits on the real embedded engine: a query forced over a small limit answers 4xx
 * naming it, and the engine goes on serving the other tenants' queries and the loader's inserts
 * and look-ups, none of them holding the limit that stopped it.
 */

const MINUTE = 60_000;
// Rows expire some days after their timestamp: the data sits just before the real clock.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE + 7_000;
const A = 'tenant-heavy';
const B = 'tenant-other';
const TRACE = 'ab'.repeat(16);

const iso = (ms: number) => new Date(ms).toISOString();
const generator = eventGenerator({ seed: 3 });

function events(count: number, overrides: Partial<EventInput> = {}): EventInput[] {
  return Array.from({ length: count }, (_, i) =>
    generator.next({
      timestamp: iso(NOW - (i + 1) * 20_000),
      status: 'ok',
      error_message: undefined,
      ...overrides,
    }),
  );
}

async function insert(
  client: ClickHouseClient,
  project: string,
  batch: readonly EventInput[],
): Promise<void> {
  await insertIngestRows(
    client,
    batch.map((event) => ({
      ...event,
      _project_id: project,
      _received_at: iso(NOW),
      _request_id: `request-${project}`,
      _request_key: `key-${project}-${batch.length}`,
    })),
  );
}

const keyA = newApiKey(A, new Date(NOW - 60 * MINUTE));
const keyB = newApiKey(B, new Date(NOW - 60 * MINUTE));
const records = new Map<string, ApiKeyRecord>([
  [keyA.record.keyId, keyA.record],
  [keyB.record.keyId, keyB.record],
]);
const keys: KeyStore = { findByKeyId: async (keyId) => records.get(keyId) };

let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
let deps: QueryDeps;

beforeAll(async () => {
  engine = await embeddedClickHouse();
  await insert(engine.client, A, [...events(40), ...events(3, { trace_id: TRACE })]);
  await insert(engine.client, B, events(30));
  deps = { keys, clickhouse: engine.client, now: () => NOW };
});

afterAll(async () => {
  await engine?.close();
});

async function get(path: string, key: string, limits?: Partial<QueryLimitSettings>) {
  const { response, summary } = await handleQueryRequest(
    { method: 'GET', path, headers: { authorization: `Bearer ${key}` }, body: Buffer.alloc(0) },
    limits ? { ...deps, limits: { ...QUERY_SETTINGS, ...limits } } : deps,
  );
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field below
  const body = JSON.parse(response.body) as any;
  return { status: response.statusCode, headers: response.headers, body, summary };
}

describe('a query over a limit', () => {
  it("answers 422 naming max_rows_to_read, and the other tenant's queries and the inserts go on", async () => {
    const heavy = await get('/v1/calls/slowest?window=1h', keyA.key, { max_rows_to_read: 1 });
    expect(heavy.status).toBe(422);
    expect(heavy.body.error).toMatchObject({ code: 'query_limit_exceeded', limit: 'max_rows_to_read' });
    expect(heavy.body.error.message).toBe(
      'max_rows_to_read: the query would read more than 1 rows; ask for a shorter window',
    );
    expect(heavy.summary).toMatchObject({ statusCode: 422, errorCode: 'query_limit_exceeded', projectId: A });
    expect(heavy.summary.internalError).toContain('current rows');

    // Right after it, on the same engine: another tenant's query, with the usual limits.
    const other = await get('/v1/calls/slowest?window=1h', keyB.key);
    expect(other.status).toBe(200);
    expect(other.body.calls).toHaveLength(30);

    // The loader's look-ups and insert: none of them carries the limit that stopped the query.
    const store = new ClickHouseLoaderStore(engine.client);
    const more = events(5, { timestamp: iso(NOW - 5_000) });
    await insert(engine.client, A, more);
    expect(await store.loadedRequestKeys([`key-${A}-5`])).toEqual(new Set([`key-${A}-5`]));
    const stored = await store.storedEvents(
      A,
      more.map((e) => ({
        trace_id: e.trace_id as string,
        span_id: e.span_id as string,
        timestampMs: NOW - 5_000,
      })),
    );
    expect(stored.size).toBe(5);
    const count = await get('/v1/calls/count?window=1h', keyA.key);
    expect(count.status).toBe(200);
    expect(count.body.calls).toBe(48);
  });

  it('bounds trace lookups too', async () => {
    expect((await get(`/v1/traces/${TRACE}`, keyA.key)).body.spans).toHaveLength(3);
    const { status, body } = await get(`/v1/traces/${TRACE}`, keyA.key, { max_rows_to_read: 1 });
    expect(status).toBe(422);
    expect(body.error.limit).toBe('max_rows_to_read');
    expect(body.error.message).toContain('this trace is more than one request may read');
  });

  it.each([
    ['max_result_rows', '/v1/calls/slowest?window=1h&limit=10', { max_result_rows: 2 }],
    ['max_bytes_to_read', '/v1/metrics?window=1h', { max_bytes_to_read: 1 }],
    ['max_memory_usage', '/v1/calls/count?window=1h', { max_memory_usage: 1_000 }],
  ] as const)('answers 422 naming %s', async (limit, path, limits) => {
    const { status, body, headers } = await get(path, keyA.key, limits);
    expect(status).toBe(422);
    expect(body.error).toMatchObject({ code: 'query_limit_exceeded', limit });
    expect(body.error.message).toMatch(new RegExp(`^${limit}: .+; ask for a shorter window`));
    expect(headers['cache-control']).toBe('no-store');
    expect((await get(path, keyA.key)).status).toBe(200);
  });
});

describe('the query quota', () => {
  it('answers 429 with Retry-After when the engine says the quota is used up', async () => {
    const overQuota = {
      query: async () => {
        throw parseError(
          'Code: 201. DB::Exception: Quota for user `evalforge_query` for 60s has been exceeded: execution_time = 1800.2/1800. Interval will end at 2026-12-02 05:31:00. (QUOTA_EXCEEDED) (version 25.8.1.1)',
        );
      },
    } as unknown as ClickHouseClient;
    const { response, summary } = await handleQueryRequest(
      {
        method: 'GET',
        path: '/v1/summary',
        headers: { authorization: `Bearer ${keyA.key}` },
        body: Buffer.alloc(0),
      },
      { ...deps, clickhouse: overQuota },
    );
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe(String(QUERY_QUOTA.intervalSec));
    const { error } = JSON.parse(response.body);
    expect(error).toMatchObject({ code: 'query_quota_exceeded', limit: 'quota' });
    expect(error.message).toContain('(execution_time)');
    expect(error.message).not.toContain('evalforge_query');
    expect(summary).toMatchObject({ statusCode: 429, errorCode: 'query_quota_exceeded' });
  });
});

describe('the limit error codes', () => {
  it('name each code as the engine itself names it', async () => {
    const names = Object.keys(LIMIT_ERROR_CODES);
    const rows = await engine.client.query({
      query: 'SELECT arrayMap(c -> errorCodeToName(c), {codes:Array(Int32)}) AS names',
      query_params: { codes: Object.values(LIMIT_ERROR_CODES) },
      format: 'JSONEachRow',
    });
    const [row] = await rows.json<{ names: string[] }>();
    expect(row?.names).toEqual(names);
  });
});

describe('every query of the query API', () => {
  it.each([
    '/v1/metrics?window=1h',
    '/v1/metrics?window=7d',
    '/v1/summary?window=1h',
    '/v1/summary?window=7d',
    '/v1/models?window=1h',
    '/v1/calls/slowest',
    '/v1/calls/failed',
    '/v1/calls/count?metadata.run=x',
    `/v1/traces/${TRACE}`,
    '/v1/dead-letters',
  ])('carries the limits as its own SETTINGS clause: %s', async (path) => {
    const sent: { query: string; settings: unknown }[] = [];
    const recording = {
      query: async (q: { query: string; clickhouse_settings?: unknown }) => {
        sent.push({ query: q.query, settings: q.clickhouse_settings });
        return { json: async () => [] };
      },
    } as unknown as ClickHouseClient;
    const limits = { ...QUERY_SETTINGS, max_rows_to_read: 12_345 };
    await handleQueryRequest(
      { method: 'GET', path, headers: { authorization: `Bearer ${keyA.key}` }, body: Buffer.alloc(0) },
      { ...deps, clickhouse: recording, limits },
    );
    expect(sent.length).toBeGreaterThan(0);
    for (const { query, settings } of sent) {
      expect(query.trimEnd().endsWith(settingsClause(limits))).toBe(true);
      // Beside the query, the embedded engine would SET them for the session.
      expect(JSON.stringify(settings ?? {})).not.toContain('max_');
    }
  });

  it('carries QUERY_SETTINGS when the deps name no limits', async () => {
    const sent: string[] = [];
    const recording = {
      query: async (q: { query: string }) => {
        sent.push(q.query);
        return { json: async () => [] };
      },
    } as unknown as ClickHouseClient;
    await handleQueryRequest(
      {
        method: 'GET',
        path: '/v1/summary',
        headers: { authorization: `Bearer ${keyA.key}` },
        body: Buffer.alloc(0),
      },
      { ...deps, clickhouse: recording },
    );
    expect(sent[0]?.endsWith(settingsClause(QUERY_SETTINGS))).toBe(true);
  });
});
