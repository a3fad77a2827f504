import { App, type CfnElement, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { IpProtocol, Vpc } from 'aws-cdk-lib/aws-ec2';
import { SslPolicy } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { isQueryPath, QUERY_ROUTE_PATTERNS } from '../../../functions/shared/http.js';
import { AccessLogBucket } from '../../../lib/constructs/access-log-bucket.js';
import {
  IngestLoadBalancer,
  type IngestLoadBalancerProps,
} from '../../../lib/constructs/ingest-load-balancer.js';
import { DENY_INSECURE_TRANSPORT } from '../../helpers/cdk.js';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';
/** The account that delivers Elastic Load Balancing access logs in eu-west-1. */
const ELB_ACCOUNT_EU_WEST_1 = '156460612806';
/** Access logs are granted to the region's delivery principal, so the stack pins a region (not an account). */
const REGIONAL: StackProps = { env: { region: 'eu-west-1' } };

interface Options {
  readonly stackProps?: StackProps;
  readonly dualStack?: boolean;
  readonly accessLogPrefix?: string;
  /** How many load balancers share the access-log bucket. */
  readonly count?: number;
  readonly nag?: boolean;
  /** Acknowledge the fixtures' own findings (they stand in for constructs tested elsewhere). */
  readonly acknowledgeFixtures?: boolean;
}

function build(options: Options = {}) {
  const app = new App();
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', options.stackProps ?? REGIONAL);
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    ...(options.dualStack ? { ipProtocol: IpProtocol.DUAL_STACK } : {}),
  });
  const lambda = (id: string) =>
    new LambdaFunction(stack, id, {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    });
  const validator = lambda('Validator');
  const query = lambda('Query');
  if (options.acknowledgeFixtures ?? true) {
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions::AwsSolutions-VPC7',
      reason: 'Test fixture; the project VPC (Network) has flow logs and is tested on its own.',
    });
    for (const fn of [validator, query]) {
      Validations.of(fn).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'Test fixture standing in for the function wrapper.',
        },
        { id: 'AwsSolutions::AwsSolutions-L1', reason: 'Test fixture standing in for the function wrapper.' },
      );
    }
  }
  const logs = new AccessLogBucket(stack, 'AccessLogs');
  const props = (i: number): IngestLoadBalancerProps => ({
    vpc,
    certificate: Certificate.fromCertificateArn(stack, `Certificate${i}`, CERTIFICATE_ARN),
    validator,
    query,
    accessLogs: logs.bucket,
    ...(options.accessLogPrefix === undefined ? {} : { accessLogPrefix: `${options.accessLogPrefix}-${i}` }),
    ...(options.dualStack === undefined ? {} : { dualStack: options.dualStack }),
  });
  const albs = Array.from(
    { length: options.count ?? 1 },
    (_, i) => new IngestLoadBalancer(stack, `Alb${i + 1}`, props(i + 1)),
  );
  return { app, stack, vpc, validator, query, logs, albs };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

type Resource = { Properties: Record<string, unknown> };

/** ALB path-pattern semantics: case-sensitive, `*` is any run of characters, `?` exactly one. */
function matchesPathPattern(pattern: string, path: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(path);
}

describe('IngestLoadBalancer', () => {
  const { stack, validator, query, logs, albs } = build();
  const [alb] = albs;
  if (!alb) throw new Error('fixture has no load balancer');
  const template = Template.fromStack(stack);
  const validatorTargets = logicalId(stack, alb.validatorTargets);
  const queryTargets = logicalId(stack, alb.queryTargets);
  const loadBalancerId = logicalId(stack, alb.loadBalancer);
  const rules = Object.values(
    template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'),
  ) as Resource[];

  it('is one internet-facing IPv4 load balancer in the public subnets', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    const publicSubnets = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) =>
      id.startsWith('VpcPublic'),
    );
    expect(publicSubnets).toHaveLength(2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
      IpAddressType: 'ipv4',
      Subnets: Match.arrayEquals(publicSubnets.map((id) => ({ Ref: id }))),
    });
  });

  it('drops invalid headers, mitigates desync defensively, is deletion-protected and logs to the bucket', () => {
    const [resource] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    ) as Resource[];
    const attributes = resource?.Properties.LoadBalancerAttributes as { Key: string; Value: unknown }[];
    expect(Object.fromEntries(attributes.map(({ Key, Value }) => [Key, Value]))).toEqual({
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'routing.http.desync_mitigation_mode': 'defensive',
      'deletion_protection.enabled': 'true',
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': { Ref: logicalId(stack, logs.bucket) },
      'access_logs.s3.prefix': '',
    });
  });

  it('grants the region’s load balancing account write access to the access-log bucket', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack, logs.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Effect: 'Allow',
            Principal: {
              AWS: {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ELB_ACCOUNT_EU_WEST_1}:root`]],
              },
            },
          }),
        ]),
      },
    });
  });

  it('serves HTTPS on 443 with the certificate and the TLS 1.3 policy, forwarding to the validator by default', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: loadBalancerId },
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: SslPolicy.RECOMMENDED_TLS,
      Certificates: [{ CertificateArn: CERTIFICATE_ARN }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: validatorTargets } }],
    });
    expect(SslPolicy.RECOMMENDED_TLS).toMatch(/^ELBSecurityPolicy-TLS13-/);
  });

  it('answers HTTP on 80 only with a permanent redirect to HTTPS', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: loadBalancerId },
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
  });

  it('has two Lambda target groups, both health-checked on /v1/health, multi-value headers off', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      Targets: [{ Id: { 'Fn::GetAtt': [logicalId(stack, validator), 'Arn'] } }],
      HealthCheckEnabled: true,
      HealthCheckPath: '/v1/health',
      Matcher: { HttpCode: '200' },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      Targets: [{ Id: { 'Fn::GetAtt': [logicalId(stack, query), 'Arn'] } }],
      HealthCheckEnabled: true,
      HealthCheckPath: '/v1/health',
      Matcher: { HttpCode: '200' },
    });
    for (const group of Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))) {
      expect(JSON.stringify(group)).not.toContain('lambda.multi_value_headers.enabled');
    }
  });

  it('lets the load balancing service invoke both functions', () => {
    for (const fn of [validator, query]) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'elasticloadbalancing.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [logicalId(stack, fn), 'Arn'] },
      });
    }
    template.resourceCountIs('AWS::Lambda::Permission', 2);
  });

  it('routes exactly the query patterns to the query function', () => {
    const expected = QUERY_ROUTE_PATTERNS;
    const values = rules.flatMap((rule) => {
      expect(rule.Properties.ListenerArn).toEqual({ Ref: logicalId(stack, alb.httpsListener) });
      expect(rule.Properties.Actions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: queryTargets } }]);
      const conditions = rule.Properties.Conditions as {
        Field: string;
        PathPatternConfig: { Values: string[] };
      }[];
      expect(conditions).toHaveLength(1);
      expect(conditions[0]?.Field).toBe('path-pattern');
      return conditions[0]?.PathPatternConfig.Values ?? [];
    });
    expect([...values].sort()).toEqual([...expected].sort());
    expect(new Set(values).size).toBe(values.length);
  });

  it('keeps every rule within the 5 values and 5 wildcards a rule allows, with distinct priorities', () => {
    expect(rules.length).toBe(Math.ceil(QUERY_ROUTE_PATTERNS.length / 5));
    for (const rule of rules) {
      const conditions = rule.Properties.Conditions as { PathPatternConfig: { Values: string[] } }[];
      const values = conditions.flatMap((condition) => condition.PathPatternConfig.Values);
      expect(values.length).toBeLessThanOrEqual(5);
      expect(values.join('').replace(/[^*?]/g, '').length).toBeLessThanOrEqual(5);
    }
    const priorities = rules.map((rule) => rule.Properties.Priority);
    expect(new Set(priorities).size).toBe(rules.length);
  });

  it.each([
    '/v1/metrics',
    '/v1/metrics/',
    '/v1/metrics/minute',
    '/v1/summary',
    '/v1/models',
    '/v1/calls',
    '/v1/calls/failed',
    '/v1/traces',
    '/v1/traces/',
    '/v1/traces/abc/def',
    '/v1/dead-letters',
    '/v1/dead-letters/',
    '/v1/dead-letters/abc',
    '/v1/dead-letter',
    '/v1/dead-lettersx',
    '/v1/events',
    '/v1/health',
    '/v1/metricsx',
    '/v1/trace',
    '/V1/metrics',
    '/',
  ])('sends %s where the functions expect it (query iff isQueryPath)', (path) => {
    const patterns = rules.flatMap(
      (rule) =>
        (rule.Properties.Conditions as { PathPatternConfig: { Values: string[] } }[])[0]?.PathPatternConfig
          .Values ?? [],
    );
    expect(patterns.some((pattern) => matchesPathPattern(pattern, path))).toBe(isQueryPath(path));
  });

  it('opens 443 and 80 to any IPv4 address and nothing else, with no egress', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
    const [group] = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as Resource[];
    const ingress = group?.Properties.SecurityGroupIngress as Record<string, unknown>[];
    expect(ingress.map(({ Description: _, ...rule }) => rule)).toEqual(
      expect.arrayContaining([
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 },
      ]),
    );
    expect(ingress).toHaveLength(2);
    // CDK's placeholder for "no egress": a rule no packet can match.
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({
        CidrIp: '255.255.255.255/32',
        IpProtocol: 'icmp',
        FromPort: 252,
        ToPort: 86,
      }),
    ]);
  });
});

describe('IngestLoadBalancer, dual stack', () => {
  const { stack } = build({ dualStack: true });
  const template = Template.fromStack(stack);

  it('answers on IPv6 too and opens 443 and 80 to any IPv6 address as well', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      IpAddressType: 'dualstack',
    });
    const [group] = Object.values(template.findResources('AWS::EC2::SecurityGroup')) as Resource[];
    const ingress = ((group?.Properties.SecurityGroupIngress ?? []) as Record<string, unknown>[]).map(
      ({ Description: _, ...rule }) => rule,
    );
    expect(ingress).toHaveLength(4);
    expect(ingress).toEqual(
      expect.arrayContaining([
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 },
        { CidrIpv6: '::/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 },
        { CidrIpv6: '::/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 },
      ]),
    );
  });
});

describe('IngestLoadBalancer, several sharing one access-log bucket', () => {
  const { stack, logs } = build({ count: 2, accessLogPrefix: 'alb' });
  const template = Template.fromStack(stack);

  it('gives each load balancer its prefix and grants delivery under each', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    for (const prefix of ['alb-1', 'alb-2']) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.prefix', Value: prefix }]),
      });
    }
    const [policy] = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Resource[];
    const text = JSON.stringify(policy?.Properties);
    expect(text).toContain(`"Ref":"${logicalId(stack, logs.bucket)}"`);
    expect(text).toContain('/alb-1/AWSLogs/');
    expect(text).toContain('/alb-2/AWSLogs/');
  });
});

describe('AccessLogBucket', () => {
  const { stack } = build();
  const template = Template.fromStack(stack);

  it('uses S3-managed encryption (the only kind log delivery supports), blocks public access and is retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('expires logs after 90 days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 90 })] },
    });
  });

  it('denies requests that do not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([DENY_INSECURE_TRANSPORT]),
      },
    });
  });
});

describe('IngestLoadBalancer props', () => {
  it('fails in a stack without a concrete region, naming what it needs', () => {
    expect(() => build({ stackProps: {} })).toThrow(/IngestLoadBalancer .*concrete region \(env\.region\)/);
  });
});

describe('IngestLoadBalancer and cdk-nag', () => {
  it('has no unacknowledged AwsSolutions findings', () => {
    const { app } = build({ nag: true, count: 2, accessLogPrefix: 'alb' });
    expect(() => app.synth()).not.toThrow();
  });

  it('fails a stack with an unacknowledged finding (the check above can fail)', () => {
    const { app } = build({ nag: true, acknowledgeFixtures: false });
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = String(error);
    }
    expect(report).toMatch(/AwsSolutions-VPC7/);
    // Only the fixtures' findings: the constructs acknowledge theirs.
    expect(report).not.toMatch(/AwsSolutions-(EC23|S1)\b/);
  });
});
