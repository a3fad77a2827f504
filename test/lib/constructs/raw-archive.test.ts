import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Stream } from 'aws-cdk-lib/aws-kinesis';
import { Code, Function as LambdaFunction, Runtime, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_ERROR_PREFIX,
  ARCHIVE_FILE_EXTENSION,
  ARCHIVE_PREFIX,
} from '../../../functions/shared/contract/archive-layout.js';
import { EventStream } from '../../../lib/constructs/event-stream.js';
import {
  LAMBDA_ON_FAILURE_PREFIX,
  RawArchive,
  type RawArchiveProps,
} from '../../../lib/constructs/raw-archive.js';
import { TIER_IDS, TIERS, type TierId } from '../../../lib/tiers.js';
import { DENY_INSECURE_TRANSPORT } from '../../helpers/cdk.js';

type Sizing = Omit<RawArchiveProps, 'stream'>;

/** A tier's archive slice as a stack passes it: the lifecycle spread in. */
function sizingOf(tierId: TierId): Sizing {
  const { lifecycle, ...buffering } = TIERS[tierId].archive;
  return { ...buffering, ...lifecycle };
}

const TIER_1 = sizingOf(1);

/** A stack with the event stream and an archive of it; the archive's ids as a stack would give them. */
function build(sizing: Sizing): { app: App; stack: Stack; stream: Stream; archive: RawArchive } {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const { stream } = new EventStream(stack, 'Stream', {
    mode: 'provisioned',
    shardCount: 2,
    retentionHours: 24,
  });
  const archive = new RawArchive(stack, 'Archive', { stream, ...sizing });
  return { app, stack, stream, archive };
}

/** The logical ID of an L2's CloudFormation resource. */
function logicalId(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId);
}

describe.each(TIER_IDS)('RawArchive, tier %i', (tierId) => {
  const sizing = sizingOf(tierId);
  const { stack, stream, archive } = build(sizing);
  const template = Template.fromStack(stack);
  const bucketId = logicalId(archive.bucket);
  const accessLogBucketId = logicalId(archive.accessLogBucket);

  it('has two buckets (archive and access logs) and one delivery stream', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
  });

  it('keeps both buckets private, encrypted, unversioned and retained', () => {
    for (const id of [bucketId, accessLogBucketId]) {
      const bucket = template.toJSON().Resources[id];
      expect(bucket).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        },
      });
      expect(bucket.Properties).not.toHaveProperty('VersioningConfiguration');
      expect(bucket.Properties).not.toHaveProperty('AccessControl');
    }
  });

  it('refuses plain HTTP on both buckets', () => {
    for (const id of [bucketId, accessLogBucketId]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([DENY_INSECURE_TRANSPORT]),
        },
      });
    }
  });

  it('logs archive access to the access-log bucket, which S3 may write by bucket policy', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogBucketId } },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
            }),
          }),
        ]),
      },
    });
  });

  it('moves archive objects to Standard-IA, then Deep Archive, then deletes them, on the tier’s days', () => {
    const { infrequentAccessAfterDays, deepArchiveAfterDays, expireAfterDays } = sizing;
    expect(template.toJSON().Resources[bucketId].Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'archive-tiers',
          Status: 'Enabled',
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: infrequentAccessAfterDays },
            { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: deepArchiveAfterDays },
          ],
          ExpirationInDays: expireAfterDays,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
  });

  it('delivers the event stream to the archive under the layout’s prefixes, uncompressed, with its extension', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: { 'Fn::GetAtt': [logicalId(stream), 'Arn'] },
      },
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [bucketId, 'Arn'] },
        Prefix: ARCHIVE_PREFIX,
        ErrorOutputPrefix: ARCHIVE_ERROR_PREFIX,
        CompressionFormat: 'UNCOMPRESSED',
        FileExtension: ARCHIVE_FILE_EXTENSION,
      },
    });
  });

  it('buffers as the tier says and logs delivery errors to CloudWatch', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: {
        BufferingHints: { SizeInMBs: sizing.bufferSizeMiB, IntervalInSeconds: sizing.bufferIntervalSec },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: Match.anyValue() },
      },
    });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('RawArchive, loader failures', () => {
  // A stand-in for the loader: the point is the grants and the mapping's destination.
  const { stack, stream, archive } = build(TIER_1);
  const loader = new LambdaFunction(stack, 'Loader', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('export const handler = async () => ({});'),
  });
  loader.addEventSource(
    new KinesisEventSource(stream, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      onFailure: archive.loaderFailureDestination(),
    }),
  );
  const template = Template.fromStack(stack);
  const bucketArn = { 'Fn::GetAtt': [logicalId(archive.bucket), 'Arn'] };
  const failureObjects = { 'Fn::Join': ['', [bucketArn, `/${LAMBDA_ON_FAILURE_PREFIX}*`]] };

  it('sends batches the loader gives up on to the archive bucket', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: { OnFailure: { Destination: bucketArn } },
    });
  });

  it('lets the loader write and list its failure records, and nothing of the archive itself', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalId(loader.role as IConstruct) }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const s3 = statements.filter((statement) => [statement.Action].flat().some((a) => a.startsWith('s3:')));
    expect(s3).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['s3:PutObject']),
          Resource: failureObjects,
        }),
        expect.objectContaining({
          Action: expect.arrayContaining(['s3:List*']),
          Resource: [bucketArn, failureObjects],
        }),
      ]),
    );
    const actions = s3.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
    // Every S3 resource granted is the bucket itself (for ListBucket) or the failure records.
    const resources = new Set(
      s3.flatMap((statement) => [statement.Resource].flat()).map((r) => JSON.stringify(r)),
    );
    expect([...resources].sort()).toEqual([JSON.stringify(bucketArn), JSON.stringify(failureObjects)].sort());
  });

  it('names where failures land, since Lambda takes no prefix', () => {
    expect(LAMBDA_ON_FAILURE_PREFIX).toBe('aws/lambda/');
  });
});

describe('RawArchive props', () => {
  it.each<[string, Partial<Sizing>, RegExp]>([
    ['a buffer of 0 MiB', { bufferSizeMiB: 0 }, /bufferSizeMiB/],
    ['a buffer over 128 MiB', { bufferSizeMiB: 129 }, /bufferSizeMiB/],
    ['a fractional buffer size', { bufferSizeMiB: 1.5 }, /bufferSizeMiB/],
    ['a negative buffer interval', { bufferIntervalSec: -1 }, /bufferIntervalSec/],
    ['a buffer interval over 900 s', { bufferIntervalSec: 901 }, /bufferIntervalSec/],
    ['Standard-IA before day 30', { infrequentAccessAfterDays: 29 }, /infrequentAccessAfterDays/],
    [
      'Deep Archive no later than Standard-IA',
      { infrequentAccessAfterDays: 60, deepArchiveAfterDays: 60, expireAfterDays: 365 },
      /^deepArchiveAfterDays must be an integer at least 30 days after infrequentAccessAfterDays \(60\), got 60$/,
    ],
    [
      'Deep Archive under 30 days after Standard-IA',
      { infrequentAccessAfterDays: 30, deepArchiveAfterDays: 59, expireAfterDays: 365 },
      /^deepArchiveAfterDays .* got 59$/,
    ],
    [
      'expiry no later than Deep Archive',
      { infrequentAccessAfterDays: 30, deepArchiveAfterDays: 90, expireAfterDays: 90 },
      /^expireAfterDays must be an integer at least 180 days after deepArchiveAfterDays \(90\)/,
    ],
    [
      'expiry before Deep Archive’s 180-day minimum',
      { infrequentAccessAfterDays: 30, deepArchiveAfterDays: 90, expireAfterDays: 269 },
      /^expireAfterDays .*minimum storage duration.* got 269$/,
    ],
  ])('rejects %s', (_name, override, message) => {
    expect(() => build({ ...TIER_1, ...override })).toThrow(message);
  });

  it.each<[string, Sizing]>([
    [
      '1 MiB and 0 s, Deep Archive 30 days after Standard-IA, expiry 180 days after it',
      {
        bufferSizeMiB: 1,
        bufferIntervalSec: 0,
        infrequentAccessAfterDays: 30,
        deepArchiveAfterDays: 60,
        expireAfterDays: 240,
      },
    ],
    ['128 MiB and 900 s', { ...TIER_1, bufferSizeMiB: 128, bufferIntervalSec: 900 }],
  ])('takes the bounds themselves: %s', (_name, sizing) => {
    expect(() => build(sizing)).not.toThrow();
  });
});

describe('RawArchive and cdk-nag', () => {
  it('has no unacknowledged AwsSolutions findings', () => {
    const { app } = build(sizingOf(4));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails a stack with an unacknowledged finding (the check above can fail)', () => {
    const { app, stack } = build(TIER_1);
    new Bucket(stack, 'Unlogged', { enforceSSL: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
