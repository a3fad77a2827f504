import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../../functions/shared/contract/event.js';
import type { IngestResult } from '../../functions/shared/contract/ingest-api.js';
import { decodeStreamRecord } from '../../functions/shared/contract/stream-record.js';
import { ClickHouseLoaderStore } from '../../functions/shared/load/clickhouse-store.js';
import { type LoadBatch, type LoadSummary, loadBatch } from '../../functions/shared/load/core.js';
import { DEFAULT_VALIDATOR_LIMITS } from '../../functions/validator/core.js';
import type { StreamRecord } from '../../functions/validator/stream-writer.js';
import { eventGenerator } from '../../lib/workloads/event-generator.js';
import { embeddedClickHouse, rows } from '../helpers/clickhouse.js';
import { type Harness, harness, jsonBody, ndjson } from '../helpers/validator-harness.js';

/**
 * The validator and the loader together on the embedded engine. Whatever a client resends, and
 * however the validator packs it, `events` and its rollup hold every event that was ever
 * acknowledged (accepted in some answer), each exactly once.
 */
let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
let store: ClickHouseLoaderStore;
beforeAll(async () => {
  ch = await embeddedClickHouse();
  client = ch.client;
  store = new ClickHouseLoaderStore(client);
});
afterAll(async () => ch.close());

// The validator's clock: ten minutes behind the real one, so that every row (even one stamped
// ahead of this clock) is recent for the tables' TTLs. Each test moves it as a client's resend
// arrives later.
let clock = 0;
beforeEach(async () => {
  clock = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000;
  for (const table of ['events', 'events_minute', 'loaded_requests', 'load_dead_letters'])
    await client.command({ query: `TRUNCATE TABLE ${table}` });
});

const generator = eventGenerator({ seed: 11, now: () => clock - 30_000 });
const events = (n: number, overrides: Partial<EventInput> = {}) =>
  Array.from({ length: n }, () => generator.next(overrides));

const NDJSON = { 'content-type': 'application/x-ndjson' };
const NDJSON_GZIP = { ...NDJSON, 'content-encoding': 'gzip' };
const SOURCE = 'arn:aws:kinesis:us-east-1:111111111111:stream/s/shardId-000000000000';
let sequence = 0;

/** A shard's batch of stream records, each with the next sequence number, as Kinesis numbers them. */
function batchOf(records: readonly StreamRecord[]): LoadBatch {
  return {
    source: SOURCE,
    records: records.map((r) => ({
      data: Buffer.from(r.data),
      sequenceNumber: String(49_600_000_000_000_000_000n + BigInt(++sequence)),
    })),
  };
}

async function load(batch: LoadBatch): Promise<LoadSummary> {
  return loadBatch(batch, { store, now: Date.now });
}

/** A validator whose clock is `clock`, with the given limits. */
function validator(limits = DEFAULT_VALIDATOR_LIMITS): Harness {
  return harness({ deps: { now: () => clock, limits } });
}

/** Limits that pack the ~5.3 KB events a few to a record, where the defaults put them all in one. */
const SMALL_RECORDS = {
  ...DEFAULT_VALIDATOR_LIMITS,
  pack: { ...DEFAULT_VALIDATOR_LIMITS.pack, rawBytesPerRecord: 12_000 },
};

const lowerId = (id: string) => id.replaceAll('-', '').toLowerCase();

/** The identities (project/trace_id/span_id) of the events an answer acknowledged. */
function acknowledged(
  answer: Awaited<ReturnType<Harness['post']>>,
  sent: readonly EventInput[],
  project = 'proj-a',
): string[] {
  const result = JSON.parse(answer.response.body) as IngestResult;
  // Every refused event must be listed, or this count of the acknowledged ones is wrong.
  expect(result.errors_omitted).toBeUndefined();
  const refused = new Set(result.errors.map((e) => e.index));
  const ids = sent.flatMap((e, i) =>
    refused.has(i) ? [] : [`${project}/${lowerId(e.trace_id)}/${lowerId(e.span_id)}`],
  );
  expect(result.accepted).toBe(ids.length);
  return ids;
}

/** `events` holds exactly these identities, each once, and the minute rollup counts each once. */
async function expectStoredOnce(ids: Iterable<string>): Promise<void> {
  const expected = [...new Set(ids)].sort();
  const stored = await rows<{ id: string }>(
    client,
    "SELECT concat(project_id, '/', trace_id, '/', span_id) AS id FROM events ORDER BY id",
  );
  expect(stored.map((r) => r.id)).toEqual(expected);
  const [e] = await rows<{ n: number; d: number }>(
    client,
    'SELECT count() AS n, uniqExact(project_id, trace_id, span_id) AS d FROM events',
  );
  const [r] = await rows<{ n: number }>(client, 'SELECT sum(requests) AS n FROM events_minute');
  const [dead] = await rows<{ n: number }>(client, 'SELECT count() AS n FROM load_dead_letters');
  expect({ events: e?.n, distinct: e?.d, rollup: r?.n, deadLetters: dead?.n }).toEqual({
    events: expected.length,
    distinct: expected.length,
    rollup: expected.length,
    deadLetters: 0,
  });
}

const requestKeys = (records: readonly StreamRecord[]) =>
  records.map((r) => decodeStreamRecord(r.data).header.request_key);

describe('an event refused at first and accepted on the resend', () => {
  const cases: [string, 'separate batches' | 'one batch', Record<string, string>][] = [
    ['with the same Idempotency-Key', 'separate batches', { 'idempotency-key': 'resend-a' }],
    ['with the same Idempotency-Key', 'one batch', { 'idempotency-key': 'resend-a' }],
    ['without an Idempotency-Key (the same body)', 'separate batches', {}],
    ['without an Idempotency-Key (the same body)', 'one batch', {}],
  ];
  it.each(cases)('is stored once, as is every other event, %s, loaded in %s', async (_name, loading, key) => {
    const h = validator();
    const sent = [...events(3), generator.next({ timestamp: new Date(clock + 6 * 60_000).toISOString() })];
    sent.push(...events(2));
    const body = gzipSync(ndjson(sent));

    const first = await h.post(body, { ...NDJSON_GZIP, ...key });
    expect(first.response.statusCode).toBe(207);
    expect(JSON.parse(first.response.body)).toMatchObject({
      accepted: 5,
      errors: [{ index: 3, code: 'timestamp_out_of_range', retryable: false }],
    });
    const firstRecords = h.written.length;

    clock += 2 * 60_000;
    const second = await h.post(body, { ...NDJSON_GZIP, ...key });
    expect(second.response.statusCode).toBe(200);
    expect(JSON.parse(second.response.body)).toMatchObject({ accepted: 6, errors: [] });
    expect(new Set(requestKeys(h.written)).size).toBe(1);

    if (loading === 'one batch') await load(batchOf(h.written));
    else {
      await load(batchOf(h.written.slice(0, firstRecords)));
      await load(batchOf(h.written.slice(firstRecords)));
    }
    const ids = [...acknowledged(first, sent), ...acknowledged(second, sent)];
    expect(new Set(ids).size).toBe(6);
    await expectStoredOnce(ids);
  });
});

describe('a resend the validator splits into records differently', () => {
  it.each([
    'a later batch',
    'the same batch as the original',
    'the same batch, each record on its own',
  ] as const)('is stored once when the resend is loaded in %s', async (loading) => {
    const sent = events(12);
    const body = jsonBody(sent);
    const first = validator(SMALL_RECORDS);
    const again = validator();
    const a = await first.post(body, { 'idempotency-key': 'split-b' });
    const b = await again.post(body, { 'idempotency-key': 'split-b' });
    expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);
    expect(first.written.length).toBeGreaterThanOrEqual(3);
    expect(again.written).toHaveLength(1);
    expect(new Set(requestKeys([...first.written, ...again.written])).size).toBe(1);

    if (loading === 'a later batch') {
      await load(batchOf(first.written));
      const summary = await load(batchOf(again.written));
      expect(summary).toMatchObject({ events: 0, duplicateEvents: 12, duplicateRecords: 1 });
    } else if (loading === 'the same batch as the original') {
      const summary = await load(batchOf([...first.written, ...again.written]));
      expect(summary).toMatchObject({ events: 12, duplicateEvents: 12 });
    } else {
      for (const record of [...first.written, ...again.written]) await load(batchOf([record]));
    }
    await expectStoredOnce([...acknowledged(a, sent), ...acknowledged(b, sent)]);
  });

  it('is stored once when the first attempt is split, the resend is whole, and a part of the first comes last', async () => {
    // A batch boundary can fall anywhere in a shard: the first attempt's last part is in the batch
    // of the resend.
    const sent = events(10);
    const first = validator(SMALL_RECORDS);
    const again = validator();
    const a = await first.post(jsonBody(sent), { 'idempotency-key': 'split-b2' });
    const b = await again.post(jsonBody(sent), { 'idempotency-key': 'split-b2' });
    const parts = first.written;
    expect(parts.length).toBeGreaterThanOrEqual(3);
    await load(batchOf(parts.slice(0, 1)));
    await load(batchOf([...parts.slice(1), ...again.written]));
    await expectStoredOnce([...acknowledged(a, sent), ...acknowledged(b, sent)]);
  });
});

/** A gzip member's header with another mtime (bytes 4-7): the same data, other bytes. */
function withMtime(gzip: Buffer, mtimeSec: number): Buffer {
  const copy = Buffer.from(gzip);
  copy.writeUInt32LE(mtimeSec, 4);
  return copy;
}

describe('a client that compresses its resend again, without an Idempotency-Key', () => {
  it.each([
    [
      'gzip level 1, then level 9',
      (t: string) => gzipSync(t, { level: 1 }),
      (t: string) => gzipSync(t, { level: 9 }),
    ],
    [
      'the same level, another gzip header mtime',
      (t: string) => withMtime(gzipSync(t), 1_780_000_000),
      (t: string) => withMtime(gzipSync(t), 1_780_000_007),
    ],
  ])('names the same request and is stored once: %s', async (_name, compressFirst, compressAgain) => {
    const h = validator();
    const sent = events(8);
    const text = ndjson(sent);
    const firstBody = compressFirst(text);
    const againBody = compressAgain(text);
    expect(firstBody.equals(againBody)).toBe(false);

    const a = await h.post(firstBody, NDJSON_GZIP);
    const b = await h.post(againBody, NDJSON_GZIP);
    expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);
    expect(h.written).toHaveLength(2);
    const [keyA, keyB] = requestKeys(h.written);
    expect(keyA).toBe(keyB);

    await load(batchOf(h.written.slice(0, 1)));
    const summary = await load(batchOf(h.written.slice(1)));
    expect(summary).toMatchObject({ events: 0, duplicateEvents: 8 });
    await expectStoredOnce([...acknowledged(a, sent), ...acknowledged(b, sent)]);
  });
});

describe('an Idempotency-Key reused for another body', () => {
  it.each(['separate batches', 'one batch'] as const)(
    "drops none of the second body's events and stores the shared ones once, loaded in %s",
    async (loading) => {
      const h = validator();
      const firstSent = events(4);
      const [, shared, sharedToo] = firstSent as [EventInput, EventInput, EventInput, EventInput];
      const secondSent = [
        shared,
        // The same identity written another way (uppercase, as a UUID), with other content.
        {
          ...sharedToo,
          trace_id: sharedToo.trace_id
            .toUpperCase()
            .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
          span_id: sharedToo.span_id.toUpperCase(),
          model: 'another-model',
        },
        ...events(5),
      ];
      const a = await h.post(ndjson(firstSent), { ...NDJSON, 'idempotency-key': 'reused-d' });
      const b = await h.post(ndjson(secondSent), { ...NDJSON, 'idempotency-key': 'reused-d' });
      expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);
      expect(new Set(requestKeys(h.written)).size).toBe(1);

      if (loading === 'one batch') await load(batchOf(h.written));
      else for (const record of h.written) await load(batchOf([record]));
      const ids = [...acknowledged(a, firstSent), ...acknowledged(b, secondSent)];
      expect(new Set(ids).size).toBe(4 + 5);
      await expectStoredOnce(ids);
      // The shared events are stored as the first body sent them.
      const models = await rows<{ model: string }>(
        client,
        'SELECT model FROM events WHERE span_id = {span:String}',
        { span: sharedToo.span_id },
      );
      expect(models).toEqual([{ model: sharedToo.model }]);
    },
  );

  it.each(['separate batches', 'one batch'] as const)(
    'stores an event the second body stamps in another minute as a call of its own, loaded in %s',
    async (loading) => {
      // The identity is (project, trace_id, span_id, minute): a resend carries its events'
      // timestamps unchanged, and the same ids in another minute are another call. Both ways of
      // loading agree.
      const h = validator();
      const firstSent = events(3);
      const [restamped] = firstSent as [EventInput];
      const later = new Date(Date.parse(String(restamped.timestamp)) + 3 * 60_000).toISOString();
      const secondSent = [{ ...restamped, timestamp: later }, ...events(2, { timestamp: later })];
      const a = await h.post(ndjson(firstSent), { ...NDJSON, 'idempotency-key': 'reused-d2' });
      const b = await h.post(ndjson(secondSent), { ...NDJSON, 'idempotency-key': 'reused-d2' });
      expect([a.response.statusCode, b.response.statusCode]).toEqual([200, 200]);

      if (loading === 'one batch') await load(batchOf(h.written));
      else for (const record of h.written) await load(batchOf([record]));
      const [row] = await rows<{ n: number; minutes: number }>(
        client,
        `SELECT count() AS n, uniqExact(toStartOfMinute(timestamp)) AS minutes FROM events
         WHERE trace_id = {t:String} AND span_id = {s:String}`,
        { t: String(restamped.trace_id).toLowerCase(), s: String(restamped.span_id).toLowerCase() },
      );
      expect(row).toEqual({ n: 2, minutes: 2 });
      const [all] = await rows<{ n: number }>(client, 'SELECT count() AS n FROM events');
      expect(all?.n).toBe(6);
    },
  );
});

describe('a batch the event source delivers again after it loaded', () => {
  it('stores nothing new: one request', async () => {
    const h = validator();
    const sent = events(6);
    const a = await h.post(gzipSync(ndjson(sent)), { ...NDJSON_GZIP, 'idempotency-key': 'redeliver-e' });
    const batch = batchOf(h.written);
    expect(await load(batch)).toMatchObject({ events: 6 });
    expect(await load(batch)).toMatchObject({ events: 0, duplicateEvents: 6, duplicateRecords: 1 });
    await expectStoredOnce(acknowledged(a, sent));
  });

  it('stores nothing new: a request split over records, its resend and another request', async () => {
    const h = validator(SMALL_RECORDS);
    const sent = events(7);
    const other = events(3);
    const a = await h.post(jsonBody(sent), { 'idempotency-key': 'redeliver-e2' });
    const b = await h.post(jsonBody(sent), { 'idempotency-key': 'redeliver-e2' });
    const c = await h.post(jsonBody(other));
    const batch = batchOf(h.written);
    expect(batch.records.length).toBeGreaterThanOrEqual(5);
    expect(await load(batch)).toMatchObject({ events: 10 });
    expect(await load(batch)).toMatchObject({ events: 0, duplicateRecords: batch.records.length });
    await expectStoredOnce([...acknowledged(a, sent), ...acknowledged(b, sent), ...acknowledged(c, other)]);
  });
});
