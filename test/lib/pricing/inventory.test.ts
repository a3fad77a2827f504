import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { ApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { beforeAll, describe, expect, it } from 'vitest';
import { IngestFirewall } from '../../../lib/constructs/ingest-firewall.js';
import type { BillableResource } from '../../../lib/pricing/billable-resource.js';
import { CLICKHOUSE_COLD_WORKLOAD, COST_TAGS } from '../../../lib/pricing/cost-tags.js';
import {
  BILLABLE_TYPES,
  COMPONENTS,
  classify,
  componentFromPath,
  FREE_TYPES,
  inventory,
  priceKeys,
  scheduleRunsPerSec,
  type TemplateJson,
} from '../../../lib/pricing/inventory.js';
import { listPrices, pricesFor } from '../../../lib/pricing/prices.js';
import { TIER_IDS, TIERS, type TierId, type TierSpec } from '../../../lib/tiers.js';
import { tierTemplateJson } from '../../helpers/tier-templates.js';

/** Each tier's template as the CLI prices it (with construct paths, without bundling), shared by the run. */
const templates = new Map<TierId, TemplateJson>();
beforeAll(async () => {
  for (const id of TIER_IDS) templates.set(id, await tierTemplateJson(id));
}, 240_000);
const template = (id: TierId) => templates.get(id) as TemplateJson;

const ofType = (items: BillableResource[], type: keyof typeof BILLABLE_TYPES) =>
  items.filter((item) => item.type === type);
const countBy = (values: (string | number | undefined)[]) =>
  values.reduce<Record<string, number>>((counts, v) => {
    counts[String(v)] = (counts[String(v)] ?? 0) + 1;
    return counts;
  }, {});

describe.each(TIER_IDS.map((id) => [id, TIERS[id] as TierSpec] as const))('tier %i', (id, tier) => {
  it('classifies every resource type of the template as billable or free', () => {
    const types = new Set(Object.values(template(id).Resources).map((r) => r.Type));
    expect([...types].filter((type) => classify(type) === 'unknown')).toEqual([]);
  });

  it('gives every billable resource one of the components', () => {
    const items = inventory(template(id));
    expect(items.filter((item) => !(COMPONENTS as readonly string[]).includes(item.component))).toEqual([]);
  });

  it('maps every tagged resource path to the component of its tag', () => {
    const mismatches = Object.entries(template(id).Resources).flatMap(([logicalId, r]) => {
      const tags = (r.Properties?.Tags ?? r.Properties?.HostedZoneTags) as { Key: string; Value: unknown }[];
      const tag = Array.isArray(tags) ? tags.find((t) => t.Key === COST_TAGS.component)?.Value : undefined;
      const fromPath = componentFromPath(String(r.Metadata?.['aws:cdk:path']));
      return tag === undefined || tag === fromPath ? [] : [{ logicalId, tag, fromPath }];
    });
    expect(mismatches).toEqual([]);
  });

  it("lists the ClickHouse and Keeper instances of the tier's types", () => {
    const instances = ofType(inventory(template(id)), 'AWS::EC2::Instance');
    const { clickhouse } = tier;
    expect(countBy(instances.map((i) => i.size.instanceType))).toEqual({
      [clickhouse.instanceType]: clickhouse.shards * clickhouse.replicas,
      [clickhouse.keeperInstanceType]: clickhouse.keeperNodes,
    });
    for (const instance of instances) {
      expect(instance.component).toBe('analytics');
      expect(instance.size).toMatchObject({ count: 1, volumeType: 'gp3' });
      expect(instance.size.volumeGiB).toBeGreaterThan(0);
    }
  });

  it("lists one data volume per ClickHouse node at the tier's size, throughput and IOPS", () => {
    const volumes = ofType(inventory(template(id)), 'AWS::EC2::Volume');
    const { clickhouse } = tier;
    expect(volumes).toHaveLength(clickhouse.shards * clickhouse.replicas);
    for (const volume of volumes) {
      expect(volume.size).toEqual({
        volumeType: 'gp3',
        volumeGiB: clickhouse.volumeGiB,
        volumeIops: clickhouse.volumeIops,
        volumeThroughputMiBps: clickhouse.volumeThroughputMiBps,
        clickHouseShard: expect.any(Number),
        clickHouseReplica: expect.any(Number),
      });
    }
    // Every shard and replica once: the cost model counts the nodes from them.
    expect(new Set(volumes.map((v) => `${v.size.clickHouseShard}/${v.size.clickHouseReplica}`)).size).toBe(
      volumes.length,
    );
    expect(Math.max(...volumes.map((v) => Number(v.size.clickHouseShard)))).toBe(clickhouse.shards);
    expect(Math.max(...volumes.map((v) => Number(v.size.clickHouseReplica)))).toBe(clickhouse.replicas);
  });

  it('marks each data node instance with its shard, replica and the zones its traffic may cross', () => {
    const nodes = ofType(inventory(template(id)), 'AWS::EC2::Instance').filter(
      (r) => r.size.clickHouseShard !== undefined,
    );
    const { clickhouse } = tier;
    expect(nodes).toHaveLength(clickhouse.shards * clickhouse.replicas);
    for (const node of nodes) expect(node.size.availabilityZones).toBe(tier.network.maxAzs);
    expect(new Set(nodes.map((n) => `${n.size.clickHouseShard}/${n.size.clickHouseReplica}`)).size).toBe(
      nodes.length,
    );
  });

  it("lists the nodes' S3 disk bucket by its workload tag, with the tier's retention", () => {
    const cold = ofType(inventory(template(id)), 'AWS::S3::Bucket').filter(
      (b) => b.size.workload === CLICKHOUSE_COLD_WORKLOAD,
    );
    const { why: _why, ...days } = tier.retention;
    expect(cold).toEqual([
      expect.objectContaining({ component: 'analytics', size: expect.objectContaining(days) }),
    ]);
  });

  it("lists one stream with the tier's shards and retention (and a multi-region tier's transit stream)", () => {
    const streams = ofType(inventory(template(id)), 'AWS::Kinesis::Stream');
    const transit = tier.crossRegion
      ? [{ mode: 'on-demand', retentionHours: tier.crossRegion.transit.retentionHours, workload: 'transit' }]
      : [];
    expect(streams.map((s) => s.size)).toEqual([
      tier.stream.mode === 'provisioned'
        ? {
            mode: 'provisioned',
            shardCount: tier.stream.shardCount,
            retentionHours: tier.stream.retentionHours,
          }
        : { mode: 'on-demand', retentionHours: tier.stream.retentionHours },
      ...transit,
    ]);
    for (const stream of streams) expect(stream.component).toBe('stream');
  });

  it('lists the load balancers, NAT gateways with their addresses, and interface endpoints per AZ', () => {
    const items = inventory(template(id));
    const albs = ofType(items, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(albs.map((alb) => alb.size.weight).sort()).toEqual([...tier.ingest.albWeights].sort());
    expect(ofType(items, 'AWS::EC2::NatGateway')).toHaveLength(tier.network.natGateways);
    expect(ofType(items, 'AWS::EC2::EIP')).toHaveLength(tier.network.natGateways);
    const endpoints = ofType(items, 'AWS::EC2::VPCEndpoint');
    const interfaces = endpoints.filter((e) => e.size.endpointType === 'Interface');
    expect(interfaces.length).toBeGreaterThan(0);
    for (const endpoint of interfaces) expect(endpoint.size.azs).toBe(tier.network.maxAzs);
    // Gateway endpoints (S3, DynamoDB) are listed, marked free.
    for (const endpoint of endpoints.filter((e) => e.size.endpointType === 'Gateway')) {
      expect(endpoint.size.free).toBeTypeOf('string');
    }
  });

  it("lists the functions with the tier's memory and reserved concurrency", () => {
    const functions = ofType(inventory(template(id)), 'AWS::Lambda::Function');
    const byName = Object.fromEntries(functions.map((f) => [f.size.function, f]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        'certificates',
        'custom-resource',
        'custom-resource-framework',
        'dashboard-deployment',
        'health',
        'loader',
        'migrate',
        'query',
        'replay',
        'validator',
        ...(tier.crossRegion ? ['forwarder', 'cross-region-references'] : []),
      ].sort(),
    );
    // A multi-region tier adds the forwarder and, in the primary, the handler of CDK's cross-region
    // references (a second custom-resource handler).
    expect(functions).toHaveLength(tier.crossRegion ? 13 : 11);
    expect(byName.validator?.size).toMatchObject({
      memoryMiB: tier.ingest.validator.memoryMiB,
      architecture: 'arm64',
      reservedConcurrency: tier.ingest.validator.reservedConcurrency,
    });
    expect(byName.loader?.size).toMatchObject({ memoryMiB: tier.loader.memoryMiB, architecture: 'arm64' });
    expect(byName.query?.size).toMatchObject({
      memoryMiB: tier.query.memoryMiB,
      architecture: 'arm64',
      reservedConcurrency: tier.query.reservedConcurrency,
    });
    expect(
      functions
        .map((f) => f.size.workload)
        .filter(Boolean)
        .sort(),
    ).toEqual([...(tier.crossRegion ? ['forwarder'] : []), 'loader', 'query', 'validator']);
    expect(byName.validator?.component).toBe('ingest');
    expect(byName.loader?.component).toBe('loader');
    expect(byName.query?.component).toBe('query');
    expect(byName['custom-resource']?.component).toBe('network');
    // The copy of the dashboard's files runs at deploy time only: no workload, the query component.
    expect(byName['dashboard-deployment']?.component).toBe('query');
    expect(byName['dashboard-deployment']?.size.workload).toBeUndefined();
    // The replay job runs only when asked: no workload, priced per TB by lib/pricing/replay-cost.ts.
    expect(byName.replay?.component).toBe('archive');
    expect(byName.replay?.size).toMatchObject({ memoryMiB: tier.replay.memoryMiB, architecture: 'arm64' });
    expect(byName.replay?.size.workload).toBeUndefined();
    expect(byName['custom-resource']?.size.memoryMiB).toBe(128);
  });

  it("lists the archive's buffering and lifecycle, and the public certificate as free", () => {
    const items = inventory(template(id));
    expect(ofType(items, 'AWS::KinesisFirehose::DeliveryStream').map((f) => f.size)).toEqual([
      expect.objectContaining({
        bufferSizeMiB: tier.archive.bufferSizeMiB,
        bufferIntervalSec: tier.archive.bufferIntervalSec,
      }),
    ]);
    expect(ofType(items, 'AWS::S3::Bucket').filter((b) => b.size.workload === 'archive')).toEqual([
      expect.objectContaining({ size: expect.objectContaining(tier.archive.lifecycle) }),
    ]);
    expect(ofType(items, 'AWS::CertificateManager::Certificate').map((c) => c.size)).toEqual([
      expect.objectContaining({ certificate: 'public', free: expect.any(String) }),
    ]);
  });

  it("lists the loader's event source mapping with the tier's batching, marked free", () => {
    const mappings = ofType(inventory(template(id)), 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toEqual([
      expect.objectContaining({
        component: 'loader',
        size: {
          batchSize: tier.loader.batchSize,
          maxBatchingWindowSec: tier.loader.maxBatchingWindowSec,
          parallelizationFactor: tier.loader.parallelizationFactor,
          free: expect.any(String),
        },
      }),
      // A multi-region tier's forwarder reads the transit stream.
      ...(tier.crossRegion
        ? [
            expect.objectContaining({
              component: 'stream',
              size: expect.objectContaining({ batchSize: tier.crossRegion.forwarder.batchSize }),
            }),
          ]
        : []),
    ]);
  });

  it('lists the REJECT flow log with its log group’s retention, and the key table’s point-in-time recovery', () => {
    const items = inventory(template(id));
    expect(ofType(items, 'AWS::EC2::FlowLog').map((f) => [f.component, f.size])).toEqual([
      ['network', { destinationType: 'cloud-watch-logs', trafficType: 'REJECT', retentionDays: 30 }],
    ]);
    // A multi-region tier's key table is a global table (lib/constructs/api-key-table.ts).
    const keyTables = [
      ...ofType(items, 'AWS::DynamoDB::Table'),
      ...ofType(items, 'AWS::DynamoDB::GlobalTable'),
    ];
    expect(keyTables.map((t) => [t.type, t.size.pointInTimeRecovery])).toEqual([
      // Every tier's key table is the same table; a multi-region tier adds replicas to it.
      ['AWS::DynamoDB::Table', 1],
    ]);
  });
});

describe('inventory of hand-built templates', () => {
  const one = (type: string, properties: Record<string, unknown>, metadata?: Record<string, unknown>) => {
    const items = inventory({
      Resources: {
        Thing: { Type: type, Properties: properties, ...(metadata ? { Metadata: metadata } : {}) },
      },
    });
    expect(items).toHaveLength(1);
    return items[0] as BillableResource;
  };

  it('reads an on-demand stream without shards', () => {
    expect(
      one('AWS::Kinesis::Stream', {
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        RetentionPeriodHours: 48,
      }).size,
    ).toEqual({ mode: 'on-demand', retentionHours: 48 });
  });

  it('reads a stream without retention or mode as provisioned for 24 hours', () => {
    expect(one('AWS::Kinesis::Stream', { ShardCount: 4 }).size).toEqual({
      mode: 'provisioned',
      shardCount: 4,
      retentionHours: 24,
    });
  });

  it.each([
    [
      'gp3 without IOPS or throughput',
      { VolumeType: 'gp3', Size: 100 },
      { volumeIops: 3_000, volumeThroughputMiBps: 125 },
    ],
    [
      'gp3 as provisioned',
      { VolumeType: 'gp3', Size: 100, Iops: 6_000, Throughput: 250 },
      { volumeIops: 6_000 },
    ],
    ['io2', { VolumeType: 'io2', Size: 100, Iops: 8_000 }, { volumeIops: 8_000 }],
    ['no type (gp2)', { Size: 100 }, { volumeType: 'gp2' }],
  ])('reads a %s volume', (_name, properties, expected) => {
    expect(one('AWS::EC2::Volume', properties).size).toMatchObject({ volumeGiB: 100, ...expected });
  });

  it('takes the component from the construct path when the type takes no tags', () => {
    const item = one(
      'AWS::Route53::RecordSet',
      { Type: 'A', Name: 'n1.clickhouse.internal.' },
      { 'aws:cdk:path': 'EvalForge/ClickHouse/Shard1Replica1Record/Resource' },
    );
    expect(item.component).toBe('analytics');
  });

  it('takes the component from the logical ID when the template has no paths', () => {
    const items = inventory({
      Resources: {
        Alb3LoadBalancerD00D: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: {} },
      },
    });
    expect(items.map((i) => i.component)).toEqual(['ingest']);
  });

  it('prefers the tag to the path', () => {
    const item = one(
      'AWS::SecretsManager::Secret',
      { Tags: [{ Key: COST_TAGS.component, Value: 'loader' }] },
      { 'aws:cdk:path': 'EvalForge/ClickHouse/LoaderPassword/Resource' },
    );
    expect(item.component).toBe('loader');
  });

  it('reads tags given as a map and a hosted zone’s own tags', () => {
    expect(one('AWS::KMS::Key', { Tags: { [COST_TAGS.component]: 'stream' } }).component).toBe('stream');
    expect(
      one('AWS::Route53::HostedZone', { HostedZoneTags: [{ Key: COST_TAGS.component, Value: 'analytics' }] })
        .component,
    ).toBe('analytics');
  });

  it("fails to place a resource with neither tag nor known path, as 'unknown'", () => {
    expect(
      one('AWS::SecretsManager::Secret', {}, { 'aws:cdk:path': 'EvalForge/Mystery/Resource' }).component,
    ).toBe('unknown');
  });

  it("fills a function's defaults: 128 MiB, x86_64, no reserved concurrency", () => {
    const item = one('AWS::Lambda::Function', {}, { 'aws:cdk:path': 'EvalForge/Loader/Function/Resource' });
    expect(item.size).toMatchObject({ function: 'loader', memoryMiB: 128, architecture: 'x86_64' });
    expect(item.size.reservedConcurrency).toBeUndefined();
  });

  it('counts an interface endpoint per subnet and marks a gateway endpoint free', () => {
    expect(
      one('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Interface',
        ServiceName: 'com.amazonaws.us-east-1.ssm',
        SubnetIds: ['a', 'b', 'c'],
      }).size,
    ).toEqual({ endpointType: 'Interface', service: 'ssm', azs: 3 });
    const gateway = one('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
    expect(gateway.size).toMatchObject({ service: 's3', free: expect.any(String) });
    expect(priceKeys(gateway)).toEqual([]);
  });

  it('takes the earliest day of each transition over the enabled rules only', () => {
    const rules = [
      {
        Status: 'Enabled',
        ExpirationInDays: 400,
        Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 120 }],
      },
      { Status: 'Enabled', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }] },
      { Status: 'Disabled', ExpirationInDays: 1 },
    ];
    expect(one('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: rules } }).size).toEqual({
      expireAfterDays: 400,
      glacierAfterDays: 90,
      versioned: 0,
    });
  });

  it("takes a bucket's workload from its tag, and the S3 disk's retention from the migrations resource", () => {
    const items = inventory({
      Resources: {
        Cold: {
          Type: 'AWS::S3::Bucket',
          Properties: { Tags: [{ Key: COST_TAGS.workload, Value: CLICKHOUSE_COLD_WORKLOAD }] },
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
        Logs: { Type: 'AWS::S3::Bucket', Properties: {} },
      },
    });
    expect(items.map((i) => [i.logicalId, i.size])).toEqual([
      [
        'Cold',
        {
          workload: CLICKHOUSE_COLD_WORKLOAD,
          hotDays: 2,
          warmDays: 88,
          bodiesDays: 7,
          minuteRollupDays: 35,
          hourRollupDays: 400,
          ttlMergeTimeoutSec: 1_800,
          versioned: 0,
        },
      ],
      ['Logs', { versioned: 0 }],
    ]);
  });

  it("names a ClickHouse data node's volume by its shard and replica, and no other volume", () => {
    const items = inventory({
      Resources: {
        ClickHouseShard2Replica1DataA02C0313: {
          Type: 'AWS::EC2::Volume',
          Properties: { VolumeType: 'gp3', Size: 10 },
        },
        OtherVolume: { Type: 'AWS::EC2::Volume', Properties: { VolumeType: 'gp3', Size: 10 } },
      },
    });
    expect(items.map((i) => [i.size.clickHouseShard, i.size.clickHouseReplica])).toEqual([
      [2, 1],
      [undefined, undefined],
    ]);
  });

  it('maps a Deep Archive transition to deepArchiveAfterDays and its prices', () => {
    const bucket = one('AWS::S3::Bucket', {
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
    });
    expect(bucket.size).toEqual({
      expireAfterDays: 730,
      infrequentAccessAfterDays: 30,
      deepArchiveAfterDays: 90,
      versioned: 0,
    });
    expect(priceKeys(bucket)).toEqual(
      expect.arrayContaining(['s3.deepArchiveGbMonth', 's3.transitionToDeepArchivePerThousand']),
    );
  });

  it('gives a log group kept forever no retentionDays', () => {
    expect(one('AWS::Logs::LogGroup', {}).size).toEqual({ logGroupClass: 'STANDARD' });
    expect(one('AWS::Logs::LogGroup', { RetentionInDays: 30 }).size.retentionDays).toBe(30);
  });

  it('marks a budget without actions free and one named by a budget action not', () => {
    const items = inventory({
      Resources: {
        Plain: { Type: 'AWS::Budgets::Budget', Properties: {} },
        Acting: { Type: 'AWS::Budgets::Budget', Properties: {} },
        Action: { Type: 'AWS::Budgets::BudgetsAction', Properties: { BudgetName: { Ref: 'Acting' } } },
      },
    });
    expect(items.map((i) => [i.logicalId, i.size])).toEqual([
      ['Plain', { count: 1, free: expect.any(String) }],
      ['Acting', { count: 1, actions: 1 }],
    ]);
  });

  it("fills an event source mapping's defaults: 100 records, no window, factor 1", () => {
    expect(one('AWS::Lambda::EventSourceMapping', {}).size).toEqual({
      batchSize: 100,
      maxBatchingWindowSec: 0,
      parallelizationFactor: 1,
      free: expect.any(String),
    });
  });

  it("sizes a web ACL by its rules and its load balancers' share of the Route 53 weights", () => {
    const alb = { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: {} };
    const record = (target: string, weight: number) => ({
      Type: 'AWS::Route53::RecordSet',
      Properties: {
        Weight: weight,
        AliasTarget: { HostedZoneId: { 'Fn::GetAtt': [target, 'CanonicalHostedZoneID'] } },
      },
    });
    const association = (acl: string, target: string) => ({
      Type: 'AWS::WAFv2::WebACLAssociation',
      Properties: { WebACLArn: { 'Fn::GetAtt': [acl, 'Arn'] }, ResourceArn: { Ref: target } },
    });
    const items = inventory({
      Resources: {
        Alb1: alb,
        Alb2: alb,
        Alb3: alb,
        R1: record('Alb1', 50),
        R2: record('Alb2', 25),
        R3: record('Alb3', 25),
        Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{}, {}, {}, {}, {}] } },
        Alone: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{}] } },
        A1: association('Acl', 'Alb1'),
        A2: association('Acl', 'Alb2'),
      },
    });
    expect(ofType(items, 'AWS::WAFv2::WebACL').map((i) => [i.logicalId, i.size])).toEqual([
      ['Acl', { rules: 5, loadBalancers: 2, requestShare: 0.75 }],
      ['Alone', { rules: 1, loadBalancers: 0, requestShare: 0 }],
    ]);
    expect(priceKeys(items.find((i) => i.logicalId === 'Acl') as BillableResource)).toEqual([
      'waf.webAclMonth',
      'waf.ruleMonth',
      'waf.requestsPerMillion',
    ]);
  });

  it.each([
    [
      'one metric at the default period',
      { MetricName: 'Errors', Period: 60 },
      { metrics: 1, highResolution: 0 },
    ],
    ['one metric every 10 s', { MetricName: 'Errors', Period: 10 }, { metrics: 1, highResolution: 1 }],
    [
      'metric math over two metrics (the expression is free)',
      {
        Metrics: [
          { Id: 'e', Expression: 'a / b' },
          { Id: 'a', MetricStat: { Metric: {}, Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'b', MetricStat: { Metric: {}, Period: 60, Stat: 'Sum' }, ReturnData: false },
        ],
      },
      { metrics: 2, highResolution: 0 },
    ],
    [
      'metric math with a 30 s metric',
      {
        Metrics: [
          { Id: 'e', Expression: 'a * 2' },
          { Id: 'a', MetricStat: { Metric: {}, Period: 30, Stat: 'Sum' } },
        ],
      },
      { metrics: 1, highResolution: 1 },
    ],
    [
      'an anomaly detection band: three metrics',
      {
        ThresholdMetricId: 'band',
        Metrics: [
          { Id: 'm', MetricStat: { Metric: {}, Period: 300, Stat: 'Average' } },
          { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(m, 2)' },
        ],
      },
      { metrics: 3, highResolution: 0 },
    ],
  ])('sizes an alarm on %s', (_name, properties, size) => {
    const item = one('AWS::CloudWatch::Alarm', properties);
    expect(item.size).toEqual(size);
    expect(priceKeys(item)).toEqual([
      size.highResolution ? 'cloudWatch.highResolutionAlarmMonth' : 'cloudWatch.alarmMonth',
    ]);
  });

  it.each([
    ['rate(1 minute)', 1 / 60],
    ['rate(5 minutes)', 1 / 300],
    ['rate(2 hours)', 1 / 7_200],
    ['rate(1 day)', 1 / 86_400],
    ['cron(* * * * ? *)', 1 / 60],
    ['cron(0/5 * * * ? *)', 1 / 300],
    ['cron(*/15 * * * ? *)', 1 / 900],
    ['cron(30 * * * ? *)', 1 / 3_600],
    ['cron(0 4 * * ? *)', 1 / 86_400],
    // Weekdays only: counted as once a minute, the most a cron can run.
    ['cron(0 4 ? * MON-FRI *)', 1 / 60],
  ])('reads the schedule %s as its runs a second', (expression, perSec) => {
    expect(scheduleRunsPerSec(expression)).toBeCloseTo(perSec, 12);
  });

  it('gives a function an enabled schedule runs its runs a second, and none to a disabled one', () => {
    const fn = { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256 } };
    const rule = (target: string, state = 'ENABLED') => ({
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(1 minute)',
        State: state,
        Targets: [{ Arn: { 'Fn::GetAtt': [target, 'Arn'] }, Id: 't' }],
      },
    });
    const items = inventory({
      Resources: {
        Health: fn,
        Other: fn,
        Every: rule('Health'),
        Off: rule('Other', 'DISABLED'),
      },
    });
    expect(items.map((i) => [i.logicalId, i.size.function, i.size.scheduledPerSec])).toEqual([
      ['Health', 'health', 1 / 60],
      ['Other', 'Other', undefined],
    ]);
  });

  it('lists composite alarms and dashboards at a flat month, and the alarm topic, its policy and the web ACL association as free', () => {
    const items = inventory({
      Resources: {
        Composite: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
        Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
        Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
        Policy: { Type: 'AWS::SNS::TopicPolicy', Properties: {} },
        Association: { Type: 'AWS::WAFv2::WebACLAssociation', Properties: {} },
      },
    });
    expect(items.map((i) => [i.logicalId, priceKeys(i)])).toEqual([
      ['Composite', ['cloudWatch.compositeAlarmMonth']],
      ['Board', ['cloudWatch.dashboardMonth']],
    ]);
  });

  it('reads the IngestFirewall as synthesized: its rules, and all the requests of the load balancers it guards', () => {
    const stack = new Stack(new App(), 'Test', { env: { region: 'eu-west-1' } });
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const loadBalancers = [1, 2].map(
      (i) => new ApplicationLoadBalancer(stack, `Alb${i}`, { vpc, internetFacing: true }),
    );
    new IngestFirewall(stack, 'Firewall', { loadBalancers, limits: TIERS[3].ingest.waf });
    const items = inventory(Template.fromStack(stack).toJSON() as TemplateJson);
    expect(ofType(items, 'AWS::WAFv2::WebACL').map((i) => [i.component, i.size])).toEqual([
      ['ingest', { rules: 6, loadBalancers: 2, requestShare: 1 }],
    ]);
  });

  it('places the firewall in ingest and the alarms and dashboard in operations', () => {
    expect(componentFromPath('EvalForge/Firewall/WebAcl')).toBe('ingest');
    expect(componentFromPath('EvalForge/IngestFirewall/WebAcl')).toBe('ingest');
    expect(componentFromPath('EvalForge/Operations/Dashboard/Resource')).toBe('operations');
  });

  it('leaves free and unclassified types out', () => {
    expect(
      inventory({
        Resources: {
          Role: { Type: 'AWS::IAM::Role' },
          Migrations: { Type: 'Custom::ClickHouseMigrations' },
          Future: { Type: 'AWS::Future::Thing' },
        },
      }),
    ).toEqual([]);
  });
});

describe('classify', () => {
  it.each([
    ['AWS::EC2::Instance', 'billable'],
    ['AWS::EC2::EIP', 'billable'],
    ['AWS::IAM::Role', 'free'],
    ['AWS::Lambda::EventSourceMapping', 'billable'],
    ['AWS::Budgets::BudgetsAction', 'free'],
    ['Custom::AnythingAtAll', 'free'],
    ['AWS::Future::Thing', 'unknown'],
  ] as const)('classifies %s as %s', (type, expected) => {
    expect(classify(type)).toBe(expected);
  });

  it('keeps no type in both lists', () => {
    expect(Object.keys(BILLABLE_TYPES).filter((type) => Object.hasOwn(FREE_TYPES, type))).toEqual([]);
  });

  it('uses the stack’s component tag', () => {
    const item = inventory({
      Resources: {
        X: { Type: 'AWS::KMS::Key', Properties: { Tags: [{ Key: COST_TAGS.component, Value: 'query' }] } },
      },
    })[0];
    expect(item?.component).toBe('query');
  });
});

/**
 * One resource of every billable type, as the stack would configure it (non-free where the type can
 * cost anything: the budget has an action).
 */
const EVERY_BILLABLE_TYPE: TemplateJson = {
  Resources: Object.fromEntries([
    [
      'BudgetAction',
      { Type: 'AWS::Budgets::BudgetsAction', Properties: { BudgetName: { Ref: 'AWSBudgetsBudget' } } },
    ],
    ...Object.keys(BILLABLE_TYPES).map((type) => [
      type.replace(/[^A-Za-z0-9]/g, ''),
      {
        Type: type,
        Properties:
          {
            'AWS::EC2::Instance': { InstanceType: 'c5.xlarge' },
            'AWS::EC2::Volume': { VolumeType: 'gp3', Size: 100, Iops: 6_000, Throughput: 250 },
            'AWS::EC2::VPCEndpoint': { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] },
            'AWS::Kinesis::Stream': { ShardCount: 2 },
            'AWS::DynamoDB::Table': { BillingMode: 'PAY_PER_REQUEST' },
            'AWS::DynamoDB::GlobalTable': { BillingMode: 'PAY_PER_REQUEST', Replicas: [{ Region: 'a' }] },
            'AWS::CertificateManager::Certificate': { CertificateAuthorityArn: 'arn:aws:acm-pca:…' },
          }[type] ?? {},
      },
    ]),
  ]),
};

/**
 * Prices the table does not have yet, each with the reason it matters. The test fails when one is
 * added (remove it here) and when a new one appears (add the price).
 */
const PRICE_GAPS: Readonly<Record<string, string>> = {
  'acm.privateCertificateMonth': 'only if a private CA issues the certificate; the stack uses a public one',
};

describe('price keys', () => {
  const known = () => new Set(listPrices(pricesFor('us-east-1')).map((row) => row.path));

  it.each(TIER_IDS)("prices every billable resource of tier %i's template", (id) => {
    const table = known();
    const missing = inventory(template(id)).flatMap((item) =>
      priceKeys(item)
        .filter((key) => !table.has(key) && !Object.hasOwn(PRICE_GAPS, key))
        .map((key) => `${item.logicalId} (${item.type}): ${key}`),
    );
    expect(missing).toEqual([]);
  });

  it('names at least one price for every non-free billable resource of every tier', () => {
    const unpriced = TIER_IDS.flatMap((id) =>
      inventory(template(id)).filter((item) => item.size.free === undefined && priceKeys(item).length === 0),
    );
    expect(unpriced).toEqual([]);
  });

  it('maps every billable type to figures of the table, or to a listed gap', () => {
    const table = known();
    const items = inventory(EVERY_BILLABLE_TYPE);
    expect(items.map((item) => item.type).sort()).toEqual(Object.keys(BILLABLE_TYPES).sort());
    const missing = items.flatMap((item) =>
      priceKeys(item).filter((key) => !table.has(key) && !Object.hasOwn(PRICE_GAPS, key)),
    );
    expect(missing).toEqual([]);
    // The event source mapping is always free: the loader's invocations and the stream bill for it.
    const costing = items.filter((item) => item.size.free === undefined);
    expect(items.filter((item) => item.size.free !== undefined).map((item) => item.type)).toEqual([
      'AWS::Lambda::EventSourceMapping',
    ]);
    for (const item of costing) expect(priceKeys(item).length).toBeGreaterThan(0);
  });

  it('fails once a listed gap has a price, so the gap is removed', () => {
    const table = known();
    expect(Object.keys(PRICE_GAPS).filter((key) => table.has(key))).toEqual([]);
  });
});
