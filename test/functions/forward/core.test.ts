import { gzipSync } from 'node:zlib';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import {
  type ForwarderDeps,
  forwardRecords,
  homeRegionOf,
  type TransitRecord,
} from '../../../functions/forward/core.js';
import { HomeStreamsSchema, homeStreamTarget } from '../../../functions/forward/deps.js';
import { kinesisRegionPut } from '../../../functions/forward/kinesis-put.js';
import {
  encodeHeaderLine,
  type StreamRecordHeader,
} from '../../../functions/shared/contract/stream-record.js';

/**
 * The forwarder puts each transit record into its home region's stream, byte for byte with its
 * partition key; what a region did not take is the batch's first failure, from which the event
 * source retries; what names no other home stays in this region's stream.
 */

vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');

let n = 0;
function record(home?: string, extra: Partial<StreamRecordHeader> = {}): TransitRecord {
  const header: StreamRecordHeader = {
    format: 'evalforge.batch/v1',
    project_id: 'proj-eu',
    key_id: '0123456789abcdef',
    received_at: '2026-12-02T10:00:00.000Z',
    request_id: `req-${++n}`,
    request_key: String(n).padStart(64, '0'),
    part: 0,
    events: 1,
    ...(home ? { home_region: home } : {}),
    ...extra,
  };
  return {
    data: gzipSync(`${encodeHeaderLine(header)}{"trace_id":"t","span_id":"s${n}"}\n`),
    partitionKey: header.request_key,
    sequenceNumber: String(1000 + n),
  };
}

/** Regions in memory: what each took; `refuse` names regions that take nothing, `down` those that cannot be reached. */
function regions(options: { refuse?: Record<string, number[]>; down?: string[] } = {}) {
  const taken: Record<string, { data: Uint8Array; partitionKey: string }[]> = {};
  const deps: ForwarderDeps = {
    region: 'us-east-1',
    putRecords: async (region, records) => {
      if (options.down?.includes(region)) throw new Error('connect ECONNREFUSED');
      const refused = options.refuse?.[region] ?? [];
      taken[region] = [...(taken[region] ?? []), ...records.filter((_, i) => !refused.includes(i))];
      return { failedIndexes: refused };
    },
  };
  return { deps, taken };
}

describe('homeRegionOf', () => {
  it("reads the header's home region", () => {
    expect(homeRegionOf(record('eu-west-1').data)).toBe('eu-west-1');
  });
  it.each([
    ['no home region', record().data],
    ['a home region that is not a region name', record(undefined, { home_region: 'mars' } as never).data],
    ['bytes that are not gzip', Buffer.from('not gzip')],
    ['a first line that is not JSON', gzipSync('nope\n')],
  ])('finds none in %s', (_, data) => {
    expect(homeRegionOf(data)).toBeUndefined();
  });
});

describe('forwardRecords', () => {
  it('puts each record into its home region, byte for byte with its partition key, and keeps what names no other home', async () => {
    const { deps, taken } = regions();
    const batch = [
      record('eu-west-1'),
      record('ap-southeast-1'),
      record(),
      record('us-east-1'),
      record('eu-west-1'),
    ];
    const outcome = await forwardRecords(batch, deps);
    expect(outcome).toEqual({
      forwarded: 3,
      kept: 2,
      byRegion: { 'eu-west-1': 2, 'ap-southeast-1': 1, 'us-east-1': 2 },
    });
    expect(taken['eu-west-1']).toEqual([
      { data: batch[0]?.data, partitionKey: batch[0]?.partitionKey },
      { data: batch[4]?.data, partitionKey: batch[4]?.partitionKey },
    ]);
    expect(taken['us-east-1']).toHaveLength(2);
  });

  it('reports the earliest record a region did not take, in the batch order', async () => {
    const { deps } = regions({ refuse: { 'eu-west-1': [1] } });
    const batch = [
      record('ap-southeast-1'),
      record('eu-west-1'),
      record('ap-southeast-1'),
      record('eu-west-1'),
    ];
    const outcome = await forwardRecords(batch, deps);
    // eu-west-1's second record is the batch's fourth.
    expect(outcome.firstFailure).toEqual({
      sequenceNumber: batch[3]?.sequenceNumber,
      region: 'eu-west-1',
      reason: "eu-west-1's stream did not take the record",
    });
  });

  it("fails from a down region's first record, whatever the other regions took", async () => {
    const { deps, taken } = regions({ down: ['eu-west-1'] });
    const batch = [record('ap-southeast-1'), record('eu-west-1'), record('ap-southeast-1')];
    const outcome = await forwardRecords(batch, deps);
    expect(outcome.firstFailure?.sequenceNumber).toBe(batch[1]?.sequenceNumber);
    expect(outcome.firstFailure?.reason).toMatch(/could not be reached: connect ECONNREFUSED/);
    expect(taken['ap-southeast-1']).toHaveLength(2);
  });
});

describe('the forwarder handler', () => {
  const context = { functionName: 'evalforge-forwarder', awsRequestId: 'r' } as unknown as Context;
  const eventOf = (records: TransitRecord[]): KinesisStreamEvent => ({
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: Buffer.from(r.data).toString('base64'),
        approximateArrivalTimestamp: Date.now() / 1000 - 1,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::111111111111:role/forwarder',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:111111111111:stream/evalforge-transit',
    })),
  });

  it('answers no failures when every record was taken, and the first failure otherwise', async () => {
    const { createForwarderHandler } = await import('../../../functions/forward/handler.js');
    const ok = createForwarderHandler(() => regions().deps);
    const batch = [record('eu-west-1'), record('eu-west-1')];
    await expect(ok(eventOf(batch), context)).resolves.toEqual({ batchItemFailures: [] });
    const down = createForwarderHandler(() => regions({ down: ['eu-west-1'] }).deps);
    await expect(down(eventOf(batch), context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: batch[0]?.sequenceNumber }],
    });
  });
});

describe('HOME_STREAMS and the Kinesis put', () => {
  const arn = (region: string) => `arn:aws:kinesis:${region}:111111111111:stream/evalforge-events`;

  it('reads region → stream ARN', () => {
    const text = JSON.stringify({ 'eu-west-1': arn('eu-west-1'), 'us-east-1': arn('us-east-1') });
    expect(HomeStreamsSchema.parse(text)).toEqual({
      'eu-west-1': arn('eu-west-1'),
      'us-east-1': arn('us-east-1'),
    });
  });

  it.each([
    ['text that is not JSON', '{', /is not JSON/],
    ['a key that is not a region', JSON.stringify({ europe: arn('eu-west-1') }), /region names/],
    ['a value that is not a stream ARN', JSON.stringify({ 'eu-west-1': 'evalforge-events' }), /stream ARNs/],
    [
      'an ARN of another region',
      JSON.stringify({ 'eu-west-1': arn('us-east-1') }),
      /in the region it is listed under/,
    ],
  ])('rejects %s', (_, text, message) => {
    const parsed = HomeStreamsSchema.safeParse(text);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });

  it('puts by ARN through the region’s client, in calls of at most 500, naming the records not taken', async () => {
    const calls: { region: string; count: number; arn: string | undefined }[] = [];
    const put = kinesisRegionPut(
      homeStreamTarget({ 'eu-west-1': arn('eu-west-1') }, (region) => ({
        send: (async (command: { input: { StreamARN?: string; Records?: unknown[] } }) => {
          const count = command.input.Records?.length ?? 0;
          calls.push({ region, count, arn: command.input.StreamARN });
          // The second record of each call is refused.
          return {
            Records: Array.from({ length: count }, (_, i) =>
              i === 1 ? { ErrorCode: 'ProvisionedThroughputExceededException' } : {},
            ),
          };
        }) as never,
      })),
    );
    const records = Array.from({ length: 700 }, (_, i) => ({
      data: Buffer.from([i % 256]),
      partitionKey: `k${i}`,
    }));
    const { failedIndexes } = await put('eu-west-1', records);
    expect(calls).toEqual([
      { region: 'eu-west-1', count: 500, arn: arn('eu-west-1') },
      { region: 'eu-west-1', count: 200, arn: arn('eu-west-1') },
    ]);
    expect(failedIndexes).toEqual([1, 501]);
    await expect(put('ap-southeast-1', records)).rejects.toThrow(/no stream for region ap-southeast-1/);
  });
});
