import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AWS_LIMITS,
  accountConcurrencyFigures,
  albFigures,
  type CapacityCheck,
  checkHeadroom,
  clickHouseFigures,
  clickHouseStorageFigures,
  firehoseFigures,
  lambdaCpuShare,
  loaderFigures,
  partsPerSec,
  requestFigures,
  streamFigures,
  tierReport,
  validatorFigures,
} from '../../lib/capacity.js';
import { renderCapacityReport } from '../../lib/capacity-report.js';
import { SIZING_ASSUMPTIONS, TIER_IDS, TIERS, type TierId, type TierSpec } from '../../lib/tiers.js';

const GiB = 1_073_741_824;
const MiB = 1_048_576;

/** A tier with some parts changed, to ask what another size would carry. */
const withTier = (id: TierId, change: (tier: TierSpec) => Partial<TierSpec>): TierSpec => ({
  ...TIERS[id],
  ...change(TIERS[id]),
});

describe('the formulas, worked on paper', () => {
  it('a request of 500 events is 883,333 bytes of gzip, one stream record of 883,597 bytes', () => {
    // 500 × 5,300 ÷ 3 = 883,333.33; + 200 (header and newline members) = 883,533.33 of data;
    // + 64 of partition key = 883,597.33 that Kinesis counts. The ALB's 1 MB holds 566 events.
    const r = requestFigures();
    expect(r.bodyBytes).toBeCloseTo(883_333.33, 1);
    expect(r.recordDataBytes).toBeCloseTo(883_533.33, 1);
    expect(r.recordBytes).toBeCloseTo(883_597.33, 1);
    expect(r.maxEventsPerRequest).toBe(566);
  });

  it('tier 2 stream: 25 records/s of 883,597 bytes over 25 shards, one whole record per shard a second', () => {
    // 10,000 × 1.25 = 12,500 events/s ÷ 500 = 25 records/s.
    // 25 × 883,597.33 = 22,089,933 bytes/s ÷ 25 shards = 883,597.33 bytes/s per shard (1 MiB = 1,048,576).
    // floor(1,048,576 ÷ 883,597.33) = 1 whole record a second; 25 ÷ 25 = 1 record/s per shard.
    // Two consumers read 2 × 883,597.33 = 1,767,194.67 bytes/s per shard, in 2 GetRecords calls/s.
    const s = streamFigures(TIERS[2]);
    expect(s.recordsPerSec).toBe(25);
    expect(s.writeBytesPerSecPerShard).toBeCloseTo(883_597.33, 1);
    expect(s.writeRecordsPerSecPerShard).toBe(1);
    expect(s.recordsPerSecPerShardLimit).toBe(1);
    expect(s.readBytesPerSecPerShard).toBeCloseTo(1_767_194.67, 1);
    expect(s.getRecordsPerSecPerShard).toBe(2);
  });

  it('fails the 22 shards sized by bytes: 1,004,088 bytes/s fit 1 MiB, 1.14 records/s do not fit 1', () => {
    // 22,089,933 ÷ 22 = 1,004,087.9 bytes/s (under 1,048,576), but 25 ÷ 22 = 1.136 records/s per shard.
    const s = streamFigures(withTier(2, (t) => ({ stream: { ...t.stream, shardCount: 22 } })));
    expect(s.writeBytesPerSecPerShard).toBeCloseTo(1_004_087.88, 1);
    expect(s.writeBytesPerSecPerShard).toBeLessThan(AWS_LIMITS.kinesisShardWriteBytesPerSec);
    expect(s.writeRecordsPerSecPerShard).toBeGreaterThan(s.recordsPerSecPerShardLimit);
  });

  it('tier 1 validator: 81 ms per request at 0.58 vCPU, 0.2 concurrent at 1,250 events/s', () => {
    // 500 × 49 µs + 5 ms = 29.5 ms of CPU; 1,024 MiB ÷ 1,769 = 0.5789 vCPU → 50.96 ms; + 30 ms wait
    // = 80.96 ms. 1,250 ÷ 500 = 2.5 requests/s × 0.08096 s = 0.2024 concurrent executions.
    const v = validatorFigures(TIERS[1]);
    expect(v.cpuSecPerRequest).toBeCloseTo(0.0295, 6);
    expect(v.cpuShare).toBeCloseTo(0.578_858, 5);
    expect(v.durationSec).toBeCloseTo(0.080_963, 5);
    expect(v.concurrencyNeeded).toBeCloseTo(0.202_41, 4);
  });

  it('tier 4 validator: 500 requests/s × 59.5 ms = 29.75 concurrent executions', () => {
    const v = validatorFigures(TIERS[4]);
    expect(v.requestsPerSec).toBe(500);
    expect(v.durationSec).toBeCloseTo(0.0595, 9);
    expect(v.concurrencyNeeded).toBeCloseTo(29.75, 6);
  });

  it.each([
    [128, 128 / 1_769],
    [1_024, 1_024 / 1_769],
    [1_769, 1],
    [3_008, 1],
  ])('gives a %i MiB function %f of a vCPU to compute on', (memoryMiB, share) => {
    expect(lambdaCpuShare(memoryMiB)).toBeCloseTo(share, 9);
  });

  it('tier 4 ALBs: 500 requests/s over four equal weights is 125 on the busiest', () => {
    const a = albFigures(TIERS[4]);
    expect(a.requestsPerSecOnBusiestAlb).toBe(125);
    expect(a.bodyBytesPerSecOnBusiestAlb).toBeCloseTo(125 * 883_333.33, 0);
  });

  it('tier 2 loader: 5 records (2,500 events) per invocation, 2 s each, 5 inserts/s', () => {
    // Base64 of 883,533.33 bytes: 4 × ceil(883,533.33 ÷ 3) = 1,178,048; + 600 of envelope = 1,178,648;
    // floor(6,000,000 ÷ 1,178,648) = 5 records. 1 record/s per shard × 5 s window = 5 → 5 records.
    // 0.05 + 2,500 × 140 µs + 2,500 ÷ 1,562.5 = 0.05 + 0.35 + 1.6 = 2 s. 1 ÷ 5 = 0.2 invocations/s
    // per shard, busy 0.2 × 2 = 0.4 of one batch; 25 shards × 0.2 = 5 inserts/s.
    const l = loaderFigures(TIERS[2]);
    expect(l.recordsPerPayload).toBe(5);
    expect(l.recordsPerInvocation).toBe(5);
    expect(l.eventsPerInvocation).toBe(2_500);
    expect(l.payloadBytes).toBe(5 * 1_178_648);
    expect(l.durationSec).toBeCloseTo(2, 9);
    expect(l.invocationsPerSecPerShard).toBeCloseTo(0.2, 9);
    expect(l.busyBatchesPerShard).toBeCloseTo(0.4, 9);
    expect(l.maxConcurrency).toBe(25);
    expect(l.insertsPerSec).toBeCloseTo(5, 9);
    expect(l.memoryMiBNeeded).toBeCloseTo(450, 9);
  });

  it('tier 1 loader: the 5 s window closes a batch at 4.17 records, on 0.58 vCPU', () => {
    // 2.5 records/s ÷ 3 shards = 0.833/s × 5 s = 4.167 records = 2,083.3 events.
    // 0.05 + 2,083.3 × 140 µs ÷ 0.5789 + 2,083.3 ÷ 1,562.5 = 0.05 + 0.5039 + 1.3333 = 1.887 s.
    const l = loaderFigures(TIERS[1]);
    expect(l.recordsPerInvocation).toBeCloseTo(4.1667, 4);
    expect(l.eventsPerInvocation).toBeCloseTo(2_083.33, 2);
    expect(l.durationSec).toBeCloseTo(1.887, 3);
    expect(l.invocationsPerSecPerShard).toBeCloseTo(0.2, 9);
  });

  it('tier 4 ClickHouse: 6 shards × 36 vCPU × 1,562.5 × (1 − 0.25) = 253,125 events/s', () => {
    const c = clickHouseFigures(TIERS[4]);
    expect(c.nodes).toBe(12);
    expect(c.eventsPerSecPerNode).toBe(56_250);
    expect(c.clusterEventsPerSec).toBe(253_125);
  });

  it('tier 3 ClickHouse: 3 unreplicated shards × 25,000 = 75,000 events/s, no replication overhead', () => {
    expect(clickHouseFigures(TIERS[3]).clusterEventsPerSec).toBe(75_000);
  });

  it('tier 1 ClickHouse at its ceiling: 1,000 events/s store 151 GB of full rows a day', () => {
    // A full row: 1,691 (bodies) + 8.31 (metadata) + 51.7 + 2 (the rest, marks) = 1,753.01 bytes;
    // 86,400,000 rows a day × 1,753.01 = 151,460,064,000 bytes.
    const c = clickHouseFigures(TIERS[1], { eventsPerSec: 1_000 });
    expect(c.bytesPerEvent).toBeCloseTo(1_753.01, 9);
    expect(c.bytesPerDayPerNode).toBeCloseTo(151_460_064_000, 0);
  });

  it("tier 1's volumes at 1,250 events/s: 7.5 days of rows on 2,000 GiB, 7.2 TB on the S3 disk", () => {
    const s = clickHouseStorageFigures(TIERS[1]);
    // 108,000,000 rows a day: 189.3 GB of full rows (176.3 GiB), 6.69 GB without bodies.
    const full = 108_000_000 * 1_753.01;
    const lean = 108_000_000 * 62.01;
    expect(s.rowsPerDayPerNode).toBe(108_000_000);
    expect(s.leanRowBytes).toBeCloseTo(62.01, 9);
    // A part of at most 150 GiB spans 150 GiB ÷ 176.3 GiB a day = 0.851 days.
    expect(s.partSpanDays).toBeCloseTo((150 * GiB) / full, 9);
    expect(s.hotWindowDays).toBeCloseTo(5 + (150 * GiB) / full, 9);
    // 2,000 GiB × 0.75 = 1,500 GiB, less the 100 GiB cache, 50 GiB of other tables and the rollups:
    // 2,000 series × (1,440 × 87.6 × 35 + 24 × 1,244 × 400) = 32.7 GB (30.5 GiB).
    const rollups = 2_000 * (1_440 * 87.6 * 35 + 24 * 1_244 * 400);
    expect(s.hotRollupBytes).toBeCloseTo(rollups, 3);
    const capacity = 1_500 * GiB - 100 * GiB - 50 * GiB - rollups;
    expect(s.hotRowCapacityBytes).toBeCloseTo(capacity, 3);
    // Bodies last 30 days, past the hot window: the hot volume holds full rows only.
    expect(s.hotDaysHeld).toBeCloseTo(capacity / full, 9);
    expect(s.hotDaysHeld).toBeGreaterThan(7.4);
    expect(s.mergeFreeBytes).toBe(500 * GiB);
    // The S3 disk: full rows aged 5–30 days, then rows without bodies to 400 days.
    expect(s.coldBands).toEqual([
      { fromDay: 5, toDay: 30, bytesPerDayPerNode: expect.closeTo(full, 0), rows: 'full' },
      { fromDay: 30, toDay: 400, bytesPerDayPerNode: expect.closeTo(lean, 0), rows: 'lean' },
    ]);
    expect(s.coldBytesHeldPerNode).toBeCloseTo(25 * full + 370 * lean, 0);
    expect(s.coldBytesHeldPerCluster).toBe(s.coldBytesHeldPerNode);
  });

  it("tier 4's bodies go while hot: the S3 disk gets rows without bodies only, twice over", () => {
    const s = clickHouseStorageFigures(TIERS[4]);
    // 250,000 events/s over 6 shards: 3.6 billion rows a day per node.
    expect(s.rowsPerDayPerNode).toBeCloseTo(3_600_000_000, 3);
    expect(s.coldBands).toEqual([
      { fromDay: 7, toDay: 90, bytesPerDayPerNode: expect.closeTo(3_600_000_000 * 62.01, -1), rows: 'lean' },
    ]);
    // Rows move without bodies, and are written again once as deletes reach their parts (a part
    // spans 37 minutes, 2.45 timeouts of 15: so max(1, 2.45 ÷ 2) = 1.225 rewrites).
    const lean = 3_600_000_000 * 62.01;
    const rewrites = Math.max(1, (s.partSpanDays * 86_400) / 900 / 2);
    expect(rewrites).toBeCloseTo(1.225, 3);
    expect(s.coldBytesWrittenPerDayPerNode).toBeCloseTo(lean + rewrites * lean, -2);
    expect(s.coldBytesHeldPerCluster).toBeCloseTo(12 * 83 * 3_600_000_000 * 62.01, -3);
    // A day of bodies at 1,753 bytes a row, then six days without them: 5,877 + 6 × 208 GiB.
    expect(s.hotDaysHeld).toBeGreaterThan(s.hotWindowDays);
  });

  it('counts TTL merges against a day of rows: 150 GiB each', () => {
    const s = clickHouseStorageFigures(TIERS[4]);
    expect(s.ttlMergesNeededPerDay).toBeCloseTo((3_600_000_000 * 1_753.01) / (150 * GiB), 9);
    expect(s.ttlMergesAllowedPerDay).toBe(96);
  });

  it('tier 2 ClickHouse disk: 12,500 × 1,753.01 bytes × 8 = 167.2 MiB/s of writes', () => {
    expect(clickHouseFigures(TIERS[2]).diskWriteMiBps).toBeCloseTo((12_500 * 1_753.01 * 8) / MiB, 9);
  });

  it('tier 3 ClickHouse inserts: 25 inserts/s × (1 − (2/3)^5) = 21.7 per table on each node, one per shard a batch touches', () => {
    expect(clickHouseFigures(TIERS[3]).insertsPerSecPerTablePerNode).toBeCloseTo(25 * (1 - 32 / 243), 9);
  });

  it('tier 4 ClickHouse parts: 59.8 inserts/s and 226.5 MiB/s per node gathered into 1 part a second per table', () => {
    // 100 invocations/s × (1 − (5/6)^5); 250,000 ÷ 6 shards × 5,700 bytes.
    const f = clickHouseFigures(TIERS[4]);
    expect(f.insertsPerSecPerTablePerNode).toBeCloseTo(100 * (1 - (5 / 6) ** 5), 9);
    expect(f.insertBytesPerSecPerNode).toBeCloseTo((250_000 / 6) * 5_700, 6);
    expect(f.partsPerSecPerTablePerNode).toBe(1);
  });

  it.each([
    [0, 0, 0],
    [0.6, 1_000, 0.6],
    [60, 226 * MiB, 1],
    [60, 1_024 * MiB, 2],
    [900, MiB, 2],
  ])(
    'partsPerSec(%f inserts/s, %f bytes/s) = %f: a flush a second, earlier when full, never more than the inserts',
    (inserts, bytes, parts) => {
      expect(partsPerSec(inserts, bytes)).toBeCloseTo(parts, 9);
    },
  );

  it('tier 1 Firehose: 2.1 MiB/s fills 64 MiB in 30.4 s, before the 300 s interval', () => {
    // 2.5 records/s × 883,533.33 bytes = 2,208,833 bytes/s = 2.1065 MiB/s; 64 ÷ 2.1065 = 30.38 s.
    const f = firehoseFigures(TIERS[1]);
    expect(f.recordsPerSec).toBe(2.5);
    expect(f.mibPerSec).toBeCloseTo(2.1065, 4);
    expect(f.secondsPerObject).toBeCloseTo(30.382, 3);
    expect(f.objectMiB).toBeCloseTo(64, 9);
    expect(f.objectsPerHour).toBeCloseTo(3_600 / 30.382, 2);
  });

  it('tier 1 Firehose at 10 events/s: the 300 s interval closes a 5 MiB object', () => {
    const f = firehoseFigures(TIERS[1], { eventsPerSec: 10 });
    expect(f.secondsPerObject).toBe(300);
    expect(f.objectMiB).toBeCloseTo((300 * (10 / 500) * 883_533.33) / MiB, 4);
  });

  it('tier 4 account: 300 + 200 reserved and 500 loader executions are the default 1,000', () => {
    expect(accountConcurrencyFigures(TIERS[4])).toEqual({
      reserved: 500,
      unreservedPool: 500,
      loaderConcurrency: 500,
      total: 1_000,
      quotaIncreaseNeeded: false,
    });
  });

  it('takes other assumptions, as the cost model will: 250 events per request halves the records', () => {
    const s = streamFigures(TIERS[2], { assumptions: { eventsPerRequest: 250 } });
    expect(s.recordsPerSec).toBe(50);
    expect(s.recordsPerSecPerShardLimit).toBe(2);
  });
});

describe('what the model refuses or flags', () => {
  it('rejects an on-demand stream, which no tier uses', () => {
    const tier = withTier(2, () => ({ stream: { mode: 'on-demand', retentionHours: 24, reason: 'test' } }));
    expect(() => streamFigures(tier)).toThrow('on-demand streams are not modelled');
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects a load of %f events/s', (eventsPerSec) => {
    expect(() => streamFigures(TIERS[1], { eventsPerSec })).toThrow(RangeError);
  });

  it("fails on Firehose's zero buffering, which is not modelled", () => {
    const tier = withTier(1, (t) => ({ archive: { ...t.archive, bufferIntervalSec: 0 } }));
    expect(() => firehoseFigures(tier)).toThrow('zero buffering');
  });

  it('flags a quota increase when reservations pass the 900 an account may reserve', () => {
    const tier = withTier(4, (t) => ({
      ingest: { ...t.ingest, validator: { ...t.ingest.validator, reservedConcurrency: 900 } },
    }));
    expect(accountConcurrencyFigures(tier).quotaIncreaseNeeded).toBe(true);
    expect(
      tierReport(tier)
        .flags.map((f) => f.message)
        .join('\n'),
    ).toContain('ask AWS to raise the 1,000');
  });

  it('fails a node that gets more insert bytes a second than one flush holds: it flushes early, more parts', () => {
    // Tier 4's 250,000 events/s on one shard: 250,000 × 5,700 bytes = 1,359 MiB/s, 2.65 flushes of 512 MiB.
    const one = withTier(4, (t) => ({ clickhouse: { ...t.clickhouse, shards: 1 } }));
    const parts = tierReport(one).checks.find((check) => check.measure === 'parts created per table, /s');
    expect(parts?.atLoad).toBeCloseTo((250_000 * 5_700) / (512 * MiB), 9);
    expect(parts?.atLoad).toBeGreaterThan(parts?.limit ?? Number.NaN);
    const buffer = tierReport(one).checks.find((check) => check.measure === 'insert buffer per flush, MiB');
    expect(buffer?.atLoad).toBeGreaterThan(buffer?.limit ?? Number.NaN);
  });

  it('fails a node that gets more inserts per flush than async_insert_max_query_number', () => {
    // 1,000 inserts/s, 1 MiB/s: 1,000 ÷ 450 = 2.2 flushes a second.
    expect(partsPerSec(1_000, MiB)).toBeCloseTo(1_000 / 450, 9);
    // Tier 4 on one shard with one record per invocation: 500 inserts/s, all to the one node.
    const slow = withTier(4, (t) => ({
      loader: { ...t.loader, batchSize: 1 },
      clickhouse: { ...t.clickhouse, shards: 1 },
    }));
    const inserts = tierReport(slow).checks.find((check) => check.measure === 'loader inserts per table, /s');
    expect(inserts?.atLoad).toBeGreaterThan(inserts?.limit ?? Number.NaN);
  });

  it('fails the hot volume when it would fill before its hot window ends', () => {
    const hot = (tier: TierSpec) =>
      tierReport(tier).checks.find(
        (check) => check.part === 'ClickHouse hot volume' && check.measure.startsWith('days'),
      );
    // Tier 2 holds 2 hot days at 12,500 events/s; a week of them needs ~3.5× its volume.
    const week = withTier(2, (t) => ({ retention: { ...t.retention, hotDays: 7, warmDays: 173 } }));
    const check = hot(week);
    expect(check?.atLoad).toBeGreaterThan(check?.limit ?? Number.NaN);
    const fits = hot(TIERS[2]);
    expect(fits?.atLoad).toBeLessThanOrEqual(fits?.limit ?? Number.NaN);
  });

  it('fails a volume whose free quarter is smaller than the largest merge', () => {
    const small = withTier(1, (t) => ({ clickhouse: { ...t.clickhouse, volumeGiB: 500, coldCacheGiB: 10 } }));
    const merges = tierReport(small).checks.find((check) => check.measure.startsWith('free space kept'));
    // 500 GiB × 0.25 = 125 GiB free, below a 150 GiB part.
    expect(merges?.limit).toBe(125);
    expect(merges?.atLoad).toBe(150);
  });

  it('fails TTL merges too rare for a day of rows, and bodies that would go after their part moves', () => {
    const rare = withTier(4, (t) => ({ retention: { ...t.retention, ttlMergeTimeoutSec: 14_400 } }));
    const ttl = tierReport(rare).checks.find((check) => check.measure === 'TTL merges a day per partition');
    expect(ttl?.atLoad).toBeGreaterThan(ttl?.limit ?? Number.NaN);
    const late = withTier(4, (t) => ({ retention: { ...t.retention, bodiesDays: 7 } }));
    const bodies = tierReport(late).checks.find((check) => check.measure.startsWith('days until'));
    expect(bodies?.atLoad).toBeGreaterThan(bodies?.limit ?? Number.NaN);
  });
});

const label = (check: CapacityCheck) => `${check.part}, ${check.measure}`;

describe.each(TIER_IDS)('tier %i', (id) => {
  const tier = TIERS[id];
  const report = tierReport(tier);
  const scaling = report.checks.filter((check) => check.scalesWithLoad);

  it('has a check for every sized part', () => {
    expect(scaling.length).toBeGreaterThanOrEqual(8);
    expect(new Set(report.checks.map((check) => check.part))).toEqual(
      new Set([
        'Kinesis shard',
        'Kinesis record',
        'ALB',
        'validator',
        'Lambda account',
        'loader',
        'ClickHouse cluster',
        'ClickHouse node',
        'ClickHouse hot volume',
        'Firehose',
      ]),
    );
  });

  it.each(scaling.map((check) => [label(check), check] as const))(
    'carries its ceiling with ≥ 25%% headroom: %s',
    (_label, check) => {
      expect(check.atLoad).toBeLessThanOrEqual(check.limit);
      expect(checkHeadroom(check)).toBeGreaterThanOrEqual(SIZING_ASSUMPTIONS.headroom - 1e-9);
    },
  );

  it.each(report.checks.map((check) => [label(check), check] as const))(
    'respects the limit: %s',
    (_label, check) => {
      expect(check.atLoad).toBeLessThanOrEqual(check.limit);
    },
  );

  it('fits the default Lambda concurrency of the account', () => {
    expect(report.account.quotaIncreaseNeeded).toBe(false);
    expect(report.account.total).toBeLessThanOrEqual(AWS_LIMITS.lambdaAccountConcurrency);
  });

  it('names its tightest part, at ≥ 1.25× its ceiling', () => {
    expect(scaling).toContain(report.tightest.check);
    for (const check of scaling)
      expect(checkHeadroom(check)).toBeGreaterThanOrEqual(report.tightest.headroom);
  });
});

const SIZES: readonly (readonly [string, (tier: TierSpec) => number])[] = [
  ['ceiling', (t) => t.ceilingEventsPerSec],
  [
    'stream shards',
    (t) => (t.stream.mode === 'provisioned' ? t.stream.shardCount : Number.POSITIVE_INFINITY),
  ],
  ['ALBs', (t) => t.ingest.albCount],
  ['validator reserved concurrency', (t) => t.ingest.validator.reservedConcurrency],
  ['validator memory', (t) => t.ingest.validator.memoryMiB],
  ['loader concurrency', (t) => accountConcurrencyFigures(t).loaderConcurrency],
  ['loader memory', (t) => t.loader.memoryMiB],
  ['query reserved concurrency', (t) => t.query.reservedConcurrency],
  ['ClickHouse events/s', (t) => clickHouseFigures(t).clusterEventsPerSec],
  ['ClickHouse vCPUs', (t) => t.clickhouse.vcpus * t.clickhouse.shards * t.clickhouse.replicas],
  ['ClickHouse memory', (t) => t.clickhouse.memoryGiB * t.clickhouse.shards * t.clickhouse.replicas],
  ['ClickHouse storage', (t) => t.clickhouse.volumeGiB * t.clickhouse.shards * t.clickhouse.replicas],
  ['volume per node', (t) => t.clickhouse.volumeGiB],
  ['volume throughput', (t) => t.clickhouse.volumeThroughputMiBps],
  ['volume IOPS', (t) => t.clickhouse.volumeIops],
  ['Keeper nodes', (t) => t.clickhouse.keeperNodes],
  ['Firehose buffer', (t) => t.archive.bufferSizeMiB],
];

describe.each([2, 3, 4] as const)('tier %i against the tier below', (id) => {
  it.each(SIZES)('has at least its %s', (_name, size) => {
    expect(size(TIERS[id])).toBeGreaterThanOrEqual(size(TIERS[(id - 1) as TierId]));
  });
});

describe('docs/capacity.md', () => {
  it('is what `npx tsx lib/capacity-report.ts` prints', () => {
    const doc = readFileSync(new URL('../../docs/capacity.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderCapacityReport());
  });
});
