import { describe, expect, it } from 'vitest';
import type { CostLine } from '../../../../lib/pricing/cost-line.js';
import { s3BucketRule } from '../../../../lib/pricing/rules/s3.js';
import { MONTH_DAYS, priceWith, res } from './rule-fixtures.js';

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
