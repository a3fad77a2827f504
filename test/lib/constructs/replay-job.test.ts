import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ZERO_TOTALS } from '../../../functions/replay/core.js';
import {
  REPLAY_ERRORS,
  REPLAY_TOTALS_FIELDS,
  ReplayJob,
  type ReplayJobProps,
} from '../../../lib/constructs/replay-job.js';
import { TIER_IDS, TIERS, type TierId } from '../../../lib/tiers.js';
import { tierTemplate } from '../../helpers/tier-templates.js';

const SHARDS = [['https://s1r1.ch.example.internal:8443'], ['https://s2r1.ch.example.internal:8443']];

/** The construct in a bare stack with a tier's slice, not bundled (test/lib/cdk-synth.test.ts bundles it). */
function build(tier: TierId, props: Partial<ReplayJobProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Replay');
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2 });
  const clientSecurityGroup = new SecurityGroup(stack, 'Clients', { vpc });
  const passwordSecret = new Secret(stack, 'LoaderPassword');
  const archiveBucket = new Bucket(stack, 'Archive', { enforceSSL: true });
  const job = new ReplayJob(stack, 'Replay', {
    vpc,
    clientSecurityGroup,
    clickhouseUrl: 'https://s1r1.ch.example.internal:8443',
    passwordSecret,
    caCertificate: 'TUlJQ0FURVNU',
    shardUrls: SHARDS,
    archiveBucket,
    ...TIERS[tier].replay,
    ...props,
  });
  return { app, stack, job, archiveBucket, clientSecurityGroup, passwordSecret };
}

interface State {
  Type: string;
  [key: string]: unknown;
}
interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

/** The state machine's definition, its references to other resources replaced by `REF`. */
function definitionOf(template: Template): Definition {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machine === undefined) throw new Error('no state machine in the template');
  const parts = (machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join('')) as Definition;
}

/** Every policy statement of the template's IAM policies, with the logical ID of its policy. */
function statements(template: Template): { policy: string; Action: string | string[]; Resource: unknown }[] {
  return Object.entries(template.findResources('AWS::IAM::Policy')).flatMap(([policy, r]) =>
    (r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map(
      (s) => ({
        policy,
        ...s,
      }),
    ),
  );
}
const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe.each(TIER_IDS)('ReplayJob with tier %i’s slice', (tier) => {
  const spec = TIERS[tier].replay;
  const { app, stack, archiveBucket, clientSecurityGroup, passwordSecret } = build(tier);
  const template = Template.fromStack(stack);
  const definition = definitionOf(template);
  const hours = definition.States.Hours as State & {
    ItemProcessor: Definition & { ProcessorConfig: object };
  };
  const objects = hours.ItemProcessor.States.Objects as State & {
    ItemProcessor: Definition & { ProcessorConfig: object };
  };
  const load = objects.ItemProcessor.States.LoadObjects as State & {
    Retry: { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts: number }[];
  };

  it('runs functions/replay in the VPC as a ClickHouse client, with the loader’s access and the archive', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: spec.memoryMiB,
      Timeout: spec.timeoutSec,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      VpcConfig: Match.objectLike({ SecurityGroupIds: [stack.resolve(clientSecurityGroup.securityGroupId)] }),
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'replay',
          CLICKHOUSE_USER: 'evalforge_loader',
          CLICKHOUSE_PASSWORD_SECRET_ARN: stack.resolve(passwordSecret.secretArn),
          CLICKHOUSE_CA_CERT: 'TUlJQ0FURVNU',
          CLICKHOUSE_SHARD_URLS: JSON.stringify(SHARDS),
          ARCHIVE_BUCKET_NAME: stack.resolve(archiveBucket.bucketName),
          REPLAY_DEFAULT_MAX_CONCURRENCY: String(spec.defaultMaxConcurrentBatches),
        }),
      },
    });
  });

  it('plans, then maps the hours one at a time, each over its listing in batches at the execution’s rate cap', () => {
    expect(definition.StartAt).toBe('Plan');
    expect(definition.States.Plan).toMatchObject({ QueryLanguage: 'JSONata', Next: 'Hours' });
    expect(hours).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.prefixes',
      MaxConcurrency: 1,
      ItemSelector: { 'prefix.$': '$$.Map.Item.Value' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Objects',
      },
      Next: 'Sum',
    });
    expect(hours.ItemSelector).toMatchObject({ 'maxConcurrency.$': '$.maxConcurrency', 'from.$': '$.from' });
    expect(objects).toMatchObject({
      Type: 'Map',
      MaxConcurrencyPath: '$.maxConcurrency',
      ItemReader: { Resource: 'arn:REF:states:::s3:listObjectsV2', Parameters: { 'Prefix.$': '$.prefix' } },
      ItemBatcher: {
        MaxItemsPerBatch: spec.objectsPerBatch,
        BatchInput: {
          'from.$': '$.from',
          'to.$': '$.to',
          'project.$': '$.project',
          'restoreTier.$': '$.restoreTier',
          'restoreOnly.$': '$.restoreOnly',
        },
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'LoadObjects',
      },
      Next: 'SumHour',
    });
  });

  it('tolerates no failed batch or hour: the service default of 0, which redrive-execution resumes from', () => {
    for (const map of [hours, objects]) {
      expect(map).not.toHaveProperty('ToleratedFailurePercentage');
      expect(map).not.toHaveProperty('ToleratedFailureCount');
      expect(map).not.toHaveProperty('ToleratedFailurePercentagePath');
    }
  });

  it('hands each batch to the function as the ItemBatcher gives it, and packs its totals in the order sum reads', () => {
    expect(load).toMatchObject({
      Parameters: { Payload: { action: 'objects', 'Items.$': '$.Items', 'BatchInput.$': '$.BatchInput' } },
      ResultSelector: {
        'totals.$': `States.Array(${REPLAY_TOTALS_FIELDS.map((f) => `$.Payload.${f}`).join(', ')})`,
      },
      OutputPath: '$.totals',
    });
    expect([...REPLAY_TOTALS_FIELDS]).toEqual(Object.keys(ZERO_TOTALS));
    for (const sum of [hours.ItemProcessor.States.SumHour, definition.States.Sum]) {
      expect(sum).toMatchObject({
        Parameters: { Payload: { action: 'sum', 'results.$': '$' } },
        OutputPath: '$.Payload',
      });
    }
  });

  it('retries Lambda’s errors, waits hours for a restore, and never retries an input it cannot use', () => {
    const retryOf = (error: string) => load.Retry.find((r) => r.ErrorEquals.includes(error));
    expect(retryOf('Lambda.ServiceException')).toBeDefined();
    expect(retryOf('Lambda.TooManyRequestsException')).toBeDefined();
    expect(retryOf(REPLAY_ERRORS.objectNotRestored)).toMatchObject({
      IntervalSeconds: 900,
      BackoffRate: 2,
      MaxDelaySeconds: 14_400,
      MaxAttempts: 20,
    });
    expect(retryOf(REPLAY_ERRORS.input)).toMatchObject({ MaxAttempts: 0 });
    // States.ALL must come last, alone.
    expect(load.Retry.at(-1)?.ErrorEquals).toEqual(['States.ALL']);
  });

  it('logs every execution event to its own log group, traces with X-Ray and encrypts its state', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
      TracingConfiguration: { Enabled: true },
      EncryptionConfiguration: { Type: 'AWS_OWNED_KEY' },
    });
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  it('grants least privilege: no s3:* or *, restores on the archive’s objects only, reads the bucket', () => {
    const all = statements(template);
    for (const s of all) {
      expect(actionsOf(s)).not.toContain('s3:*');
      expect(actionsOf(s)).not.toContain('*');
    }
    const restores = all.filter((s) => actionsOf(s).includes('s3:RestoreObject'));
    expect(restores).toHaveLength(1);
    expect(restores[0]?.Resource).toEqual({
      'Fn::Join': ['', [stack.resolve(archiveBucket.bucketArn), '/events/*']],
    });
    expect(actionsOf(restores[0] as { Action: string[] })).toEqual(['s3:RestoreObject']);
    const fnStatements = all.filter((s) => s.policy.startsWith('ReplayFunction'));
    expect(fnStatements.flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['s3:GetObject*', 's3:List*', 'secretsmanager:GetSecretValue']),
    );
    // The state machine lists the bucket and invokes the function; it reads no object itself.
    const machineS3 = all
      .filter((s) => s.policy.startsWith('ReplayStateMachine'))
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('s3:'));
    expect(machineS3).toEqual(['s3:ListBucket']);
  });

  it('passes cdk-nag with no unacknowledged finding', () => {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('ReplayJob rejects', () => {
  it.each([
    [{ objectsPerBatch: 0 }, /objectsPerBatch must be an integer from 1 to 100/],
    [{ objectsPerBatch: 101 }, /objectsPerBatch must be an integer from 1 to 100/],
    [{ defaultMaxConcurrentBatches: 0 }, /defaultMaxConcurrentBatches must be an integer from 1/],
  ])('%j', (props, message) => {
    expect(() => build(1, props)).toThrow(message);
  });
});

describe.each(TIER_IDS)('the stack at tier %i', (tier) => {
  it('wires the replay job and outputs its state machine and function', async () => {
    const template = await tierTemplate(tier);
    template.hasOutput('ReplayStateMachineArn', {
      Value: { Ref: Match.stringLikeRegexp('^ReplayStateMachine') },
    });
    template.hasOutput('ReplayFunctionName', { Value: { Ref: Match.stringLikeRegexp('^ReplayFunction') } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REPLAY_DEFAULT_MAX_CONCURRENCY: String(TIERS[tier].replay.defaultMaxConcurrentBatches),
        }),
      },
    });
  });

  it('keeps the replay job’s logical IDs the same as tier 1’s', async () => {
    const ids = async (t: TierId) =>
      Object.keys((await tierTemplate(t)).toJSON().Resources as object)
        .filter((id) => id.startsWith('Replay'))
        .sort();
    expect(await ids(tier)).toEqual(await ids(1));
    expect((await ids(tier)).length).toBeGreaterThan(5);
  });
});
