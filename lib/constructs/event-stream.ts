import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';

/** Kinesis keeps records 24 hours at least and 365 days (8,760 hours) at most. */
const MIN_RETENTION_HOURS = 24;
const MAX_RETENTION_HOURS = 8_760;

export interface EventStreamProps {
  /**
   * `provisioned`: a fixed number of shards, billed per shard-hour. `on-demand`: Kinesis scales
   * the shards itself, billed per GB written and read.
   */
  readonly mode: 'provisioned' | 'on-demand';
  /**
   * Shards of a provisioned stream, an integer from 1. Required when `mode` is `provisioned` and
   * refused when it is `on-demand`.
   * @default - none: only an on-demand stream may leave it out
   */
  readonly shardCount?: number;
  /** How long records stay readable: an integer from 24 to 8,760 hours. */
  readonly retentionHours: number;
  /**
   * The stream's physical name, for producers in other regions that must compute its ARN. Setting
   * or changing it replaces the stream.
   * @default - a name CloudFormation generates
   */
  readonly streamName?: string;
}

/**
 * The event stream: the Kinesis data stream the validators write accepted batches to and the
 * archive's Firehose and the loader read from. Records are encrypted at rest with the AWS-managed
 * key `alias/aws/kinesis` (no key of our own to pay for, rotate or grant). The stream is
 * retained when its stack is deleted. Its construct id never depends on the size, so changing
 * the shard count or the mode updates the same stream in place.
 */
export class EventStream extends Construct {
  /** The data stream; grant producers `stream.grantWrite(fn)` and consumers `stream.grantRead(fn)`. */
  readonly stream: Stream;

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    const { mode, shardCount, retentionHours } = props;
    if (mode !== 'provisioned' && mode !== 'on-demand') {
      throw new Error(`mode must be 'provisioned' or 'on-demand', got ${JSON.stringify(mode)}`);
    }
    if (
      mode === 'provisioned' &&
      (shardCount === undefined || !Number.isInteger(shardCount) || shardCount < 1)
    ) {
      throw new Error(`shardCount must be an integer from 1 for a provisioned stream, got ${shardCount}`);
    }
    if (mode === 'on-demand' && shardCount !== undefined) {
      throw new Error(`shardCount must be left out for an on-demand stream, got ${shardCount}`);
    }
    if (
      !Number.isInteger(retentionHours) ||
      retentionHours < MIN_RETENTION_HOURS ||
      retentionHours > MAX_RETENTION_HOURS
    ) {
      throw new Error(
        `retentionHours must be an integer from ${MIN_RETENTION_HOURS} to ${MAX_RETENTION_HOURS}, got ${retentionHours}`,
      );
    }

    this.stream = new Stream(this, 'Stream', {
      streamMode: mode === 'provisioned' ? StreamMode.PROVISIONED : StreamMode.ON_DEMAND,
      shardCount: mode === 'provisioned' ? shardCount : undefined,
      retentionPeriod: Duration.hours(retentionHours),
      encryption: StreamEncryption.MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.streamName === undefined ? {} : { streamName: props.streamName }),
    });
  }
}
