import { Duration, Stack, Token } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { EvalForgeFunction } from './evalforge-function.js';

/** What the forwarder may do on a home region's event stream: write records, and find its shards. */
export const FORWARDER_STREAM_ACTIONS = [
  'kinesis:PutRecord',
  'kinesis:PutRecords',
  'kinesis:DescribeStreamSummary',
  'kinesis:ListShards',
] as const;

export interface ForwarderFunctionProps {
  /** This region's transit stream: events the validator accepted for another home region. */
  readonly transitStream: IStream;
  /** This region's own event stream: a record whose header names no other home is put back there. */
  readonly ownStream: IStream;
  /**
   * The event stream of every other region of the tier, by region: `arn:aws:kinesis:<region>:…`.
   * Those streams are encrypted with the AWS-managed key `alias/aws/kinesis`, which any principal
   * of the account may use through Kinesis: no KMS grant is needed across regions.
   */
  readonly homeStreamArns: Readonly<Record<string, string>>;
  readonly memoryMiB: number;
  readonly timeoutSec: number;
  /** Records per invocation, 1–10,000. */
  readonly batchSize: number;
  /** Concurrent batches per shard, 1–10. */
  readonly parallelizationFactor: number;
  /** -1: retry until the record is older than `maxRecordAgeSec`. */
  readonly maxRetryAttempts: number;
  /** 60–604,800 s. */
  readonly maxRecordAgeSec: number;
}

/**
 * Transit stream → home region: the forwarder reads the events this region accepted for a project
 * whose home is another region and puts each record, unchanged, into that region's event stream
 * (`HOME_STREAMS`), where its loader stores it once: the loader's insert is idempotent on the
 * event ids, so a record put twice by a retried batch is stored once. A failed batch is bisected
 * and retried, one batch per shard at a time (a shard's records stay in order), for as long as the
 * transit stream keeps a record: a home region that is down gets its events when it comes back.
 */
export class ForwarderFunction extends Construct {
  readonly function: EvalForgeFunction;

  constructor(scope: Construct, id: string, props: ForwarderFunctionProps) {
    super(scope, id);
    const arns = Object.values(props.homeStreamArns);
    // An ARN from another stack (the primary region's stream) is a token until deployed.
    if (arns.length === 0) {
      throw new Error(
        'ForwarderFunction: homeStreamArns is empty; give the event stream of each other region',
      );
    }
    for (const [region, arn] of Object.entries(props.homeStreamArns)) {
      if (Token.isUnresolved(arn)) continue;
      if (!arn.startsWith(`arn:aws:kinesis:${region}:`) || !arn.includes(':stream/')) {
        throw new Error(
          `ForwarderFunction: homeStreamArns.${region} must be a stream ARN in ${region}, got ${arn}`,
        );
      }
    }
    if (!Number.isInteger(props.batchSize) || props.batchSize < 1 || props.batchSize > 10_000) {
      throw new Error(`batchSize must be 1–10,000, got ${props.batchSize}`);
    }
    if (props.maxRecordAgeSec < 60 || props.maxRecordAgeSec > 604_800) {
      throw new Error(`maxRecordAgeSec must be 60–604,800, got ${props.maxRecordAgeSec}`);
    }
    this.function = new EvalForgeFunction(this, 'Function', {
      name: 'forward',
      memoryMiB: props.memoryMiB,
      timeoutSec: props.timeoutSec,
      environment: {
        // This region's own stream too: a record that names no other home is put back here.
        HOME_STREAMS: Stack.of(this).toJsonString({
          ...props.homeStreamArns,
          [Stack.of(this).region]: props.ownStream.streamArn,
        }),
      },
    });
    props.ownStream.grantWrite(this.function);
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: [...FORWARDER_STREAM_ACTIONS], resources: arns }),
    );
    this.function.addEventSource(
      new KinesisEventSource(props.transitStream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize,
        parallelizationFactor: props.parallelizationFactor,
        bisectBatchOnError: true,
        retryAttempts: props.maxRetryAttempts,
        maxRecordAge: Duration.seconds(props.maxRecordAgeSec),
        reportBatchItemFailures: true,
      }),
    );
  }
}
