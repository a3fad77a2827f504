/**
 * What each sized part of a tier carries: pure functions over `lib/tiers.ts`, no aws-cdk-lib.
 *
 * Every function takes a tier and optional `CapacityOptions`: the load in events/s (by default the
 * tier's ceiling × `SIZING_ASSUMPTIONS.headroom`, the load the tier is sized for) and overrides of
 * any assumption, so the cost model can ask the same questions at other loads and event sizes.
 * `tierReport` gathers all figures, the checks against AWS's limits and the flags for the docs
 * (`lib/capacity-report.ts` renders `docs/capacity.md` from it) and for the tests.
 */

import { MAX_STREAM_RECORD_BYTES } from '../functions/shared/contract/stream-record.js';
import { ASYNC_INSERT_FLUSH } from '../functions/shared/load/insert-path.js';
import { DEFAULT_MOVE_FACTOR } from './constructs/clickhouse/storage-config.js';
import { MEASURED_STORED_BYTES } from './stored-bytes.js';
import { SIZING_ASSUMPTIONS, type TierSpec } from './tiers.js';

const MiB = 1_048_576;
const GiB = 1_073_741_824;
const DAY_SEC = 86_400;

/** The limits the tiers are held to: AWS's quotas and defaults unless noted (gp3's: `GP3_LIMITS`). */
export const AWS_LIMITS = {
  /** A provisioned shard takes 1 MiB/s of data and partition keys, and 1,000 records/s. */
  kinesisShardWriteBytesPerSec: MiB,
  kinesisShardWriteRecordsPerSec: 1_000,
  /** Shared by every consumer that does not use enhanced fan-out. */
  kinesisShardReadBytesPerSec: 2 * MiB,
  kinesisShardGetRecordsPerSec: 5,
  /** Data plus partition key, the default maximum. */
  kinesisRecordBytes: MiB,
  kinesisMinRetentionHours: 24,
  kinesisMaxRetentionHours: 8_760,
  /** An ALB rejects a Lambda target's request body above 1 MB. */
  albLambdaBodyBytes: 1_000_000,
  /** Lambda's 6 MB invocation payload, read as decimal megabytes (the smaller reading). */
  lambdaPayloadBytes: 6_000_000,
  /** Lambda gives one vCPU at 1,769 MB; below it CPU is proportional to memory. */
  lambdaMiBPerVcpu: 1_769,
  lambdaMinMemoryMiB: 128,
  lambdaMaxMemoryMiB: 10_240,
  lambdaMaxTimeoutSec: 900,
  /** Concurrent executions per account and region by default. */
  lambdaAccountConcurrency: 1_000,
  /** Lambda keeps this much of the account's concurrency unreserved: reservations stop below it. */
  lambdaUnreservedMinimum: 100,
  esmMaxBatchSize: 10_000,
  esmMaxBatchingWindowSec: 300,
  esmMinParallelizationFactor: 1,
  esmMaxParallelizationFactor: 10,
  /** -1 means until the record expires. */
  esmMaxRetryAttempts: 10_000,
  /** -1 means until the stream's retention; otherwise 60 s to 7 days. */
  esmMinRecordAgeSec: 60,
  esmMaxRecordAgeSec: 604_800,
  firehoseMinBufferMiB: 1,
  firehoseMaxBufferMiB: 128,
  firehoseMaxBufferIntervalSec: 900,
  /** Firehose takes records up to 1,000 KiB. */
  firehoseRecordBytes: 1_024_000,
  /** S3 moves objects to Standard-IA no earlier than 30 days after creation. */
  s3MinDaysToInfrequentAccess: 30,
  /**
   * Not a hard limit: ClickHouse's guidance is about one insert, so one new part, a second per
   * table; each part is one merges must fold in again, and parts they cannot absorb end in
   * TOO_MANY_PARTS. The loader inserts asynchronously so that each node flushes one part per table
   * a second (`ASYNC_INSERT_FLUSH`, functions/shared/load/insert-path.ts).
   */
  clickHouseMaxPartsPerSecPerTable: 1,
  /** Not an AWS limit: the design document's "real world" new connections per second per ALB. */
  albNewConnectionsPerSec: 10_000,
} as const;

/**
 * The assumptions beyond `SIZING_ASSUMPTIONS` that the figures rest on. `lib/capacity-report.ts`
 * prints each with where it comes from.
 */
export const CAPACITY_ASSUMPTIONS = {
  /**
   * Bytes a stream record carries beyond the request body: the gzip member holding the header
   * line (~170 bytes, measured) and the newline member (21 bytes).
   */
  recordOverheadBytes: 200,
  /** The request key the validator uses as partition key; Kinesis counts it against the shard. */
  partitionKeyBytes: 64,
  /** GetRecords calls per shard and consumer: Lambda and Firehose poll each shard once a second. */
  getRecordsPerSecPerConsumer: 1,
  /**
   * Validator CPU per request beyond its events: base64-decoding the ALB body, then base64-encoding,
   * JSON-encoding and SigV4-hashing the ~1.2 MB PutRecords body (estimate, ~2 ms per MB each).
   */
  validatorCpuSecPerRequest: 0.005,
  /** Validator wall time per request spent waiting, not computing: the PutRecords round trip. */
  validatorWaitSecPerRequest: 0.03,
  /** JSON around each record in a Kinesis event (ids, sequence number, ARNs), beside its base64 data. */
  esmEnvelopeBytesPerRecord: 600,
  /**
   * Loader CPU per event: decoding the records and building the insert body (~53 µs) plus gzip of
   * the body at level 1 (`LOADER_REQUEST_GZIP_LEVEL`, ~88 µs for ~5.7 KB of NDJSON), both measured by
   * the loader benchmark (docs/benchmarks.md, "Loader"); zlib's default level 6 took ~256 µs.
   */
  loaderCpuSecPerEvent: 0.000_14,
  /** Loader wall time per invocation spent waiting: the loaded-keys lookup and round trips. */
  loaderWaitSecPerInvocation: 0.05,
  /** Loader memory per event of a batch: the loader benchmark's 382 MiB peak at 2,180 events. */
  loaderMiBPerEvent: 0.18,
  /**
   * What an insert body's line carries beyond the event itself: the record header's four fields
   * in front of it (`ingestLine`, functions/shared/load/core.ts); a 5.3 KB event's line is ~5.7 KB.
   */
  loaderInsertHeaderBytesPerEvent: 400,
  /**
   * gzip level 1 on the insert body, as the loader sends it: the loader benchmark measures
   * ~5,680 bytes an event into ~2,080 (2.73:1; level 6 would send ~1,820).
   */
  loaderInsertGzipRatio: 2.73,
  /**
   * ClickHouse on disk per row, by column group (`MEASURED_STORED_BYTES`, lib/stored-bytes.ts):
   * prompt and response (ZSTD(6), text whose words are drawn one by one, 2.97:1)…
   */
  clickHouseBodiesBytesPerRow: MEASURED_STORED_BYTES.bodiesBytesPerRow,
  /** …the `metadata` JSON column… */
  clickHouseMetadataBytesPerRow: MEASURED_STORED_BYTES.metadataBytesPerRow,
  /** …and every other column with the part's marks, primary key and bloom filter. */
  clickHouseRestBytesPerRow:
    MEASURED_STORED_BYTES.restBytesPerRow + MEASURED_STORED_BYTES.marksAndIndexesBytesPerRow,
  /** One `events_minute` row: rows a day are series × 1,440, whatever the event rate. */
  clickHouseMinuteRollupBytesPerRow: MEASURED_STORED_BYTES.minuteRollupBytesPerRow,
  /** One `events_hour` row: series × 24 a day. */
  clickHouseHourRollupBytesPerRow: MEASURED_STORED_BYTES.hourRollupBytesPerRow,
  /**
   * Rollup series: (project, model) pairs with a call every minute, over the cluster. An estimate
   * of a large deployment (500 projects × 4 models); the rollups' bytes follow it, not the events.
   */
  clickHouseRollupSeries: 2_000,
  /**
   * Bytes written per byte inserted: the insert and its rewrites by merges, rounded up. ClickHouse's
   * merge selector joins parts of similar size at a base of 5 (`SimpleMergeSelector`), so a row is
   * rewritten about log5(150 GiB largest part / ~5 MiB first part) ≈ 6.4 times.
   */
  clickHouseMergeWriteAmplification: 8,
  /**
   * The largest part a merge makes (`max_bytes_to_merge_at_max_space_in_pool`, 150 GiB): the free
   * space a merge needs at most, what a TTL merge rewrites at most, and how many hours of rows a
   * part spans (a part moves when its newest row reaches `hotDays`).
   */
  clickHouseLargestPartBytes: 150 * GiB,
  /**
   * The hot volume's free share the mover keeps (`move_factor` of the `tiered` policy,
   * `DEFAULT_MOVE_FACTOR`): below it, parts move to S3 early, oldest first.
   */
  clickHouseMoveFactor: DEFAULT_MOVE_FACTOR,
  /** The data volume's other tenants: system log tables (with their TTLs), load bookkeeping, dead letters. */
  clickHouseOtherHotBytes: 50 * GiB,
  /**
   * A part's objects on the S3 disk: one per file of a wide part (data and marks of 23 columns and
   * the JSON column's paths, checksums, columns, count, primary key, index), rounded up.
   */
  clickHouseObjectsPerPart: 100,
  /** The average part the mover sends to S3: most bytes sit in the largest parts (an estimate). */
  clickHouseColdPartBytes: 16 * GiB,
  /** ClickHouse uploads larger files in parts of 16 MiB (`s3_min_upload_part_size`): one PUT each. */
  clickHouseS3UploadPartBytes: 16 * MiB,
  /**
   * Share of the S3 disk's bytes read back a day past its cache (queries over warm days), in GETs
   * of ~1 MiB (`clickHouseS3GetBytes`): an estimate; dashboards read the rollups, on the hot volume.
   */
  clickHouseColdReadSharePerDay: 0.01,
  clickHouseS3GetBytes: MiB,
} as const;

export type CapacityAssumptions = {
  readonly [K in keyof typeof SIZING_ASSUMPTIONS | keyof typeof CAPACITY_ASSUMPTIONS]: number;
};

export const DEFAULT_ASSUMPTIONS: CapacityAssumptions = { ...SIZING_ASSUMPTIONS, ...CAPACITY_ASSUMPTIONS };

export interface CapacityOptions {
  /** @default - the tier's ceiling × `headroom` */
  readonly eventsPerSec?: number;
  /** @default - `DEFAULT_ASSUMPTIONS` */
  readonly assumptions?: Partial<CapacityAssumptions>;
}

function resolve(tier: TierSpec, options: CapacityOptions): { a: CapacityAssumptions; eventsPerSec: number } {
  const a = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
  const eventsPerSec = options.eventsPerSec ?? loadEventsPerSec(tier, a);
  if (!Number.isFinite(eventsPerSec) || eventsPerSec < 0) {
    throw new RangeError(`eventsPerSec must be a finite number ≥ 0, got ${eventsPerSec}`);
  }
  return { a, eventsPerSec };
}

/** Insert body per event as a node buffers it: `eventBytes + loaderInsertHeaderBytesPerEvent`. */
export function loaderInsertBytesPerEvent(assumptions: Partial<CapacityAssumptions> = {}): number {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  return a.eventBytes + a.loaderInsertHeaderBytesPerEvent;
}

/** Insert body per event on the wire: `loaderInsertBytesPerEvent ÷ loaderInsertGzipRatio`. */
export function loaderInsertWireBytesPerEvent(assumptions: Partial<CapacityAssumptions> = {}): number {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  return loaderInsertBytesPerEvent(a) / a.loaderInsertGzipRatio;
}

/** The load a tier is sized for: `ceilingEventsPerSec × headroom`. */
export function loadEventsPerSec(tier: TierSpec, assumptions: Partial<CapacityAssumptions> = {}): number {
  return tier.ceilingEventsPerSec * (assumptions.headroom ?? DEFAULT_ASSUMPTIONS.headroom);
}

/**
 * Share of one vCPU a Lambda function's handler gets: `min(1, memoryMiB / 1,769)`. Lambda gives a
 * full vCPU at 1,769 MB and more above it, but a Node handler computes on one thread.
 */
export function lambdaCpuShare(memoryMiB: number): number {
  return Math.min(1, memoryMiB / AWS_LIMITS.lambdaMiBPerVcpu);
}

export interface RequestFigures {
  readonly eventsPerRequest: number;
  /** `eventsPerRequest × eventBytes ÷ gzipRatio`: the gzip body the SDK sends. */
  readonly bodyBytes: number;
  /** `bodyBytes + recordOverheadBytes`: one request becomes one stream record (the fast path). */
  readonly recordDataBytes: number;
  /** `recordDataBytes + partitionKeyBytes`: what Kinesis counts against the record and shard limits. */
  readonly recordBytes: number;
  /** `floor(1 MB × gzipRatio ÷ eventBytes)`: the most events a request can carry through the ALB. */
  readonly maxEventsPerRequest: number;
}

/** A request and its stream record under the assumptions; the same at every load. */
export function requestFigures(assumptions: Partial<CapacityAssumptions> = {}): RequestFigures {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const bodyBytes = (a.eventsPerRequest * a.eventBytes) / a.gzipRatio;
  const recordDataBytes = bodyBytes + a.recordOverheadBytes;
  return {
    eventsPerRequest: a.eventsPerRequest,
    bodyBytes,
    recordDataBytes,
    recordBytes: recordDataBytes + a.partitionKeyBytes,
    maxEventsPerRequest: Math.floor((AWS_LIMITS.albLambdaBodyBytes * a.gzipRatio) / a.eventBytes),
  };
}

export interface StreamFigures {
  readonly shards: number;
  /** `eventsPerSec ÷ eventsPerRequest`: one record per request. */
  readonly recordsPerSec: number;
  /** `recordsPerSec × recordBytes ÷ shards`, against 1 MiB/s. */
  readonly writeBytesPerSecPerShard: number;
  /** `recordsPerSec ÷ shards`, against `recordsPerSecPerShardLimit`. */
  readonly writeRecordsPerSecPerShard: number;
  /**
   * `min(1,000, floor(1 MiB ÷ recordBytes))`: a shard's byte budget is per second and a record
   * cannot be split across seconds, so a shard takes whole records: one of ~0.84 MiB a second, not
   * the 1.19 its bytes suggest.
   */
  readonly recordsPerSecPerShardLimit: number;
  /** `streamConsumers × writeBytesPerSecPerShard`: every consumer reads every byte; against 2 MiB/s. */
  readonly readBytesPerSecPerShard: number;
  /** `streamConsumers × getRecordsPerSecPerConsumer`, against 5. */
  readonly getRecordsPerSecPerShard: number;
  readonly recordBytes: number;
}

/**
 * The stream's shards at a load (provisioned mode). The records are assumed spread evenly by their
 * partition keys (request keys, which are hashes).
 */
export function streamFigures(tier: TierSpec, options: CapacityOptions = {}): StreamFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  if (tier.stream.mode !== 'provisioned') {
    throw new Error(`tier ${tier.id}: on-demand streams are not modelled here (no tier uses one)`);
  }
  const shards = tier.stream.shardCount;
  const request = requestFigures(a);
  const recordsPerSec = eventsPerSec / a.eventsPerRequest;
  const writeBytesPerSecPerShard = (recordsPerSec * request.recordBytes) / shards;
  return {
    shards,
    recordsPerSec,
    writeBytesPerSecPerShard,
    writeRecordsPerSecPerShard: recordsPerSec / shards,
    recordsPerSecPerShardLimit: Math.min(
      AWS_LIMITS.kinesisShardWriteRecordsPerSec,
      Math.floor(AWS_LIMITS.kinesisShardWriteBytesPerSec / request.recordBytes),
    ),
    readBytesPerSecPerShard: a.streamConsumers * writeBytesPerSecPerShard,
    getRecordsPerSecPerShard: a.streamConsumers * a.getRecordsPerSecPerConsumer,
    recordBytes: request.recordBytes,
  };
}

export interface AlbFigures {
  readonly albCount: number;
  readonly requestsPerSec: number;
  /** `requestsPerSec × largest weight ÷ sum of weights`: the busiest ALB. */
  readonly requestsPerSecOnBusiestAlb: number;
  /** `requestsPerSecOnBusiestAlb × bodyBytes`. */
  readonly bodyBytesPerSecOnBusiestAlb: number;
  /** Against the ALB's 1 MB for a Lambda target. */
  readonly bodyBytes: number;
}

export function albFigures(tier: TierSpec, options: CapacityOptions = {}): AlbFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  const weights = tier.ingest.albWeights;
  const share = Math.max(...weights) / weights.reduce((sum, w) => sum + w, 0);
  const requestsPerSec = eventsPerSec / a.eventsPerRequest;
  const { bodyBytes } = requestFigures(a);
  return {
    albCount: tier.ingest.albCount,
    requestsPerSec,
    requestsPerSecOnBusiestAlb: requestsPerSec * share,
    bodyBytesPerSecOnBusiestAlb: requestsPerSec * share * bodyBytes,
    bodyBytes,
  };
}

export interface ValidatorFigures {
  readonly requestsPerSec: number;
  /** `validatorCpuSecPerEvent × eventsPerRequest + validatorCpuSecPerRequest`, on one vCPU. */
  readonly cpuSecPerRequest: number;
  readonly cpuShare: number;
  /** `cpuSecPerRequest ÷ cpuShare + validatorWaitSecPerRequest`. */
  readonly durationSec: number;
  /** Little's law: `requestsPerSec × durationSec`, against the reserved concurrency. */
  readonly concurrencyNeeded: number;
  readonly reservedConcurrency: number;
}

export function validatorFigures(tier: TierSpec, options: CapacityOptions = {}): ValidatorFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  const { memoryMiB, reservedConcurrency } = tier.ingest.validator;
  const requestsPerSec = eventsPerSec / a.eventsPerRequest;
  const cpuSecPerRequest = a.validatorCpuSecPerEvent * a.eventsPerRequest + a.validatorCpuSecPerRequest;
  const cpuShare = lambdaCpuShare(memoryMiB);
  const durationSec = cpuSecPerRequest / cpuShare + a.validatorWaitSecPerRequest;
  return {
    requestsPerSec,
    cpuSecPerRequest,
    cpuShare,
    durationSec,
    concurrencyNeeded: requestsPerSec * durationSec,
    reservedConcurrency,
  };
}

export interface LoaderFigures {
  readonly recordsPerSecPerShard: number;
  /** `floor(6 MB ÷ (base64 of a record + its envelope))`: the records one invocation can carry. */
  readonly recordsPerPayload: number;
  /**
   * `min(batchSize, recordsPerPayload, max(1, recordsPerSecPerShard × max(window, 1 s)))`: a
   * batch closes when full or when the window ends (the event source polls once a second).
   */
  readonly recordsPerInvocation: number;
  readonly eventsPerInvocation: number;
  /** Base64 records and their envelopes, against 6 MB. */
  readonly payloadBytes: number;
  /**
   * `loaderWaitSecPerInvocation + events × loaderCpuSecPerEvent ÷ cpuShare + events ÷
   * clickHouseEventsPerSecPerVcpu`: the loader's own CPU, then ClickHouse taking the insert at one
   * vCPU's share of its node's rate.
   */
  readonly durationSec: number;
  /** `recordsPerSecPerShard ÷ recordsPerInvocation`. */
  readonly invocationsPerSecPerShard: number;
  /** `invocationsPerSecPerShard × durationSec`: batches in flight per shard, against the parallelization factor. */
  readonly busyBatchesPerShard: number;
  /** `shards × parallelizationFactor`: the most loader executions at once. */
  readonly maxConcurrency: number;
  /** `eventsPerInvocation × loaderMiBPerEvent`, against the function's memory. */
  readonly memoryMiBNeeded: number;
  /** `shards × invocationsPerSecPerShard`: one ClickHouse insert per invocation. */
  readonly insertsPerSec: number;
}

export function loaderFigures(tier: TierSpec, options: CapacityOptions = {}): LoaderFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  const stream = streamFigures(tier, options);
  const { loader } = tier;
  const request = requestFigures(a);
  const perRecordPayload = 4 * Math.ceil(request.recordDataBytes / 3) + a.esmEnvelopeBytesPerRecord;
  const recordsPerPayload = Math.floor(AWS_LIMITS.lambdaPayloadBytes / perRecordPayload);
  const recordsPerSecPerShard = stream.writeRecordsPerSecPerShard;
  const gathered = Math.max(1, recordsPerSecPerShard * Math.max(loader.maxBatchingWindowSec, 1));
  const recordsPerInvocation = Math.min(loader.batchSize, recordsPerPayload, gathered);
  const eventsPerInvocation = recordsPerInvocation * a.eventsPerRequest;
  const durationSec =
    a.loaderWaitSecPerInvocation +
    (eventsPerInvocation * a.loaderCpuSecPerEvent) / lambdaCpuShare(loader.memoryMiB) +
    eventsPerInvocation / a.clickHouseEventsPerSecPerVcpu;
  const invocationsPerSecPerShard = eventsPerSec === 0 ? 0 : recordsPerSecPerShard / recordsPerInvocation;
  return {
    recordsPerSecPerShard,
    recordsPerPayload,
    recordsPerInvocation,
    eventsPerInvocation,
    payloadBytes: recordsPerInvocation * perRecordPayload,
    durationSec,
    invocationsPerSecPerShard,
    busyBatchesPerShard: invocationsPerSecPerShard * durationSec,
    maxConcurrency: stream.shards * loader.parallelizationFactor,
    memoryMiBNeeded: eventsPerInvocation * a.loaderMiBPerEvent,
    insertsPerSec: stream.shards * invocationsPerSecPerShard,
  };
}

export interface ClickHouseFigures {
  readonly nodes: number;
  /** `clickHouseEventsPerSecPerVcpu × vcpus`. */
  readonly eventsPerSecPerNode: number;
  /** `shards × eventsPerSecPerNode × (1 − clickHouseReplicationOverhead when replicas > 1)`. */
  readonly clusterEventsPerSec: number;
  /** `eventsPerSec ÷ shards`: every replica of a shard stores all of that shard's rows. */
  readonly eventsPerSecPerShard: number;
  /** A full row on disk: bodies + metadata + the rest (`clickHouseStorageFigures`'s `fullRowBytes`). */
  readonly bytesPerEvent: number;
  /** `eventsPerSecPerShard × bytesPerEvent × 86,400`: full rows a node writes a day. */
  readonly bytesPerDayPerNode: number;
  /** `eventsPerSecPerShard × bytesPerEvent × clickHouseMergeWriteAmplification`, against the volume's throughput. */
  readonly diskWriteMiBps: number;
  /**
   * `loader insertsPerSec × (1 − (1 − 1/shards)^recordsPerInvocation)`: the loader splits each
   * batch by the shard that owns each project and sends a shard its part in one insert, to the
   * shard's first replica; a shard gets an insert when one of the batch's records hashes to it.
   */
  readonly insertsPerSecPerTablePerNode: number;
  /** `eventsPerSecPerShard × loaderInsertBytesPerEvent()`: what a node's insert buffer takes a second. */
  readonly insertBytesPerSecPerNode: number;
  /**
   * Parts a node makes per table a second: one per flush of its asynchronous insert buffer, which
   * flushes every `ASYNC_INSERT_FLUSH.intervalMs`, or earlier when a flush's bytes or inserts
   * reach `maxBytes` or `maxQueries`; never more than the inserts it receives.
   */
  readonly partsPerSecPerTablePerNode: number;
  /** Each volume's bytes, days and requests under the tier's retention. */
  readonly storage: ClickHouseStorageFigures;
}

/** Bytes a day arriving on the S3 disk at one age band, per node: what the cost model accumulates. */
export interface ColdBand {
  /** The rows' age, in days, when they reach the band (the move, or the bodies' TTL)… */
  readonly fromDay: number;
  /** …and when they leave it (the bodies' TTL, or the rows' delete). */
  readonly toDay: number;
  /** Bytes a day of rows of this band, per node. */
  readonly bytesPerDayPerNode: number;
  /** Full rows (with bodies) or lean ones. */
  readonly rows: 'full' | 'lean';
}

/**
 * A data node's two volumes under the tier's retention (`tier.retention`), per node, at the load:
 * what the hot volume (gp3) holds and how long, the free space kept for merges, what the warm
 * volume (the S3 disk) holds at steady state and the requests it makes.
 */
export interface ClickHouseStorageFigures {
  /** Rows a node stores a day: `eventsPerSecPerShard × 86,400`. */
  readonly rowsPerDayPerNode: number;
  /** `bodies + metadata + rest` bytes of a stored row. */
  readonly fullRowBytes: number;
  /** `metadata + rest`: a row once its bodies are emptied. */
  readonly leanRowBytes: number;
  /** Bytes of each column group a node writes a day: the measured per-row bytes × rows a day. */
  readonly bytesPerDayByGroup: { readonly bodies: number; readonly metadata: number; readonly rest: number };
  /**
   * `clickHouseLargestPartBytes ÷ full bytes a day`, in days (at most a month, a partition): a part
   * moves when its newest row reaches `hotDays`, so its oldest rows stay hot this much longer.
   */
  readonly partSpanDays: number;
  /**
   * Days after `bodiesDays` until a row's body is emptied: a partition's TTL merges run at most
   * every `ttlMergeTimeoutSec`, each emptying every body expired by then.
   */
  readonly bodiesLagDays: number;
  /** `hotDays + partSpanDays`: how long the hot volume must hold a day of rows. */
  readonly hotWindowDays: number;
  /** `volumeGiB × (1 − moveFactor)`: what the mover lets the volume fill to. */
  readonly hotFillBytes: number;
  /** Of it, not rows: the S3 disk's cache, the rollups at their TTLs, the other tables. */
  readonly hotCacheBytes: number;
  readonly hotRollupBytes: number;
  readonly hotOtherBytes: number;
  /** `hotFillBytes − cache − rollups − other`: what rows may fill. */
  readonly hotRowCapacityBytes: number;
  /** Bytes of rows the hot window holds: full rows until the bodies go, lean after. */
  readonly hotRowBytes: number;
  /** Days of rows `hotRowCapacityBytes` holds: must reach `hotWindowDays`. */
  readonly hotDaysHeld: number;
  /** `volumeGiB × moveFactor`: free space the mover keeps for merges. */
  readonly mergeFreeBytes: number;
  /** `clickHouseLargestPartBytes`: the largest merge's new part, which needs that much free space. */
  readonly largestMergeBytes: number;
  /** TTL merges a day one partition needs to empty a day's bodies: full bytes a day ÷ largest part. */
  readonly ttlMergesNeededPerDay: number;
  /** `86,400 ÷ ttlMergeTimeoutSec`: TTL merges a day one partition may run. */
  readonly ttlMergesAllowedPerDay: number;
  /** What arrives on the S3 disk, by age band (full rows when bodies outlive the hot days). */
  readonly coldBands: readonly ColdBand[];
  /** Bytes the S3 disk holds per node once every band is full (at the rows' delete age). */
  readonly coldBytesHeldPerNode: number;
  /** `coldBytesHeldPerNode × nodes`: replicas each keep their own copy. */
  readonly coldBytesHeldPerCluster: number;
  /**
   * Bytes written to S3 a day per node: parts moved, and parts TTL merges rewrite there (when their
   * bodies expire on the S3 disk, and when their oldest rows are deleted).
   */
  readonly coldBytesWrittenPerDayPerNode: number;
  /** PUTs a day per node: an upload part per 16 MiB and a few per object, for moves and rewrites. */
  readonly s3PutsPerDayPerNode: number;
  /** GETs a day per node: reads past the cache, and the reads of the parts TTL merges rewrite. */
  readonly s3GetsPerDayPerNode: number;
}

export function clickHouseStorageFigures(
  tier: TierSpec,
  options: CapacityOptions = {},
): ClickHouseStorageFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  const ch = tier.clickhouse;
  const r = tier.retention;
  const rowsPerDayPerNode = (eventsPerSec / ch.shards) * DAY_SEC;
  const fullRowBytes =
    a.clickHouseBodiesBytesPerRow + a.clickHouseMetadataBytesPerRow + a.clickHouseRestBytesPerRow;
  const leanRowBytes = a.clickHouseMetadataBytesPerRow + a.clickHouseRestBytesPerRow;
  const fullPerDay = rowsPerDayPerNode * fullRowBytes;
  const leanPerDay = rowsPerDayPerNode * leanRowBytes;
  const partSpanDays = fullPerDay === 0 ? 31 : Math.min(31, a.clickHouseLargestPartBytes / fullPerDay);
  const bodiesLagDays = r.ttlMergeTimeoutSec / DAY_SEC;
  const hotWindowDays = r.hotDays + partSpanDays;
  // Full rows while their bodies last (on this volume), lean ones for the rest of the window.
  const bodiesGoneDays = r.bodiesDays + bodiesLagDays;
  const fullDaysHot = Math.min(bodiesGoneDays, hotWindowDays);
  const hotRowBytes = fullPerDay * fullDaysHot + leanPerDay * (hotWindowDays - fullDaysHot);
  const volumeBytes = ch.volumeGiB * GiB;
  const hotFillBytes = volumeBytes * (1 - a.clickHouseMoveFactor);
  const seriesPerNode = a.clickHouseRollupSeries / ch.shards;
  const hotRollupBytes =
    seriesPerNode *
    (1_440 * a.clickHouseMinuteRollupBytesPerRow * r.minuteRollupDays +
      24 * a.clickHouseHourRollupBytesPerRow * r.hourRollupDays);
  const hotCacheBytes = ch.coldCacheGiB * GiB;
  const hotOtherBytes = a.clickHouseOtherHotBytes;
  const hotRowCapacityBytes = hotFillBytes - hotCacheBytes - hotRollupBytes - hotOtherBytes;
  // The days of rows that capacity holds: full rows first, then lean ones.
  const hotDaysHeld =
    fullPerDay === 0
      ? Number.POSITIVE_INFINITY
      : hotRowCapacityBytes <= fullPerDay * bodiesGoneDays
        ? Math.max(0, hotRowCapacityBytes) / fullPerDay
        : bodiesGoneDays + (hotRowCapacityBytes - fullPerDay * bodiesGoneDays) / leanPerDay;
  const rowsDays = r.hotDays + r.warmDays;
  const coldBands: ColdBand[] = [];
  if (r.bodiesDays > r.hotDays) {
    coldBands.push({ fromDay: r.hotDays, toDay: r.bodiesDays, bytesPerDayPerNode: fullPerDay, rows: 'full' });
  }
  const leanFrom = Math.max(r.hotDays, r.bodiesDays);
  if (rowsDays > leanFrom) {
    coldBands.push({ fromDay: leanFrom, toDay: rowsDays, bytesPerDayPerNode: leanPerDay, rows: 'lean' });
  }
  const coldBytesHeldPerNode = coldBands.reduce(
    (sum, band) => sum + band.bytesPerDayPerNode * (band.toDay - band.fromDay),
    0,
  );
  // A day's rows move once. On the S3 disk, TTL merges then rewrite parts: when bodies expire there
  // (read full, written lean) and when rows are deleted (a part whose oldest rows expired is
  // rewritten without them). A partition gets a TTL merge per timeout, so a part spanning more
  // than one timeout is rewritten about span ÷ timeout times, shrinking: half its bytes each time.
  const rewritesPerPart = Math.max(1, (partSpanDays * DAY_SEC) / r.ttlMergeTimeoutSec / 2);
  const movedPerDay = coldBands[0]?.bytesPerDayPerNode ?? 0;
  const bodiesOnCold = r.bodiesDays > r.hotDays && rowsDays > r.bodiesDays;
  const rewrittenPerDay =
    rewritesPerPart * ((bodiesOnCold ? leanPerDay : 0) + (rowsDays > r.hotDays ? leanPerDay : 0));
  const rewriteReadPerDay =
    rewritesPerPart * ((bodiesOnCold ? fullPerDay : 0) + (rowsDays > r.hotDays ? leanPerDay : 0));
  const uploads = (bytes: number) =>
    bytes === 0
      ? 0
      : bytes / a.clickHouseS3UploadPartBytes +
        (bytes / a.clickHouseColdPartBytes) * a.clickHouseObjectsPerPart * 3;
  return {
    rowsPerDayPerNode,
    fullRowBytes,
    leanRowBytes,
    bytesPerDayByGroup: {
      bodies: rowsPerDayPerNode * a.clickHouseBodiesBytesPerRow,
      metadata: rowsPerDayPerNode * a.clickHouseMetadataBytesPerRow,
      rest: rowsPerDayPerNode * a.clickHouseRestBytesPerRow,
    },
    partSpanDays,
    bodiesLagDays,
    hotWindowDays,
    hotFillBytes,
    hotCacheBytes,
    hotRollupBytes,
    hotOtherBytes,
    hotRowCapacityBytes,
    hotRowBytes,
    hotDaysHeld,
    mergeFreeBytes: volumeBytes * a.clickHouseMoveFactor,
    largestMergeBytes: a.clickHouseLargestPartBytes,
    ttlMergesNeededPerDay: fullPerDay / a.clickHouseLargestPartBytes,
    ttlMergesAllowedPerDay: DAY_SEC / r.ttlMergeTimeoutSec,
    coldBands,
    coldBytesHeldPerNode,
    coldBytesHeldPerCluster: coldBytesHeldPerNode * ch.shards * ch.replicas,
    coldBytesWrittenPerDayPerNode: movedPerDay + rewrittenPerDay,
    // Three requests an object (create, part, complete) for the small ones, one per upload part.
    s3PutsPerDayPerNode: uploads(movedPerDay) + uploads(rewrittenPerDay),
    s3GetsPerDayPerNode:
      (coldBytesHeldPerNode * a.clickHouseColdReadSharePerDay + rewriteReadPerDay) / a.clickHouseS3GetBytes,
  };
}

/** Parts per table a second from a node's asynchronous insert buffer (see `partsPerSecPerTablePerNode`). */
export function partsPerSec(insertsPerSec: number, bytesPerSec: number, flush = ASYNC_INSERT_FLUSH): number {
  if (insertsPerSec === 0) return 0;
  const flushes = Math.max(
    1_000 / flush.intervalMs,
    bytesPerSec / flush.maxBytes,
    insertsPerSec / flush.maxQueries,
  );
  return Math.min(insertsPerSec, flushes);
}

export function clickHouseFigures(tier: TierSpec, options: CapacityOptions = {}): ClickHouseFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  const ch = tier.clickhouse;
  const eventsPerSecPerNode = a.clickHouseEventsPerSecPerVcpu * ch.vcpus;
  const replication = ch.replicas > 1 ? 1 - a.clickHouseReplicationOverhead : 1;
  const eventsPerSecPerShard = eventsPerSec / ch.shards;
  const storage = clickHouseStorageFigures(tier, options);
  const bytesPerEvent = storage.fullRowBytes;
  const loader = loaderFigures(tier, options);
  const touched = 1 - (1 - 1 / ch.shards) ** loader.recordsPerInvocation;
  const inserts = loader.insertsPerSec * touched;
  const insertBytes = eventsPerSecPerShard * loaderInsertBytesPerEvent(a);
  return {
    nodes: ch.shards * ch.replicas,
    eventsPerSecPerNode,
    clusterEventsPerSec: ch.shards * eventsPerSecPerNode * replication,
    eventsPerSecPerShard,
    bytesPerEvent,
    bytesPerDayPerNode: eventsPerSecPerShard * bytesPerEvent * DAY_SEC,
    diskWriteMiBps: (eventsPerSecPerShard * bytesPerEvent * a.clickHouseMergeWriteAmplification) / MiB,
    insertsPerSecPerTablePerNode: inserts,
    insertBytesPerSecPerNode: insertBytes,
    partsPerSecPerTablePerNode: partsPerSec(inserts, insertBytes),
    storage,
  };
}

export interface FirehoseFigures {
  /** Every stream record is one Firehose record. */
  readonly recordsPerSec: number;
  /** `recordsPerSec × recordDataBytes ÷ MiB`. */
  readonly mibPerSec: number;
  /** `bufferSizeMiB ÷ mibPerSec`. */
  readonly secondsToFillBuffer: number;
  /** `min(bufferIntervalSec, secondsToFillBuffer)`: how often an object is written. */
  readonly secondsPerObject: number;
  readonly objectsPerHour: number;
  /** `mibPerSec × secondsPerObject`: at most the buffer size. */
  readonly objectMiB: number;
  /** Against Firehose's 1,000 KiB per record. */
  readonly recordBytes: number;
}

export function firehoseFigures(tier: TierSpec, options: CapacityOptions = {}): FirehoseFigures {
  const { a, eventsPerSec } = resolve(tier, options);
  const { bufferSizeMiB, bufferIntervalSec } = tier.archive;
  if (bufferIntervalSec === 0) {
    throw new Error(`tier ${tier.id}: a buffer interval of 0 (zero buffering) is not modelled here`);
  }
  const { recordDataBytes } = requestFigures(a);
  const recordsPerSec = eventsPerSec / a.eventsPerRequest;
  const mibPerSec = (recordsPerSec * recordDataBytes) / MiB;
  const secondsToFillBuffer = mibPerSec === 0 ? Number.POSITIVE_INFINITY : bufferSizeMiB / mibPerSec;
  const secondsPerObject = Math.min(bufferIntervalSec, secondsToFillBuffer);
  return {
    recordsPerSec,
    mibPerSec,
    secondsToFillBuffer,
    secondsPerObject,
    objectsPerHour: 3_600 / secondsPerObject,
    objectMiB: mibPerSec * secondsPerObject,
    recordBytes: recordDataBytes,
  };
}

export interface AccountConcurrencyFigures {
  /** Validator and query reserved concurrency: at most 1,000 − 100. */
  readonly reserved: number;
  /** `1,000 − reserved`: what every other function shares. */
  readonly unreservedPool: number;
  /** The loader runs unreserved: `shards × parallelizationFactor` at most. */
  readonly loaderConcurrency: number;
  /** `reserved + loaderConcurrency`. */
  readonly total: number;
  /** True when the default 1,000 does not hold the reservations and the loader: ask AWS first. */
  readonly quotaIncreaseNeeded: boolean;
}

/**
 * The tier's Lambda concurrency against the account's default 1,000. A reservation above 900 is
 * refused at deploy time and a loader without room is throttled, so the tests hold every tier to it.
 */
export function accountConcurrencyFigures(tier: TierSpec): AccountConcurrencyFigures {
  const reserved = tier.ingest.validator.reservedConcurrency + tier.query.reservedConcurrency;
  const unreservedPool = AWS_LIMITS.lambdaAccountConcurrency - reserved;
  const loaderConcurrency =
    (tier.stream.mode === 'provisioned' ? tier.stream.shardCount : 0) * tier.loader.parallelizationFactor;
  return {
    reserved,
    unreservedPool,
    loaderConcurrency,
    total: reserved + loaderConcurrency,
    quotaIncreaseNeeded:
      reserved > AWS_LIMITS.lambdaAccountConcurrency - AWS_LIMITS.lambdaUnreservedMinimum ||
      loaderConcurrency > unreservedPool,
  };
}

/** One figure of a sized part against its limit; the check holds when `atLoad ≤ limit`. */
export interface CapacityCheck {
  readonly part: string;
  readonly measure: string;
  readonly atCeiling: number;
  /** At the load the tier is sized for (ceiling × headroom). */
  readonly atLoad: number;
  readonly limit: number;
  readonly limitSource: string;
  /** False for limits a request, record or setting meets whatever the load. */
  readonly scalesWithLoad: boolean;
}

/** `limit ÷ atCeiling`: a part that scales with load carries its ceiling with this headroom. */
export function checkHeadroom(check: CapacityCheck): number {
  return check.atCeiling === 0 ? Number.POSITIVE_INFINITY : check.limit / check.atCeiling;
}

/** Something to act on outside the sizing table's values. */
export interface CapacityFlag {
  readonly part: string;
  readonly message: string;
}

export interface PartFigures {
  readonly eventsPerSec: number;
  readonly stream: StreamFigures;
  readonly alb: AlbFigures;
  readonly validator: ValidatorFigures;
  readonly loader: LoaderFigures;
  readonly clickhouse: ClickHouseFigures;
  readonly firehose: FirehoseFigures;
}

export interface TierReport {
  readonly tier: TierSpec;
  readonly assumptions: CapacityAssumptions;
  readonly request: RequestFigures;
  readonly atCeiling: PartFigures;
  /** At `loadEventsPerSec` (ceiling × headroom). */
  readonly atLoad: PartFigures;
  readonly account: AccountConcurrencyFigures;
  readonly checks: readonly CapacityCheck[];
  readonly flags: readonly CapacityFlag[];
  /** The check that scales with load and has the least headroom at the ceiling. */
  readonly tightest: { readonly check: CapacityCheck; readonly headroom: number };
}

function partFigures(tier: TierSpec, eventsPerSec: number, assumptions: CapacityAssumptions): PartFigures {
  const options = { eventsPerSec, assumptions };
  return {
    eventsPerSec,
    stream: streamFigures(tier, options),
    alb: albFigures(tier, options),
    validator: validatorFigures(tier, options),
    loader: loaderFigures(tier, options),
    clickhouse: clickHouseFigures(tier, options),
    firehose: firehoseFigures(tier, options),
  };
}

const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Above this share of the account's concurrency, other functions in the region may be starved. */
const NEAR_ACCOUNT_CONCURRENCY = 0.9;

/** Every figure of a tier at its ceiling and at the load it is sized for, with checks and flags. */
export function tierReport(tier: TierSpec, assumptions: Partial<CapacityAssumptions> = {}): TierReport {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const c = partFigures(tier, tier.ceilingEventsPerSec, a);
  const l = partFigures(tier, loadEventsPerSec(tier, a), a);
  const request = requestFigures(a);
  const account = accountConcurrencyFigures(tier);
  const L = AWS_LIMITS;

  type Pick = (f: PartFigures) => number;
  const scaling = (
    part: string,
    measure: string,
    pick: Pick,
    limit: number,
    limitSource: string,
    scalesWithLoad = true,
  ) => ({ part, measure, atCeiling: pick(c), atLoad: pick(l), limit, limitSource, scalesWithLoad });
  const fixed = (part: string, measure: string, value: number, limit: number, limitSource: string) => ({
    part,
    measure,
    atCeiling: value,
    atLoad: value,
    limit,
    limitSource,
    scalesWithLoad: false,
  });

  const checks: CapacityCheck[] = [
    scaling(
      'Kinesis shard',
      'write, MiB/s',
      (f) => f.stream.writeBytesPerSecPerShard / MiB,
      L.kinesisShardWriteBytesPerSec / MiB,
      'Kinesis: 1 MiB/s per shard',
    ),
    scaling(
      'Kinesis shard',
      'write, whole records/s',
      (f) => f.stream.writeRecordsPerSecPerShard,
      c.stream.recordsPerSecPerShardLimit,
      `Kinesis: 1 MiB/s holds ${c.stream.recordsPerSecPerShardLimit} whole record${c.stream.recordsPerSecPerShardLimit === 1 ? '' : 's'} of this size a second`,
    ),
    scaling(
      'Kinesis shard',
      `read by ${a.streamConsumers} consumers, MiB/s`,
      (f) => f.stream.readBytesPerSecPerShard / MiB,
      L.kinesisShardReadBytesPerSec / MiB,
      'Kinesis: 2 MiB/s per shard, shared',
    ),
    fixed(
      'Kinesis shard',
      'GetRecords calls/s',
      c.stream.getRecordsPerSecPerShard,
      L.kinesisShardGetRecordsPerSec,
      'Kinesis: 5 calls/s per shard',
    ),
    fixed(
      'Kinesis record',
      'KiB (data and partition key)',
      request.recordBytes / 1_024,
      L.kinesisRecordBytes / 1_024,
      'Kinesis: 1 MiB per record',
    ),
    fixed(
      'ALB',
      `request body of ${a.eventsPerRequest} events, KB`,
      request.bodyBytes / 1_000,
      L.albLambdaBodyBytes / 1_000,
      'ALB → Lambda: 1 MB',
    ),
    scaling(
      'ALB',
      'requests/s on the busiest ALB',
      (f) => f.alb.requestsPerSecOnBusiestAlb,
      L.albNewConnectionsPerSec,
      "design document's ~10,000 new connections/s per ALB, one per request at worst",
    ),
    scaling(
      'validator',
      'concurrent executions',
      (f) => f.validator.concurrencyNeeded,
      tier.ingest.validator.reservedConcurrency,
      'reservedConcurrency',
    ),
    fixed(
      'validator',
      'duration per request, s',
      c.validator.durationSec,
      tier.ingest.validator.timeoutSec,
      'timeoutSec',
    ),
    fixed(
      'Lambda account',
      'reserved concurrency (validator + query)',
      account.reserved,
      L.lambdaAccountConcurrency - L.lambdaUnreservedMinimum,
      'Lambda: 1,000 per account, 100 kept unreserved',
    ),
    fixed(
      'Lambda account',
      'loader concurrency (shards × parallelization)',
      account.loaderConcurrency,
      account.unreservedPool,
      'Lambda: 1,000 per account − reserved',
    ),
    scaling(
      'loader',
      'batches in flight per shard',
      (f) => f.loader.busyBatchesPerShard,
      tier.loader.parallelizationFactor,
      'parallelizationFactor',
    ),
    scaling(
      'loader',
      'invocation payload, MB',
      (f) => f.loader.payloadBytes / 1_000_000,
      L.lambdaPayloadBytes / 1_000_000,
      'Lambda: 6 MB payload',
      false,
    ),
    scaling(
      'loader',
      'duration per invocation, s',
      (f) => f.loader.durationSec,
      tier.loader.timeoutSec,
      'timeoutSec',
      false,
    ),
    scaling(
      'loader',
      'memory, MiB',
      (f) => f.loader.memoryMiBNeeded,
      tier.loader.memoryMiB,
      'memoryMiB',
      false,
    ),
    scaling(
      'ClickHouse cluster',
      'inserted events/s',
      (f) => f.eventsPerSec,
      c.clickhouse.clusterEventsPerSec,
      'clickHouseEventsPerSecPerVcpu × vCPUs × shards (− replication)',
    ),
    scaling(
      'ClickHouse node',
      'disk writes with merges, MiB/s',
      (f) => f.clickhouse.diskWriteMiBps,
      tier.clickhouse.volumeThroughputMiBps,
      'volumeThroughputMiBps',
    ),
    scaling(
      'ClickHouse node',
      'parts created per table, /s',
      (f) => f.clickhouse.partsPerSecPerTablePerNode,
      L.clickHouseMaxPartsPerSecPerTable,
      `ClickHouse: about 1 insert (1 part) a second per table; async_insert flushes every ${ASYNC_INSERT_FLUSH.intervalMs / 1_000} s`,
      false,
    ),
    scaling(
      'ClickHouse node',
      'loader inserts per table, /s',
      (f) => f.clickhouse.insertsPerSecPerTablePerNode,
      (ASYNC_INSERT_FLUSH.maxQueries * 1_000) / ASYNC_INSERT_FLUSH.intervalMs,
      `async_insert_max_query_number ${ASYNC_INSERT_FLUSH.maxQueries} per ${ASYNC_INSERT_FLUSH.intervalMs / 1_000} s flush: more flush early, more parts`,
    ),
    scaling(
      'ClickHouse node',
      'insert buffer per flush, MiB',
      (f) => (f.clickhouse.insertBytesPerSecPerNode * ASYNC_INSERT_FLUSH.intervalMs) / 1_000 / MiB,
      ASYNC_INSERT_FLUSH.maxBytes / MiB,
      'async_insert_max_data_size: a fuller buffer flushes early, more parts',
    ),
    scaling(
      'ClickHouse hot volume',
      'days of rows held (gp3)',
      // Inverted: the volume's days must reach the window, so the check compares need ÷ held.
      (f) => f.clickhouse.storage.hotWindowDays / f.clickhouse.storage.hotDaysHeld,
      1,
      `hot window (retention.hotDays ${tier.retention.hotDays} + a part's span) ÷ days the volume holds below its move_factor`,
    ),
    fixed(
      'ClickHouse hot volume',
      'free space kept for merges, GiB',
      c.clickhouse.storage.largestMergeBytes / GiB,
      c.clickhouse.storage.mergeFreeBytes / GiB,
      `volumeGiB × move_factor ${a.clickHouseMoveFactor}, against the largest merge's new part`,
    ),
    scaling(
      'ClickHouse node',
      'TTL merges a day per partition',
      (f) => f.clickhouse.storage.ttlMergesNeededPerDay,
      c.clickhouse.storage.ttlMergesAllowedPerDay,
      `86,400 ÷ retention.ttlMergeTimeoutSec ${tier.retention.ttlMergeTimeoutSec}`,
    ),
    ...(tier.retention.bodiesDays <= tier.retention.hotDays
      ? [
          fixed(
            'ClickHouse node',
            "days until a row's bodies are emptied",
            tier.retention.bodiesDays + c.clickhouse.storage.bodiesLagDays,
            tier.retention.hotDays,
            'retention.hotDays: emptied while hot, not rewritten through S3',
          ),
        ]
      : []),
    fixed(
      'Firehose',
      'record, KiB',
      request.recordDataBytes / 1_024,
      L.firehoseRecordBytes / 1_024,
      'Firehose: 1,000 KiB per record',
    ),
  ];

  const flags: CapacityFlag[] = [];
  if (MAX_STREAM_RECORD_BYTES > L.firehoseRecordBytes) {
    flags.push({
      part: 'Firehose',
      message:
        `stream records may be up to ${fmt(MAX_STREAM_RECORD_BYTES)} bytes (MAX_STREAM_RECORD_BYTES), above ` +
        `Firehose's ${fmt(L.firehoseRecordBytes)}; a forwarded request stays under it ` +
        `(${fmt(L.albLambdaBodyBytes)}-byte body + ~${a.recordOverheadBytes}), a re-encoded one may not.`,
    });
  }
  if (account.quotaIncreaseNeeded) {
    flags.push({
      part: 'Lambda account',
      message: `${fmt(account.total)} concurrent executions (reserved ${fmt(account.reserved)}, loader ${fmt(account.loaderConcurrency)}): ask AWS to raise the 1,000 default first.`,
    });
  } else if (account.total > NEAR_ACCOUNT_CONCURRENCY * L.lambdaAccountConcurrency) {
    flags.push({
      part: 'Lambda account',
      message:
        `the validator, query and loader may use ${fmt(account.total)} of the account's default 1,000 ` +
        'concurrent executions at their peaks; in an account that runs other functions in the region, ask AWS to raise it.',
    });
  }

  const scalingChecks = checks.filter((check) => check.scalesWithLoad);
  const tightestCheck = scalingChecks.reduce((min, check) =>
    checkHeadroom(check) < checkHeadroom(min) ? check : min,
  );
  return {
    tier,
    assumptions: a,
    request,
    atCeiling: c,
    atLoad: l,
    account,
    checks,
    flags,
    tightest: { check: tightestCheck, headroom: checkHeadroom(tightestCheck) },
  };
}
