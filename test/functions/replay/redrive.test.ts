import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deadLetters } from '../../../functions/query/queries.js';
import {
  REDRIVE_PAGE_LETTERS,
  RedriveOptionsError,
  type RedriveSummary,
  redriveDeadLetters,
  redriveSource,
} from '../../../functions/replay/redrive.js';
import {
  encodeHeaderLine,
  type StreamRecordHeader,
} from '../../../functions/shared/contract/stream-record.js';
import { DEAD_LETTER_ID_SQL, deadLetterId } from '../../../functions/shared/dead-letter-id.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { type LoadBatch, loadBatch } from '../../../functions/shared/load/core.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, insertDeadLetters, rows } from '../../helpers/clickhouse.js';

/**
 * Dead letters the loader really wrote (events a constraint refused, a record that is not gzip),
 * redriven against the embedded engine once the constraint is dropped: each event stored and
 * counted once, however often the redrive runs or wherever it stopped.
 */

// The real clock, rounded: the letters expire 30 days after they failed.
const NOW = Math.floor(Date.now() / 1000) * 1000;
/** When the loader wrote the letters: before any redrive starts. */
const FAILED = NOW - 60_000;
const SOURCE = 'arn:aws:kinesis:us-east-1:111111111111:stream/evalforge-events/shardId-000000000000';

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
  for (const table of [
    'events',
    'events_minute',
    'loaded_requests',
    'load_dead_letters',
    'load_dead_letter_redrives',
  ]) {
    await client.command({ query: `TRUNCATE TABLE ${table}` });
  }
  await client.command({
    query: "ALTER TABLE events ADD CONSTRAINT no_refused CHECK model != 'refused-model'",
  });
});
afterEach(async () => {
  await client.command({ query: 'ALTER TABLE events DROP CONSTRAINT IF EXISTS no_refused' });
});

const generator = eventGenerator({ seed: 11, now: () => FAILED - 30_000 });
const lines = (n: number) => Array.from({ length: n }, () => JSON.stringify(generator.next()));
const refusedLine = () => JSON.stringify(generator.next({ model: 'refused-model' }));

function header(project: string, events: number): StreamRecordHeader {
  seq++;
  return {
    format: 'evalforge.batch/v1',
    project_id: project,
    key_id: '0123456789abcdef',
    received_at: new Date(FAILED - 1_000).toISOString(),
    request_id: `req-${seq}`,
    request_key: (seq * 7919).toString(16).padStart(64, '0'),
    part: 0,
    events,
  };
}
const record = (project: string, texts: string[]) => ({
  data: gzipSync(encodeHeaderLine(header(project, texts.length)) + texts.join('\n')),
  sequenceNumber: String(++seq),
});

/**
 * What the loader sets aside from one batch while the constraint holds: two refused events of
 * proj-a, one of proj-b, and a record that is not gzip (project ''). 9 events load.
 */
async function produceLetters(): Promise<{ refused: string[] }> {
  const refused = [refusedLine(), refusedLine(), refusedLine()];
  const batch: LoadBatch = {
    source: SOURCE,
    records: [
      record('proj-a', [...lines(3), refused[0] as string, refused[1] as string]),
      record('proj-b', [...lines(2), refused[2] as string, ...lines(4)]),
      { data: Buffer.from('not a stream record'), sequenceNumber: String(++seq) },
    ],
  };
  const summary = await loadBatch(batch, { store, now: () => FAILED });
  expect(summary).toMatchObject({ events: 9, deadLetters: 4, deadRecords: 1 });
  return { refused };
}

/** A record letter of a readable record, as an older loader could have refused it: two events of proj-c. */
async function recordLetter(texts: string[]): Promise<void> {
  const data = gzipSync(encodeHeaderLine(header('proj-c', texts.length)) + texts.join('\n'));
  await insertDeadLetters(client, [
    {
      failed_at: new Date(FAILED).toISOString(),
      project_id: 'proj-c',
      source: `${SOURCE}:${++seq}`,
      reason: 'stream record header is invalid: received_at: Invalid ISO datetime',
      data_base64: data.toString('base64'),
    },
  ]);
}

async function counts() {
  const [e] = await rows<{ n: number; d: number }>(
    client,
    'SELECT count() AS n, uniqExact(project_id, trace_id, span_id) AS d FROM events',
  );
  const [r] = await rows<{ n: number }>(client, 'SELECT sum(requests) AS n FROM events_minute');
  const [l] = await rows<{ n: number }>(client, 'SELECT count() AS n FROM load_dead_letters');
  return { events: e?.n, distinct: e?.d, rollup: r?.n, letters: l?.n };
}

const marks = () =>
  rows<{ project_id: string; outcome: string; events: number }>(
    client,
    'SELECT project_id, outcome, events FROM load_dead_letter_redrives FINAL ORDER BY project_id, outcome, events',
  );

const fix = () => client.command({ query: 'ALTER TABLE events DROP CONSTRAINT no_refused' });

const redrive = (options: Parameters<typeof redriveDeadLetters>[2] = {}, at = NOW, on = client) => {
  const progress: RedriveSummary[] = [];
  const run = redriveDeadLetters(on, store, options, { now: () => at, onProgress: (s) => progress.push(s) });
  return { run, progress };
};

const storedLines = async (texts: string[]) => {
  const spans = texts.map((t) => (JSON.parse(t) as { span_id: string }).span_id);
  return rows<{ span_id: string; n: number }>(
    client,
    'SELECT span_id, count() AS n FROM events WHERE span_id IN {spans:Array(String)} GROUP BY span_id ORDER BY span_id',
    { spans },
  );
};

describe('redriveDeadLetters', () => {
  it('loads the refused events once fixed, once in events and the rollup; a letter refused again gets a new letter', async () => {
    const { refused } = await produceLetters();
    const cLines = lines(2);
    await recordLetter(cLines);
    expect(await counts()).toEqual({ events: 9, distinct: 9, rollup: 9, letters: 5 });
    await fix();

    const first = redrive();
    expect(await first.run).toEqual({ letters: 5, loaded: 4, duplicates: 0, refusedAgain: 1, events: 5 });
    expect(first.progress).toEqual([await first.run]);
    // The unreadable record is refused again: a new letter, with the old one's bytes, names it.
    expect(await counts()).toEqual({ events: 14, distinct: 14, rollup: 14, letters: 6 });
    expect((await storedLines([...refused, ...cLines])).map((r) => r.n)).toEqual([1, 1, 1, 1, 1]);
    expect(await marks()).toEqual([
      { project_id: '', outcome: 'refused', events: 0 },
      { project_id: 'proj-a', outcome: 'loaded', events: 1 },
      { project_id: 'proj-a', outcome: 'loaded', events: 1 },
      { project_id: 'proj-b', outcome: 'loaded', events: 1 },
      { project_id: 'proj-c', outcome: 'loaded', events: 2 },
    ]);
    const [old] = await rows<{ data_base64: string }>(
      client,
      "SELECT data_base64 FROM load_dead_letters WHERE project_id = '' AND source NOT LIKE 'redrive:%'",
    );
    const renewed = await rows<{ source: string; data_base64: string }>(
      client,
      "SELECT source, data_base64 FROM load_dead_letters WHERE source LIKE 'redrive:%'",
    );
    expect(renewed).toEqual([
      { source: expect.stringMatching(/^redrive:[0-9a-f]{64}:0$/), data_base64: old?.data_base64 },
    ]);
    // The events' rows carry the letter's request.
    const [a] = await rows<{ request_id: string }>(
      client,
      'SELECT request_id FROM events WHERE span_id = {span:String}',
      { span: (JSON.parse(refused[0] as string) as { span_id: string }).span_id },
    );
    expect(a?.request_id).toMatch(/^req-\d+$/);

    // Later, again: only the new letter is left to redrive, and it is refused again in turn.
    const second = redrive({}, NOW + 60_000);
    expect(await second.run).toEqual({ letters: 1, loaded: 0, duplicates: 0, refusedAgain: 1, events: 0 });
    expect(await counts()).toEqual({ events: 14, distinct: 14, rollup: 14, letters: 7 });
    // And with every letter of a project redriven, nothing is left of it.
    expect(await redrive({ project: 'proj-a' }, NOW + 120_000).run).toMatchObject({ letters: 0 });
  });

  it('marks a letter whose events are stored already as a duplicate, and loads nothing', async () => {
    const texts = lines(2);
    await recordLetter(texts);
    await loadBatch({ source: SOURCE, records: [record('proj-c', texts)] }, { store, now: () => FAILED });
    expect(await redrive().run).toEqual({ letters: 1, loaded: 0, duplicates: 1, refusedAgain: 0, events: 0 });
    expect(await counts()).toMatchObject({ events: 2, rollup: 2 });
  });

  it('keeps a letter refused again, not redriven twice, while the fix is not in', async () => {
    await produceLetters();
    expect(await redrive({ project: 'proj-a' }).run).toEqual({
      letters: 2,
      loaded: 0,
      duplicates: 0,
      refusedAgain: 2,
      events: 0,
    });
    expect(await counts()).toMatchObject({ events: 9, letters: 6 });
    // The old letters are superseded; the new ones wait for the next run.
    expect(await redrive({ project: 'proj-a' }).run).toMatchObject({ letters: 0 });
    await fix();
    expect(await redrive({ project: 'proj-a' }, NOW + 1_000).run).toEqual({
      letters: 2,
      loaded: 2,
      duplicates: 0,
      refusedAgain: 0,
      events: 2,
    });
    expect(await counts()).toMatchObject({ events: 11, rollup: 11, letters: 6 });
  });

  it('takes only the project asked for (the unreadable records only without one) and the reason asked for', async () => {
    await produceLetters();
    await recordLetter(lines(2));
    await fix();
    expect(await redrive({ project: 'proj-b' }).run).toMatchObject({ letters: 1, loaded: 1, events: 1 });
    expect(await redrive({ reason: 'HEADER IS INVALID' }).run).toMatchObject({
      letters: 1,
      loaded: 1,
      events: 2,
    });
    expect(await redrive({ reason: 'No_Refused' }).run).toMatchObject({ letters: 2, loaded: 2, events: 2 });
    expect(await marks()).not.toContainEqual(expect.objectContaining({ project_id: '' }));
    expect(await redrive({ project: 'proj-x' }).run).toMatchObject({ letters: 0 });
    expect(await redrive().run).toEqual({ letters: 1, loaded: 0, duplicates: 0, refusedAgain: 1, events: 0 });
  });

  it.each([[''], ['Proj A'], ['x'.repeat(200)]])('rejects the project %j', async (project) => {
    await expect(redrive({ project }).run).rejects.toThrow(RedriveOptionsError);
  });

  it('counts every event once when a redrive stops between the loads and the marks, and runs again', async () => {
    const { refused } = await produceLetters();
    await fix();
    // A client whose mark insert fails, as a redrive cut off after loading would leave things.
    const failing = new Proxy(client, {
      get(target, name, receiver) {
        if (name === 'exec') {
          return async (params: { query: string }) => {
            if (params.query.startsWith('INSERT INTO load_dead_letter_redrives'))
              throw new Error('connection reset');
            return target.exec(params as Parameters<ClickHouseClient['exec']>[0]);
          };
        }
        return Reflect.get(target, name, receiver);
      },
    });
    await expect(redrive({}, NOW, failing).run).rejects.toThrow('connection reset');
    expect(await marks()).toEqual([]);
    expect(await counts()).toEqual({ events: 12, distinct: 12, rollup: 12, letters: 5 });

    // The unreadable record's old letter is found superseded and marked, not loaded again; the new
    // letter the stopped run wrote is a letter like any other, and is refused again in turn.
    expect(await redrive({}, NOW + 1_000).run).toEqual({
      letters: 5,
      loaded: 0,
      duplicates: 3,
      refusedAgain: 2,
      events: 0,
    });
    expect(await counts()).toEqual({ events: 12, distinct: 12, rollup: 12, letters: 6 });
    expect((await storedLines(refused)).map((r) => r.n)).toEqual([1, 1, 1]);
    // Each letter has one new letter at most.
    expect(
      await rows(
        client,
        "SELECT count() AS n, uniqExact(source) AS sources FROM load_dead_letters WHERE source LIKE 'redrive:%'",
      ),
    ).toEqual([{ n: 2, sources: 2 }]);
    expect(await redrive({}, NOW + 2_000).run).toMatchObject({ letters: 1, refusedAgain: 1 });
  });

  it(`reads the letters ${REDRIVE_PAGE_LETTERS} at a time, reporting after each page`, async () => {
    const many = REDRIVE_PAGE_LETTERS + 5;
    const texts = lines(many);
    await insertDeadLetters(
      client,
      texts.map((line, i) => ({
        failed_at: new Date(FAILED - i).toISOString(),
        project_id: 'proj-a',
        source: `${SOURCE}:${i}`,
        request_id: `req-many-${i}`,
        reason: 'ClickHouse refused the event: Code: 469',
        engine_code: 469,
        line,
      })),
    );
    await fix();
    const { run, progress } = redrive({ project: 'proj-a' });
    expect(await run).toMatchObject({ letters: many, loaded: many, events: many });
    expect(progress.map((p) => p.letters)).toEqual([REDRIVE_PAGE_LETTERS, many]);
    expect(await counts()).toMatchObject({ events: many, distinct: many, rollup: many });
  }, 60_000);

  it('names a letter as ClickHouse does, and the query API lists only the letters not redriven', async () => {
    await produceLetters();
    const stored = await rows<{
      id: string;
      ms: number;
      source: string;
      reason: string;
      line: string;
      data_base64: string;
    }>(
      client,
      `SELECT ${DEAD_LETTER_ID_SQL} AS id,
              toUnixTimestamp64Milli(failed_at) AS ms, source, reason, line, data_base64 FROM load_dead_letters`,
    );
    expect(stored).toHaveLength(4);
    for (const l of stored) expect(deadLetterId({ failedAtMs: l.ms, ...l })).toBe(l.id);
    // Fields that would run together without their lengths name different letters.
    const base = { failedAtMs: 1, source: 'a', reason: 'b|c', line: '', data_base64: '' };
    expect(deadLetterId(base)).not.toBe(deadLetterId({ ...base, reason: 'b', line: 'c' }));
    expect(new Set(stored.map((l) => l.id)).size).toBe(4);
    expect(redriveSource('ab')).toBe('redrive:ab');

    const list = () =>
      deadLetters(client, {
        projectId: 'proj-a',
        from: new Date(NOW - 3_600_000),
        to: new Date(NOW + 3_600_000),
      });
    expect((await list()).total).toBe(2);
    await fix();
    await redrive({ project: 'proj-a' }).run;
    expect(await list()).toEqual({ total: 0, dead_letters: [] });
  });
});
