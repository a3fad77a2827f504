import { Duration } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { grantClickHouseAccess } from './clickhouse/client-access.js';
import { CLICKHOUSE_USERS } from './clickhouse/users-config.js';
import { EvalForgeFunction } from './evalforge-function.js';

export interface LoaderFunctionProps {
  readonly vpc: IVpc;
  /** The security group ClickHouse accepts clients from. */
  readonly clientSecurityGroup: ISecurityGroup;
  readonly stream: IStream;
  /** ClickHouse's HTTP(S) endpoint. */
  readonly clickhouseUrl: string;
  /** The loader user's password, a plain-text secret. */
  readonly passwordSecret: ISecret;
  /**
   * The cluster's CA certificate, for HTTPS inside the VPC.
   * @default - none: the endpoint is plain HTTP or publicly trusted
   */
  readonly caCertificate?: string;
  /**
   * Each shard's replica URLs: each project's rows go to the shard that owns it, on its local
   * tables (functions/shared/load/clients.ts).
   * @default - inserts through `clickhouseUrl`'s Distributed tables
   */
  readonly shardUrls?: readonly (readonly string[])[];
  /** Where batches that exhaust their retries are recorded (the event source's on-failure destination). */
  readonly failureDestination: IEventSourceDlq;
  readonly memoryMiB: number;
  readonly timeoutSec: number;
  /** Records per invocation, 1–10,000. */
  readonly batchSize: number;
  readonly maxBatchingWindowSec: number;
  /** Concurrent batches per shard, 1–10. */
  readonly parallelizationFactor: number;
  /** -1: retry until the record is older than `maxRecordAgeSec`. */
  readonly maxRetryAttempts: number;
  /** 60–604,800 s. */
  readonly maxRecordAgeSec: number;
}

/**
 * Kinesis → ClickHouse: the loader function in the VPC, next to ClickHouse, fed by the stream's
 * event source mapping. A failed batch is bisected and retried, one batch per shard at a time (so
 * a shard's records load in order), and the function reports item failures; a batch that
 * exhausts its retries or outlives its maximum age is recorded at the failure destination, from
 * where it can be replayed out of the raw archive.
 */
export class LoaderFunction extends Construct {
  readonly function: EvalForgeFunction;

  constructor(scope: Construct, id: string, props: LoaderFunctionProps) {
    super(scope, id);
    if (!Number.isInteger(props.batchSize) || props.batchSize < 1 || props.batchSize > 10_000) {
      throw new Error(`batchSize must be 1–10,000, got ${props.batchSize}`);
    }
    if (props.maxBatchingWindowSec < 0 || props.maxBatchingWindowSec > 300) {
      throw new Error(`maxBatchingWindowSec must be 0–300, got ${props.maxBatchingWindowSec}`);
    }
    if (props.maxRetryAttempts < -1 || props.maxRetryAttempts > 10_000) {
      throw new Error(
        `maxRetryAttempts must be -1 (until the record expires) to 10,000, got ${props.maxRetryAttempts}`,
      );
    }
    this.function = new EvalForgeFunction(this, 'Function', {
      name: 'load',
      memoryMiB: props.memoryMiB,
      timeoutSec: props.timeoutSec,
      vpc: props.vpc,
      securityGroups: [props.clientSecurityGroup],
    });
    grantClickHouseAccess(this.function, {
      url: props.clickhouseUrl,
      user: CLICKHOUSE_USERS.loader,
      passwordSecret: props.passwordSecret,
      ...(props.caCertificate === undefined ? {} : { caCertificate: props.caCertificate }),
      ...(props.shardUrls === undefined ? {} : { shardUrls: props.shardUrls }),
    });
    this.function.addEventSource(
      new KinesisEventSource(props.stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize,
        maxBatchingWindow: Duration.seconds(props.maxBatchingWindowSec),
        parallelizationFactor: props.parallelizationFactor,
        bisectBatchOnError: true,
        retryAttempts: props.maxRetryAttempts === -1 ? undefined : props.maxRetryAttempts,
        maxRecordAge: Duration.seconds(props.maxRecordAgeSec),
        reportBatchItemFailures: true,
        onFailure: props.failureDestination,
      }),
    );
  }
}
