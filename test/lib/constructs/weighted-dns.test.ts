import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { IpProtocol, Vpc } from 'aws-cdk-lib/aws-ec2';
import { ApplicationLoadBalancer, IpAddressType } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AccessLogBucket } from '../../../lib/constructs/access-log-bucket.js';
import { IngestLoadBalancer } from '../../../lib/constructs/ingest-load-balancer.js';
import { WeightedDns, type WeightedDnsProps } from '../../../lib/constructs/weighted-dns.js';

const ZONE_ID = 'Z0123456789ABCDEFGHIJ';
const DOMAIN = 'example.com';
const ENDPOINT = `ingest.eu-west-1.${DOMAIN}`;

interface Fixture {
  readonly stack: Stack;
  readonly zone: WeightedDnsProps['zone'];
  readonly loadBalancers: ApplicationLoadBalancer[];
}

/** A bare, environment-agnostic stack with `count` plain load balancers: the records need nothing more. */
function fixture(count: number, options: { dualStack?: boolean } = {}): Fixture {
  const stack = new Stack(new App(), 'Test');
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    ...(options.dualStack ? { ipProtocol: IpProtocol.DUAL_STACK } : {}),
  });
  const zone = HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
    hostedZoneId: ZONE_ID,
    zoneName: DOMAIN,
  });
  const loadBalancers = Array.from(
    { length: count },
    (_, i) =>
      new ApplicationLoadBalancer(stack, `Alb${i + 1}`, {
        vpc,
        internetFacing: true,
        ...(options.dualStack ? { ipAddressType: IpAddressType.DUAL_STACK } : {}),
      }),
  );
  return { stack, zone, loadBalancers };
}

function synth(count: number, weights: number[], options: { dualStack?: boolean } = {}) {
  const { stack, zone, loadBalancers } = fixture(count, options);
  const dns = new WeightedDns(stack, 'Dns', { zone, recordName: ENDPOINT, loadBalancers, weights });
  return { stack, dns, loadBalancers, template: Template.fromStack(stack) };
}

type RecordSet = { Properties: Record<string, unknown> };

function records(template: Template, type: 'A' | 'AAAA'): [string, RecordSet][] {
  return (Object.entries(template.findResources('AWS::Route53::RecordSet')) as [string, RecordSet][]).filter(
    ([, record]) => record.Properties.Type === type,
  );
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The alias Route 53 should hold for load balancer `alb`: its dual-stack name, its zone, target health on. */
function aliasOf(stack: Stack, alb: ApplicationLoadBalancer) {
  const id = logicalId(stack, alb);
  return {
    DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [id, 'DNSName'] }]] },
    HostedZoneId: { 'Fn::GetAtt': [id, 'CanonicalHostedZoneID'] },
    EvaluateTargetHealth: true,
  };
}

const WEIGHTS: Record<number, number[]> = { 1: [100], 2: [200, 55], 4: [10, 20, 0, 255] };

describe.each([1, 2, 4])('WeightedDns over %i load balancer(s)', (count) => {
  const weights = WEIGHTS[count] ?? [];
  const { stack, dns, loadBalancers, template } = synth(count, weights);
  const aRecords = records(template, 'A');

  it('has one A record per load balancer and no AAAA for IPv4-only load balancers', () => {
    expect(aRecords).toHaveLength(count);
    expect(records(template, 'AAAA')).toHaveLength(0);
  });

  it('gives every record the endpoint name, in the zone', () => {
    for (const [, record] of aRecords) {
      expect(record.Properties.Name).toBe(`${ENDPOINT}.`);
      expect(record.Properties.HostedZoneId).toBe(ZONE_ID);
    }
    expect(dns.endpointName).toBe(ENDPOINT);
  });

  it('weights each load balancer as given, under its own set identifier, with target health evaluated', () => {
    const bySetIdentifier = new Map(aRecords.map(([, record]) => [record.Properties.SetIdentifier, record]));
    expect([...bySetIdentifier.keys()].sort()).toEqual(
      Array.from({ length: count }, (_, i) => `alb-${i + 1}`).sort(),
    );
    loadBalancers.forEach((alb, i) => {
      const record = bySetIdentifier.get(`alb-${i + 1}`);
      expect(record?.Properties.Weight).toBe(weights[i]);
      expect(record?.Properties.AliasTarget).toEqual(aliasOf(stack, alb));
    });
  });

  it('keeps the logical IDs of the first records when load balancers are added', () => {
    const ids = aRecords.map(([id]) => id).sort();
    const larger = records(synth(4, WEIGHTS[4] ?? []).template, 'A').map(([id]) => id);
    expect(larger).toEqual(expect.arrayContaining(ids));
  });
});

describe('WeightedDns over dual-stack load balancers', () => {
  const { stack, loadBalancers, template } = synth(2, [3, 1], { dualStack: true });

  it('adds an AAAA record beside each A record, with the same weight, set identifier and alias', () => {
    const aaaa = records(template, 'AAAA');
    expect(records(template, 'A')).toHaveLength(2);
    expect(aaaa).toHaveLength(2);
    loadBalancers.forEach((alb, i) => {
      const record = aaaa.find(([, r]) => r.Properties.SetIdentifier === `alb-${i + 1}`)?.[1];
      expect(record?.Properties).toMatchObject({
        Name: `${ENDPOINT}.`,
        Weight: [3, 1][i],
        AliasTarget: aliasOf(stack, alb),
      });
    });
  });
});

describe('WeightedDns endpointName', () => {
  it.each([
    ['a fully qualified name', ENDPOINT, ENDPOINT],
    ['a name with the trailing dot', `${ENDPOINT}.`, ENDPOINT],
    ['a name relative to the zone', 'ingest.eu-west-1', ENDPOINT],
  ])('is the name Route 53 holds, from %s', (_, recordName, expected) => {
    const { stack, zone, loadBalancers } = fixture(1);
    const dns = new WeightedDns(stack, 'Dns', { zone, recordName, loadBalancers, weights: [1] });
    expect(dns.endpointName).toBe(expected);
    Template.fromStack(stack).hasResourceProperties('AWS::Route53::RecordSet', { Name: `${expected}.` });
  });
});

describe('WeightedDns props', () => {
  it.each<[string, number, number[], RegExp]>([
    ['fewer weights than load balancers', 2, [1], /weights has 1 entries but loadBalancers has 2/],
    ['more weights than load balancers', 1, [1, 1], /weights has 2 entries but loadBalancers has 1/],
    ['a weight over 255', 2, [1, 256], /weights\[1\] is 256.*0–255/],
    ['a negative weight', 2, [-1, 1], /weights\[0\] is -1/],
    ['a fractional weight', 1, [1.5], /weights\[0\] is 1\.5.*integer/],
    ['a weight that is not a number', 1, [Number.NaN], /weights\[0\] is NaN/],
    ['all weights 0', 2, [0, 0], /weights are all 0/],
    ['no load balancers', 0, [], /loadBalancers is empty/],
  ])('rejects %s', (_, count, weights, message) => {
    const { stack, zone, loadBalancers } = fixture(count);
    expect(
      () => new WeightedDns(stack, 'Dns', { zone, recordName: ENDPOINT, loadBalancers, weights }),
    ).toThrow(message);
  });

  it('rejects an empty record name', () => {
    const { stack, zone, loadBalancers } = fixture(1);
    expect(
      () => new WeightedDns(stack, 'Dns', { zone, recordName: ' ', loadBalancers, weights: [1] }),
    ).toThrow(/recordName is empty/);
  });
});

describe('WeightedDns and cdk-nag', () => {
  /** The composition the stack uses: ingest load balancers sharing a log bucket, behind the records. */
  function composed(): App {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Access-log delivery is granted per region, so this stack pins one (not an account).
    const stack = new Stack(app, 'Test', { env: { region: 'eu-west-1' } });
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions::AwsSolutions-VPC7',
      reason: 'Test fixture; the project VPC (Network) has flow logs and is tested on its own.',
    });
    const lambda = (id: string) => {
      const fn = new LambdaFunction(stack, id, {
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
      });
      Validations.of(fn).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'Test fixture standing in for the function wrapper.',
        },
        { id: 'AwsSolutions::AwsSolutions-L1', reason: 'Test fixture standing in for the function wrapper.' },
      );
      return fn;
    };
    const validator = lambda('Validator');
    const query = lambda('Query');
    const zone = HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: ZONE_ID,
      zoneName: DOMAIN,
    });
    const certificate = Certificate.fromCertificateArn(
      stack,
      'Certificate',
      'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000',
    );
    const logs = new AccessLogBucket(stack, 'AccessLogs');
    const loadBalancers = [1, 2].map(
      (i) =>
        new IngestLoadBalancer(stack, `Alb${i}`, {
          vpc,
          certificate,
          validator,
          query,
          accessLogs: logs.bucket,
          accessLogPrefix: `alb-${i}`,
        }).loadBalancer,
    );
    new WeightedDns(stack, 'Dns', { zone, recordName: ENDPOINT, loadBalancers, weights: [1, 1] });
    return app;
  }

  it('has no unacknowledged AwsSolutions findings', () => {
    const app = composed();
    expect(() => app.synth()).not.toThrow();
  });
});
