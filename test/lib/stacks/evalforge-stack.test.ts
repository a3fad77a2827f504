import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmThresholds } from '../../../lib/alarm-thresholds.js';
import { buildApp, cdkJsonContext } from '../../../lib/app.js';
import { TIER_IDS, TIERS, type TierId } from '../../../lib/tiers.js';
import { tierTemplate } from '../../helpers/tier-templates.js';

/**
 * The app as `cdk synth -c tier=N` builds it, for each tier: cdk-nag's AwsSolutions checks and
 * the bundled CloudFormation rules run at every synth and fail it. The four templates are
 * synthesized once per test run and shared (test/helpers/tier-templates.ts). Functions are not
 * bundled here (test/lib/constructs/functions.test.ts bundles them): the templates are the same
 * either way.
 */
const CDK_JSON_CONTEXT = cdkJsonContext();

const templates = new Map<TierId, Template>();
beforeAll(async () => {
  for (const id of TIER_IDS) templates.set(id, await tierTemplate(id));
}, 240_000);
const template = (id: TierId) => templates.get(id) as Template;

describe.each(TIER_IDS.map((id) => [id, TIERS[id]] as const))('tier %i', (id, tier) => {
  it("has one internet-facing ALB per weighted record, with the tier's weights", () => {
    const t = template(id);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', tier.ingest.albCount);
    const records = t.findResources('AWS::Route53::RecordSet', { Properties: { Type: 'A' } });
    const weights = Object.values(records)
      .map((r) => r.Properties.Weight as number | undefined)
      .filter((w) => w !== undefined);
    expect(weights.sort()).toEqual([...tier.ingest.albWeights].sort());
  });

  it('runs the ClickHouse nodes and Keeper nodes the tier names', () => {
    const instances = Object.values(template(id).findResources('AWS::EC2::Instance'));
    const data = instances.filter((i) => i.Properties.InstanceType === tier.clickhouse.instanceType);
    expect(data).toHaveLength(tier.clickhouse.shards * tier.clickhouse.replicas);
    expect(instances).toHaveLength(
      tier.clickhouse.shards * tier.clickhouse.replicas + tier.clickhouse.keeperNodes,
    );
  });

  it('sizes the stream, the event source and the archive lifecycle from the table', () => {
    const t = template(id);
    if (tier.stream.mode === 'provisioned') {
      t.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: tier.stream.shardCount });
    }
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: tier.loader.batchSize,
      MaximumBatchingWindowInSeconds: tier.loader.maxBatchingWindowSec,
      ParallelizationFactor: tier.loader.parallelizationFactor,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const buckets = Object.values(t.findResources('AWS::S3::Bucket'));
    const rules = buckets.flatMap(
      (b) =>
        (b.Properties.LifecycleConfiguration?.Rules ?? []) as {
          Transitions?: { TransitionInDays: number }[];
          ExpirationInDays?: number;
        }[],
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        ExpirationInDays: tier.archive.lifecycle.expireAfterDays,
        Transitions: expect.arrayContaining([
          expect.objectContaining({ TransitionInDays: tier.archive.lifecycle.infrequentAccessAfterDays }),
          expect.objectContaining({
            StorageClass: 'DEEP_ARCHIVE',
            TransitionInDays: tier.archive.lifecycle.deepArchiveAfterDays,
          }),
        ]),
      }),
    );
  });

  it('tags every taggable resource with its tier and a component', () => {
    const resources = template(id).toJSON().Resources as Record<
      string,
      { Type: string; Properties?: { Tags?: unknown } }
    >;
    const tagged = Object.values(resources).filter((r) => Array.isArray(r.Properties?.Tags));
    expect(tagged.length).toBeGreaterThan(10);
    for (const resource of tagged) {
      const tags = resource.Properties?.Tags as { Key: string; Value: string }[];
      expect(tags, resource.Type).toContainEqual({ Key: 'evalforge:tier', Value: String(id) });
      expect(
        tags.some((t) => t.Key === 'evalforge:component'),
        resource.Type,
      ).toBe(true);
    }
  });

  it("tags the ClickHouse nodes' cold bucket with its workload, beside the tier and the analytics component", () => {
    const buckets = Object.values(template(id).findResources('AWS::S3::Bucket'));
    const cold = buckets.filter((b) =>
      (b.Properties.Tags as { Key: string; Value: string }[] | undefined)?.some(
        (t) => t.Key === 'evalforge:workload',
      ),
    );
    expect(cold).toHaveLength(1);
    expect(cold[0]?.Properties.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'evalforge:workload', Value: 'clickhouse-cold' },
        { Key: 'evalforge:tier', Value: String(id) },
        { Key: 'evalforge:component', Value: 'analytics' },
      ]),
    );
    expect(cold[0]?.DeletionPolicy).toBe('Retain');
  });

  it("gives the migrations the tier's retention and the nodes its cold cache", () => {
    const t = template(id);
    const r = tier.retention;
    t.hasResourceProperties('Custom::ClickHouseMigrations', {
      Retention: {
        HotDays: String(r.hotDays),
        WarmDays: String(r.warmDays),
        BodiesDays: String(r.bodiesDays),
        MinuteRollupDays: String(r.minuteRollupDays),
        HourRollupDays: String(r.hourRollupDays),
        TtlMergeTimeoutSec: String(r.ttlMergeTimeoutSec),
      },
    });
    const data = Object.values(t.findResources('AWS::EC2::Instance')).filter(
      (i) => i.Properties.InstanceType === tier.clickhouse.instanceType,
    );
    for (const instance of data) {
      expect(JSON.stringify(instance.Properties.UserData)).toContain(
        `<max_size>${tier.clickhouse.coldCacheGiB * 1024 ** 3}</max_size>`,
      );
    }
  });
});

describe.each(TIER_IDS)('ClickHouse over TLS, tier %i', (id) => {
  it('gives the loader, the query API, the migrations and the replay job the HTTPS URL and the CA the certificates resource issues', () => {
    const resources = template(id).toJSON().Resources as Record<
      string,
      { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
    >;
    const [certificatesId] = Object.entries(resources).find(
      ([, r]) => r.Type === 'Custom::ClickHouseCertificates',
    ) ?? [''];
    const clients = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.CLICKHOUSE_URL,
    );
    expect(clients.map((r) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME).sort()).toEqual([
      'load',
      'migrate',
      'query',
      'replay',
    ]);
    for (const fn of clients) {
      const variables = fn.Properties.Environment?.Variables ?? {};
      expect(variables.CLICKHOUSE_URL).toMatch(/^https:\/\/[a-z0-9.]+:8443$/);
      expect(variables.CLICKHOUSE_CA_CERT).toEqual({ 'Fn::GetAtt': [certificatesId, 'CaCertificate'] });
    }
  });
});

describe.each(TIER_IDS)('the insert path, tier %i', (id) => {
  it("gives the loader every shard's nodes in remote_servers order, so it inserts on the shard that owns a project", () => {
    const resources = template(id).toJSON().Resources as Record<
      string,
      { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
    >;
    const loaders = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'load',
    );
    expect(loaders).toHaveLength(1);
    const urls = JSON.parse(String(loaders[0]?.Properties.Environment?.Variables?.CLICKHOUSE_SHARD_URLS));
    const { shards, replicas } = TIERS[id].clickhouse;
    expect(urls).toEqual(
      Array.from({ length: shards }, (_, s) =>
        Array.from(
          { length: replicas },
          (_, r) => `https://s${s + 1}r${r + 1}.clickhouse.evalforge.internal:8443`,
        ),
      ),
    );
  });
});

describe.each(TIER_IDS.map((id) => [id, TIERS[id]] as const))('operations, tier %i', (id, tier) => {
  it("holds the dashboard, the alarm topic and the alarms at the tier's thresholds", () => {
    const t = template(id);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
    // Without -c alarmEmail the topic has no subscriber.
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    const thresholds = alarmThresholds(tier);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((r) =>
      String(r.Properties.AlarmName).startsWith('EvalForge-'),
    );
    const nodes = tier.clickhouse.shards * tier.clickhouse.replicas;
    // One of each, but one per load balancer for the two 5xx rates and one per data node for its
    // disk, its reachability and, on a replicated tier, its replication queue.
    const perNode = thresholds.clickhouseReplicationQueueAge === undefined ? 2 : 3;
    expect(alarms).toHaveLength(
      Object.keys(thresholds).length - 2 - perNode + 2 * tier.ingest.albCount + perNode * nodes,
    );
    for (const alarm of alarms) {
      const name = String(alarm.Properties.AlarmName).split('-')[1] as keyof typeof thresholds;
      expect([name, alarm.Properties.Threshold]).toEqual([name, thresholds[name]?.threshold]);
    }
    if (tier.stream.mode === 'provisioned') {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'EvalForge-streamIncomingBytes',
        Threshold: 0.8 * tier.stream.shardCount * 1_048_576 * 60,
      });
    }
  });
});

describe.each(TIER_IDS)('operations at the edge and on the nodes, tier %i', (id) => {
  it('puts one web ACL on every ingest load balancer', () => {
    const t = template(id);
    t.resourceCountIs('AWS::WAFv2::WebACL', 1);
    const associations = t.findResources('AWS::WAFv2::WebACLAssociation');
    expect(Object.keys(associations)).toHaveLength(TIERS[id].ingest.albCount);
    const albs = new Set(Object.values(associations).map((a) => JSON.stringify(a.Properties?.ResourceArn)));
    expect(albs.size).toBe(TIERS[id].ingest.albCount);
  });

  it('reads every data node each minute as the monitor user, whose password only the nodes and it read', () => {
    const resources = template(id).toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const variablesOf = (r: { Properties: Record<string, unknown> }) =>
      (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const health = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        variablesOf(r).CLICKHOUSE_NODE_URLS !== undefined &&
        variablesOf(r).CLICKHOUSE_USER === 'evalforge_monitor',
    );
    expect(health).toHaveLength(1);
    const { shards, replicas } = TIERS[id].clickhouse;
    const variables = health[0] ? variablesOf(health[0]) : {};
    expect(String(variables.CLICKHOUSE_NODE_URLS).split(',')).toHaveLength(shards * replicas);
    const schedules = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && r.Properties.ScheduleExpression === 'rate(1 minute)',
    );
    expect(schedules).toHaveLength(1);
  });
});

describe('outputs', () => {
  it('names the endpoint clients send to, the key table and the archive bucket', () => {
    const outputs = template(1).findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'IngestEndpoint',
        'ApiKeyTableName',
        'RawArchiveBucketName',
        'ClickHouseColdBucketName',
        'ClickHouseUrl',
        'AlarmTopicArn',
      ]),
    );
    expect(JSON.stringify(outputs.IngestEndpoint?.Value)).toContain('https://ingest.');
  });
});

describe.each(TIER_IDS)('the web dashboard, tier %i', (id) => {
  const DISTRIBUTION_ORIGIN = {
    'Fn::Join': [
      '',
      ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^DashboardDistribution/), 'DomainName'] }],
    ],
  };

  it('serves the dashboard from CloudFront, its config naming the regional API, and outputs its URL', () => {
    const t = template(id);
    t.resourceCountIs('AWS::CloudFront::Distribution', 1);
    t.resourceCountIs('Custom::CDKBucketDeployment', 1);
    const outputs = t.findOutputs('DashboardUrl');
    expect(outputs.DashboardUrl?.Value).toEqual(DISTRIBUTION_ORIGIN);
    // The CSP lets the page connect to the regional endpoint, the one SDK clients send to.
    const [policy] = Object.values(t.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
    const csp = JSON.stringify(
      policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy,
    );
    expect(csp).toContain("connect-src 'self' https://ingest.");
  });

  it("lets the query function answer the dashboard's origin alone: DASHBOARD_ORIGIN is the distribution", () => {
    const functions = Object.values(template(id).findResources('AWS::Lambda::Function'));
    const withOrigin = functions.filter((f) => f.Properties.Environment?.Variables?.DASHBOARD_ORIGIN);
    expect(withOrigin).toHaveLength(1);
    expect(withOrigin[0]?.Properties.Environment.Variables.CLICKHOUSE_USER).toBe('evalforge_query');
    expect(withOrigin[0]?.Properties.Environment.Variables.DASHBOARD_ORIGIN).toEqual(DISTRIBUTION_ORIGIN);
  });

  it("sends every method of the query paths to the query function, the browser's OPTIONS preflight included", () => {
    const rules = Object.values(template(id).findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const fields = (rule.Properties.Conditions as { Field: string }[]).map((c) => c.Field);
      expect(fields).toEqual(['path-pattern']);
    }
  });
});

/** Properties whose change makes CloudFormation replace a stateful resource: its physical name. */
const REPLACING_NAMES = ['Name', 'TableName', 'BucketName', 'AvailabilityZone'] as const;

describe('moving between tiers', () => {
  const STATEFUL = [
    'AWS::Kinesis::Stream',
    'AWS::DynamoDB::Table',
    'AWS::S3::Bucket',
    'AWS::EC2::Volume',
    'AWS::SecretsManager::Secret',
  ];
  it('keeps the logical IDs of every stateful resource of a tier in every larger tier (updated in place)', () => {
    for (const [smaller, larger] of [
      [1, 2],
      [2, 3],
      [3, 4],
    ] as const) {
      for (const type of STATEFUL) {
        const beforeResources = template(smaller).findResources(type);
        const afterResources = template(larger).findResources(type);
        const before = Object.keys(beforeResources);
        const after = Object.keys(afterResources);
        expect(after, `${type} from tier ${smaller} to ${larger}`).toEqual(expect.arrayContaining(before));
        // A physical name set or changed replaces the resource, whatever its logical ID.
        for (const id of before) {
          for (const name of REPLACING_NAMES) {
            expect(
              afterResources[id]?.Properties?.[name],
              `${type} ${id}'s ${name}, tier ${smaller} to ${larger}`,
            ).toEqual(beforeResources[id]?.Properties?.[name]);
          }
        }
      }
    }
  });
});

describe('growing ClickHouse with the tier', () => {
  it('changes the retention of the same migrations resource between tiers, so the tables are altered in place', () => {
    const migrations = TIER_IDS.map((id) => {
      const found = template(id).findResources('Custom::ClickHouseMigrations');
      const [logicalId] = Object.keys(found);
      return { logicalId, retention: JSON.stringify(found[logicalId ?? '']?.Properties.Retention) };
    });
    expect(new Set(migrations.map((m) => m.logicalId)).size).toBe(1);
    // Tier 1 keeps 5 hot days and tier 2 two: the move between them is an Update with new values.
    expect(migrations[0]?.retention).not.toBe(migrations[1]?.retention);
  });

  it('runs the cluster schema (Replicated tables behind Distributed ones, with Keeper) in every tier, so a bigger tier adds nodes to the same tables', () => {
    const clusters = TIER_IDS.map((id) => {
      const [migrations] = Object.values(template(id).findResources('Custom::ClickHouseMigrations'));
      return migrations?.Properties.Cluster as string;
    });
    expect(clusters).toEqual(['evalforge', 'evalforge', 'evalforge', 'evalforge']);
    // The data nodes of a tier are among those of every larger tier, under the same logical IDs.
    for (const [smaller, larger] of [
      [1, 2],
      [2, 3],
      [3, 4],
    ] as const) {
      const before = Object.keys(template(smaller).findResources('AWS::EC2::Instance'));
      const after = Object.keys(template(larger).findResources('AWS::EC2::Instance'));
      expect(after).toEqual(expect.arrayContaining(before));
    }
  });
});

describe('cost outputs and the budget', () => {
  it("prices the tier's own template and sets a budget at the estimate, alerting at 80% actual and 100% forecast", () => {
    const app = new App({
      context: {
        ...CDK_JSON_CONTEXT,
        tier: '2',
        budgetEmail: 'finops@acme.test',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const stack = buildApp(app, { costEstimate: true });
    app.synth();
    const t = Template.fromStack(stack);
    const outputs = t.findOutputs('*');
    const total = outputs.EstimatedMonthlyCostTotal?.Value as string;
    expect(total).toMatch(/^\$[\d,]+\.\d\d$/);
    const components = Object.keys(outputs).filter(
      (k) => k.startsWith('EstimatedMonthlyCost') && k !== 'EstimatedMonthlyCostTotal',
    );
    expect(components).toEqual(
      expect.arrayContaining([
        'EstimatedMonthlyCostIngest',
        'EstimatedMonthlyCostStream',
        'EstimatedMonthlyCostAnalytics',
      ]),
    );
    const sum = components.reduce((n, k) => n + Number(String(outputs[k]?.Value).replace(/[$,]/g, '')), 0);
    expect(sum).toBeCloseTo(Number(total.replace(/[$,]/g, '')), 0);
    t.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: Math.ceil(Number(total.replace(/[$,]/g, ''))), Unit: 'USD' },
        CostFilters: { TagKeyValue: ['user:evalforge:tier$2'] },
      },
      NotificationsWithSubscribers: [
        {
          Notification: {
            NotificationType: 'ACTUAL',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 80,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: [{ SubscriptionType: 'EMAIL', Address: 'finops@acme.test' }],
        },
        {
          Notification: {
            NotificationType: 'FORECASTED',
            ComparisonOperator: 'GREATER_THAN',
            Threshold: 100,
            ThresholdType: 'PERCENTAGE',
          },
          Subscribers: [{ SubscriptionType: 'EMAIL', Address: 'finops@acme.test' }],
        },
      ],
    });
    // The dashboard shows the same estimate, not one of its own.
    const [dashboard] = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
    expect(JSON.stringify(dashboard?.Properties.DashboardBody)).toContain(total);
  }, 60_000);

  it('rejects a budget address that is not one, naming it', () => {
    const app = new App({
      context: { ...CDK_JSON_CONTEXT, tier: '1', budgetEmail: 'nobody', 'aws:cdk:bundling-stacks': [] },
    });
    expect(() => buildApp(app, { costEstimate: true })).toThrow(
      /notifyEmail must be an e-mail address, got "nobody"/,
    );
  }, 60_000);
});

describe('the alarm e-mail', () => {
  it('subscribes -c alarmEmail to the alarm topic', () => {
    const app = new App({
      context: {
        ...CDK_JSON_CONTEXT,
        tier: '1',
        alarmEmail: 'oncall@acme.test',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const stack = buildApp(app);
    app.synth();
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@acme.test',
    });
  }, 60_000);

  it('rejects an alarm address that is not one, naming it and the context', () => {
    const app = new App({
      context: { ...CDK_JSON_CONTEXT, tier: '1', alarmEmail: 'oncall', 'aws:cdk:bundling-stacks': [] },
    });
    expect(() => buildApp(app)).toThrow(/alarmEmail must be an e-mail address \(-c alarmEmail=.*"oncall"/);
  });
});

describe('model prices for OTLP spans', () => {
  const PRICES = '{"house-model":{"inputUsdPerMTok":1,"outputUsdPerMTok":2}}';

  it('gives -c modelPrices to the validator as MODEL_PRICES', () => {
    const app = new App({
      context: { ...CDK_JSON_CONTEXT, tier: '1', modelPrices: PRICES, 'aws:cdk:bundling-stacks': [] },
    });
    const stack = buildApp(app);
    app.synth();
    const validators = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.EVENT_STREAM_NAME !== undefined,
    );
    expect(validators.map((fn) => fn.Properties.Environment.Variables.MODEL_PRICES)).toEqual([PRICES]);
  }, 60_000);

  it.each([
    ['not JSON', '{house'],
    ['a price that is not a number', '{"house-model":{"inputUsdPerMTok":"one","outputUsdPerMTok":2}}'],
  ])('fails the synth on %s, naming the context', (_, text) => {
    const app = new App({
      context: { ...CDK_JSON_CONTEXT, tier: '1', modelPrices: text, 'aws:cdk:bundling-stacks': [] },
    });
    expect(() => buildApp(app)).toThrow(/context modelPrices/);
  });
});

describe('the app', () => {
  it('rejects a tier that does not exist, naming it', () => {
    const app = new App({ context: { tier: '5', 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildApp(app)).toThrow(/tier must be 1, 2, 3 or 4.*"5"/);
  });
});
