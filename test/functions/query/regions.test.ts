import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { handleQueryRequest, type QueryDeps } from '../../../functions/query/core.js';
import { newApiKey } from '../../../functions/shared/auth/api-keys.js';
import { MemoryKeyStore } from '../../helpers/validator-harness.js';

/**
 * In a deployment across regions only a project's home region holds its events: the query API of
 * another region answers 421 with the home region's endpoint, and reads nothing.
 */

const NOW = Date.parse('2026-12-02T12:00:00Z');
const keys = new MemoryKeyStore();
const eu = newApiKey('proj-eu', new Date(NOW - 86_400_000), 'eu-west-1');
const plain = newApiKey('proj-any', new Date(NOW - 86_400_000));
keys.add(eu.record);
keys.add(plain.record);

/** A store that fails any query: none may be made for a project homed elsewhere. */
const untouchable = new Proxy({} as ClickHouseClient, {
  get: () => () => {
    throw new Error('no query may be made');
  },
});

const deps = (overrides: Partial<QueryDeps> = {}): QueryDeps => ({
  keys,
  clickhouse: untouchable,
  now: () => NOW,
  region: 'us-east-1',
  regionalEndpoints: {
    'us-east-1': 'https://ingest.us-east-1.example.com',
    'eu-west-1': 'https://ingest.eu-west-1.example.com',
  },
  ...overrides,
});

const get = (key: string, d: QueryDeps) =>
  handleQueryRequest(
    {
      method: 'GET',
      path: '/v1/metrics?window=1h',
      headers: { authorization: `Bearer ${key}` },
      body: Buffer.alloc(0),
    },
    d,
  );

describe('the query API of one region of several', () => {
  it("answers 421 for a project homed elsewhere, naming its home region's endpoint", async () => {
    const { response, summary } = await get(eu.key, deps());
    expect(response.statusCode).toBe(421);
    expect(response.headers?.['x-evalforge-home-endpoint']).toBe('https://ingest.eu-west-1.example.com');
    const body = JSON.parse(String(response.body)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('wrong_region');
    expect(body.error.message).toContain('ask https://ingest.eu-west-1.example.com');
    expect(summary).toMatchObject({ statusCode: 421, projectId: 'proj-eu', errorCode: 'wrong_region' });
  });

  it('still answers 421 without endpoints to name, and never for a key without a home', async () => {
    const { response } = await get(eu.key, deps({ regionalEndpoints: undefined }));
    expect(response.statusCode).toBe(421);
    expect(JSON.parse(String(response.body)).error.message).toContain("ask that region's endpoint");
    // A key with no home is this region's: the query runs (and here fails on the store, which shows it ran).
    const { response: ran } = await get(plain.key, deps());
    expect(ran.statusCode).not.toBe(421);
  });

  it('answers a project homed here, and ignores home regions when it knows no region of its own', async () => {
    const { response } = await get(eu.key, deps({ region: 'eu-west-1' }));
    expect(response.statusCode).not.toBe(421);
    const { response: single } = await get(eu.key, deps({ region: undefined }));
    expect(single.statusCode).not.toBe(421);
  });
});
