import { describe, expect, it } from 'vitest';
import {
  checkReplayRange,
  objectBatches,
  parseRestoreHeader,
  partitionPrefixes,
  type ReplayCheckpoint,
  type ReplayCheckpointState,
  type ReplayRange,
  ReplayRangeError,
  type RestoreState,
  restoreEstimate,
  runReplay,
} from '../../../functions/replay/core.js';
import {
  encodeHeaderLine,
  type StreamRecordHeader,
  splitArchiveObject,
} from '../../../functions/shared/contract/stream-record.js';
import type { LoadBatch, LoadSummary } from '../../../functions/shared/load/core.js';
import {
  archiveKeyAt,
  archiveObjectBytes,
  MemoryArchive,
  type MemoryObject,
} from '../../helpers/memory-archive.js';
import { otlpHeaderLine } from '../../helpers/otlp-record.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-30T10:00:00.000Z');

function header(overrides: Partial<StreamRecordHeader> = {}): StreamRecordHeader {
  return {
    format: 'evalforge.batch/v1',
    project_id: 'proj-a',
    key_id: '0123456789abcdef',
    received_at: new Date(T0 + 60_000).toISOString(),
    request_id: 'req-1',
    request_key: 'b'.repeat(64),
    part: 0,
    events: 1,
    ...overrides,
  };
}

/** An inflated record: its header line and its event lines. */
const recordText = (lines: string[], overrides: Partial<StreamRecordHeader> = {}) =>
  `${encodeHeaderLine(header({ events: lines.length, ...overrides }))}${lines.join('\n')}\n`;

const eventLine = (span: string) => JSON.stringify({ trace_id: 'a'.repeat(32), span_id: span, model: 'm' });

const archiveObject = archiveObjectBytes;
const keyAt = archiveKeyAt;

describe('partitionPrefixes', () => {
  it('lists every hour of the range, from the hour before it (an object sits in its oldest record hour)', () => {
    expect(partitionPrefixes({ fromMs: T0 + 30 * 60_000, toMs: T0 + 2 * HOUR })).toEqual([
      'events/year=2026/month=11/day=30/hour=09/',
      'events/year=2026/month=11/day=30/hour=10/',
      'events/year=2026/month=11/day=30/hour=11/',
    ]);
  });

  it('crosses days and months in UTC', () => {
    const from = Date.parse('2026-11-30T23:10:00Z');
    const prefixes = partitionPrefixes({ fromMs: from, toMs: from + HOUR });
    expect(prefixes).toEqual([
      'events/year=2026/month=11/day=30/hour=22/',
      'events/year=2026/month=11/day=30/hour=23/',
      'events/year=2026/month=12/day=01/hour=00/',
    ]);
  });
});

describe('checkReplayRange', () => {
  const now = T0 + 10 * HOUR;
  it.each<[string, ReplayRange, RegExp]>([
    ['rejects a range that ends before it starts', { fromMs: T0, toMs: T0 }, /from must be before to/],
    ['rejects more than 31 days', { fromMs: T0 - 32 * 24 * HOUR, toMs: T0 }, /at most 31 days/],
    ['rejects a start in the future', { fromMs: now + HOUR, toMs: now + 2 * HOUR }, /future/],
    [
      'rejects a project id the contract refuses',
      { fromMs: T0, toMs: now, project: 'Bad Project!' },
      /not a project id/,
    ],
    ['rejects times that are not numbers', { fromMs: Number.NaN, toMs: now }, /must be times/],
  ])('%s', (_, range, message) => {
    expect(() => checkReplayRange(range, now)).toThrow(ReplayRangeError);
    expect(() => checkReplayRange(range, now)).toThrow(message);
  });

  it('takes a range of up to 31 days, of one project', () => {
    const range = { fromMs: now - 31 * 24 * HOUR, toMs: now, project: 'proj-a' };
    expect(checkReplayRange(range, now)).toEqual(range);
  });
});

describe('parseRestoreHeader', () => {
  it.each<[string | undefined, RestoreState]>([
    [undefined, 'not-restored'],
    ['', 'not-restored'],
    ['ongoing-request="true"', 'in-progress'],
    ['ongoing-request="false", expiry-date="Fri, 21 Dec 2026 00:00:00 GMT"', 'restored'],
  ])('reads %j as %s', (header, state) => {
    expect(parseRestoreHeader(header)).toBe(state);
  });
});

describe('splitArchiveObject', () => {
  it('cuts records written back to back, with their header project and arrival, and skips blank lines', () => {
    const a = recordText([eventLine('1'), eventLine('2')]);
    const b = recordText([eventLine('3')], { project_id: 'proj-b', received_at: '2026-11-30T10:05:00.000Z' });
    const slices = splitArchiveObject(Buffer.from(`${a}\n\n${b}`));
    expect(slices.map((s) => [s.projectId, s.receivedAt])).toEqual([
      ['proj-a', header().received_at],
      ['proj-b', '2026-11-30T10:05:00.000Z'],
    ]);
    // A record runs to the next header line: blank lines after it are its own, and carry nothing.
    expect(slices[0]?.bytes.toString()).toBe(`${a}\n\n`);
    expect(slices[1]?.bytes.toString()).toBe(b);
  });

  it('ends an OTLP record by its length, even when its export holds what looks like a header line', () => {
    const trap = Buffer.from(`\n${encodeHeaderLine(header()).trim()}\n`);
    const exportBytes = Buffer.concat([Buffer.from([0x0a, 0x01]), trap, Buffer.from([0x12])]);
    const otlp = Buffer.concat([
      Buffer.from(otlpHeaderLine({ bytes: exportBytes.length })),
      exportBytes,
      Buffer.from('\n'),
    ]);
    const after = Buffer.from(recordText([eventLine('9')]));
    const slices = splitArchiveObject(Buffer.concat([otlp, after]));
    expect(slices).toHaveLength(2);
    expect(slices[0]?.bytes.equals(otlp)).toBe(true);
    expect(slices[1]?.bytes.equals(after)).toBe(true);
  });

  it('keeps a stretch without a header line as a record of its own, so the records after it still load', () => {
    const b = recordText([eventLine('2')]);
    const slices = splitArchiveObject(Buffer.from(`not a header\n{"x":1}\n${b}`));
    expect(slices).toHaveLength(2);
    expect(slices[0]?.projectId).toBeUndefined();
    expect(slices[0]?.bytes.toString()).toBe('not a header\n{"x":1}\n');
    expect(slices[1]?.bytes.toString()).toBe(b);
  });

  it("leaves lines after a record's events in that record, whose count the loader then finds wrong", () => {
    const a = recordText([eventLine('1')]);
    const slices = splitArchiveObject(Buffer.from(`${a}stray\n`));
    expect(slices).toHaveLength(1);
    expect(slices[0]?.bytes.toString()).toBe(`${a}stray\n`);
  });
});

describe('objectBatches', () => {
  const key = keyAt(T0);
  const range = { fromMs: T0, toMs: T0 + HOUR };
  const inRange = (minute: number, project = 'proj-a') => ({
    project_id: project,
    received_at: new Date(T0 + minute * 60_000).toISOString(),
  });

  it("keeps the range's records, numbered by their place in the object, in batches of the size asked", () => {
    const records = [
      recordText([eventLine('1')], inRange(1)),
      recordText([eventLine('2')], { received_at: new Date(T0 - 1).toISOString() }),
      recordText([eventLine('3')], inRange(2)),
      recordText([eventLine('4')], inRange(3)),
      recordText([eventLine('5')], { received_at: new Date(T0 + HOUR).toISOString() }),
    ];
    const cut = objectBatches('s3://archive', key, archiveObject(records), range, 2);
    expect(cut.records).toBe(5);
    expect(cut.skippedRecords).toBe(2);
    expect(cut.batches.map((b) => b.records.map((r) => r.sequenceNumber))).toEqual([['0', '2'], ['3']]);
    expect(cut.batches[0]?.source).toBe(`s3://archive/${key}`);
    expect(cut.batches[0]?.records[0]).toMatchObject({ inflated: true });
    expect(cut.batches[0]?.records[0]?.data.toString()).toBe(records[0]);
  });

  it("keeps one project's records when asked", () => {
    const records = [
      recordText([eventLine('1')], inRange(1)),
      recordText([eventLine('2')], inRange(1, 'proj-b')),
    ];
    const cut = objectBatches('s3://archive', key, archiveObject(records), { ...range, project: 'proj-b' });
    expect(cut.batches.flatMap((b) => b.records.map((r) => r.sequenceNumber))).toEqual(['1']);
  });

  it("keeps a stretch without a header once: in its own partition's range, and for no project", () => {
    const stored = archiveObject(['garbage\n', recordText([eventLine('1')], inRange(1))]);
    expect(objectBatches('s3://a', key, stored, range).batches[0]?.records).toHaveLength(2);
    expect(
      objectBatches('s3://a', key, stored, { ...range, project: 'proj-a' }).batches[0]?.records,
    ).toHaveLength(1);
    // The object of the hour before the range is listed too; its stray bytes belong to that hour's replay.
    const earlier = { fromMs: T0 + HOUR, toMs: T0 + 2 * HOUR };
    expect(objectBatches('s3://a', key, stored, earlier).batches).toEqual([]);
  });

  it('hands an object that is not gzip to the loader whole, as one unreadable record', () => {
    const cut = objectBatches('s3://a', key, Buffer.from('not gzip'), range);
    expect(cut.batches).toEqual([
      { source: `s3://a/${key}`, records: [{ data: Buffer.from('not gzip'), sequenceNumber: '0' }] },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// runReplay over an archive in memory

class MemoryCheckpoint implements ReplayCheckpoint {
  state: ReplayCheckpointState | undefined;
  saves = 0;
  async load() {
    return this.state;
  }
  async save(state: ReplayCheckpointState) {
    this.state = state;
    this.saves++;
  }
  async clear() {
    this.state = undefined;
  }
}

const summaryOf = (batch: LoadBatch): LoadSummary => ({
  records: batch.records.length,
  events: batch.records.length,
  duplicateRecords: 0,
  duplicateEvents: 0,
  deadLetters: 0,
  deadRecords: 0,
  bytes: batch.records.reduce((n, r) => n + r.data.length, 0),
});

function threeObjects(): Map<string, MemoryObject> {
  const objects = new Map<string, MemoryObject>();
  for (let i = 0; i < 3; i++) {
    const records = [0, 1].map((j) =>
      recordText([eventLine(`${i}${j}`)], {
        received_at: new Date(T0 + (i * 10 + j) * 60_000).toISOString(),
      }),
    );
    objects.set(keyAt(T0 + i * 10 * 60_000, i), {
      bytes: archiveObject(records),
    });
  }
  return objects;
}

const RANGE = { fromMs: T0, toMs: T0 + HOUR };
const noSleep = async () => undefined;

describe('runReplay', () => {
  it('loads every object of the range, saves its checkpoint after each one and clears it at the end', async () => {
    const archive = new MemoryArchive(threeObjects());
    const checkpoint = new MemoryCheckpoint();
    const loaded: LoadBatch[] = [];
    const progress: number[] = [];
    const outcome = await runReplay(
      { range: RANGE, onProgress: (p) => progress.push(p.totals.objects) },
      {
        archive,
        checkpoint,
        load: async (b) => {
          loaded.push(b);
          return summaryOf(b);
        },
        now: () => T0,
        sleep: noSleep,
      },
    );
    expect(outcome.status).toBe('complete');
    expect(outcome.totals).toMatchObject({ objects: 3, records: 6, events: 6 });
    expect(loaded).toHaveLength(3);
    expect(progress).toEqual([1, 2, 3]);
    expect(checkpoint.saves).toBe(3);
    expect(checkpoint.state).toBeUndefined();
  });

  it('stops when its signal is aborted, and the next run resumes after the objects it finished', async () => {
    const archive = new MemoryArchive(threeObjects());
    const checkpoint = new MemoryCheckpoint();
    const controller = new AbortController();
    const first = await runReplay(
      { range: RANGE, signal: controller.signal },
      {
        archive,
        checkpoint,
        load: async (b) => {
          controller.abort();
          return summaryOf(b);
        },
        now: () => T0,
        sleep: noSleep,
      },
    );
    expect(first.status).toBe('interrupted');
    expect(checkpoint.state?.done).toHaveLength(1);
    expect(checkpoint.state?.totals.events).toBe(2);

    archive.reads.length = 0;
    let resumedFrom = -1;
    const second = await runReplay(
      { range: RANGE, onPlan: (_, resumed) => (resumedFrom = resumed?.done.length ?? 0) },
      { archive, checkpoint, load: async (b) => summaryOf(b), now: () => T0, sleep: noSleep },
    );
    expect(resumedFrom).toBe(1);
    expect(archive.reads).toHaveLength(2);
    expect(second.status).toBe('complete');
    expect(second.totals).toMatchObject({ objects: 3, events: 6 });
  });

  it('starts over when the checkpoint is for another range', async () => {
    const archive = new MemoryArchive(threeObjects());
    const checkpoint = new MemoryCheckpoint();
    checkpoint.state = {
      version: 1,
      location: archive.location,
      range: { from: new Date(T0).toISOString(), to: new Date(T0 + HOUR).toISOString(), project: 'other' },
      done: [...archive.objects.keys()],
      totals: {
        objects: 3,
        bytes: 0,
        records: 0,
        events: 99,
        duplicateEvents: 0,
        deadLetters: 0,
        skippedRecords: 0,
      },
    };
    const outcome = await runReplay(
      { range: RANGE },
      { archive, checkpoint, load: async (b) => summaryOf(b), now: () => T0, sleep: noSleep },
    );
    expect(archive.reads).toHaveLength(3);
    expect(outcome.totals.events).toBe(6);
  });

  it('waits between batches so that no more events than the cap are read per second', async () => {
    const archive = new MemoryArchive(threeObjects());
    let clock = T0;
    const waits: number[] = [];
    await runReplay(
      { range: RANGE, maxEventsPerSecond: 1 },
      {
        archive,
        checkpoint: new MemoryCheckpoint(),
        load: async (b) => summaryOf(b),
        now: () => clock,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
      },
    );
    // Two events a batch at one per second: each batch is due two seconds after the one before,
    // and nothing waits after the last.
    expect(waits).toEqual([2000, 2000]);
  });

  it('asks S3 to restore objects of Glacier classes first, loads the rest, and waits for them', async () => {
    const objects = threeObjects();
    const [frozen, thawing] = [...objects.keys()];
    objects.set(frozen as string, {
      ...(objects.get(frozen as string) as { bytes: Buffer }),
      storageClass: 'DEEP_ARCHIVE',
    });
    objects.set(thawing as string, {
      ...(objects.get(thawing as string) as { bytes: Buffer }),
      storageClass: 'GLACIER',
      restore: 'in-progress',
    });
    const archive = new MemoryArchive(objects);
    const checkpoint = new MemoryCheckpoint();
    const outcome = await runReplay(
      { range: RANGE, restore: { tier: 'Bulk', days: 7 } },
      { archive, checkpoint, load: async (b) => summaryOf(b), now: () => T0, sleep: noSleep },
    );
    expect(outcome.status).toBe('waiting-for-restore');
    expect(outcome.restoresRequested).toBe(1);
    expect(archive.restores).toEqual([[frozen, 'Bulk', 7]]);
    expect(outcome.plan.unrestored.map((o) => [o.key, o.state])).toEqual([
      [frozen, 'not-restored'],
      [thawing, 'in-progress'],
    ]);
    expect(archive.reads).toHaveLength(1);
    expect(checkpoint.state?.done).toHaveLength(1);

    // Restored: the next run reads them and finishes.
    for (const key of [frozen, thawing]) {
      objects.set(key as string, {
        ...(objects.get(key as string) as { bytes: Buffer; storageClass: string }),
        restore: 'restored',
      });
    }
    const again = await runReplay(
      { range: RANGE },
      { archive, checkpoint, load: async (b) => summaryOf(b), now: () => T0, sleep: noSleep },
    );
    expect(again.status).toBe('complete');
    expect(again.totals.objects).toBe(3);
  });
});

describe('restoreEstimate', () => {
  it('adds retrieval per GB and requests per thousand', () => {
    const objects = Array.from({ length: 2_000 }, () => ({ size: 500_000_000 }));
    const estimate = restoreEstimate(objects, {
      perGb: 0.0025,
      perThousandRequests: 0.025,
      within: 'within 48 hours',
    });
    expect(estimate.bytes).toBe(1e12);
    expect(estimate.usd).toBeCloseTo(1000 * 0.0025 + 2 * 0.025, 9);
    expect(estimate.within).toBe('within 48 hours');
  });
});
