import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoaderFunction, type LoaderFunctionProps } from '../../../lib/constructs/loader-function.js';
import { QueryFunction } from '../../../lib/constructs/query-function.js';
import { ValidatorFunction } from '../../../lib/constructs/validator-function.js';

/**
 * The three functions in one bare stack, not bundled: test/lib/cdk-synth.test.ts bundles every
 * function with the local esbuild, as `cdk synth` does.
 */
let template: Template;
let loaderProps: (stack: Stack) => LoaderFunctionProps;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Functions');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
  const stream = new Stream(stack, 'Stream', { shardCount: 2 });
  const keyTable = new Table(stack, 'Keys', { partitionKey: { name: 'key_id', type: AttributeType.STRING } });
  const clientSecurityGroup = new SecurityGroup(stack, 'Clients', { vpc });
  const secret = new Secret(stack, 'Password');
  const failureBucket = new Bucket(stack, 'Failures');
  loaderProps = (s) => ({
    vpc: new Vpc(s, 'Vpc', { maxAzs: 2 }),
    clientSecurityGroup: new SecurityGroup(s, 'Sg', { vpc: new Vpc(s, 'Vpc2', { maxAzs: 2 }) }),
    stream: new Stream(s, 'Stream'),
    clickhouseUrl: 'http://clickhouse:8123',
    passwordSecret: new Secret(s, 'Secret'),
    failureDestination: new S3OnFailureDestination(new Bucket(s, 'Bucket')),
    memoryMiB: 1_024,
    timeoutSec: 60,
    batchSize: 100,
    maxBatchingWindowSec: 5,
    parallelizationFactor: 1,
    maxRetryAttempts: -1,
    maxRecordAgeSec: 86_400,
  });
  new ValidatorFunction(stack, 'Validator', {
    stream,
    keyTable,
    memoryMiB: 1_769,
    timeoutSec: 10,
    reservedConcurrency: 100,
  });
  new LoaderFunction(stack, 'Loader', {
    vpc,
    clientSecurityGroup,
    stream,
    clickhouseUrl: 'http://s1r1.clickhouse.evalforge.internal:8123',
    passwordSecret: secret,
    failureDestination: new S3OnFailureDestination(failureBucket),
    memoryMiB: 1_769,
    timeoutSec: 120,
    batchSize: 100,
    maxBatchingWindowSec: 5,
    parallelizationFactor: 1,
    maxRetryAttempts: -1,
    maxRecordAgeSec: 86_400,
  });
  new QueryFunction(stack, 'Query', {
    vpc,
    clientSecurityGroup,
    keyTable,
    clickhouseUrl: 'http://s1r1.clickhouse.evalforge.internal:8123',
    passwordSecret: secret,
    memoryMiB: 1_769,
    timeoutSec: 30,
    reservedConcurrency: 50,
  });
  template = Template.fromStack(stack);
}, 120_000);

describe('EvalForge functions', () => {
  it('runs every function on Node.js 24, arm64, with JSON logs and tracing', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x' },
    });
    expect(Object.keys(functions)).toHaveLength(3);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        LoggingConfig: { LogFormat: 'JSON' },
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('gives the validator the stream and key table by name, and caps its concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1_769,
      ReservedConcurrentExecutions: 100,
      Environment: {
        Variables: Match.objectLike({
          EVENT_STREAM_NAME: Match.anyValue(),
          API_KEYS_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
  });

  it("feeds the loader from the stream the way the loader's exactly-once design needs", () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: 86_400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    // -1 (retry until the record is too old) is the service default: the property is left out.
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mapping?.Properties.MaximumRetryAttempts).toBeUndefined();
  });

  it('puts the loader and query functions in the VPC, in the ClickHouse client group, with their own users', () => {
    for (const user of ['evalforge_loader', 'evalforge_query']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        VpcConfig: Match.objectLike({ SecurityGroupIds: Match.anyValue() }),
        Environment: { Variables: Match.objectLike({ CLICKHOUSE_USER: user }) },
      });
    }
  });

  it.each([
    [{ batchSize: 0 }, /batchSize/],
    [{ batchSize: 10_001 }, /batchSize/],
    [{ maxBatchingWindowSec: 301 }, /maxBatchingWindowSec/],
    [{ maxRetryAttempts: -2 }, /maxRetryAttempts/],
  ])('rejects loader settings the event source would refuse: %o', (override, message) => {
    const stack = new Stack(new App(), 'Bad');
    expect(() => new LoaderFunction(stack, 'Loader', { ...loaderProps(stack), ...override })).toThrow(
      message,
    );
  });
});
