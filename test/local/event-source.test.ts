import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../local/checkpoints.js';
import {
  type EventSourceSettings,
  type FailedBatch,
  KinesisEventSource,
  type KinesisHandler,
  LAMBDA_PAYLOAD_LIMIT_BYTES,
} from '../../local/event-source.js';
import { ensureStream, type LocalKinesis, startLocalKinesis } from '../../local/kinesis.js';

let kinesis: LocalKinesis;
let dir: string;
let streams = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-esm-'));
  kinesis = await startLocalKinesis();
});

afterAll(async () => {
  await kinesis.close();
  await rm(dir, { recursive: true, force: true });
});

const SETTINGS: EventSourceSettings = {
  batchSize: 10,
  maximumBatchingWindowMs: 0,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: -1,
  reportBatchItemFailures: true,
};

/** A fresh stream holding `count` records whose data is their index; returns its name. */
async function streamWith(count: number, shards = 2, size = 0): Promise<string> {
  const name = `test-${++streams}`;
  await ensureStream(kinesis.client, name, shards);
  // PutRecords takes at most 5 MB per call.
  const perCall = size > 0 ? Math.max(1, Math.floor(4_000_000 / size)) : 100;
  for (let start = 0; start < count; start += perCall) {
    const entries = [];
    for (let i = start; i < Math.min(count, start + perCall); i++) {
      entries.push({ PartitionKey: `key-${i}`, Data: Buffer.from(String(i).padEnd(size, ' ')) });
    }
    const result = await kinesis.client.send(new PutRecordsCommand({ StreamName: name, Records: entries }));
    expect(result.FailedRecordCount).toBe(0);
  }
  return name;
}

interface Seen {
  /** Record indexes of each invocation, and whether it succeeded. */
  invocations: { indexes: number[]; shard: string; ok: boolean }[];
  /** Indexes of records in invocations that succeeded (what was handled). */
  handled(): number[];
}

function recorder(decide: (indexes: number[], call: number) => 'ok' | 'throw' | { failAt: number }): {
  handler: KinesisHandler;
  seen: Seen;
} {
  const invocations: Seen['invocations'] = [];
  const handler: KinesisHandler = async (event: KinesisStreamEvent) => {
    const indexes = event.Records.map((r) => Number(Buffer.from(r.kinesis.data, 'base64').toString().trim()));
    const shard = event.Records[0]?.eventID.split(':')[0] ?? '';
    const verdict = decide(indexes, invocations.length);
    if (verdict === 'throw') {
      invocations.push({ indexes, shard, ok: false });
      throw new Error('handler failed');
    }
    if (verdict === 'ok') {
      invocations.push({ indexes, shard, ok: true });
      return { batchItemFailures: [] };
    }
    invocations.push({ indexes: indexes.slice(0, verdict.failAt), shard, ok: true });
    const failed = event.Records[verdict.failAt];
    return { batchItemFailures: [{ itemIdentifier: failed?.kinesis.sequenceNumber ?? '' }] };
  };
  return {
    handler,
    seen: {
      invocations,
      handled: () => invocations.filter((i) => i.ok).flatMap((i) => i.indexes),
    },
  };
}

async function source(
  streamName: string,
  handler: KinesisHandler,
  settings: Partial<EventSourceSettings> = {},
  extra: { checkpointFile?: string; onFailure?: (batch: FailedBatch) => Promise<void> } = {},
): Promise<KinesisEventSource> {
  const checkpoints = await CheckpointStore.open(extra.checkpointFile ?? join(dir, `${streamName}.json`));
  const eventSource = new KinesisEventSource({
    ...SETTINGS,
    ...settings,
    kinesis: kinesis.client,
    streamName,
    functionName: 'test-loader',
    handler,
    checkpoints,
    onFailure: extra.onFailure,
    pollIntervalMs: 20,
    retryBaseMs: 5,
    retryMaxMs: 20,
  });
  await eventSource.start();
  return eventSource;
}

/** Lets the source run until every shard is read and handled, then stops it without draining. */
async function settle(eventSource: KinesisEventSource): Promise<void> {
  for (let waited = 0; !eventSource.stats().caughtUp; waited += 10) {
    if (waited > 20_000) throw new Error('the event source did not catch up in 20 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await eventSource.stop({ drain: false });
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('KinesisEventSource', () => {
  it('hands every record to the handler once, in order within each shard, at most batchSize at a time', async () => {
    const stream = await streamWith(250, 3);
    const { handler, seen } = recorder(() => 'ok');
    const eventSource = await source(stream, handler);
    await settle(eventSource);

    expect(sorted(seen.handled())).toEqual(range(250));
    expect(Math.max(...seen.invocations.map((i) => i.indexes.length))).toBe(10);
    expect(eventSource.stats()).toMatchObject({ recordsHandled: 250, caughtUp: true, lagMs: 0 });
    // Records of one partition key go to one shard, and each shard's records arrive in put order.
    for (const shard of new Set(seen.invocations.map((i) => i.shard))) {
      const order = seen.invocations.filter((i) => i.shard === shard).flatMap((i) => i.indexes);
      expect(order).toEqual(sorted(order));
    }
  });

  it('resumes after its persisted checkpoint: a restart hands over only records it had not handled', async () => {
    const stream = await streamWith(60, 2);
    const file = join(dir, 'resume.json');
    const first = recorder(() => 'ok');
    await settle(await source(stream, first.handler, {}, { checkpointFile: file }));
    expect(sorted(first.seen.handled())).toEqual(range(60));
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ version: 1 });

    const second = recorder(() => 'ok');
    const again = await source(stream, second.handler, {}, { checkpointFile: file });
    await settle(again);
    expect(second.seen.invocations).toEqual([]);
  });

  it('waits for the batching window to gather records into one invocation', async () => {
    const stream = await streamWith(7, 1);
    const { handler, seen } = recorder(() => 'ok');
    const eventSource = await source(stream, handler, { batchSize: 100, maximumBatchingWindowMs: 300 });
    await settle(eventSource);
    expect(seen.invocations.map((i) => i.indexes)).toEqual([range(7)]);
  });

  it('never builds an event over the 6 MB invocation payload limit, whatever the batch size', async () => {
    const size = 900_000;
    const stream = await streamWith(12, 1, size);
    const { handler, seen } = recorder(() => 'ok');
    const eventSource = await source(stream, handler, { batchSize: 100 });
    await settle(eventSource);
    const perInvocation = Math.floor(LAMBDA_PAYLOAD_LIMIT_BYTES / ((size / 3) * 4 + 600));
    expect(perInvocation).toBe(5);
    expect(seen.invocations.map((i) => i.indexes.length)).toEqual([5, 5, 2]);
    expect(seen.handled()).toEqual(range(12));
  });

  it('bisects a failing batch until the bad record is alone, and retries it until it succeeds', async () => {
    const stream = await streamWith(10, 1);
    let poisonFailures = 0;
    const { handler, seen } = recorder((indexes) => {
      if (indexes.includes(6) && poisonFailures < 5) {
        poisonFailures++;
        return 'throw';
      }
      return 'ok';
    });
    const eventSource = await source(stream, handler);
    await settle(eventSource);

    expect(seen.handled()).toEqual(range(10));
    // 10 → 5+5 → the half with 6: 5..9 → 5,6,7 → 5,6 → 6 alone, which then fails once more and passes.
    expect(seen.invocations.filter((i) => !i.ok).map((i) => i.indexes)).toEqual([
      range(10),
      [5, 6, 7, 8, 9],
      [5, 6, 7],
      [5, 6],
      [6],
    ]);
  });

  it('resumes from the lowest failed item a handler reports, without resending what it handled', async () => {
    const stream = await streamWith(10, 1);
    let reported = false;
    const { handler, seen } = recorder((indexes) => {
      if (!reported && indexes.includes(4)) {
        reported = true;
        return { failAt: indexes.indexOf(4) };
      }
      return 'ok';
    });
    const eventSource = await source(stream, handler);
    await settle(eventSource);

    expect(seen.invocations.map((i) => i.indexes)).toEqual([range(4), [4, 5, 6, 7, 8, 9]]);
    expect(seen.handled()).toEqual(range(10));
  });

  it('sends a batch that exhausts maximumRetryAttempts to the on-failure destination and moves on', async () => {
    const stream = await streamWith(4, 1);
    const failures: FailedBatch[] = [];
    const { handler, seen } = recorder((indexes) => (indexes.includes(2) ? 'throw' : 'ok'));
    const eventSource = await source(
      stream,
      handler,
      { maximumRetryAttempts: 1, bisectBatchOnFunctionError: false },
      { onFailure: async (batch) => void failures.push(batch) },
    );
    await settle(eventSource);

    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ records: 4, attempts: 2, error: 'handler failed' });
    expect(seen.handled()).toEqual([]);
  });

  it('fails fast on settings Lambda would refuse', () => {
    const base = {
      ...SETTINGS,
      kinesis: kinesis.client,
      streamName: 'x',
      functionName: 'f',
      handler: async () => undefined,
      checkpoints: undefined as unknown as CheckpointStore,
    };
    expect(() => new KinesisEventSource({ ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new KinesisEventSource({ ...base, batchSize: 10_001 })).toThrow(/batchSize/);
    expect(() => new KinesisEventSource({ ...base, maximumBatchingWindowMs: 300_001 })).toThrow(/Window/);
    expect(() => new KinesisEventSource({ ...base, maximumRetryAttempts: -2 })).toThrow(
      /maximumRetryAttempts/,
    );
  });
});

describe('CheckpointStore', () => {
  it('never moves a shard backwards, and compares sequence numbers as numbers', async () => {
    const file = join(dir, 'order.json');
    const store = await CheckpointStore.open(file);
    await store.set('shardId-000000000000', '99');
    await store.set('shardId-000000000000', '100');
    await store.set('shardId-000000000000', '98');
    expect(store.get('shardId-000000000000')).toBe('100');
    expect((await CheckpointStore.open(file)).get('shardId-000000000000')).toBe('100');
  });

  it('rejects a damaged checkpoint file with a message that names it', async () => {
    const file = join(dir, 'damaged.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, '{"version":1,"shards":{"a":"x"}}'));
    await expect(CheckpointStore.open(file)).rejects.toThrow(
      /damaged\.json is not a version 1 checkpoint file/,
    );
  });
});
