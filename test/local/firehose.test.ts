import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_CONTENT_TYPE,
  parseArchiveObjectKey,
} from '../../functions/shared/contract/archive-layout.js';
import { encodeHeaderLine, STREAM_RECORD_FORMAT } from '../../functions/shared/contract/stream-record.js';
import { packLines, packPassThrough } from '../../functions/validator/records.js';
import {
  type DeliveredPositions,
  type FirehoseRecord,
  LocalFirehose,
  LocalFirehoseClosedError,
  type LocalFirehoseOptions,
} from '../../local/firehose.js';
import { ensureBucket, type LocalS3, localS3Client, startLocalS3 } from '../../local/s3.js';

const STREAM = 'evalforge-archive';
const FAST_RETRY = { baseMs: 5, maxMs: 20 };

let dir: string;
let s3: LocalS3;
let buckets = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-firehose-'));
  s3 = await startLocalS3({ path: join(dir, 's3') });
});

afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A bucket of the test's own, so listings see only its objects. */
async function newBucket(): Promise<string> {
  const bucket = `archive-${++buckets}`;
  await ensureBucket(s3.client, bucket);
  return bucket;
}

async function listKeys(bucket: string, client: S3Client = s3.client): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function getObject(bucket: string, key: string): Promise<Buffer> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}

/** The non-blank lines of a multi-member gzip NDJSON object. */
function lines(gzip: Buffer): string[] {
  return gunzipSync(gzip)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}

interface Built {
  readonly record: FirehoseRecord;
  /** The NDJSON lines the record carries: its header, then its events. */
  readonly lines: readonly string[];
}

function header(n: number) {
  return {
    format: STREAM_RECORD_FORMAT,
    project_id: 'demo-project',
    key_id: '0123456789abcdef',
    received_at: '2026-01-02T03:04:05.678Z',
    request_id: `request-${n}`,
    request_key: n.toString(16).padStart(64, '0'),
  } as const;
}

function eventText(n: number, i: number): string {
  return JSON.stringify({
    trace_id: `${n}-${i}`,
    model: 'gpt-4o-mini',
    latency_ms: 100 + i,
    prompt: `q ${n}.${i}`,
  });
}

/**
 * A stream record as the validator writes it. Odd records take the pass-through path (a header
 * member before the client's own gzip body and a newline member), even ones are packed anew.
 */
function streamRecord(
  n: number,
  shardId: string,
  sequenceNumber: string,
  arrival = new Date('2026-01-02T03:04:05.000Z'),
): Built {
  const events = [eventText(n, 0), eventText(n, 1)];
  let data: Buffer | undefined;
  if (n % 2 === 1) {
    data = packPassThrough(header(n), gzipSync(events.join('\n')), [0, 1])?.data;
  } else {
    data = packLines(
      header(n),
      events.map((text, index) => ({ index, text })),
    ).records[0]?.data;
  }
  if (!data) throw new Error('record did not pack');
  const head = encodeHeaderLine({ ...header(n), part: 0, events: events.length }).trimEnd();
  return {
    record: { shardId, sequenceNumber, data, approximateArrivalTimestamp: arrival },
    lines: [head, ...events],
  };
}

function bytesOf(built: readonly Built[]): number {
  return built.reduce((sum, b) => sum + b.record.data.length, 0);
}

/** A firehose whose deliveries are recorded, and a promise of its next delivery. */
function recorded(options: Partial<LocalFirehoseOptions> & Pick<LocalFirehoseOptions, 'bucket'>) {
  const deliveries: DeliveredPositions[] = [];
  const logs: string[] = [];
  let wake: (() => void) | undefined;
  const firehose = new LocalFirehose({
    s3: s3.client,
    deliveryStreamName: STREAM,
    bufferSizeBytes: 1 << 20,
    bufferIntervalMs: 60_000,
    retry: FAST_RETRY,
    log: (line) => logs.push(line),
    ...options,
    onDelivered: (positions) => {
      deliveries.push(positions);
      wake?.();
    },
  });
  const nextDelivery = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no delivery within ${timeoutMs} ms`)), timeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return { firehose, deliveries, logs, nextDelivery };
}

describe('LocalFirehose', () => {
  it('delivers when the buffer reaches its size, before add() resolves', async () => {
    const bucket = await newBucket();
    const built = [0, 1, 2].map((n) => streamRecord(n, 'shardId-000000000000', String(100 + n)));
    const { firehose, deliveries } = recorded({ bucket, bufferSizeBytes: bytesOf(built) });

    await firehose.add(built.map((b) => b.record));

    const keys = await listKeys(bucket);
    expect(keys).toHaveLength(1);
    expect(deliveries).toHaveLength(1);
    const object = await getObject(bucket, keys[0] ?? '');
    expect(object.equals(Buffer.concat(built.map((b) => b.record.data)))).toBe(true);
    expect(lines(object)).toEqual(built.flatMap((b) => b.lines));
    expect(gunzipSync(object).toString('utf8').endsWith('\n')).toBe(true);
    expect(firehose.stats()).toEqual({
      bufferedRecords: 0,
      bufferedBytes: 0,
      deliveredObjects: 1,
      deliveredRecords: 3,
      deliveredBytes: bytesOf(built),
    });
    await firehose.close();
  });

  it('keeps each object within the buffer size, cutting between records', async () => {
    const bucket = await newBucket();
    const built = [0, 1, 2, 3, 4].map((n) => streamRecord(n, 'shardId-000000000000', String(n + 1)));
    // Any two records fit in the buffer, no three do.
    const bufferSizeBytes = 2 * Math.max(...built.map((b) => b.record.data.length));
    const { firehose, deliveries } = recorded({ bucket, bufferSizeBytes });

    await firehose.add(built.map((b) => b.record));
    expect(deliveries.map((d) => d.get('shardId-000000000000'))).toEqual(['2', '4']);
    expect(firehose.stats()).toMatchObject({ bufferedRecords: 1, deliveredObjects: 2, deliveredRecords: 4 });

    await firehose.close();
    expect(deliveries.map((d) => d.get('shardId-000000000000'))).toEqual(['2', '4', '5']);
    const objects = await Promise.all((await listKeys(bucket)).map((key) => getObject(bucket, key)));
    expect(objects.map((o) => o.length).every((n) => n <= bufferSizeBytes)).toBe(true);
    // Keys name the delivery second and a random id, so compare contents as a set of lines.
    expect(objects.flatMap(lines).sort()).toEqual(built.flatMap((b) => b.lines).sort());
  });

  it('delivers what is buffered once the buffer interval has passed', async () => {
    const bucket = await newBucket();
    const built = [
      streamRecord(1, 'shardId-000000000000', '7'),
      streamRecord(2, 'shardId-000000000001', '8'),
    ];
    const { firehose, deliveries, nextDelivery } = recorded({ bucket, bufferIntervalMs: 150 });
    const delivered = nextDelivery(5_000);
    const start = Date.now();

    await firehose.add(built.map((b) => b.record));
    expect(deliveries).toHaveLength(0);
    expect(firehose.stats()).toMatchObject({ bufferedRecords: 2, deliveredObjects: 0 });

    await delivered;
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    const keys = await listKeys(bucket);
    expect(keys).toHaveLength(1);
    expect(lines(await getObject(bucket, keys[0] ?? ''))).toEqual(built.flatMap((b) => b.lines));
    expect(firehose.stats()).toMatchObject({ bufferedRecords: 0, deliveredObjects: 1, deliveredRecords: 2 });
    await firehose.close();
  });

  it('names objects by the archive layout: the oldest arrival picks the partition, the clock the file name', async () => {
    const bucket = await newBucket();
    const deliveredAt = Date.parse('2026-01-01T00:00:03.400Z');
    const { firehose } = recorded({ bucket, deliveryStreamVersion: 3, now: () => deliveredAt });
    // The older record comes second, from another shard: the partition is its hour, not the first's.
    await firehose.add([
      streamRecord(1, 'shardId-000000000000', '1', new Date('2026-01-01T00:00:01.000Z')).record,
      streamRecord(2, 'shardId-000000000001', '2', new Date('2025-12-31T23:59:59.500Z')).record,
    ]);
    await firehose.flush();

    const [key = ''] = await listKeys(bucket);
    expect(key).toMatch(
      /^events\/year=2025\/month=12\/day=31\/hour=23\/evalforge-archive-3-2026-01-01-00-00-03-[0-9a-f-]{36}\.ndjson\.gz$/,
    );
    expect(parseArchiveObjectKey(key)).toMatchObject({
      deliveryStreamName: STREAM,
      version: 3,
      partitionHour: new Date('2025-12-31T23:00:00.000Z'),
      deliveredAt: new Date('2026-01-01T00:00:03.000Z'),
    });
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toBe(ARCHIVE_CONTENT_TYPE);
    expect(head.ContentEncoding).toBeUndefined();
    await firehose.close();
  });

  it('reports per shard the highest sequence number, compared as integers', async () => {
    const bucket = await newBucket();
    const long = '49590338271490256608559692538361571095921575989136588898';
    const longer = '495903382714902566085596925383615710959215759891365888990';
    const built = [
      streamRecord(1, 'shardId-000000000000', '9'),
      streamRecord(2, 'shardId-000000000001', long),
      streamRecord(3, 'shardId-000000000000', '10'),
      streamRecord(4, 'shardId-000000000001', longer),
      // Out of order on purpose: the maximum wins, not the last one added.
      streamRecord(5, 'shardId-000000000000', '8'),
      streamRecord(6, 'shardId-000000000002', '99'),
    ];
    const { firehose, deliveries } = recorded({ bucket });

    await firehose.add(built.map((b) => b.record));
    await firehose.flush();

    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toEqual(
      new Map([
        ['shardId-000000000000', '10'],
        ['shardId-000000000001', longer],
        ['shardId-000000000002', '99'],
      ]),
    );
    await firehose.close();
  });

  it('retries a failing PutObject until it succeeds and delivers the object exactly once', async () => {
    const bucket = await newBucket();
    const client = localS3Client(s3.endpoint);
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let putAttempts = 0;
    client.send = (async (command: unknown) => {
      if (command instanceof PutObjectCommand && ++putAttempts <= 2) {
        throw new Error(`injected failure ${putAttempts}`);
      }
      return send(command);
    }) as S3Client['send'];
    const built = [
      streamRecord(1, 'shardId-000000000000', '1'),
      streamRecord(2, 'shardId-000000000000', '2'),
    ];
    const { firehose, deliveries, logs } = recorded({ bucket, s3: client, bufferSizeBytes: bytesOf(built) });

    await firehose.add(built.map((b) => b.record));

    expect(putAttempts).toBe(3);
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatch(
      /PutObject s3:\/\/archive-\d+\/events\/.* failed \(attempt 1\): injected failure 1; retrying in \d+ ms/,
    );
    expect(logs[1]).toMatch(/\(attempt 2\): injected failure 2/);
    expect(deliveries).toEqual([new Map([['shardId-000000000000', '2']])]);
    const keys = await listKeys(bucket);
    expect(keys).toHaveLength(1);
    expect(lines(await getObject(bucket, keys[0] ?? ''))).toEqual(built.flatMap((b) => b.lines));
    expect(firehose.stats()).toMatchObject({ bufferedRecords: 0, deliveredObjects: 1, deliveredRecords: 2 });
    await firehose.close();
    client.destroy();
  });

  it('runs one delivery at a time, in order, however many callers fill the buffer', async () => {
    const bucket = await newBucket();
    const client = localS3Client(s3.endpoint);
    const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
    let running = 0;
    let most = 0;
    client.send = (async (command: unknown) => {
      if (!(command instanceof PutObjectCommand)) return send(command);
      most = Math.max(most, ++running);
      try {
        await sleep(30);
        return await send(command);
      } finally {
        running--;
      }
    }) as S3Client['send'];
    const perShard = (shardId: string) =>
      [1, 2, 3, 4].map((n) => streamRecord(n, shardId, String(n * 10)).record);
    // Every record fills the buffer alone: eight objects, each queued behind the one before.
    const { firehose, deliveries } = recorded({ bucket, s3: client, bufferSizeBytes: 1 });

    await Promise.all([
      firehose.add(perShard('shardId-000000000000')),
      firehose.add(perShard('shardId-000000000001')),
    ]);

    expect(most).toBe(1);
    expect(deliveries).toHaveLength(8);
    expect(deliveries.map((d) => [...d.entries()][0])).toEqual([
      ['shardId-000000000000', '10'],
      ['shardId-000000000000', '20'],
      ['shardId-000000000000', '30'],
      ['shardId-000000000000', '40'],
      ['shardId-000000000001', '10'],
      ['shardId-000000000001', '20'],
      ['shardId-000000000001', '30'],
      ['shardId-000000000001', '40'],
    ]);
    await firehose.close();
    client.destroy();
  });

  it('flush() delivers what is buffered now and keeps taking records', async () => {
    const bucket = await newBucket();
    const { firehose, deliveries } = recorded({ bucket });
    await firehose.flush();
    expect(deliveries).toHaveLength(0);

    await firehose.add([streamRecord(1, 'shardId-000000000000', '1').record]);
    await firehose.flush();
    expect(deliveries).toHaveLength(1);
    expect(await listKeys(bucket)).toHaveLength(1);

    await firehose.add([streamRecord(2, 'shardId-000000000000', '2').record]);
    await firehose.flush();
    expect(deliveries.map((d) => d.get('shardId-000000000000'))).toEqual(['1', '2']);
    expect(await listKeys(bucket)).toHaveLength(2);
    await firehose.close();
  });

  it('close() drains the buffer, stops the timer and refuses further records', async () => {
    const bucket = await newBucket();
    const built = [
      streamRecord(1, 'shardId-000000000000', '1'),
      streamRecord(2, 'shardId-000000000000', '2'),
    ];
    const { firehose, deliveries } = recorded({ bucket, bufferIntervalMs: 100 });
    await firehose.add(built.map((b) => b.record));

    await firehose.close();
    expect(deliveries).toHaveLength(1);
    expect(firehose.stats()).toMatchObject({ bufferedRecords: 0, bufferedBytes: 0, deliveredRecords: 2 });

    const late = firehose.add([streamRecord(3, 'shardId-000000000000', '3').record]);
    await expect(late).rejects.toThrow(LocalFirehoseClosedError);
    await expect(late).rejects.toThrow(/closed: add\(\) after close\(\)/);
    // The interval timer fired no second, empty delivery.
    await sleep(150);
    expect(deliveries).toHaveLength(1);
    expect(await listKeys(bucket)).toHaveLength(1);
    await firehose.close();
  });

  it('keeps delivering after onDelivered throws, logging the failure', async () => {
    const bucket = await newBucket();
    const logs: string[] = [];
    const seen: string[] = [];
    const firehose = new LocalFirehose({
      s3: s3.client,
      bucket,
      deliveryStreamName: STREAM,
      bufferSizeBytes: 1 << 20,
      bufferIntervalMs: 60_000,
      log: (line) => logs.push(line),
      onDelivered: (positions) => {
        seen.push(positions.get('shardId-000000000000') ?? '');
        if (seen.length === 1) throw new Error('checkpoint store is down');
      },
    });
    await firehose.add([streamRecord(1, 'shardId-000000000000', '1').record]);
    await firehose.flush();
    await firehose.add([streamRecord(2, 'shardId-000000000000', '2').record]);
    await firehose.close();

    expect(seen).toEqual(['1', '2']);
    expect(logs).toEqual([expect.stringMatching(/onDelivered failed after .*: checkpoint store is down/)]);
    expect(await listKeys(bucket)).toHaveLength(2);
  });

  it.each([
    [
      'a sequence number that is not decimal',
      { sequenceNumber: '12a' },
      /sequence number '12a'.* not decimal/,
    ],
    ['an invalid arrival time', { approximateArrivalTimestamp: new Date(Number.NaN) }, /no arrival time/],
  ])('rejects %s before buffering any record of the call', async (_, override, message) => {
    const bucket = await newBucket();
    const { firehose } = recorded({ bucket });
    const good = streamRecord(1, 'shardId-000000000000', '1').record;

    await expect(firehose.add([good, { ...good, ...override }])).rejects.toThrow(message);
    expect(firehose.stats().bufferedRecords).toBe(0);
    await firehose.close();
  });

  it.each([
    ['a stream name Firehose refuses', { deliveryStreamName: 'no/slashes' }, /delivery stream name/],
    ['a zero buffer size', { bufferSizeBytes: 0 }, /bufferSizeBytes must be positive/],
    ['a negative interval', { bufferIntervalMs: -1 }, /bufferIntervalMs must be positive/],
  ])('fails to construct with %s', (_, override, message) => {
    const options = {
      s3: s3.client,
      bucket: 'unused',
      deliveryStreamName: STREAM,
      bufferSizeBytes: 1,
      bufferIntervalMs: 1,
      ...override,
    };
    expect(() => new LocalFirehose(options)).toThrow(message);
  });
});

describe('local S3', () => {
  it('ensureBucket is idempotent, and objects survive a restart on the same path', async () => {
    const path = join(dir, 'restart');
    const first = await startLocalS3({ path });
    await ensureBucket(first.client, 'restart-bucket');
    await ensureBucket(first.client, 'restart-bucket');
    await first.client.send(new PutObjectCommand({ Bucket: 'restart-bucket', Key: 'a/b.txt', Body: 'kept' }));
    await first.close();

    const second = await startLocalS3({ path });
    try {
      await ensureBucket(second.client, 'restart-bucket');
      expect(await listKeys('restart-bucket', second.client)).toEqual(['a/b.txt']);
      const object = await second.client.send(
        new GetObjectCommand({ Bucket: 'restart-bucket', Key: 'a/b.txt' }),
      );
      expect(await object.Body?.transformToString()).toBe('kept');
    } finally {
      await second.close();
    }
  });
});
