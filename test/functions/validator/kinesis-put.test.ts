import {
  InvalidArgumentException,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { kinesisPutRecords } from '../../../functions/validator/kinesis-put.js';
import type { StreamRecord } from '../../../functions/validator/stream-writer.js';

const STREAM = 'evalforge-events';
const kinesisMock = mockClient(KinesisClient);
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const put = kinesisPutRecords(client, STREAM);

/** Partition keys are 32 hex characters in the validator; the tests use the same length. */
const partitionKey = (i: number) => i.toString(16).padStart(32, '0');

function records(count: number, data: Uint8Array = Buffer.from('x')): StreamRecord[] {
  return Array.from({ length: count }, (_, i) => ({ data, partitionKey: partitionKey(i) }));
}

const success = (i: number): PutRecordsResultEntry => ({
  SequenceNumber: `4959${i}`,
  ShardId: 'shardId-000000000000',
});

/** A PutRecords that accepts every record it is given. */
function acceptAll(input: PutRecordsCommandInput) {
  return { FailedRecordCount: 0, Records: (input.Records ?? []).map((_, i) => success(i)) };
}

const callSizes = () =>
  kinesisMock.commandCalls(PutRecordsCommand).map((call) => call.args[0].input.Records?.length);

beforeEach(() => {
  kinesisMock.reset();
});

afterAll(() => {
  kinesisMock.restore();
});

describe('kinesisPutRecords', () => {
  it('sends the stream name, data and partition keys, and maps each entry to an outcome', async () => {
    kinesisMock.on(PutRecordsCommand).resolves({
      FailedRecordCount: 2,
      Records: [
        success(0),
        { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
        { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' },
        success(3),
      ],
    });
    const batch = records(4).map((r, i) => ({ ...r, data: Buffer.from(`record-${i}`) }));

    const outcomes = await put(batch);

    expect(outcomes).toEqual([
      { ok: true },
      {
        ok: false,
        code: 'throttled',
        message: 'ProvisionedThroughputExceededException: Rate exceeded for shard',
      },
      { ok: false, code: 'unavailable', message: 'InternalFailure: Internal service failure.' },
      { ok: true },
    ]);
    const [call] = kinesisMock.commandCalls(PutRecordsCommand);
    expect(call?.args[0].input).toEqual({
      StreamName: STREAM,
      Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
    });
  });

  it('fails a record the response has no entry for', async () => {
    kinesisMock.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [success(0)] });

    const outcomes = await put(records(2));

    expect(outcomes).toEqual([
      { ok: true },
      { ok: false, code: 'unavailable', message: expect.stringMatching(/^MissingResult: /) },
    ]);
  });

  it.each([
    [1, [1]],
    [500, [500]],
    [501, [500, 1]],
    [1_201, [500, 500, 201]],
  ])('puts %i records in calls of %o', async (count, sizes) => {
    kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
    const batch = records(count);

    const outcomes = await put(batch);

    expect(callSizes()).toEqual(sizes);
    expect(outcomes).toHaveLength(count);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    // Every record is sent once, in order.
    const sent = kinesisMock
      .commandCalls(PutRecordsCommand)
      .flatMap((call) => call.args[0].input.Records?.map((r) => r.PartitionKey) ?? []);
    expect(sent).toEqual(batch.map((r) => r.partitionKey));
  });

  const FIVE_MIB = 5 * 1024 * 1024;
  it.each([
    // data bytes per record (plus a 32-byte partition key), records, expected call sizes
    ['exactly 5 MiB in one call', FIVE_MIB / 5 - 32, 5, [5]],
    ['one byte over 5 MiB in two calls', FIVE_MIB / 5 - 31, 5, [4, 1]],
    ['1 MB records five to a call', 1_000_000, 12, [5, 5, 2]],
  ])('splits by bytes: %s', async (_name, dataBytes, count, sizes) => {
    kinesisMock.on(PutRecordsCommand).callsFake(acceptAll);
    // One buffer shared by every record: the mock never serialises, so this stays cheap.
    const data = Buffer.alloc(dataBytes, 0x61);

    const outcomes = await put(records(count, data));

    expect(callSizes()).toEqual(sizes);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(count);
  });

  it.each([
    [
      'a ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }),
      'throttled',
    ],
    [
      'an InvalidArgumentException',
      new InvalidArgumentException({ message: 'bad request', $metadata: {} }),
      'unavailable',
      { permanent: true },
    ],
    [
      'a network error',
      Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }),
      'unavailable',
      {},
    ],
  ])('fails every record of a call that threw %s, and only those', async (_name, error, code, extra = {}) => {
    kinesisMock.on(PutRecordsCommand).callsFakeOnce(acceptAll).rejectsOnce(error).callsFake(acceptAll);

    const outcomes = await put(records(1_200));

    expect(callSizes()).toEqual([500, 500, 200]);
    const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [i]));
    expect(failed).toEqual(Array.from({ length: 500 }, (_, i) => 500 + i));
    expect(outcomes[500]).toEqual({
      ok: false,
      code,
      message: expect.stringContaining(error.message),
      ...extra,
    });
  });
});
