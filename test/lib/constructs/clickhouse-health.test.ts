import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ClickHouseHealth, type ClickHouseHealthProps } from '../../../lib/constructs/clickhouse-health.js';

const NODES = ['https://s1r1.ch.example.internal:8443', 'https://s2r1.ch.example.internal:8443'];

/** The construct in a bare stack, not bundled (test/lib/cdk-synth.test.ts bundles what the stack wires). */
function build(props: Partial<ClickHouseHealthProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Analytics');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
  const clientSecurityGroup = new SecurityGroup(stack, 'Clients', { vpc });
  const passwordSecret = new Secret(stack, 'AdminPassword');
  const health = new ClickHouseHealth(stack, 'ClickHouseHealth', {
    vpc,
    clientSecurityGroup,
    nodeUrls: NODES,
    passwordSecret,
    caCertificate: 'TUlJQ0FURVNU',
    ...props,
  });
  return { app, stack, health, clientSecurityGroup, passwordSecret, template: Template.fromStack(stack) };
}

describe('ClickHouseHealth', () => {
  const { stack, health, clientSecurityGroup, passwordSecret, template } = build();

  it('runs functions/health in the VPC, as a client of the nodes, with every node and the CA', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Architectures: ['arm64'],
      Timeout: 50,
      ReservedConcurrentExecutions: 1,
      VpcConfig: Match.objectLike({
        SecurityGroupIds: [stack.resolve(clientSecurityGroup.securityGroupId)],
      }),
      Environment: {
        Variables: Match.objectLike({
          CLICKHOUSE_NODE_URLS: NODES.join(','),
          CLICKHOUSE_USER: 'evalforge_monitor',
          CLICKHOUSE_PASSWORD_SECRET_ARN: stack.resolve(passwordSecret.secretArn),
          CLICKHOUSE_CA_CERT: 'TUlJQ0FURVNU',
          POWERTOOLS_SERVICE_NAME: 'health',
        }),
      },
    });
  });

  it('schedules it every minute, without retries of a missed round', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: stack.resolve(health.function.functionArn),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
    });
  });

  it('lets the function read the password secret', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: stack.resolve(passwordSecret.secretArn),
          }),
        ]),
      },
    });
  });

  it('leaves out the CA for a cluster whose certificates the system trusts, and takes another user', () => {
    const other = build({
      caCertificate: undefined,
      user: 'evalforge_monitor',
      interval: Duration.minutes(5),
    });
    const [fn] = Object.values(other.template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('CLICKHOUSE_CA_CERT');
    expect(fn?.Properties.Environment.Variables.CLICKHOUSE_USER).toBe('evalforge_monitor');
    other.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('fails without a node to read', () => {
    expect(() => build({ nodeUrls: [] })).toThrow(/at least one node URL/);
  });

  it('passes cdk-nag with no unacknowledged finding', () => {
    const { app } = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
