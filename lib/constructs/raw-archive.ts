import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import {
  Compression,
  DeliveryStream,
  EnableLogging,
  KinesisStreamSource,
  S3Bucket,
} from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IEventSourceDlq } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type CfnBucket, StorageClass } from 'aws-cdk-lib/aws-s3';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import {
  ARCHIVE_ERROR_PREFIX,
  ARCHIVE_FILE_EXTENSION,
  ARCHIVE_PREFIX,
} from '../../functions/shared/contract/archive-layout.js';
import { PRIVATE_BUCKET } from './private-bucket.js';

/**
 * Where Lambda puts an event source mapping's failed batches in an S3 on-failure destination:
 * `aws/lambda/<mapping UUID>/<shard id>/yyyy/MM/dd/yyyy-MM-ddTHH.mm.ss-<uuid>`, one JSON object
 * per batch with the batch's shard, sequence numbers and the whole invocation payload
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
 */
export const LAMBDA_ON_FAILURE_PREFIX = 'aws/lambda/';

/** Transition days Amazon S3 accepts: Standard-IA from day 30, Deep Archive 30 days after Standard-IA. */
const MIN_INFREQUENT_ACCESS_DAYS = 30;
const MIN_DAYS_IN_INFREQUENT_ACCESS = 30;
/** S3 Glacier Deep Archive bills an object for at least 180 days: deleting it sooner costs the rest anyway. */
const MIN_DAYS_IN_DEEP_ARCHIVE = 180;
/** Firehose buffering hints for an S3 destination without format conversion or dynamic partitioning. */
const BUFFER_SIZE_MIB = { min: 1, max: 128 } as const;
const BUFFER_INTERVAL_SEC = { min: 0, max: 900 } as const;
/** Incomplete multipart uploads (Firehose's, or an operator's) are billed until aborted. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

/**
 * The archive's sizing: `TierSpec['archive']` with its lifecycle spread in
 * (`{ stream, bufferSizeMiB, bufferIntervalSec, ...lifecycle }`), and the stream it reads.
 */
export interface RawArchiveProps {
  /** The event stream the delivery stream reads. */
  readonly stream: IStream;
  /** Firehose writes an object once this much has arrived: an integer from 1 to 128 MiB. */
  readonly bufferSizeMiB: number;
  /** …or once the oldest buffered record is this old: an integer from 0 to 900 s. */
  readonly bufferIntervalSec: number;
  /** Days after creation an object moves from Standard to Standard-IA: an integer from 30 (S3 refuses fewer). */
  readonly infrequentAccessAfterDays: number;
  /**
   * Days after creation an object moves on to S3 Glacier Deep Archive: at least 30 days after
   * `infrequentAccessAfterDays` (S3 refuses fewer).
   */
  readonly deepArchiveAfterDays: number;
  /**
   * Days after creation an object is deleted: at least 180 days after `deepArchiveAfterDays`,
   * Deep Archive's minimum storage duration (an earlier deletion is charged the remaining days).
   */
  readonly expireAfterDays: number;
}

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be an integer ${range}, got ${value}`);
  }
}

function checkProps(props: RawArchiveProps): void {
  checkInteger('bufferSizeMiB', props.bufferSizeMiB, BUFFER_SIZE_MIB.min, BUFFER_SIZE_MIB.max);
  checkInteger(
    'bufferIntervalSec',
    props.bufferIntervalSec,
    BUFFER_INTERVAL_SEC.min,
    BUFFER_INTERVAL_SEC.max,
  );
  const { infrequentAccessAfterDays: ia, deepArchiveAfterDays: deep, expireAfterDays: expire } = props;
  checkInteger('infrequentAccessAfterDays', ia, MIN_INFREQUENT_ACCESS_DAYS);
  if (!Number.isInteger(deep) || deep < ia + MIN_DAYS_IN_INFREQUENT_ACCESS) {
    throw new Error(
      `deepArchiveAfterDays must be an integer at least ${MIN_DAYS_IN_INFREQUENT_ACCESS} days after infrequentAccessAfterDays (${ia}), got ${deep}`,
    );
  }
  if (!Number.isInteger(expire) || expire < deep + MIN_DAYS_IN_DEEP_ARCHIVE) {
    throw new Error(
      `expireAfterDays must be an integer at least ${MIN_DAYS_IN_DEEP_ARCHIVE} days after deepArchiveAfterDays (${deep}), Deep Archive's minimum storage duration (an earlier deletion is charged the rest), got ${expire}`,
    );
  }
}

/**
 * The raw archive: every stream record, as the client sent it, in S3 under the key layout of
 * `functions/shared/contract/archive-layout.ts`, delivered by a Firehose delivery stream that reads the
 * event stream. It is the system's record of truth: ClickHouse can be rebuilt from it.
 *
 * The bucket blocks public access, refuses plain HTTP, encrypts with S3-managed keys, logs access
 * to a bucket of its own, and is retained when its stack is deleted. Versioning is off, on
 * purpose: Firehose writes every object once, under a key that ends in a fresh UUID, and nothing
 * rewrites objects, so versions would guard only against deletes. Inside this construct only
 * Firehose's role may delete (a grant the Firehose L2 makes), and versioning would leave
 * noncurrent versions and delete markers for the lifecycle rule to expire as well.
 */
export class RawArchive extends Construct {
  /** The archive bucket. */
  readonly bucket: Bucket;
  /** The bucket its server access logs go to. */
  readonly accessLogBucket: Bucket;
  /** Kinesis → S3. */
  readonly deliveryStream: DeliveryStream;

  constructor(scope: Construct, id: string, props: RawArchiveProps) {
    super(scope, id);
    checkProps(props);
    // S3 delivers access logs by a bucket policy rather than the LogDeliveryWrite ACL, so the log
    // bucket can keep ACLs disabled, whatever the app's feature flags say.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      ...PRIVATE_BUCKET,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(props.expireAfterDays),
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
        },
      ],
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      versioned: false,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          // The whole bucket: archive objects, Firehose's error output and the loader's failures.
          id: 'archive-tiers',
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.infrequentAccessAfterDays),
            },
            {
              // Read only to rebuild or replay, which can wait the up to 48 hours of a restore.
              storageClass: StorageClass.DEEP_ARCHIVE,
              transitionAfter: Duration.days(props.deepArchiveAfterDays),
            },
          ],
          expiration: Duration.days(props.expireAfterDays),
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
        },
      ],
    });

    const deliveryLogs = new LogGroup(this, 'DeliveryLogs', { retention: RetentionDays.THREE_MONTHS });

    // No server-side encryption on the delivery stream itself: Firehose refuses it with a Kinesis
    // stream as the source (the L2 throws ServerSideEncryptionNotSupportedWithKinesisSource).
    // Records are encrypted at rest in the stream (KMS) and in the bucket (SSE-S3), and Firehose
    // holds them only in its buffer between the two.
    this.deliveryStream = new DeliveryStream(this, 'DeliveryStream', {
      source: new KinesisStreamSource(props.stream),
      destination: new S3Bucket(this.bucket, {
        dataOutputPrefix: ARCHIVE_PREFIX,
        errorOutputPrefix: ARCHIVE_ERROR_PREFIX,
        // Records are gzip members already: compressing again would gain nothing, and the
        // extension names what the concatenated members are.
        compression: Compression.UNCOMPRESSED,
        fileExtension: ARCHIVE_FILE_EXTENSION,
        bufferingSize: Size.mebibytes(props.bufferSizeMiB),
        bufferingInterval: Duration.seconds(props.bufferIntervalSec),
        loggingConfig: new EnableLogging(deliveryLogs),
      }),
    });
    this.acknowledgeFirehoseFindings();
  }

  /** What cdk-nag reports on the delivery stream that this construct cannot change, and why. */
  private acknowledgeFirehoseFindings(): void {
    const findings = Validations.of(this.deliveryStream);
    findings.acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose refuses server-side encryption on a delivery stream whose source is a Kinesis data stream; records are encrypted at rest in the stream (KMS, alias/aws/kinesis) and in the bucket (SSE-S3).',
    });
    // The S3 destination grants its role bucket.grantReadWrite(role) in S3Bucket.bind, even when
    // given a role of our own, so these wildcards cannot be narrowed from here.
    const why =
      'Firehose needs s3:AbortMultipartUpload, GetBucketLocation, GetObject, ListBucket, ListBucketMultipartUploads and PutObject on its destination bucket; the Firehose L2 S3 destination grants them as bucket.grantReadWrite(), whose wildcards cannot be narrowed';
    const bucketLogicalId: string = Stack.of(this).resolve(
      (this.bucket.node.defaultChild as CfnBucket).logicalId,
    );
    for (const [finding, detail] of [
      ['Action::s3:GetObject*', 'GetObject'],
      ['Action::s3:GetBucket*', 'GetBucketLocation'],
      ['Action::s3:List*', 'ListBucket and ListBucketMultipartUploads'],
      ['Action::s3:Abort*', 'AbortMultipartUpload'],
      ['Action::s3:DeleteObject*', 'not needed by Firehose, part of the grant; on the archive bucket only'],
      [`Resource::<${bucketLogicalId}.Arn>/*`, 'object keys are chosen by Firehose at delivery time'],
    ] as const) {
      findings.acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: `${why} (${detail}).` });
    }
  }

  /**
   * The on-failure destination for the loader's event source mapping
   * (`new KinesisEventSource(stream, { onFailure: archive.loaderFailureDestination() })`): this
   * bucket. Lambda writes each batch it gives up on as one JSON object under
   * `LAMBDA_ON_FAILURE_PREFIX` (it takes no prefix of ours);
   * the object carries the shard, the sequence-number range and the invocation payload with the
   * records themselves, so the batch can be replayed from it.
   *
   * Unlike `S3OnFailureDestination`, which grants the function read and write (and delete) on the
   * whole bucket, this grants what Lambda needs (`s3:PutObject` and `s3:ListBucket`) and reads
   * of its own failure records only, never of the archive's objects.
   */
  loaderFailureDestination(): IEventSourceDlq {
    const bucket = this.bucket;
    return {
      bind(_target, handler) {
        bucket.grantPut(handler, `${LAMBDA_ON_FAILURE_PREFIX}*`);
        bucket.grantRead(handler, `${LAMBDA_ON_FAILURE_PREFIX}*`);
        const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnBucket);
        for (const finding of [
          'Action::s3:List*',
          'Action::s3:GetObject*',
          'Action::s3:GetBucket*',
          'Action::s3:Abort*',
          `Resource::<${bucketId}.Arn>/${LAMBDA_ON_FAILURE_PREFIX}*`,
        ]) {
          Validations.of(handler).acknowledge({
            id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
            reason: `The function records failed batches under Lambda's own ${LAMBDA_ON_FAILURE_PREFIX} prefix of the archive bucket and reads them back; CDK's S3 grants name these actions with wildcards, and the prefix is the resource.`,
          });
        }
        return { destination: bucket.bucketArn };
      },
    };
  }
}
