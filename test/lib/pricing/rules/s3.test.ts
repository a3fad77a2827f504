import { describe, expect, it } from 'vitest';
import { clickHouseStorageFigures } from '../../../../lib/capacity.js';
import type { CostLine } from '../../../../lib/pricing/cost-line.js';
import { CLICKHOUSE_COLD_WORKLOAD } from '../../../../lib/pricing/cost-tags.js';
import { s3BucketRule } from '../../../../lib/pricing/rules/s3.js';
import { TIERS } from '../../../../lib/tiers.js';
import { issueLoad, MONTH_DAYS, priceWith, res } from './rule-fixtures.js';

const firehose = res(
  'AWS::KinesisFirehose::DeliveryStream',
  'Firehose',
  { bufferSizeMiB: 128, bufferIntervalSec: 60 },
  'archive',
);
const LIFECYCLE = { infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 730 };
const archive = (lifecycle: Record<string, number> = LIFECYCLE) =>
  res('AWS::S3::Bucket', 'Bucket', { workload: 'archive', ...lifecycle }, 'archive');

// 100 records/s × 530,200 B × 86,400 s = 4,580.928 GB a day reach the bucket.
const gbPerDay = 4_580.928;
// Objects: 128 MiB fill in 128 × 1,048,576 ÷ 53,020,000 B/s = 2.5314 s, before the 60 s interval:
// 86,400 ÷ 2.5314 = 34,131 objects a day.
const objectsPerDay = 86_400 / ((128 * 1_048_576) / 53_020_000);

const archiveLines = (month: number, bucket = archive()): readonly CostLine[] =>
  priceWith(s3BucketRule, [bucket], { inventory: [firehose, bucket], month })[0] ?? [];

const quantities = (lines: readonly CostLine[]) => {
  const qty = (prefix: string) =>
    lines.filter((l) => l.item.startsWith(prefix)).reduce((sum, l) => sum + l.quantity, 0);
  return {
    puts: qty('S3 PUTs'),
    standard: qty('S3 Standard storage'),
    ia: qty('S3 Standard-IA storage'),
    glacier: qty('S3 Glacier Flexible Retrieval storage'),
    toIa: qty('S3 transitions to Standard-IA'),
    toGlacier: qty('S3 transitions to Glacier'),
  };
};

describe('s3BucketRule on the archive (30 d → IA, 90 d → Glacier, 730 d expiry)', () => {
  it('bills a PUT per Firehose object, every month alike', () => {
    for (const month of [1, 13]) {
      expect(quantities(archiveLines(month)).puts).toBeCloseTo(((objectsPerDay / 24) * 730) / 1_000, 6);
    }
  });

  it('month 1: Standard holds on average (30²/2 + 30 × 0.4167) ÷ 30.4167 = 15.2055 days of writes', () => {
    const lines = archiveLines(1);
    const s = quantities(lines);
    expect(s.standard).toBeCloseTo(gbPerDay * ((450 + 30 * (MONTH_DAYS - 30)) / MONTH_DAYS), 3);
    // IA: the first 0.4167 day of writes turns 30 days old: 0.4167²/2 ÷ 30.4167
    expect(s.ia).toBeCloseTo(gbPerDay * ((MONTH_DAYS - 30) ** 2 / 2 / MONTH_DAYS), 3);
    expect(s.glacier).toBe(0);
    expect(s.toIa).toBeCloseTo((objectsPerDay * (MONTH_DAYS - 30)) / 1_000, 6);
    // 69,655 GB-mo: the first 50,000 at $0.023, the rest at $0.022
    const standardUsd = lines
      .filter((l) => l.item.startsWith('S3 Standard storage'))
      .reduce((sum, l) => sum + l.monthlyUsd, 0);
    expect(standardUsd).toBeCloseTo(50_000 * 0.023 + (s.standard - 50_000) * 0.022, 6);
  });

  it('month 2: Standard holds 30 days; IA (30.8333²/2 − 0.4167²/2) ÷ 30.4167 = 15.625 days', () => {
    const s = quantities(archiveLines(2));
    expect(s.standard).toBeCloseTo(gbPerDay * 30, 3);
    expect(s.ia).toBeCloseTo(gbPerDay * 15.625, 3);
    expect(s.glacier).toBe(0);
    expect(s.toIa).toBeCloseTo((objectsPerDay * MONTH_DAYS) / 1_000, 6);
  });

  it('month 13: 30 days in Standard, 60 in IA, Glacier ages 275–305.4 days: 290.21 on average', () => {
    const s = quantities(archiveLines(13));
    expect(s.standard).toBeCloseTo(gbPerDay * 30, 3);
    expect(s.ia).toBeCloseTo(gbPerDay * 60, 3);
    // days 365–395.4167 since the first write, minus 90: 275 → 305.4167, average 290.2083
    expect(s.glacier).toBeCloseTo(gbPerDay * (275 + MONTH_DAYS / 2), 3);
    expect(s.toIa).toBeCloseTo((objectsPerDay * MONTH_DAYS) / 1_000, 6);
    expect(s.toGlacier).toBeCloseTo((objectsPerDay * MONTH_DAYS) / 1_000, 6);
  });

  it('keeps everything in Standard without a lifecycle', () => {
    const lines = archiveLines(1, archive({}));
    expect(quantities(lines).standard).toBeCloseTo(gbPerDay * (MONTH_DAYS / 2), 3);
    expect(lines.map((l) => l.item)).toEqual([
      'S3 PUTs (Firehose objects)',
      'S3 Standard storage',
      'S3 Standard storage (band 2)',
    ]);
  });

  it('gives a bucket Firehose does not write to no line', () => {
    const logs = res('AWS::S3::Bucket', 'AccessLogs', LIFECYCLE, 'ingest');
    expect(priceWith(s3BucketRule, [logs], { inventory: [firehose, logs] })).toEqual([[]]);
  });
});

describe('s3BucketRule on the archive (30 d → IA, 90 d → Deep Archive, 730 d expiry)', () => {
  const DEEP = { infrequentAccessAfterDays: 30, deepArchiveAfterDays: 90, expireAfterDays: 730 };
  const deep = (month: number, lifecycle: Record<string, number> = DEEP) => {
    const lines = archiveLines(month, archive(lifecycle));
    const of = (item: string) => lines.filter((l) => l.item === item);
    const qty = (item: string) => of(item).reduce((sum, l) => sum + l.quantity, 0);
    return { lines, of, qty, items: lines.map((l) => l.item) };
  };

  it('month 13: 30 days in Standard, 60 in IA, Deep Archive ages 275–305.4 days: 290.21 on average', () => {
    const m = deep(13);
    expect(m.qty('S3 Standard-IA storage')).toBeCloseTo(gbPerDay * 60, 3);
    expect(m.qty('S3 Glacier Deep Archive storage')).toBeCloseTo(gbPerDay * (275 + MONTH_DAYS / 2), 3);
    // Every day of the month, a day of objects turns 90: 34,131 × 30.4167 ÷ 1,000 at $0.05
    expect(m.qty('S3 transitions to Glacier Deep Archive')).toBeCloseTo(
      (objectsPerDay * MONTH_DAYS) / 1_000,
      6,
    );
    expect(m.of('S3 transitions to Glacier Deep Archive')[0]?.unitPriceUsd).toBe(0.05);
    // 4,580.928 GB/day × 290.2083 d = 1,329,423 GB-mo at $0.00099 = $1,316.13
    expect(m.of('S3 Glacier Deep Archive storage')[0]?.monthlyUsd).toBeCloseTo(
      gbPerDay * (275 + MONTH_DAYS / 2) * 0.000_99,
      6,
    );
    expect(m.items.some((item) => item.includes('Flexible'))).toBe(false);
  });

  it('month 2: nothing has reached 90 days yet, so no Deep Archive line', () => {
    expect(deep(2).items.some((item) => item.includes('Deep Archive'))).toBe(false);
  });

  it('month 25 (days 730–760.4) holds what month 26 holds: 30 d, 60 d and 640 d of writes', () => {
    for (const month of [25, 26]) {
      const m = deep(month);
      expect(m.qty('S3 Standard storage') + m.qty('S3 Standard storage (band 2)')).toBeCloseTo(
        gbPerDay * 30,
        3,
      );
      expect(m.qty('S3 Standard-IA storage')).toBeCloseTo(gbPerDay * 60, 3);
      expect(m.qty('S3 Glacier Deep Archive storage')).toBeCloseTo(gbPerDay * 640, 3);
    }
    // Month 24 (days 699.6–730): the oldest writes are 609.6–640 days in Deep Archive, 624.8 on average.
    expect(deep(24).qty('S3 Glacier Deep Archive storage')).toBeCloseTo(gbPerDay * (640 - MONTH_DAYS / 2), 3);
  });

  it('takes the classes in day order, each until the next: IA 30–90, Glacier Flexible 90–180, Deep Archive 180–730', () => {
    const m = deep(25, {
      deepArchiveAfterDays: 180,
      glacierAfterDays: 90,
      infrequentAccessAfterDays: 30,
      expireAfterDays: 730,
    });
    expect(m.qty('S3 Standard-IA storage')).toBeCloseTo(gbPerDay * 60, 3);
    expect(m.qty('S3 Glacier Flexible Retrieval storage')).toBeCloseTo(gbPerDay * 90, 3);
    expect(m.qty('S3 Glacier Deep Archive storage')).toBeCloseTo(gbPerDay * 550, 3);
    expect(m.items.filter((item) => item.startsWith('S3 transitions'))).toEqual([
      'S3 transitions to Standard-IA',
      'S3 transitions to Glacier Flexible Retrieval',
      'S3 transitions to Glacier Deep Archive',
    ]);
  });

  it('keeps Standard until Deep Archive when the lifecycle names no IA', () => {
    const m = deep(25, { deepArchiveAfterDays: 90, expireAfterDays: 730 });
    expect(m.qty('S3 Standard storage') + m.qty('S3 Standard storage (band 2)')).toBeCloseTo(
      gbPerDay * 90,
      3,
    );
    expect(m.qty('S3 Glacier Deep Archive storage')).toBeCloseTo(gbPerDay * 640, 3);
    expect(m.items.some((item) => item.includes('Standard-IA'))).toBe(false);
  });

  it('ignores a transition on or after the expiry', () => {
    const m = deep(25, { infrequentAccessAfterDays: 30, deepArchiveAfterDays: 730, expireAfterDays: 730 });
    expect(m.items.some((item) => item.includes('Deep Archive'))).toBe(false);
    expect(m.qty('S3 Standard-IA storage')).toBeCloseTo(gbPerDay * 700, 3);
  });
});

describe("s3BucketRule on the ClickHouse nodes' S3 disk", () => {
  // Tier 3's shape: 3 shards of one replica; rows 2 days hot, then on S3 until 90; bodies to 7 days.
  const RETENTION = {
    hotDays: 2,
    warmDays: 88,
    bodiesDays: 7,
    minuteRollupDays: 35,
    hourRollupDays: 400,
    ttlMergeTimeoutSec: 1_800,
  };
  const cold = res(
    'AWS::S3::Bucket',
    'Cold',
    { workload: CLICKHOUSE_COLD_WORKLOAD, ...RETENTION },
    'analytics',
  );
  const volume = (shard: number, replica = 1) =>
    res(
      'AWS::EC2::Volume',
      `ClickHouseShard${shard}Replica${replica}Data`,
      {
        volumeType: 'gp3',
        volumeGiB: 10_000,
        volumeIops: 10_000,
        volumeThroughputMiBps: 500,
        clickHouseShard: shard,
        clickHouseReplica: replica,
      },
      'analytics',
    );
  const volumes = [volume(1), volume(2), volume(3)];
  const coldLines = (month: number, bucket = cold, nodes = volumes): readonly CostLine[] =>
    priceWith(s3BucketRule, [bucket], { inventory: [...nodes, bucket], month })[0] ?? [];
  const qty = (lines: readonly CostLine[], prefix: string) =>
    lines.filter((l) => l.item.startsWith(prefix)).reduce((sum, l) => sum + l.quantity, 0);
  const usdOf = (lines: readonly CostLine[], prefix: string) =>
    lines.filter((l) => l.item.startsWith(prefix)).reduce((sum, l) => sum + l.monthlyUsd, 0);

  // 50,000 events/s ÷ 3 shards × 86,400 s = 1.44e9 rows a day per node.
  // Full rows: 1,691 (bodies) + 8.31 (metadata) + 51.7 (rest) + 2 (marks) = 1,753.01 B → 2,524.3344 GB/day.
  // Lean rows (bodies emptied): 62.01 B → 89.2944 GB/day.
  const fullGbPerDay = 2_524.334_4;
  const leanGbPerDay = 89.294_4;

  it('month 1: 3 nodes × (2,524.33 GB/day × 4.2603 d + 89.29 GB/day × 9.0138 d) = 34,678 GB-mo', () => {
    // Full band, ages 2–7: (5²/2 + 5 × (30.4167 − 7)) ÷ 30.4167 = 129.583 ÷ 30.4167 = 4.2603 days.
    const fullDays = (12.5 + 5 * (MONTH_DAYS - 7)) / MONTH_DAYS;
    // Lean band, ages 7–90: (30.4167 − 7)²/2 ÷ 30.4167 = 274.17 ÷ 30.4167 = 9.0138 days.
    const leanDays = (MONTH_DAYS - 7) ** 2 / 2 / MONTH_DAYS;
    const lines = coldLines(1);
    const gbMonth = 3 * (fullGbPerDay * fullDays + leanGbPerDay * leanDays);
    expect(gbMonth).toBeCloseTo(34_678, 0);
    expect(qty(lines, 'S3 disk storage')).toBeCloseTo(gbMonth, 3);
    // All within the first 50 TB: at $0.023, $797.60.
    expect(usdOf(lines, 'S3 disk storage')).toBeCloseTo(gbMonth * 0.023, 6);
    expect(lines.find((l) => l.item === 'S3 disk storage (S3 Standard)')?.formula).toBe(
      '3 nodes × (2,524.33 GB/day of full rows aged 2–7 d + 89.29 GB/day of lean rows aged 7–90 d) × average days held over days 0–30.42',
    );
  });

  it('from month 4 (day 91.25, past the 90-day delete): 3 × (2,524.33 × 5 + 89.29 × 83) = 60,099.3 GB-mo, $1,372.19', () => {
    const steady = 3 * (fullGbPerDay * 5 + leanGbPerDay * 83);
    expect(steady).toBeCloseTo(60_099.32, 1);
    for (const month of [4, 25]) {
      const lines = coldLines(month);
      expect(qty(lines, 'S3 disk storage')).toBeCloseTo(steady, 3);
      // The first 50,000 GB at $0.023, the next 10,099.32 at $0.022.
      expect(usdOf(lines, 'S3 disk storage')).toBeCloseTo(50_000 * 0.023 + (steady - 50_000) * 0.022, 6);
    }
    // Month 3 (days 60.8–91.25) still fills the lean band.
    expect(qty(coldLines(3), 'S3 disk storage')).toBeLessThan(steady);
  });

  it("bills capacity's PUTs and GETs a day × nodes × the days after the first move (day 2)", () => {
    const storage = clickHouseStorageFigures(
      { ...TIERS[3], retention: { ...TIERS[3].retention, ...RETENTION } },
      {
        eventsPerSec: issueLoad.eventsPerSec,
        assumptions: { eventBytes: 5_300, gzipRatio: 5, eventsPerRequest: 500 },
      },
    );
    const month1 = coldLines(1);
    // Month 1: 30.4167 − 2 = 28.4167 days of moves.
    expect(qty(month1, 'S3 disk PUTs')).toBeCloseTo(
      (storage.s3PutsPerDayPerNode * 3 * (MONTH_DAYS - 2)) / 1_000,
      6,
    );
    expect(qty(month1, 'S3 disk GETs')).toBeCloseTo(
      (storage.s3GetsPerDayPerNode * 3 * (MONTH_DAYS - 2)) / 1_000,
      6,
    );
    expect(month1.find((l) => l.item === 'S3 disk PUTs')?.unitPriceUsd).toBe(0.005);
    expect(month1.find((l) => l.item === 'S3 disk GETs')?.unitPriceUsd).toBe(0.000_4);
    const month2 = coldLines(2);
    expect(qty(month2, 'S3 disk PUTs')).toBeCloseTo(
      (storage.s3PutsPerDayPerNode * 3 * MONTH_DAYS) / 1_000,
      6,
    );
  });

  it('counts replicas: each keeps its own copy, so 3 shards × 2 replicas store twice as much', () => {
    const six = [volume(1), volume(1, 2), volume(2), volume(2, 2), volume(3), volume(3, 2)];
    expect(qty(coldLines(4, cold, six), 'S3 disk storage')).toBeCloseTo(
      2 * qty(coldLines(4), 'S3 disk storage'),
      3,
    );
  });

  it('rejects a bucket without the retention the migrations resource carries, naming the key', () => {
    const bare = res('AWS::S3::Bucket', 'Cold', { workload: CLICKHOUSE_COLD_WORKLOAD }, 'analytics');
    expect(() => coldLines(1, bare)).toThrow(/hotDays/);
  });
});
