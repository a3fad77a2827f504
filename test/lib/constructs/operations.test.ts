import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { DeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_METRICS } from '../../../functions/shared/metrics-catalog.js';
import { type AlarmName, alarmThresholds } from '../../../lib/alarm-thresholds.js';
import { AccessLogBucket } from '../../../lib/constructs/access-log-bucket.js';
import { dataNodeName, dataNodes } from '../../../lib/constructs/clickhouse/cluster-layout.js';
import { IngestLoadBalancer } from '../../../lib/constructs/ingest-load-balancer.js';
import { Operations, type OperationsProps } from '../../../lib/constructs/operations.js';
import { TIER_IDS, TIERS, type TierSpec } from '../../../lib/tiers.js';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';

function build(tier: TierSpec, extra: Partial<Pick<OperationsProps, 'alarmEmail' | 'costEstimate'>> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const lambda = (id: string) =>
    new LambdaFunction(stack, id, {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    });
  const validator = lambda('Validator');
  const query = lambda('Query');
  const certificate = Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN);
  const accessLogs = new AccessLogBucket(stack, 'AccessLogs');
  const loadBalancers = Array.from(
    { length: tier.ingest.albCount },
    (_, i) =>
      new IngestLoadBalancer(stack, `Alb${i + 1}`, {
        vpc,
        certificate,
        validator,
        query,
        accessLogs: accessLogs.bucket,
      }),
  );
  const operations = new Operations(stack, 'Operations', {
    tier,
    stream: new Stream(stack, 'Stream'),
    validator,
    loader: lambda('Loader'),
    query,
    loadBalancers,
    deliveryStream: DeliveryStream.fromDeliveryStreamName(stack, 'Firehose', 'archive'),
    clickhouseNodes: dataNodes(tier.clickhouse).map(dataNodeName),
    ...extra,
  });
  return { template: Template.fromStack(stack), operations };
}

/** The alarm's name in `alarmThresholds`, from its `AlarmName` (`<stack>-<name>[-<alb or node>]`). */
const thresholdName = (alarmName: string) => alarmName.split('-')[1] as AlarmName;

describe.each(TIER_IDS.map((id) => [id, TIERS[id]] as const))('tier %i', (_, tier) => {
  const { template } = build(tier);
  const thresholds = alarmThresholds(tier);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (r) => r.Properties as Record<string, unknown> & { AlarmName: string },
  );

  it('sets every alarm at the threshold alarmThresholds gives for the tier', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      const expected = thresholds[thresholdName(alarm.AlarmName)];
      if (expected === undefined) throw new Error(`${alarm.AlarmName}: no such alarm in tier ${tier.id}`);
      expect({ name: alarm.AlarmName, threshold: alarm.Threshold }).toEqual({
        name: alarm.AlarmName,
        threshold: expected.threshold,
      });
      expect(alarm.ComparisonOperator).toBe(
        expected.comparison === 'above' ? 'GreaterThanThreshold' : 'LessThanThreshold',
      );
      expect(alarm.EvaluationPeriods).toBe(expected.evaluationPeriods);
      expect(alarm.TreatMissingData).toBe(expected.missingData);
    }
  });

  it('has every alarm of alarmThresholds: one per load balancer for 5xx, one per data node for disk, reachability and (replicated tiers) replication queue age', () => {
    const counts = alarms.reduce<Record<string, number>>((c, a) => {
      const name = thresholdName(a.AlarmName);
      c[name] = (c[name] ?? 0) + 1;
      return c;
    }, {});
    const nodes = tier.clickhouse.shards * tier.clickhouse.replicas;
    expect(counts).toEqual(
      Object.fromEntries(
        Object.keys(thresholds).map((name) => [
          name,
          name === 'alb5xxRate' || name === 'query5xxRate'
            ? tier.ingest.albCount
            : name === 'clickhouseDiskFree' ||
                name === 'clickhouseNodeUnreachable' ||
                name === 'clickhouseReplicationQueueAge'
              ? nodes
              : 1,
        ]),
      ),
    );
  });

  it("alarms on the stream's bytes and records a minute, at 80% of the shards' limits", () => {
    if (tier.stream.mode !== 'provisioned') return;
    const shards = tier.stream.shardCount;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IncomingBytes',
      Namespace: 'AWS/Kinesis',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0.8 * shards * 1_048_576 * 60,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IncomingRecords',
      Threshold: 0.8 * shards * 1_000 * 60,
    });
  });

  it("reads the dead letters and the nodes' disk from the functions' metrics", () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'EvalForge',
      MetricName: 'DeadLetters',
      Dimensions: [{ Name: 'service', Value: 'loader' }],
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'EvalForge',
      MetricName: 'DiskFreeRatio',
      Dimensions: Match.arrayWith([
        { Name: 'disk', Value: 'default' },
        { Name: 'node', Value: 's1r1' },
        { Name: 'service', Value: 'clickhouse-health' },
      ]),
      Threshold: 0.2,
    });
  });

  it("alarms on each replica's oldest replication queue entry only where shards have replicas", () => {
    const queueAlarms = alarms.filter((a) => thresholdName(a.AlarmName) === 'clickhouseReplicationQueueAge');
    if (tier.clickhouse.replicas === 1) {
      expect(queueAlarms).toEqual([]);
      return;
    }
    expect(queueAlarms).toHaveLength(tier.clickhouse.shards * tier.clickhouse.replicas);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'EvalForge',
      MetricName: 'ReplicationQueueOldestAgeSec',
      Dimensions: Match.arrayWith([
        { Name: 'node', Value: 's1r2' },
        { Name: 'service', Value: 'clickhouse-health' },
      ]),
      Statistic: 'Minimum',
      Threshold: 4 * tier.retention.ttlMergeTimeoutSec,
    });
  });

  it('composes "ingest unhealthy" of the ingest alarms, each load balancer included', () => {
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composite).toHaveLength(1);
    const rule = JSON.stringify(composite[0]?.Properties.AlarmRule);
    const ingestAlarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
      .filter(([, r]) =>
        ['alb5xxRate', 'validatorThrottles', 'streamWriteThrottles', 'streamIteratorAge'].includes(
          thresholdName(r.Properties.AlarmName),
        ),
      )
      .map(([logicalId]) => logicalId);
    expect(ingestAlarms).toHaveLength(tier.ingest.albCount + 3);
    for (const logicalId of ingestAlarms) expect(rule).toContain(logicalId);
    expect(rule).not.toContain('DeadLetters');
  });

  it('has a dashboard with the stream, loader, archive and ClickHouse graphs', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const metric of [
      'IncomingBytes',
      'GetRecords.IteratorAgeMilliseconds',
      'DeadLetters',
      'DeliveryToS3.DataFreshness',
      'DiskFreeRatio',
      'ReplicationQueueSize',
      'MaxPartsPerPartition',
      'LoadLagMs',
      'QueryLatency',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain(`tier ${tier.id}`);
  });

  it('graphs every per-node ClickHouse health metric once for each data node', () => {
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    const nodes = dataNodes(tier.clickhouse).map(dataNodeName);
    // A graph line is ["EvalForge","<metric>","node","<node>","service","clickhouse-health",…]
    // (escaped once more inside the body's string).
    const lines = (metric: string) =>
      nodes.filter((node) => body.includes(`[\\"EvalForge\\",\\"${metric}\\",\\"node\\",\\"${node}\\"`));
    for (const metric of Object.values(CLICKHOUSE_METRICS)) {
      if (metric === CLICKHOUSE_METRICS.nodeUnreachable || metric === CLICKHOUSE_METRICS.diskFreeRatio)
        continue;
      expect([metric, lines(metric)]).toEqual([metric, nodes]);
    }
    for (const metric of [
      'MergesRunning',
      'FailedInsertQueries',
      'FailedSelectQueries',
      'ReplicationQueueOldestAgeSec',
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('the alarm topic', () => {
  it('is encrypted with a rotated key CloudWatch may use, and refuses requests without TLS', () => {
    const { template } = build(TIERS[1]);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const key = JSON.stringify(Object.values(template.findResources('AWS::KMS::Key'))[0]?.Properties);
    expect(key).toContain('cloudwatch.amazonaws.com');
  });

  it('has no subscription without an alarm e-mail', () => {
    build(TIERS[1]).template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes the alarm e-mail when given', () => {
    const { template } = build(TIERS[1], { alarmEmail: 'oncall@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('sends every alarm and the composite to the topic, on alarm and back to OK', () => {
    const { template } = build(TIERS[3]);
    const all = [
      ...Object.values(template.findResources('AWS::CloudWatch::Alarm')),
      ...Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm')),
    ];
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    for (const alarm of all) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
  });

  it('rejects an alarm e-mail that is not one, naming it and the context', () => {
    expect(() => build(TIERS[1], { alarmEmail: 'oncall' })).toThrow(
      /alarmEmail must be an e-mail address \(-c alarmEmail=.*got "oncall"/,
    );
  });
});

describe('the cost estimate on the dashboard', () => {
  it("shows the tier's total and each component as given, not recomputed", () => {
    const { template } = build(TIERS[2], {
      costEstimate: { totalUsd: 12_345.678, byComponentUsd: { stream: 1_000, analytics: 11_345.678 } },
    });
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    expect(body).toContain('$12,345.68');
    expect(body).toContain('| analytics | $11,345.68 |');
  });

  it('points at npm run cost without one', () => {
    const body = JSON.stringify(
      Object.values(build(TIERS[2]).template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties
        .DashboardBody,
    );
    expect(body).toContain('npm run cost -- --tier 2');
  });
});
