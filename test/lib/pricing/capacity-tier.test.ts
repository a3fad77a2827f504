import { describe, expect, it } from 'vitest';
import type { BillableResource } from '../../../lib/pricing/billable-resource.js';
import { capacityTier } from '../../../lib/pricing/capacity-tier.js';
import { CLICKHOUSE_COLD_WORKLOAD } from '../../../lib/pricing/cost-tags.js';
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

  it("counts the ClickHouse data nodes from their volumes and takes the retention from the S3 disk's bucket", () => {
    const volume = (shard: number, replica: number) =>
      res('AWS::EC2::Volume', {
        volumeType: 'gp3',
        volumeGiB: 12_000,
        volumeIops: 16_000,
        volumeThroughputMiBps: 1_000,
        clickHouseShard: shard,
        clickHouseReplica: replica,
      });
    const tier = capacityTier([
      volume(1, 1),
      volume(1, 2),
      volume(2, 1),
      volume(2, 2),
      res('AWS::EC2::Volume', { volumeType: 'gp3', volumeGiB: 8 }),
      res('AWS::S3::Bucket', { workload: CLICKHOUSE_COLD_WORKLOAD, hotDays: 7, warmDays: 83, bodiesDays: 1 }),
    ]);
    expect(tier.clickhouse).toMatchObject({
      shards: 2,
      replicas: 2,
      volumeGiB: 12_000,
      volumeIops: 16_000,
      volumeThroughputMiBps: 1_000,
    });
    // The keys the bucket lacks stay tier 1's.
    expect(tier.retention).toMatchObject({
      hotDays: 7,
      warmDays: 83,
      bodiesDays: 1,
      ttlMergeTimeoutSec: TIERS[1].retention.ttlMergeTimeoutSec,
    });
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
