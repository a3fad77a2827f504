import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EventStream, type EventStreamProps } from '../../../lib/constructs/event-stream.js';
import { TIER_IDS, TIERS } from '../../../lib/tiers.js';

function synth(props: EventStreamProps): { app: App; stack: Stack; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Test');
  new EventStream(stack, 'Stream', props);
  return { app, stack, template: Template.fromStack(stack) };
}

function streamLogicalIds(template: Template): string[] {
  return Object.keys(template.findResources('AWS::Kinesis::Stream'));
}

describe.each(TIER_IDS)('EventStream, tier %i', (tierId) => {
  const spec = TIERS[tierId].stream;
  const { template } = synth({ ...spec });

  it('is one provisioned stream with the tier’s shards and retention', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: spec.shardCount,
      RetentionPeriodHours: spec.retentionHours,
    });
  });

  it('is encrypted with the AWS-managed Kinesis key and retained on stack deletion', () => {
    template.hasResource('AWS::Kinesis::Stream', {
      Properties: { StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('keeps the logical ID of tier 1, so a tier change updates the stream in place', () => {
    expect(streamLogicalIds(template)).toEqual(streamLogicalIds(synth({ ...TIERS[1].stream }).template));
  });
});

describe('EventStream, on demand', () => {
  const { template } = synth({ mode: 'on-demand', retentionHours: 48 });

  it('has no shard count and keeps the provisioned stream’s logical ID', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 48,
    });
    const [stream] = Object.values(template.findResources('AWS::Kinesis::Stream'));
    expect(stream?.Properties).not.toHaveProperty('ShardCount');
    expect(streamLogicalIds(template)).toEqual(streamLogicalIds(synth({ ...TIERS[1].stream }).template));
  });
});

describe('EventStream props', () => {
  it.each<[string, EventStreamProps, RegExp]>([
    ['a provisioned stream without shardCount', { mode: 'provisioned', retentionHours: 24 }, /shardCount/],
    ['zero shards', { mode: 'provisioned', shardCount: 0, retentionHours: 24 }, /shardCount/],
    ['a fractional shard count', { mode: 'provisioned', shardCount: 2.5, retentionHours: 24 }, /shardCount/],
    [
      'an on-demand stream with shardCount',
      { mode: 'on-demand', shardCount: 4, retentionHours: 24 },
      /shardCount/,
    ],
    [
      'retention under 24 hours',
      { mode: 'provisioned', shardCount: 1, retentionHours: 23 },
      /retentionHours/,
    ],
    [
      'retention over 8,760 hours',
      { mode: 'provisioned', shardCount: 1, retentionHours: 8_761 },
      /retentionHours/,
    ],
    [
      'an unknown mode',
      { mode: 'serverless' as EventStreamProps['mode'], shardCount: 1, retentionHours: 24 },
      /mode must be/,
    ],
  ])('rejects %s', (_name, props, message) => {
    const stack = new Stack(new App(), 'Test');
    expect(() => new EventStream(stack, 'Stream', props)).toThrow(message);
  });
});

describe('EventStream and cdk-nag', () => {
  it('has no unacknowledged AwsSolutions findings', () => {
    const app = new App();
    new EventStream(new Stack(app, 'Test'), 'Stream', { ...TIERS[4].stream });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
