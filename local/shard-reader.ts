import {
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';

/** One Kinesis record as a consumer sees it. */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly approximateArrivalTimestamp: Date;
}

/** The stream's ARN and its open shards, in id order. */
export async function describeShards(
  kinesis: KinesisClient,
  streamName: string,
): Promise<{ streamArn: string; shardIds: string[] }> {
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const streamArn = summary.StreamDescriptionSummary?.StreamARN;
  if (!streamArn) throw new Error(`stream ${streamName} has no ARN`);
  const shardIds: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesis.send(
      nextToken
        ? new ListShardsCommand({ NextToken: nextToken })
        : new ListShardsCommand({ StreamName: streamName }),
    );
    for (const shard of page.Shards ?? []) {
      // A closed shard (one split or merged away) has an ending sequence number; this runtime
      // never reshards, so every shard is open.
      if (shard.ShardId && shard.SequenceNumberRange?.EndingSequenceNumber === undefined)
        shardIds.push(shard.ShardId);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { streamArn, shardIds: shardIds.sort() };
}

/**
 * Reads one shard in order from just after a sequence number (or from its oldest record),
 * renewing the shard iterator when it expires: Kinesis iterators live five minutes, and a
 * consumer retrying a failed batch can hold one longer than that.
 */
/**
 * What one GetRecords call should return at most: Kinesis caps a call at 10 MB, and the local API
 * does not, so the reader asks for as many records as fit, by the sizes it has seen.
 */
export const GET_RECORDS_TARGET_BYTES = 8 * 1024 * 1024;

export class ShardReader {
  private iterator: string | undefined;
  /** Running average of record sizes: starts at the largest a record can be (1 MiB). */
  private averageRecordBytes = 1024 * 1024;
  private lastRead: string | undefined;
  /** How far the last read was behind the shard's newest record; 0 means caught up. */
  millisBehindLatest = 0;

  constructor(
    private readonly kinesis: KinesisClient,
    private readonly streamName: string,
    readonly shardId: string,
    after: string | undefined,
  ) {
    this.lastRead = after;
  }

  /** The next records, at most `limit`; an empty list when the reader is at the shard's end. */
  async read(limit: number): Promise<StreamRecord[]> {
    for (let attempt = 0; ; attempt++) {
      this.iterator ??= await this.newIterator();
      try {
        const result = await this.kinesis.send(
          new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }),
        );
        this.iterator = result.NextShardIterator;
        this.millisBehindLatest = result.MillisBehindLatest ?? 0;
        const records = (result.Records ?? []).map(
          (record): StreamRecord => ({
            shardId: this.shardId,
            sequenceNumber: record.SequenceNumber ?? '',
            partitionKey: record.PartitionKey ?? '',
            data: Buffer.from(record.Data ?? new Uint8Array()),
            approximateArrivalTimestamp: record.ApproximateArrivalTimestamp ?? new Date(),
          }),
        );
        const last = records.at(-1);
        if (last) this.lastRead = last.sequenceNumber;
        for (const record of records) {
          this.averageRecordBytes = Math.max(1, this.averageRecordBytes * 0.8 + record.data.length * 0.2);
        }
        return records;
      } catch (error) {
        if (!(error instanceof ExpiredIteratorException) || attempt > 0) throw error;
        this.iterator = undefined;
      }
    }
  }

  private async newIterator(): Promise<string> {
    const result = await this.kinesis.send(
      new GetShardIteratorCommand(
        this.lastRead === undefined
          ? { StreamName: this.streamName, ShardId: this.shardId, ShardIteratorType: 'TRIM_HORIZON' }
          : {
              StreamName: this.streamName,
              ShardId: this.shardId,
              ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
              StartingSequenceNumber: this.lastRead,
            },
      ),
    );
    if (!result.ShardIterator) throw new Error(`no shard iterator for ${this.streamName}/${this.shardId}`);
    return result.ShardIterator;
  }
}
