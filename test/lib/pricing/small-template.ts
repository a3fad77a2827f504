/**
 * A hand-built template with a few resources of each priced kind, tagged as the stack tags them:
 * fast to price at any tier's ceiling, for the report and renderer tests (no synthesis).
 */
import { CLICKHOUSE_COLD_WORKLOAD, COST_TAGS } from '../../../lib/pricing/cost-tags.js';
import type { TemplateJson } from '../../../lib/pricing/inventory.js';

const tags = (component: string) => [{ Key: COST_TAGS.component, Value: component }];

export const SMALL_TEMPLATE: TemplateJson = {
  Resources: {
    Alb: {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: { Type: 'application', Tags: tags('ingest') },
    },
    ValidatorFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: { MemorySize: 1_024, Architectures: ['arm64'], Tags: tags('ingest') },
      Metadata: { 'aws:cdk:path': 'EvalForge/Validator/Function/Resource' },
    },
    Stream: {
      Type: 'AWS::Kinesis::Stream',
      Properties: { ShardCount: 3, RetentionPeriodHours: 24, Tags: tags('stream') },
    },
    Firehose: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: {
        ExtendedS3DestinationConfiguration: {
          BucketARN: { 'Fn::GetAtt': ['Archive', 'Arn'] },
          BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 300 },
        },
        Tags: tags('archive'),
      },
    },
    Archive: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        LifecycleConfiguration: {
          Rules: [
            {
              Status: 'Enabled',
              ExpirationInDays: 730,
              Transitions: [
                { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
                { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 90 },
              ],
            },
          ],
        },
        Tags: tags('archive'),
      },
    },
    Node1: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'c5.xlarge', Tags: tags('analytics') } },
    Node2: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'c5.xlarge', Tags: tags('analytics') } },
    // Each node's data volume (the hot volume): two shards of one replica.
    ClickHouseShard1Replica1Data: {
      Type: 'AWS::EC2::Volume',
      Properties: { VolumeType: 'gp3', Size: 2_000, Tags: tags('analytics') },
    },
    ClickHouseShard2Replica1Data: {
      Type: 'AWS::EC2::Volume',
      Properties: { VolumeType: 'gp3', Size: 2_000, Tags: tags('analytics') },
    },
    // Their S3 disk (the warm volume), and the retention the migrations resource applies.
    ColdBucket: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        Tags: [...tags('analytics'), { Key: COST_TAGS.workload, Value: CLICKHOUSE_COLD_WORKLOAD }],
      },
    },
    Migrations: {
      Type: 'Custom::ClickHouseMigrations',
      Properties: {
        Retention: {
          HotDays: '2',
          WarmDays: '88',
          BodiesDays: '7',
          MinuteRollupDays: '35',
          HourRollupDays: '400',
          TtlMergeTimeoutSec: '1800',
        },
      },
    },
  },
};
