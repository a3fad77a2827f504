import { describe, expect, it } from 'vitest';
import type { BillableResource } from '../../../lib/pricing/billable-resource.js';
import { capacityTier } from '../../../lib/pricing/capacity-tier.js';
import { TIERS } from '../../../lib/tiers.js';

const res = (type: string, size: BillableResource['size']): BillableResource => ({
  type,
  logicalId: type.replace(/\W/g, ''),
  component: 'c',
  size,
});

describe('capacityTier', () => {
  it("carries the inventory's sizes where capacity reads them", () => {
    const tier = capacityTier([
      res('AWS::Lambda::Function', { workload: 'validator', memoryMiB: 1_769 }),
      res('AWS::Lambda::Function', { workload: 'loader', memoryMiB: 2_048 }),
      res('AWS::Kinesis::Stream', { shardCount: 7, retentionHours: 48 }),
      res('AWS::Lambda::EventSourceMapping', { batchSize: 500, maxBatchingWindowSec: 2, free: 'via Lambda' }),
      res('AWS::KinesisFirehose::DeliveryStream', { bufferSizeMiB: 128, bufferIntervalSec: 60 }),
    ]);
    expect(tier.ingest.validator.memoryMiB).toBe(1_769);
    expect(tier.stream).toEqual({ mode: 'provisioned', shardCount: 7, retentionHours: 48 });
    expect(tier.loader).toMatchObject({
      memoryMiB: 2_048,
      batchSize: 500,
      maxBatchingWindowSec: 2,
      parallelizationFactor: 1,
    });
    expect(tier.archive).toMatchObject({ bufferSizeMiB: 128, bufferIntervalSec: 60 });
  });

  it("keeps tier 1's sizes where the inventory has none", () => {
    expect(capacityTier([])).toEqual(TIERS[1]);
  });

  it('takes 24 h of retention for a stream without one', () => {
    expect(capacityTier([res('AWS::Kinesis::Stream', { shardCount: 2 })]).stream).toMatchObject({
      retentionHours: 24,
    });
  });

  it('rejects a load-driven function without memory, naming the size key', () => {
    expect(() => capacityTier([res('AWS::Lambda::Function', { workload: 'loader' })])).toThrow(/memoryMiB/);
  });
});
