import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { encodeHeaderLine } from '../../../functions/shared/contract/stream-record.js';
import type { LoaderStore, ShardedStore } from '../../../functions/shared/load/core.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { capturePowertoolsConsole, type PowertoolsConsole } from '../../helpers/powertools-console.js';

/**
 * The loader's CloudWatch metrics (EMF lines on stdout): one set per invocation, summed over its
 * batches, whatever its number of records and events; the load lag is the oldest record's.
 */
const NOW = Date.parse('2026-11-26T09:20:00.000Z');
const context = { functionName: 'evalforge-loader', awsRequestId: 'req-metrics' } as unknown as Context;
type Handler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

let log: MockInstance<typeof console.log>;
let powertools: PowertoolsConsole;
let createLoaderHandler: typeof import('../../../functions/load/handler.js').createLoaderHandler;
let loadLagMs: typeof import('../../../functions/load/handler.js').loadLagMs;
let template: KinesisStreamRecord;

const emfBlobs = () => powertools.emfBlobs();

/** A store in memory: nothing was loaded before; `failAfter` inserts succeed, then every one throws. */
function memoryStore(failAfter = Number.POSITIVE_INFINITY): ShardedStore & { inserted: number } {
  let inserts = 0;
  const shard: LoaderStore = {
    loadedRequestKeys: async () => new Set(),
    storedEvents: async () => new Set(),
    insertEvents: async (ndjson) => {
      if (++inserts > failAfter) throw new Error('Code: 242. DB::Exception: Table is in readonly mode');
      store.inserted += ndjson.split('\n').filter((line) => line.length > 0).length;
    },
    insertDeadLetters: async () => {},
    markRequests: async () => {},
  };
  const store = { shards: [shard], shardOf: () => 0, inserted: 0 };
  return store;
}

const handlerOver = (store: ShardedStore): Handler =>
  createLoaderHandler(
    async () => {
      throw new Error('the cluster client is not used: the store is given');
    },
    { shards: async () => store },
  );

const generator = eventGenerator({ seed: 5, now: () => NOW - 60_000 });
let n = 0;
function kinesisRecord(data: Buffer, options: { shard?: number; ageMs?: number } = {}): KinesisStreamRecord {
  const sequenceNumber = `4959033827149025660855969253836157109592157598913658${String(++n).padStart(4, '0')}`;
  return {
    ...template,
    eventID: `shardId-00000000000${options.shard ?? 0}:${sequenceNumber}`,
    kinesis: {
      ...template.kinesis,
      sequenceNumber,
      data: data.toString('base64'),
      approximateArrivalTimestamp: (NOW - (options.ageMs ?? 1_000)) / 1000,
    },
  };
}
function streamRecord(events: number): Buffer {
  const lines = Array.from({ length: events }, () => JSON.stringify(generator.next()));
  const header = {
    format: 'evalforge.batch/v1' as const,
    project_id: 'proj-m',
    key_id: '0123456789abcdef',
    received_at: new Date(NOW - 60_000).toISOString(),
    request_id: `req-${n}`,
    request_key: (++n).toString(16).padStart(64, '0'),
    part: 0,
    events,
  };
  return gzipSync(encodeHeaderLine(header) + lines.join('\n'));
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  powertools = capturePowertoolsConsole();
  log = powertools.log;
  ({ createLoaderHandler, loadLagMs } = await import('../../../functions/load/handler.js'));
  const fixture = JSON.parse(
    await readFile(new URL('../../fixtures/kinesis/stream-event.json', import.meta.url), 'utf8'),
  );
  template = fixture.Records[0];
});

beforeEach(() => log.mockClear());

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('loader metrics', () => {
  it.each([
    { records: 1, eventsEach: 1, shards: 1 },
    { records: 60, eventsEach: 25, shards: 3 },
  ])('prints one set for $records records of $eventsEach events over $shards shards', async (c) => {
    const store = memoryStore();
    const Records = Array.from({ length: c.records }, (_, i) =>
      kinesisRecord(streamRecord(c.eventsEach), { shard: i % c.shards, ageMs: 1_000 + i * 100 }),
    );
    await expect(handlerOver(store)({ Records }, context)).resolves.toEqual({ batchItemFailures: [] });
    expect(store.inserted).toBe(c.records * c.eventsEach);

    const blobs = emfBlobs();
    expect(blobs).toHaveLength(1);
    expect(blobs[0]).toMatchObject({
      service: 'loader',
      RecordsLoaded: c.records,
      EventsLoaded: c.records * c.eventsEach,
      DuplicateRecords: 0,
      DeadLetters: 0,
      LoadLagMs: 1_000 + (c.records - 1) * 100,
      _aws: { CloudWatchMetrics: [{ Namespace: 'EvalForge', Dimensions: [['service']] }] },
    });
    // One value per metric (no array of per-batch values), whatever the number of batches.
    for (const value of Object.values(blobs[0] ?? {})) expect(Array.isArray(value)).toBe(false);
    const units = Object.fromEntries(
      (blobs[0]?._aws.CloudWatchMetrics[0]?.Metrics ?? []).map((m) => [m.Name, m.Unit]),
    );
    expect(units).toMatchObject({ LoadLagMs: 'Milliseconds', BytesLoaded: 'Bytes', EventsLoaded: 'Count' });
  });

  it('counts an unreadable record as a dead letter in the same set', async () => {
    const event = {
      Records: [kinesisRecord(Buffer.from('not a stream record')), kinesisRecord(streamRecord(4))],
    };
    await handlerOver(memoryStore())(event, context);
    expect(emfBlobs()).toEqual([
      expect.objectContaining({ RecordsLoaded: 1, EventsLoaded: 4, DeadLetters: 1 }),
    ]);
  });

  it('fails the invocation when the engine refuses, counting the batches loaded before, with no lag', async () => {
    const Records = [
      kinesisRecord(streamRecord(3), { shard: 0 }),
      kinesisRecord(streamRecord(3), { shard: 1 }),
    ];
    await expect(handlerOver(memoryStore(1))({ Records }, context)).rejects.toThrow(/readonly mode/);
    const blobs = emfBlobs();
    expect(blobs).toEqual([expect.objectContaining({ RecordsLoaded: 1, EventsLoaded: 3 })]);
    expect(blobs[0]).not.toHaveProperty('LoadLagMs');
  });
});

describe('loadLagMs', () => {
  const at = (seconds: number) =>
    ({ kinesis: { approximateArrivalTimestamp: seconds } }) as KinesisStreamRecord;
  it.each([
    ['the oldest record', [at(100.5), at(99.25), at(101)], 102_000, 2_750],
    ['no less than zero for a clock behind the stream', [at(103)], 102_000, 0],
    ['nothing for no records', [], 102_000, undefined],
  ])('measures %s', (_, Records, now, expected) => {
    expect(loadLagMs({ Records }, now)).toBe(expected);
  });
});
