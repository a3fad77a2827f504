import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildTierStacks,
  cdkJsonContext,
  synthesizeTierTemplates,
  type TierTemplates,
} from '../../../lib/app.js';
import { FORWARDER_STREAM_ACTIONS } from '../../../lib/constructs/forwarder-function.js';
import { HEALTH_CHECK } from '../../../lib/constructs/latency-routing.js';
import { multiRegionText } from '../../../lib/pricing/cost-cli.js';
import { multiRegionCost } from '../../../lib/pricing/multi-region-cost.js';
import { INTER_REGION_OUT_PER_GB } from '../../../lib/pricing/prices.js';
import { eventStreamArn, transitStreamName } from '../../../lib/stacks/regional-names.js';
import { TIERS, type TierSpec } from '../../../lib/tiers.js';

/**
 * Tier 4 across its three regions, synthesized offline as `cdk synth -c tier=4` does it (cdk-nag's
 * AwsSolutions checks and the CloudFormation rules run on every stack and fail the synthesis).
 */
const TIER_4 = TIERS[4] as TierSpec;
const ACCOUNT = '111111111111';
let templates: TierTemplates;
beforeAll(() => {
  templates = synthesizeTierTemplates(4);
}, 300_000);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
const resourcesOf = (template: unknown) => (template as { Resources: Resources }).Resources;
const variablesOf = (r: { Properties: Record<string, unknown> }) =>
  (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
const functionBy = (resources: Resources, service: string) =>
  Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && variablesOf(r).POWERTOOLS_SERVICE_NAME === service,
  );

describe('tier 4 synthesized offline', () => {
  it('gives one stack per region of the sizing table, the primary named EvalForge, and the global stack', () => {
    expect(templates.regional.map((r) => [r.region, r.stackName])).toEqual([
      ['us-east-1', 'EvalForge'],
      ['eu-west-1', 'EvalForge-eu-west-1'],
      ['ap-southeast-1', 'EvalForge-ap-southeast-1'],
    ]);
    expect(templates.regional.map((r) => r.region)).toEqual(TIER_4.regions);
    expect(templates.global).toBeDefined();
  });

  it('runs a whole pipeline in each region: its load balancers, stream, loader and ClickHouse', () => {
    for (const { template } of templates.regional) {
      const t = Template.fromJSON(template);
      t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', TIER_4.ingest.albCount);
      t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
      t.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 500 });
    }
  });
});

describe.each(['us-east-1', 'eu-west-1', 'ap-southeast-1'])('the %s stack', (region) => {
  const regional = () => {
    const found = templates.regional.find((r) => r.region === region);
    if (found === undefined) throw new Error(`no stack for ${region}`);
    return resourcesOf(found.template);
  };
  const others = TIER_4.regions.filter((r) => r !== region);

  const isPrimary = region === TIER_4.regions[0];
  /** What the stack reads of the primary's (a cross-region reference, through CDK's exports reader). */
  const fromPrimary = (value: unknown) =>
    JSON.stringify(value).includes('ExportsReader') && JSON.stringify(value).includes('/cdk/exports/');

  it(
    isPrimary
      ? 'keeps the generated name of its event stream (a name would replace the stream of a tier 3 deployment moving up)'
      : 'names its event stream, so the other regions can compute its ARN',
    () => {
      const streams = Object.values(regional()).filter((r) => r.Type === 'AWS::Kinesis::Stream');
      expect(streams.map((s) => s.Properties.Name ?? '(generated)').sort()).toEqual(
        [isPrimary ? '(generated)' : `evalforge-events-${region}`, transitStreamName(region)].sort(),
      );
    },
  );

  it('has a KMS-encrypted on-demand transit stream kept 7 days, which the validator writes', () => {
    const [transitId, transit] =
      Object.entries(regional()).find(([, r]) => r.Properties.Name === transitStreamName(region)) ?? [];
    expect(transit?.Properties).toMatchObject({
      RetentionPeriodHours: 168,
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    const [, validator] = functionBy(regional(), 'validator') ?? [];
    expect(validator && variablesOf(validator).TRANSIT_STREAM_NAME).toEqual({ Ref: transitId });
  });

  it('runs the forwarder on the transit stream: batches of 100, bisected, retried until 7 days old, from the trim horizon', () => {
    const [forwarderId, forwarder] = functionBy(regional(), 'forward') ?? [];
    expect(forwarder).toBeDefined();
    const [transitId] =
      Object.entries(regional()).find(([, r]) => r.Properties.Name === transitStreamName(region)) ?? [];
    const mappings = Object.values(regional()).filter(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: forwarderId }),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [transitId, 'Arn'] },
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 604_800,
      ParallelizationFactor: 1,
      StartingPosition: 'TRIM_HORIZON',
    });
    // Every region's stream, this one's included (a record naming no other home goes back there).
    const join = (forwarder && variablesOf(forwarder).HOME_STREAMS) as { 'Fn::Join': [string, unknown[]] };
    const parts = join['Fn::Join'][1];
    const homeOf = (r: string) => {
      const at = parts.findIndex((p) => typeof p === 'string' && p.endsWith(`"${r}":"`));
      return at === -1 ? undefined : parts[at + 1];
    };
    const text = JSON.stringify(parts);
    for (const other of others.filter((r) => r !== TIER_4.regions[0])) {
      expect(text).toContain(`\\"${other}\\":\\"${eventStreamArn(other, ACCOUNT)}\\"`);
    }
    expect(JSON.stringify(homeOf(region))).toMatch(/^\{"Fn::GetAtt":\["EventStream[0-9A-F]+","Arn"\]\}$/);
    if (!isPrimary) expect(fromPrimary(homeOf(TIER_4.regions[0] as string))).toBe(true);
  });

  it('grants the forwarder the four stream actions on exactly the other regions’ event streams, and no Kinesis wildcard anywhere', () => {
    const [forwarderId] = functionBy(regional(), 'forward') ?? [];
    const policies = Object.values(regional()).filter((r) => r.Type === 'AWS::IAM::Policy');
    const statements = policies.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
          .Statement,
    );
    const named = others.filter((r) => r !== TIER_4.regions[0]);
    const crossRegion = statements.filter((s) =>
      JSON.stringify(s.Resource).includes(`arn:aws:kinesis:${named[0]}`),
    );
    expect(crossRegion).toHaveLength(1);
    expect([crossRegion[0]?.Action].flat().sort()).toEqual([...FORWARDER_STREAM_ACTIONS].sort());
    const resources = [crossRegion[0]?.Resource].flat();
    // The other regions' streams, by their computed ARNs, and the primary's through its reference.
    expect(resources.filter((r) => typeof r === 'string').sort()).toEqual(
      named.map((r) => eventStreamArn(r, ACCOUNT)).sort(),
    );
    expect(resources.filter((r) => typeof r !== 'string')).toHaveLength(isPrimary ? 0 : 1);
    if (!isPrimary) expect(fromPrimary(resources)).toBe(true);
    const forwarderPolicy = policies.find((p) =>
      JSON.stringify(p.Properties.Roles).includes(String(forwarderId).replace(/[0-9A-F]{8}$/, '')),
    );
    expect(forwarderPolicy).toBeDefined();
    for (const s of statements) {
      const actions = [s.Action].flat();
      if (!actions.some((a) => a.startsWith('kinesis:'))) continue;
      expect(actions).not.toContain('kinesis:*');
      expect([s.Resource].flat()).not.toContain('*');
    }
  });

  it('reads the key table of the primary, which has a replica in every other region', () => {
    const tables = Object.values(regional()).filter((r) => r.Type.startsWith('AWS::DynamoDB::'));
    const [, validator] = functionBy(regional(), 'validator') ?? [];
    const tableName = validator && variablesOf(validator).API_KEYS_TABLE_NAME;
    if (isPrimary) {
      // The table every tier has, updated in place: replicas added by CDK's custom resource.
      const [tableId] = Object.entries(regional()).find(([, r]) => r.Type === 'AWS::DynamoDB::Table') ?? [];
      expect(tableName).toEqual({ Ref: tableId });
      expect(tables.map((t) => t.Type)).toEqual(['AWS::DynamoDB::Table']);
      expect(tables[0]?.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
      expect(tables[0]?.Properties.TableName).toBeUndefined();
      const replicas = Object.values(regional())
        .filter((r) => r.Type === 'Custom::DynamoDBReplica')
        .map((r) => r.Properties.Region);
      expect(replicas.sort()).toEqual(others.sort());
    } else {
      expect(tables).toEqual([]);
      expect(fromPrimary(tableName)).toBe(true);
    }
  });

  it('has a certificate for its regional name and for the global name clients send to', () => {
    const certificates = Object.values(regional()).filter(
      (r) => r.Type === 'AWS::CertificateManager::Certificate',
    );
    expect(certificates.map((c) => [c.Properties.DomainName, c.Properties.SubjectAlternativeNames])).toEqual([
      [{ 'Fn::Join': ['', ['ingest.', { Ref: 'AWS::Region' }, '.example.com']] }, ['ingest.example.com']],
    ]);
  });

  it("gives the query function every region's endpoint, so a project's queries go to its home region", () => {
    const [, query] = functionBy(regional(), 'query') ?? [];
    expect(JSON.parse(String(query && variablesOf(query).REGIONAL_ENDPOINTS))).toEqual({
      'us-east-1': 'https://ingest.us-east-1.example.com',
      'eu-west-1': 'https://ingest.eu-west-1.example.com',
      'ap-southeast-1': 'https://ingest.ap-southeast-1.example.com',
    });
  });
});

describe('the global stack', () => {
  it('holds one latency record and one HTTPS health check per region, each record an alias of the regional name', () => {
    const t = Template.fromJSON(templates.global as object);
    t.resourceCountIs('AWS::Route53::HealthCheck', 3);
    t.resourceCountIs('AWS::Route53::RecordSet', 3);
    for (const region of TIER_4.regions) {
      const checks = t.findResources('AWS::Route53::HealthCheck', {
        Properties: {
          HealthCheckConfig: {
            Type: 'HTTPS',
            FullyQualifiedDomainName: `ingest.${region}.example.com`,
            ResourcePath: HEALTH_CHECK.path,
            RequestInterval: HEALTH_CHECK.requestIntervalSec,
            FailureThreshold: HEALTH_CHECK.failureThreshold,
          },
        },
      });
      const [checkId] = Object.keys(checks);
      expect(checkId).toBeDefined();
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'ingest.example.com.',
        Type: 'A',
        Region: region,
        SetIdentifier: region,
        HealthCheckId: { 'Fn::GetAtt': [checkId, 'HealthCheckId'] },
        AliasTarget: { DNSName: `ingest.${region}.example.com.`, EvaluateTargetHealth: true },
      });
    }
  });
});

describe.each([1, 2, 3] as const)('tier %i', (id) => {
  it('stays one stack, EvalForge, with no global stack', () => {
    const app = new App({
      context: { ...cdkJsonContext(), tier: String(id), 'aws:cdk:bundling-stacks': [] },
    });
    const stacks = buildTierStacks(app);
    expect(stacks.regional.map((s) => s.stackName)).toEqual(['EvalForge']);
    expect(stacks.global).toBeUndefined();
    expect(app.node.children.filter((c) => c instanceof Stack)).toHaveLength(1);
  });
});

describe('tier 4’s cost across its regions', () => {
  it('prices each region at its share, the global stack and the forwarded events by the region they leave', () => {
    const { regional, global } = templates;
    const cost = multiRegionCost({ tier: 4, regional, global: global as never });
    expect(cost.regions.map((r) => [r.region, r.share])).toEqual(TIER_4.regions.map((r) => [r, 1 / 3]));
    const [us, eu, ap] = cost.interRegion.lines;
    expect(us?.usdPerGb).toBe(INTER_REGION_OUT_PER_GB['us-east-1']?.usd);
    expect(ap?.monthlyUsd).toBeCloseTo((eu?.monthlyUsd ?? 0) * 4.5, 6);
    // 2% of a third of 200,000 events/s of 5,300 B at 3:1, a month: ~6,190 GB out of each region.
    expect(us?.gb).toBeCloseTo(((200_000 / 3) * 0.02 * (5_300 / 3) * 2_628_000) / 1e9, 6);
    expect(cost.global.total).toBeCloseTo(3 * 0.5, 6);
    const sum =
      cost.regions.reduce((n, r) => n + r.cost.total, 0) + cost.global.total + cost.interRegion.total;
    expect(cost.total).toBeCloseTo(sum, 6);
    // Global Accelerator's premium on ~929 TB of request bodies: the routing choice in dollars.
    expect(cost.globalAcceleratorUsd.usd).toBeGreaterThan(13_000);
  });

  it('is printed by npm run cost, naming each region, the global stack and the inter-region lines', () => {
    const text = multiRegionText({ tier: 4 }, () => templates);
    for (const name of [
      'us-east-1',
      'eu-west-1',
      'ap-southeast-1',
      'EvalForge-Global',
      'inter-region',
      'Global Accelerator',
    ]) {
      expect(text).toContain(name);
    }
    expect(multiRegionText({ tier: 3 }, () => templates)).toBe('');
  });
});
