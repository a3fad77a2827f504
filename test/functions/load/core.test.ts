import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeHeaderLine,
  type StreamRecordHeader,
} from '../../../functions/shared/contract/stream-record.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import {
  type DeadLetter,
  type LoadBatch,
  type LoaderStore,
  loadBatch,
} from '../../../functions/shared/load/core.js';
import { DATA_ERROR_CODES } from '../../../functions/shared/load/engine-errors.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
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
    markRequests: s.markRequests.bind(s),
    storedEvents: s.storedEvents.bind(s),
    insertEvents: s.insertEvents.bind(s),
    insertDeadLetters: s.insertDeadLetters.bind(s),
  };
}

describe('a data error is never retried', () => {
  const SOURCE = 'arn:aws:kinesis:us-east-1:111111111111:stream/evalforge-events/shardId-000000000000';

  /** The store, with every insert of events counted and its token kept. */
  function counting(inner: LoaderStore = bind(store)) {
    const calls = { inserts: [] as { lines: number; token: string }[], deadLetterInserts: 0 };
    const counted: LoaderStore = {
      ...inner,
      insertEvents: async (ndjson, token) => {
        calls.inserts.push({ lines: ndjson.split('\n').length, token });
        return inner.insertEvents(ndjson, token);
      },
      insertDeadLetters: async (letters, token) => {
        calls.deadLetterInserts++;
        return inner.insertDeadLetters(letters, token);
      },
    };
    return { store: counted, calls };
  }

  const spanIds = async () =>
    (await rows<{ span_id: string }>(client, 'SELECT span_id FROM events ORDER BY span_id')).map(
      (r) => r.span_id,
    );
  const spansOf = (texts: readonly string[]) =>
    texts.map((t) => (JSON.parse(t) as { span_id: string }).span_id).sort();
  const letters = () =>
    rows<DeadLetter>(
      client,
      'SELECT project_id, source, request_id, reason, engine_code, line, data_base64 FROM load_dead_letters ORDER BY line',
    );

  describe('a line the contract accepts and the engine refuses (a constraint)', () => {
    beforeEach(async () => {
      await client.command({
        query: "ALTER TABLE events ADD CONSTRAINT no_refused CHECK model != 'refused-model'",
      });
    });
    afterEach(async () => {
      await client.command({ query: 'ALTER TABLE events DROP CONSTRAINT IF EXISTS no_refused' });
    });

    it('sets the line aside as a dead letter and loads every other event; the next batch loads', async () => {
      const refused = JSON.stringify(generator.next({ model: 'refused-model' }));
      const aLines = lines(4);
      const bLines = [...lines(3), refused, ...lines(3)];
      const cLines = lines(5);
      const a = record(aLines);
      const b = record(bLines, { project_id: 'proj-b' });
      const c = record(cLines);
      const { store: counted, calls } = counting();

      const summary = await loadBatch(batch(a, b, c), { store: counted, now: () => NOW });

      expect(summary).toMatchObject({ events: 15, deadLetters: 1 });
      const good = [...aLines, ...bLines.filter((l) => l !== refused), ...cLines];
      expect(await spanIds()).toEqual(spansOf(good));
      expect(await letters()).toEqual([
        {
          project_id: 'proj-b',
          source: `${SOURCE}:${b.sequenceNumber}`,
          request_id: b.header.request_id,
          reason: expect.stringMatching(/no_refused/),
          engine_code: 469,
          line: refused,
          data_base64: '',
        },
      ]);
      // Isolating the line splits the insert; no insert is ever sent again with the same lines.
      const tokens = calls.inserts.map((i) => i.token);
      expect(new Set(tokens).size).toBe(tokens.length);
      expect(await counts()).toEqual({ events: 15, distinct: 15, rollup: 15, deadLetters: 1 });

      // The shard moves on: the next batch loads as usual.
      const next = await loadBatch(batch(record(lines(6))), deps());
      expect(next).toMatchObject({ events: 6, deadLetters: 0 });
      expect(await counts()).toEqual({ events: 21, distinct: 21, rollup: 21, deadLetters: 1 });
    });
  });

  it('sets aside the lines the engine cannot read (a number that is text, a line that is not JSON)', async () => {
    const fast = JSON.stringify({ ...generator.next(), latency_ms: 'fast' });
    const broken = '{"model":';
    const aLines = [...lines(3), fast, ...lines(2)];
    const bLines = [...lines(2), broken, ...lines(4)];
    const a = record(aLines);
    const b = record(bLines);

    const summary = await loadBatch(batch(a, b), deps());

    expect(summary).toMatchObject({ events: 11, deadLetters: 2 });
    expect(await spanIds()).toEqual(
      spansOf([...aLines, ...bLines].filter((l) => l !== fast && l !== broken)),
    );
    const set = await letters();
    expect(set).toEqual([
      expect.objectContaining({ line: broken, request_id: b.header.request_id, data_base64: '' }),
      expect.objectContaining({
        line: fast,
        request_id: a.header.request_id,
        engine_code: 72,
        data_base64: '',
      }),
    ]);
    for (const letter of set) {
      expect(DATA_ERROR_CODES.has(letter.engine_code)).toBe(true);
      expect(letter.reason).toMatch(/^ClickHouse refused the event: /);
    }
    expect(await counts()).toMatchObject({ events: 11, rollup: 11, deadLetters: 2 });
  });

  it.each([
    [
      'the engine is out of memory (241)',
      () => Object.assign(new Error('Memory limit exceeded'), { code: '241' }),
    ],
    [
      'the engine cannot be reached (no code)',
      () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }),
    ],
    ['the client times out (no code at all)', () => new Error('Timeout error.')],
  ])('rejects the batch and sets nothing aside when %s', async (_name, failure) => {
    const error = failure();
    const inner: LoaderStore = {
      ...bind(store),
      insertEvents: async () => {
        throw error;
      },
    };
    const { store: counted, calls } = counting(inner);
    await expect(
      loadBatch(batch(record(lines(5)), record(lines(4))), { store: counted, now: () => NOW }),
    ).rejects.toBe(error);
    // One insert, never split: the engine, not the data, is at fault.
    expect(calls.inserts).toHaveLength(1);
    expect(calls.deadLetterInserts).toBe(0);
    expect(await counts()).toEqual({ events: 0, distinct: 0, rollup: 0, deadLetters: 0 });
  });

  describe('a code that names neither the data nor the engine', () => {
    const MARK = 'refuse-me-with-1234';
    const unknown = () =>
      Object.assign(new Error('Code: 1234. DB::Exception: something this loader has never seen'), {
        code: '1234',
      });
    /** The real store, but an insert holding a marked line (or any, with `all`) is refused with 1234. */
    const refusing = (all = false): LoaderStore => ({
      ...bind(store),
      insertEvents: async (ndjson, token) => {
        if (all || ndjson.includes(MARK)) throw unknown();
        return store.insertEvents(ndjson, token);
      },
    });
    const marked = () => JSON.stringify(generator.next({ user_id: MARK }));

    it('sets the refused line aside when the others of the batch go in', async () => {
      const bad = marked();
      const aLines = [...lines(4), bad, ...lines(2)];
      const a = record(aLines);
      const b = record(lines(3));
      const summary = await loadBatch(batch(a, b), { store: refusing(), now: () => NOW });
      expect(summary).toMatchObject({ events: 9, deadLetters: 1 });
      expect(await letters()).toEqual([
        expect.objectContaining({ line: bad, engine_code: 1234, request_id: a.header.request_id }),
      ]);
      expect(await counts()).toMatchObject({ events: 9, rollup: 9, deadLetters: 1 });
    });

    it('sets both refused lines aside when they come first and the others of the batch go in', async () => {
      // Nothing has gone in when the second refusal comes; the rest would, so the refusals are
      // about these lines, and retrying the batch would meet them in the same order again.
      const first = marked();
      const second = marked();
      const a = record([first, second, ...lines(6)]);
      const summary = await loadBatch(batch(a, record(lines(3))), { store: refusing(), now: () => NOW });
      expect(summary).toMatchObject({ events: 9, deadLetters: 2 });
      expect(await counts()).toMatchObject({ events: 9, rollup: 9, deadLetters: 2 });
    });

    it('rejects the batch and sets nothing aside when every insert is refused', async () => {
      const { store: counted, calls } = counting(refusing(true));
      await expect(
        loadBatch(batch(record(lines(6)), record(lines(5))), { store: counted, now: () => NOW }),
      ).rejects.toMatchObject({ code: '1234' });
      expect(calls.deadLetterInserts).toBe(0);
      // It gives up after a few splits' worth of refusals, not after trying every line alone.
      expect(calls.inserts.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(12)) + 5);
      expect(await counts()).toEqual({ events: 0, distinct: 0, rollup: 0, deadLetters: 0 });
    });

    it('rejects a batch whose only line is refused: nothing proves the line is at fault', async () => {
      await expect(
        loadBatch(batch(record([marked()])), { store: refusing(), now: () => NOW }),
      ).rejects.toMatchObject({ code: '1234' });
      expect(await counts()).toEqual({ events: 0, distinct: 0, rollup: 0, deadLetters: 0 });
    });
  });

  it.each([0, 1_337, 1_999])(
    'finds one refused line among 2,000 (at %i) in a bounded number of inserts',
    async (at) => {
      // Small events: the count of inserts is the point, not their size.
      const all = Array.from({ length: 2_000 }, (_, i) =>
        i === at
          ? JSON.stringify({ ...generator.next({ prompt: 'p', response: 'r' }), latency_ms: 'fast' })
          : JSON.stringify(generator.next({ prompt: 'p', response: 'r' })),
      );
      const records = Array.from({ length: 20 }, (_, r) => record(all.slice(r * 100, r * 100 + 100)));
      const { store: counted, calls } = counting();

      const summary = await loadBatch(batch(...records), { store: counted, now: () => NOW });

      expect(summary).toMatchObject({ events: 1_999, deadLetters: 1 });
      // One whole insert, then at each halving one refused half and one that goes in.
      expect(calls.inserts.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(2_000)) + 1);
      // Lines sent in all: the whole, both halves, then both halves of each refused half.
      expect(calls.inserts.reduce((n, i) => n + i.lines, 0)).toBeLessThanOrEqual(3 * 2_000);
      expect(await letters()).toEqual([expect.objectContaining({ line: all[at], engine_code: 72 })]);
      expect(await counts()).toEqual({ events: 1_999, distinct: 1_999, rollup: 1_999, deadLetters: 1 });
    },
  );
});

describe('a load cut short', () => {
  /** The store, failing (as a killed process or a lost connection) right after its first events insert, or right before it. */
  function cutShort(when: 'before' | 'after') {
    let cut = false;
    const inner = bind(store);
    const cutting: LoaderStore = {
      ...inner,
      insertEvents: async (ndjson, token) => {
        if (!cut && when === 'before') {
          cut = true;
          throw new Error('connection reset before the insert');
        }
        await inner.insertEvents(ndjson, token);
        if (!cut) {
          cut = true;
          throw new Error('connection reset after the insert');
        }
      },
    };
    return cutting;
  }

  it.each(['before', 'after'] as const)(
    'loads every event once when it stopped %s its insert and the retry reads a different batch',
    async (when) => {
      const first = [record(lines(5)), record(lines(5))];
      await expect(loadBatch(batch(...first), { store: cutShort(when), now: () => NOW })).rejects.toThrow(
        /connection reset/,
      );
      // The retry reads more of the shard: another batch, so another insert token.
      const retry = await loadBatch(batch(...first, record(lines(5))), deps());
      expect(retry.events).toBe(when === 'before' ? 15 : 5);
      expect(retry.duplicateEvents).toBe(when === 'before' ? 0 : 10);
      const c = await counts();
      expect(c.events).toBe(15);
      expect(c.distinct).toBe(15);
      expect(c.rollup).toBe(15);
    },
  );
});

describe('the order of a first load', () => {
  it('marks a request in loaded_requests before its events go in, so that no cut leaves events of a request that is not marked', async () => {
    const calls: string[] = [];
    const inner = bind(store);
    const recording: LoaderStore = {
      ...inner,
      markRequests: async (requests, token) => {
        calls.push(`mark ${requests.length}`);
        return inner.markRequests(requests, token);
      },
      insertEvents: async (ndjson, token) => {
        calls.push('insert');
        return inner.insertEvents(ndjson, token);
      },
    };
    await loadBatch(batch(record(lines(3)), record(lines(3))), { store: recording, now: () => NOW });
    expect(calls).toEqual(['mark 2', 'insert']);
    // A resend is marked already: looked up event by event, nothing marked again.
    calls.length = 0;
    const again = record(lines(2));
    await loadBatch(batch(again), { store: recording, now: () => NOW });
    await loadBatch(batch({ ...again, sequenceNumber: String(++seq) }), { store: recording, now: () => NOW });
    expect(calls).toEqual(['mark 1', 'insert']);
  });
});

describe('a request met twice in one batch', () => {
  it('is marked once, before its events go in, and its events are loaded once', async () => {
    const calls: string[] = [];
    const inner = bind(store);
    const recording: LoaderStore = {
      ...inner,
      markRequests: async (requests, token) => {
        calls.push(`mark ${requests.map((r) => r.request_key).join(',')}`);
        return inner.markRequests(requests, token);
      },
      insertEvents: async (ndjson, token) => {
        calls.push('insert');
        return inner.insertEvents(ndjson, token);
      },
    };
    const first = record(lines(3));
    // The client's quick resend: the same request key and events, in the same batch.
    const resend = { ...first, sequenceNumber: String(++seq) };
    const summary = await loadBatch(batch(first, resend), { store: recording, now: () => NOW });
    expect(calls).toEqual([`mark ${first.header.request_key}`, 'insert']);
    expect(summary).toMatchObject({ events: 3, duplicateEvents: 3 });
    expect((await counts()).events).toBe(3);
  });
});
