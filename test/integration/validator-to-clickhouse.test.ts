import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../functions/shared/contract/ingest-api.js';
import { ClickHouseLoaderStore } from '../../functions/shared/load/clickhouse-store.js';
import { loadBatch } from '../../functions/shared/load/core.js';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import { embeddedClickHouse, rows } from '../helpers/clickhouse.js';
import { gzip, harness, ndjson } from '../helpers/validator-harness.js';

/**
 * The validator core and the loader core together on the embedded engine: what a client sends,
 * and sends again, is counted once in `events` and in the rollup.
 */
let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
beforeAll(async () => {
  ch = await embeddedClickHouse();
  client = ch.client;
});
afterAll(async () => ch.close());
beforeEach(async () => {
  for (const table of ['events', 'events_minute', 'loaded_requests'])
    await client.command({ query: `TRUNCATE TABLE ${table}` });
});

// The harness's clock; the rows must be recent enough for the tables' TTLs.
const generator = eventGenerator({ seed: 5, now: () => Date.now() - 60_000 });
const NDJSON_GZIP = { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' };

async function loadEverything(h: ReturnType<typeof harness>): Promise<void> {
  // One batch per record, in the order the stream took them, as a shard's consumer sees them.
  const store = new ClickHouseLoaderStore(client);
  for (const [i, record] of h.written.entries()) {
    await loadBatch(
      {
        source: `shard-of-${record.partitionKey}`,
        records: [{ data: Buffer.from(record.data), sequenceNumber: String(i) }],
      },
      { store, now: Date.now },
    );
  }
}

async function counted(): Promise<{ events: number; rollup: number }> {
  const [e] = await rows<{ n: number }>(client, 'SELECT count() AS n FROM events');
  const [r] = await rows<{ n: number }>(client, 'SELECT sum(requests) AS n FROM events_minute');
  return { events: e?.n ?? -1, rollup: r?.n ?? -1 };
}

describe('a request and its resend', () => {
  it.each([
    ['with the same Idempotency-Key', { 'idempotency-key': 'batch-1' }, { 'idempotency-key': 'batch-1' }],
    ['without a key, the same body', {}, {}],
  ])('are counted once %s', async (_name, first, second) => {
    const h = harness({ deps: { now: Date.now } });
    const body = gzip(ndjson(Array.from({ length: 40 }, () => generator.next())));
    const a = await h.post(body, { ...NDJSON_GZIP, ...first });
    const b = await h.post(body, { ...NDJSON_GZIP, ...second });
    expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);
    expect(h.written).toHaveLength(2);
    await loadEverything(h);
    expect(await counted()).toEqual({ events: 40, rollup: 40 });
  });

  it('are counted once when the first attempt was only partly written, and the rest arrives with the resend', async () => {
    // JSON bodies are packed into records of at most ~2 KB here, so one request makes several.
    // During the first attempt the stream takes the request's first record and refuses the others,
    // on every retry.
    let failing = true;
    let firstRecord: Uint8Array | undefined;
    const h = harness({
      deps: {
        now: Date.now,
        limits: {
          ...harness().deps.limits,
          pack: { maxRecordBytes: 1_048_320, rawBytesPerRecord: 40_000, gzipLevel: 1 },
        },
      },
      put: async (records) => {
        if (failing) firstRecord ??= records[0]?.data;
        return records.map((record) =>
          failing && record.data !== firstRecord
            ? { ok: false as const, code: 'unavailable' as const, message: 'boom' }
            : { ok: true as const },
        );
      },
    });
    const events = Array.from({ length: 20 }, () => generator.next());
    const first = await h.post(JSON.stringify({ events }), { 'idempotency-key': 'batch-2' });
    failing = false;
    expect(first.response.statusCode).toBe(207);
    const firstResult = JSON.parse(first.response.body) as IngestResult;
    expect(firstResult.accepted).toBeGreaterThan(0);
    expect(firstResult.errors.length).toBeGreaterThan(0);
    expect(firstResult.errors.every((e) => e.retryable)).toBe(true);
    // The client got no answer (say), so it sends the whole batch again under the same key.
    const again = await h.post(JSON.stringify({ events }), { 'idempotency-key': 'batch-2' });
    expect(again.response.statusCode).toBe(200);
    await loadEverything(h);
    expect(await counted()).toEqual({ events: 20, rollup: 20 });
  });

  it('are two requests when the keys differ: deduplication is per request, not per span', async () => {
    const h = harness({ deps: { now: Date.now } });
    const body = gzip(ndjson(Array.from({ length: 5 }, () => generator.next())));
    await h.post(body, { ...NDJSON_GZIP, 'idempotency-key': 'k1' });
    await h.post(body, { ...NDJSON_GZIP, 'idempotency-key': 'k2' });
    await loadEverything(h);
    expect(await counted()).toEqual({ events: 10, rollup: 10 });
  });
});
