import { describe, expect, it } from 'vitest';
import { AWS_LIMITS as L } from '../../lib/capacity.js';
import { GP3_LIMITS as G } from '../../lib/gp3-limits.js';
import {
  SIZING_ASSUMPTIONS,
  TIER_IDS,
  TIERS,
  type TierId,
  type TierSpec,
  tierById,
  WAF_PER_KEY_FLOOR,
} from '../../lib/tiers.js';
import { MAX_RETRY_AFTER_MS } from '../../sdk/backoff.js';

/** vCPUs and memory of the instance types the tiers use, as EC2 lists them. */
const INSTANCE_TYPES: Record<string, { vcpus: number; memoryGiB: number }> = {
  't3.small': { vcpus: 2, memoryGiB: 2 },
  't3.medium': { vcpus: 2, memoryGiB: 4 },
  'c5.xlarge': { vcpus: 4, memoryGiB: 8 },
  'c5.2xlarge': { vcpus: 8, memoryGiB: 16 },
  'c5.4xlarge': { vcpus: 16, memoryGiB: 32 },
  'c5.9xlarge': { vcpus: 36, memoryGiB: 72 },
};

/** A rate-based rule's limit, per evaluation window (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html). */
const WAF_RATE_LIMIT = { min: 10, max: 2_000_000_000 } as const;
/** WAF's default evaluation window, which the limits' names assume. */
const WAF_WINDOW_SEC = 300;
/** The share of a tier's ceiling one key may use, as each tier's `why` gives it. */
const PER_KEY_SHARE_OF_CEILING: Record<TierId, number> = { 1: 0.5, 2: 0.5, 3: 0.25, 4: 0.1 };

const isIntegerIn = (value: number, min: number, max: number) =>
  Number.isInteger(value) && value >= min && value <= max;

describe('the sizing table', () => {
  it('lists the tiers 1 to 4 in TIER_IDS, in order', () => {
    expect(TIER_IDS).toEqual([1, 2, 3, 4]);
    expect(Object.keys(TIERS).map(Number)).toEqual([...TIER_IDS]);
  });
});

describe.each(TIER_IDS)('tier %i', (id) => {
  const tier: TierSpec = TIERS[id];

  it('carries the id of its key', () => {
    expect(tier.id).toBe(id);
  });

  it('starts its band at the ceiling of the tier below and ends it above its floor', () => {
    const below = TIERS[(id - 1) as TierId] as (typeof TIERS)[TierId] | undefined;
    expect(tier.floorEventsPerSec).toBe(below ? below.ceilingEventsPerSec : 0);
    expect(tier.ceilingEventsPerSec).toBeGreaterThan(tier.floorEventsPerSec);
  });

  it('has one Route 53 weight per ALB, each 0–255, not all 0', () => {
    const { albCount, albWeights } = tier.ingest;
    expect(albWeights).toHaveLength(albCount);
    for (const weight of albWeights) expect(isIntegerIn(weight, 0, 255)).toBe(true);
    expect(albWeights.some((weight) => weight > 0)).toBe(true);
  });

  it('has 0 Keeper nodes or an odd number ≥ 3, and a quorum whenever there is more than one node', () => {
    const { keeperNodes, shards, replicas } = tier.clickhouse;
    const quorum = keeperNodes >= 3 && keeperNodes % 2 === 1;
    expect(keeperNodes === 0 || quorum).toBe(true);
    if (shards > 1 || replicas > 1) expect(quorum).toBe(true);
  });

  it('runs ClickHouse and Keeper on instance types whose vCPUs and memory the table states', () => {
    const { instanceType, vcpus, memoryGiB, keeperInstanceType } = tier.clickhouse;
    expect(INSTANCE_TYPES[instanceType]).toEqual({ vcpus, memoryGiB });
    expect(INSTANCE_TYPES[keeperInstanceType]).toBeDefined();
  });

  it('sizes gp3 volumes within gp3: size, throughput, IOPS and their ratios', () => {
    const { volumeGiB, volumeThroughputMiBps, volumeIops } = tier.clickhouse;
    expect(isIntegerIn(volumeGiB, G.minGiB, G.maxGiB)).toBe(true);
    expect(isIntegerIn(volumeThroughputMiBps, G.minThroughputMiBps, G.maxThroughputMiBps)).toBe(true);
    expect(isIntegerIn(volumeIops, G.minIops, G.maxIops)).toBe(true);
    expect(volumeThroughputMiBps).toBeLessThanOrEqual(volumeIops * G.maxThroughputMiBpsPerIops);
    expect(volumeIops).toBeLessThanOrEqual(volumeGiB * G.maxIopsPerGiB);
  });

  it('moves archive objects to IA after ≥ 30 days, to Deep Archive ≥ 30 days later, and expires them ≥ 180 days after that', () => {
    const { infrequentAccessAfterDays, deepArchiveAfterDays, expireAfterDays } = tier.archive.lifecycle;
    expect(infrequentAccessAfterDays).toBeGreaterThanOrEqual(L.s3MinDaysToInfrequentAccess);
    // Standard-IA's and Deep Archive's minimum storage durations: 30 and 180 days.
    expect(deepArchiveAfterDays).toBeGreaterThanOrEqual(infrequentAccessAfterDays + 30);
    expect(expireAfterDays).toBeGreaterThanOrEqual(deepArchiveAfterDays + 180);
  });

  it('buffers Firehose within 1–128 MiB and 0–900 s', () => {
    const { bufferSizeMiB, bufferIntervalSec } = tier.archive;
    expect(isIntegerIn(bufferSizeMiB, L.firehoseMinBufferMiB, L.firehoseMaxBufferMiB)).toBe(true);
    expect(isIntegerIn(bufferIntervalSec, 0, L.firehoseMaxBufferIntervalSec)).toBe(true);
  });

  it("keeps the stream's retention within Kinesis's bounds, with whole shards", () => {
    const { stream } = tier;
    expect(isIntegerIn(stream.retentionHours, L.kinesisMinRetentionHours, L.kinesisMaxRetentionHours)).toBe(
      true,
    );
    if (stream.mode === 'provisioned') expect(isIntegerIn(stream.shardCount, 1, 10_000)).toBe(true);
  });

  it("sets the loader's event source within Lambda's bounds, and no record age beyond retention", () => {
    const { loader, stream } = tier;
    expect(isIntegerIn(loader.batchSize, 1, L.esmMaxBatchSize)).toBe(true);
    expect(isIntegerIn(loader.maxBatchingWindowSec, 0, L.esmMaxBatchingWindowSec)).toBe(true);
    expect(
      isIntegerIn(loader.parallelizationFactor, L.esmMinParallelizationFactor, L.esmMaxParallelizationFactor),
    ).toBe(true);
    expect(
      loader.maxRetryAttempts === -1 || isIntegerIn(loader.maxRetryAttempts, 0, L.esmMaxRetryAttempts),
    ).toBe(true);
    expect(
      loader.maxRecordAgeSec === -1 ||
        isIntegerIn(loader.maxRecordAgeSec, L.esmMinRecordAgeSec, L.esmMaxRecordAgeSec),
    ).toBe(true);
    expect(loader.maxRecordAgeSec).toBeLessThanOrEqual(stream.retentionHours * 3_600);
  });

  it.each([
    ['validator', tier.ingest.validator],
    ['loader', tier.loader],
    ['query', tier.query],
  ] as const)('gives the %s a memory and timeout Lambda allows', (_name, fn) => {
    expect(isIntegerIn(fn.memoryMiB, L.lambdaMinMemoryMiB, L.lambdaMaxMemoryMiB)).toBe(true);
    expect(isIntegerIn(fn.timeoutSec, 1, L.lambdaMaxTimeoutSec)).toBe(true);
  });

  it('reserves a whole, positive concurrency for the validator and the query', () => {
    expect(isIntegerIn(tier.ingest.validator.reservedConcurrency, 1, L.lambdaAccountConcurrency)).toBe(true);
    expect(isIntegerIn(tier.query.reservedConcurrency, 1, L.lambdaAccountConcurrency)).toBe(true);
  });

  it("sets WAF's rate limits within WAF's bounds (10 to 2,000,000,000 a window) and a whole Retry-After", () => {
    const { perKeyRequestsPer5Min, perIpRequestsPer5Min, retryAfterSec } = tier.ingest.waf;
    expect(isIntegerIn(perKeyRequestsPer5Min, WAF_RATE_LIMIT.min, WAF_RATE_LIMIT.max)).toBe(true);
    expect(isIntegerIn(perIpRequestsPer5Min, WAF_RATE_LIMIT.min, WAF_RATE_LIMIT.max)).toBe(true);
    // The SDK clamps a longer Retry-After to 5 minutes (sdk/backoff.ts).
    expect(isIntegerIn(retryAfterSec, 1, MAX_RETRY_AFTER_MS / 1_000)).toBe(true);
  });

  it('lets one key send at least the floor, and beyond it no more than its share of the ceiling', () => {
    const { perKeyRequestsPer5Min } = tier.ingest.waf;
    const ceilingRequestsPer5Min =
      (tier.ceilingEventsPerSec / SIZING_ASSUMPTIONS.eventsPerRequest) * WAF_WINDOW_SEC;
    expect(perKeyRequestsPer5Min).toBe(
      Math.max(WAF_PER_KEY_FLOOR, PER_KEY_SHARE_OF_CEILING[id] * ceilingRequestsPer5Min),
    );
    // A request without a key earns a 401: an address gets far fewer of them than a key gets requests.
    expect(tier.ingest.waf.perIpRequestsPer5Min).toBeLessThan(perKeyRequestsPer5Min / 10);
  });
});

describe('tierById', () => {
  it.each(TIER_IDS)('accepts the number %i', (id) => {
    expect(tierById(id)).toBe(TIERS[id]);
  });

  it.each(TIER_IDS)("accepts the text '%i', as -c tier= gives it", (id) => {
    expect(tierById(String(id))).toBe(TIERS[id]);
  });

  it.each([
    [0, '0'],
    [5, '5'],
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    ['0', '"0"'],
    ['5', '"5"'],
    ['', '""'],
    [' 2', '" 2"'],
    ['2 ', '"2 "'],
    ['2.0', '"2.0"'],
    ['02', '"02"'],
    ['0x2', '"0x2"'],
    ['1e0', '"1e0"'],
    ['two', '"two"'],
    [null, 'null'],
    [undefined, 'undefined'],
    [true, 'true'],
    [[2], '[2]'],
    [{ id: 2 }, '{"id":2}'],
  ])('rejects %j with a message naming it', (value, shown) => {
    expect(() => tierById(value)).toThrow(`tier must be 1, 2, 3 or 4 (-c tier=N), got ${shown}`);
  });
});
