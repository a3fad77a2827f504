/**
 * The cost rule of each resource type the model prices (`lib/pricing/rules/`). A billable resource
 * of a type outside this table cannot be priced; `Custom::…` resources are billed through the
 * Lambda function behind them.
 */
import { albRule } from './rules/alb.js';
import { budgetRule } from './rules/budget.js';
import { certificateRule } from './rules/certificate.js';
import { alarmRule, compositeAlarmRule, dashboardRule } from './rules/cloudwatch.js';
import { dynamoDbTableRule } from './rules/dynamodb.js';
import { ebsVolumeRule } from './rules/ebs.js';
import { ec2InstanceRule } from './rules/ec2.js';
import { firehoseRule } from './rules/firehose.js';
import { flowLogRule } from './rules/flow-log.js';
import { kinesisStreamRule } from './rules/kinesis.js';
import { kmsKeyRule } from './rules/kms.js';
import { lambdaRule } from './rules/lambda.js';
import { logGroupRule } from './rules/log-group.js';
import { natGatewayRule } from './rules/nat-gateway.js';
import { publicIpv4Rule } from './rules/public-ipv4.js';
import { healthCheckRule, hostedZoneRule, recordSetRule } from './rules/route53.js';
import { type CostRule, noLines } from './rules/rule.js';
import { s3BucketRule } from './rules/s3.js';
import { secretRule } from './rules/secrets-manager.js';
import { vpcEndpointRule } from './rules/vpc-endpoint.js';
import { webAclRule } from './rules/waf.js';

/** The rule of each priced type; types priced through others have `noLines`. */
export const COST_RULES: Readonly<Record<string, CostRule>> = {
  'AWS::EC2::Instance': ec2InstanceRule,
  'AWS::EC2::Volume': ebsVolumeRule,
  'AWS::EC2::NatGateway': natGatewayRule,
  'AWS::EC2::EIP': publicIpv4Rule,
  'AWS::EC2::VPCEndpoint': vpcEndpointRule,
  'AWS::EC2::FlowLog': flowLogRule,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': albRule,
  'AWS::Route53::HostedZone': hostedZoneRule,
  'AWS::Route53::HealthCheck': healthCheckRule,
  'AWS::Route53::RecordSet': recordSetRule,
  'AWS::Lambda::Function': lambdaRule,
  // Read for the loader's batches (the capacity tier); billed through its invocations and the stream.
  'AWS::Lambda::EventSourceMapping': noLines,
  'AWS::Kinesis::Stream': kinesisStreamRule,
  'AWS::KinesisFirehose::DeliveryStream': firehoseRule,
  'AWS::S3::Bucket': s3BucketRule,
  'AWS::Logs::LogGroup': logGroupRule,
  'AWS::CloudWatch::Alarm': alarmRule,
  'AWS::CloudWatch::CompositeAlarm': compositeAlarmRule,
  'AWS::CloudWatch::Dashboard': dashboardRule,
  'AWS::WAFv2::WebACL': webAclRule,
  'AWS::SecretsManager::Secret': secretRule,
  'AWS::KMS::Key': kmsKeyRule,
  'AWS::DynamoDB::Table': dynamoDbTableRule,
  // Priced once, with the primary region's stack: the replicas' few GB of keys are left out.
  'AWS::DynamoDB::GlobalTable': dynamoDbTableRule,
  'AWS::CertificateManager::Certificate': certificateRule,
  'AWS::Budgets::Budget': budgetRule,
  // Runs at deploy: billed through the Lambda function that serves it.
  'AWS::CloudFormation::CustomResource': noLines,
};

/** The rule for a resource type, if the model prices it. */
export function ruleFor(type: string): CostRule | undefined {
  if (Object.hasOwn(COST_RULES, type)) return COST_RULES[type];
  return type.startsWith('Custom::') ? noLines : undefined;
}

/**
 * Types whose lines follow the other lines of their component: a log group's come after those of
 * the functions whose logs it takes.
 */
export const LINES_LAST: ReadonlySet<string> = new Set(['AWS::Logs::LogGroup']);
