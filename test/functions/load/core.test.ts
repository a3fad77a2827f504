import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClickHouseLoaderStore } from '../../../functions/load/clickhouse-store.js';
import {
  type DeadLetter,
  type LoadBatch,
  type LoaderStore,
  loadBatch,
} from '../../../functions/load/core.js';
import { encodeHeaderLine, type StreamRecordHeader } from '../../../functions/shared/stream-record.js';
import { eventGenerator } from '../../../load-tests/event-generator.js';
import { embeddedClickHouse, rows } from '../../helpers/clickhouse.js';

// The real clock, rounded: the tables' TTLs (dead letters 30 days, prompts 90) drop older rows.
const NOW = Math.floor(Date.now() / 1000) * 1000;
let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
let store: ClickHouseLoaderStore;
let seq = 0;

beforeAll(async () => {
  ch = await embeddedClickHouse();
  client = ch.client;
  store = new ClickHouseLoaderStore(client);
});
afterAll(async () => ch.close());
beforeEach(async () => {
  for (const table of ['events', 'events_minute', 'loaded_requests', 'load_dead_letters']) {
    await client.command({ query: `TRUNCATE TABLE ${table}` });
  }
});

const generator = eventGenerator({ seed: 7, now: () => NOW - 30_000 });

function header(overrides: Partial<StreamRecordHeader> = {}): StreamRecordHeader {
  return {
    format: 'evalforge.batch/v1',
    project_id: 'proj-a',
    key_id: '0123456789abcdef',
    received_at: new Date(NOW).toISOString(),
    request_id: `req-${++seq}`,
    request_key: (seq * 7919).toString(16).padStart(64, '0'),
    part: 0,
    events: 0,
    ...overrides,
  };
}

/** A stream record as the validator writes it: gzip of the header line and the client's lines. */
function record(lines: string[], overrides: Partial<StreamRecordHeader> = {}) {
  const h = header({ ...overrides, events: lines.length });
  return { header: h, data: gzipSync(encodeHeaderLine(h) + lines.join('\n')), sequenceNumber: String(++seq) };
}

const lines = (n: number) => Array.from({ length: n }, () => JSON.stringify(generator.next()));
const batch = (...records: { data: Buffer; sequenceNumber: string }[]): LoadBatch => ({
  source: 'arn:aws:kinesis:us-east-1:111111111111:stream/evalforge-events/shardId-000000000000',
  records,
});
const deps = () => ({ store, now: () => NOW });

async function counts(): Promise<{ events: number; distinct: number; rollup: number; deadLetters: number }> {
  const [e] = await rows<{ n: number; d: number }>(
    client,
    'SELECT count() AS n, uniqExact(project_id, trace_id, span_id) AS d FROM events',
  );
  const [r] = await rows<{ n: number }>(client, 'SELECT sum(requests) AS n FROM events_minute');
  const [d] = await rows<{ n: number }>(client, 'SELECT count() AS n FROM load_dead_letters');
  return { events: e?.n ?? -1, distinct: e?.d ?? -1, rollup: r?.n ?? -1, deadLetters: d?.n ?? -1 };
}

describe('loadBatch against the embedded engine', () => {
  it('loads every event of every record, with the header project, in one insert', async () => {
    const a = record(lines(40));
    const b = record(lines(60), { project_id: 'proj-b' });
    const summary = await loadBatch(batch(a, b), deps());
    expect(summary).toMatchObject({ records: 2, events: 100, duplicateRecords: 0, deadLetters: 0 });
    expect(await counts()).toEqual({ events: 100, distinct: 100, rollup: 100, deadLetters: 0 });
    expect(
      await rows(
        client,
        'SELECT project_id, count() AS n FROM events GROUP BY project_id ORDER BY project_id',
      ),
    ).toEqual([
      { project_id: 'proj-a', n: 40 },
      { project_id: 'proj-b', n: 60 },
    ]);
    const [stored] = await rows<{ request_id: string; received_at: string }>(
      client,
      "SELECT DISTINCT request_id, received_at FROM events WHERE project_id = 'proj-a'",
    );
    expect(stored).toEqual({
      request_id: a.header.request_id,
      received_at: new Date(NOW).toISOString().slice(0, 23).replace('T', ' '),
    });
  });

  it('counts a batch delivered twice once, in the raw table and the rollup', async () => {
    const b = batch(record(lines(30)), record(lines(20)));
    await loadBatch(b, deps());
    const again = await loadBatch(b, deps());
    expect(again).toMatchObject({ events: 0, duplicateRecords: 2 });
    expect(await counts()).toMatchObject({ events: 50, rollup: 50 });
  });

  it('counts a batch once when ClickHouse took it but the answer was lost (the same token)', async () => {
    // A store that inserts, then fails as a timed-out answer would: the retry finds no new key yet.
    const b = batch(record(lines(25)));
    const forgetful: LoaderStore = { ...bind(store), loadedRequestKeys: async () => new Set() };
    await loadBatch(b, { store: forgetful, now: () => NOW });
    await loadBatch(b, { store: forgetful, now: () => NOW });
    expect(await counts()).toMatchObject({ events: 25, rollup: 25 });
  });

  it("counts a client's resend once: the same request key in other records, other batches", async () => {
    const events = lines(10);
    const original = record(events, { request_key: 'a'.repeat(64) });
    const resend = record(events, { request_key: 'a'.repeat(64), request_id: 'req-resend' });
    await loadBatch(batch(original), deps());
    const second = await loadBatch(batch(resend, record(lines(5))), deps());
    expect(second).toMatchObject({ events: 5, duplicateRecords: 1 });
    expect(await counts()).toMatchObject({ events: 15, distinct: 15, rollup: 15 });
  });

  it("counts a client's resend once when both arrive in one batch", async () => {
    const events = lines(10);
    const summary = await loadBatch(
      batch(record(events, { request_key: 'b'.repeat(64) }), record(events, { request_key: 'b'.repeat(64) })),
      deps(),
    );
    expect(summary).toMatchObject({ events: 10, duplicateRecords: 1 });
    expect(await counts()).toMatchObject({ events: 10, rollup: 10 });
  });

  it('loads every part of a request split over records', async () => {
    const key = 'c'.repeat(64);
    await loadBatch(batch(record(lines(5), { request_key: key, part: 0 })), deps());
    await loadBatch(batch(record(lines(7), { request_key: key, part: 1 })), deps());
    expect(await counts()).toMatchObject({ events: 12 });
  });

  it('counts a batch once when the event source bisects it after a failure', async () => {
    const a = record(lines(8));
    const b = record(lines(9));
    await loadBatch(batch(a, b), deps());
    await loadBatch(batch(a), deps());
    await loadBatch(batch(b), deps());
    expect(await counts()).toMatchObject({ events: 17, rollup: 17 });
  });

  it('fails and acknowledges nothing when ClickHouse fails; a retry then loads the batch once', async () => {
    const b = batch(record(lines(12)));
    const failing: LoaderStore = {
      ...bind(store),
      insertEvents: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
      },
    };
    await expect(loadBatch(b, { store: failing, now: () => NOW })).rejects.toThrow('ECONNREFUSED');
    expect(await counts()).toMatchObject({ events: 0, rollup: 0 });
    await loadBatch(b, deps());
    expect(await counts()).toMatchObject({ events: 12, rollup: 12 });
  });

  it('fails when the key lookup fails, before inserting anything', async () => {
    const failing: LoaderStore = {
      ...bind(store),
      loadedRequestKeys: async () => {
        throw new Error('Timeout error.');
      },
    };
    await expect(loadBatch(batch(record(lines(3))), { store: failing, now: () => NOW })).rejects.toThrow(
      'Timeout',
    );
    expect(await counts()).toMatchObject({ events: 0 });
  });
});

describe('poison records', () => {
  const cases: [string, () => { data: Buffer; sequenceNumber: string }, RegExp][] = [
    ['a record that is not gzip', () => ({ data: Buffer.from('hello'), sequenceNumber: 'p1' }), /not gzip/],
    [
      'a record without a header',
      () => ({ data: gzipSync(lines(2).join('\n')), sequenceNumber: 'p2' }),
      /header is not evalforge\.batch\/v1|does not start with a JSON header/,
    ],
    [
      'a record whose header has no request key',
      () => ({
        data: gzipSync(
          `${JSON.stringify({ ...header(), request_key: undefined, events: 1 })}\n${lines(1)[0]}`,
        ),
        sequenceNumber: 'p3',
      }),
      /request_key/,
    ],
    [
      'a record holding fewer events than its header says',
      () => ({
        data: gzipSync(`${JSON.stringify(header({ events: 3 }))}\n${lines(1)[0]}`),
        sequenceNumber: 'p4',
      }),
      /announces 3 events, record holds 1/,
    ],
  ];
  it.each(cases)(
    'isolates %s with its reason, loading the good records beside it',
    async (_name, poison, reason) => {
      const good = record(lines(6));
      const bad = poison();
      const summary = await loadBatch(batch(good, bad), deps());
      expect(summary).toMatchObject({ events: 6, deadLetters: 1 });
      const letters = await rows<DeadLetter>(
        client,
        'SELECT source, reason, data_base64, line, engine_code FROM load_dead_letters',
      );
      expect(letters).toEqual([
        {
          source: expect.stringMatching(new RegExp(`:${bad.sequenceNumber}$`)),
          reason: expect.stringMatching(reason),
          data_base64: bad.data.toString('base64'),
          line: '',
          engine_code: 0,
        },
      ]);
      expect(await counts()).toMatchObject({ events: 6, rollup: 6 });
    },
  );
});

/** A store's methods bound, so a test can replace one of them. */
function bind(s: ClickHouseLoaderStore): LoaderStore {
  return {
    loadedRequestKeys: s.loadedRequestKeys.bind(s),
    storedEvents: s.storedEvents.bind(s),
    insertEvents: s.insertEvents.bind(s),
    insertDeadLetters: s.insertDeadLetters.bind(s),
  };
}
