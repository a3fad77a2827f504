import { TIERS, type TierSpec } from '../tiers.js';
import { type BillableResource, sizeNumber, sizeString } from './billable-resource.js';

/**
 * A tier carrying the inventory's sizes where `lib/capacity.ts`'s functions read them (the
 * validator's and loader's memory, the stream's shards, the loader's batching, Firehose's buffer),
 * so their arithmetic is used as is; the parts they do not read stay tier 1's.
 */
export function capacityTier(inventory: readonly BillableResource[]): TierSpec {
  const lambdaMemory = new Map<string, number>();
  for (const r of inventory) {
    const workload = r.type === 'AWS::Lambda::Function' ? sizeString(r, 'workload') : undefined;
    if (workload !== undefined) lambdaMemory.set(workload, sizeNumber(r, 'memoryMiB'));
  }
  const base: TierSpec = TIERS[1];
  const stream = inventory.find((r) => r.type === 'AWS::Kinesis::Stream');
  const esm = inventory.find((r) => r.type === 'AWS::Lambda::EventSourceMapping');
  const firehose = inventory.find((r) => r.type === 'AWS::KinesisFirehose::DeliveryStream');
  return {
    ...base,
    ingest: {
      ...base.ingest,
      validator: {
        ...base.ingest.validator,
        memoryMiB: lambdaMemory.get('validator') ?? base.ingest.validator.memoryMiB,
      },
    },
    stream: stream
      ? {
          mode: 'provisioned',
          shardCount: sizeNumber(stream, 'shardCount'),
          retentionHours: sizeNumber(stream, 'retentionHours', 24),
        }
      : base.stream,
    loader: {
      ...base.loader,
      memoryMiB: lambdaMemory.get('loader') ?? base.loader.memoryMiB,
      ...(esm && {
        batchSize: sizeNumber(esm, 'batchSize'),
        maxBatchingWindowSec: sizeNumber(esm, 'maxBatchingWindowSec', 0),
        parallelizationFactor: sizeNumber(esm, 'parallelizationFactor', 1),
      }),
    },
    archive: {
      ...base.archive,
      ...(firehose && {
        bufferSizeMiB: sizeNumber(firehose, 'bufferSizeMiB'),
        bufferIntervalSec: sizeNumber(firehose, 'bufferIntervalSec'),
      }),
    },
  };
}
