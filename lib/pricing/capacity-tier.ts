import { TIERS, type TierSpec } from '../tiers.js';
import { type BillableResource, sizeNumber, sizeString } from './billable-resource.js';
import { CLICKHOUSE_COLD_WORKLOAD, TRANSIT_WORKLOAD } from './cost-tags.js';

/** The retention keys the S3 disk's bucket carries (inventory.ts reads them from the migrations' `Retention`). */
const RETENTION_DAYS = [
  'hotDays',
  'warmDays',
  'bodiesDays',
  'minuteRollupDays',
  'hourRollupDays',
  'ttlMergeTimeoutSec',
] as const;

/**
 * A tier carrying the inventory's sizes where `lib/capacity.ts`'s functions read them (the
 * validator's and loader's memory, the stream's shards, the loader's batching, Firehose's buffer,
 * the ClickHouse data nodes' shards, replicas and volumes, the tables' retention on the S3 disk's
 * bucket), so their arithmetic is used as is; the parts they do not read stay tier 1's (the S3
 * disk's cache, `coldCacheGiB`, is in no template property: it only moves the hot volume's figures).
 */
export function capacityTier(inventory: readonly BillableResource[]): TierSpec {
  const lambdaMemory = new Map<string, number>();
  for (const r of inventory) {
    const workload = r.type === 'AWS::Lambda::Function' ? sizeString(r, 'workload') : undefined;
    if (workload !== undefined) lambdaMemory.set(workload, sizeNumber(r, 'memoryMiB'));
  }
  const base: TierSpec = TIERS[1];
  // The event stream and the loader's mapping, not a multi-region tier's transit stream and forwarder.
  const stream = inventory.find(
    (r) => r.type === 'AWS::Kinesis::Stream' && sizeString(r, 'workload') !== TRANSIT_WORKLOAD,
  );
  const esm = inventory.find(
    (r) => r.type === 'AWS::Lambda::EventSourceMapping' && sizeString(r, 'workload') !== TRANSIT_WORKLOAD,
  );
  const firehose = inventory.find((r) => r.type === 'AWS::KinesisFirehose::DeliveryStream');
  const dataVolumes = inventory.filter(
    (r) => r.type === 'AWS::EC2::Volume' && r.size.clickHouseShard !== undefined,
  );
  const [firstVolume] = dataVolumes;
  const cold = inventory.find(
    (r) => r.type === 'AWS::S3::Bucket' && sizeString(r, 'workload') === CLICKHOUSE_COLD_WORKLOAD,
  );
  const retention = { ...base.retention };
  for (const key of RETENTION_DAYS) {
    if (cold?.size[key] !== undefined) retention[key] = sizeNumber(cold, key);
  }
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
    retention,
    clickhouse: {
      ...base.clickhouse,
      ...(firstVolume && {
        shards: Math.max(...dataVolumes.map((r) => sizeNumber(r, 'clickHouseShard'))),
        replicas: Math.max(...dataVolumes.map((r) => sizeNumber(r, 'clickHouseReplica'))),
        volumeGiB: sizeNumber(firstVolume, 'volumeGiB'),
        volumeIops: sizeNumber(firstVolume, 'volumeIops', base.clickhouse.volumeIops),
        volumeThroughputMiBps: sizeNumber(
          firstVolume,
          'volumeThroughputMiBps',
          base.clickhouse.volumeThroughputMiBps,
        ),
      }),
    },
  };
}
