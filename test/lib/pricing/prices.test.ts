import { describe, expect, it } from 'vitest';
import {
  ALB_LCU,
  BILLING_UNITS,
  DAYS_PER_MONTH,
  HOURS_PER_MONTH,
  listPrices,
  PRICES,
  pricesFor,
  SECONDS_PER_MONTH,
} from '../../../lib/pricing/prices.js';
import { TIERS } from '../../../lib/tiers.js';

const usEast1 = pricesFor('us-east-1');
const rows = listPrices(usEast1).map(({ path, price }) => ({ path, ...price }));

describe('the us-east-1 price table', () => {
  it('lists every figure of the table', () => {
    // 21 instance types, and the services' figures beside them.
    expect(rows.length).toBeGreaterThan(60);
    expect(rows.map((row) => row.path)).toContain('alb.lcuHour');
    expect(rows.map((row) => row.path)).toContain('ec2.c5.xlarge');
  });

  it.each(rows)(
    '$path has a positive price, a unit, a source and an ISO date',
    ({ usd, unit, source, asOf }) => {
      expect(Number.isFinite(usd)).toBe(true);
      expect(usd).toBeGreaterThan(0);
      expect(unit.trim()).not.toBe('');
      expect(source.trim()).not.toBe('');
      expect(asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(new Date(`${asOf}T00:00:00Z`).toISOString().slice(0, 10)).toBe(asOf);
    },
  );

  it.each(Object.values(TIERS))('prices the instance types of $name', (tier) => {
    expect(usEast1.ec2[tier.clickhouse.instanceType]).toBeDefined();
    expect(usEast1.ec2[tier.clickhouse.keeperInstanceType]).toBeDefined();
  });

  it.each([
    ['EC2 c5.xlarge', usEast1.ec2['c5.xlarge']?.usd, 0.17],
    ['ALB LCU-hour', usEast1.alb.lcuHour.usd, 0.008],
    ['Lambda arm64 GB-s', usEast1.lambda.gbSecondArm64.usd, 0.000_013_333_4],
    ['Kinesis shard-hour', usEast1.kinesis.shardHour.usd, 0.015],
    ['Firehose first 500 TB', usEast1.firehose.ingestGbFirst500Tb.usd, 0.029],
    ['Secrets Manager secret-month', usEast1.secretsManager.secretMonth.usd, 0.4],
  ])('keeps the reference figure for %s', (_name, usd, expected) => {
    expect(usd).toBe(expected);
  });

  it('keys tables by region and says so', () => {
    expect(PRICES['us-east-1']?.region).toBe('us-east-1');
  });

  it('rejects a region without a table, naming it', () => {
    expect(() => pricesFor('eu-west-9')).toThrow(/eu-west-9/);
  });

  it.each([
    ['ALB LCU dimensions', ALB_LCU.source, ALB_LCU.asOf],
    ['billing units', BILLING_UNITS.source, BILLING_UNITS.asOf],
  ])('gives %s a source and a date', (_name, source, asOf) => {
    expect(source).not.toBe('');
    expect(asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('the month the prices assume', () => {
  it.each([
    ['hours', HOURS_PER_MONTH, 730],
    ['seconds', SECONDS_PER_MONTH, 2_628_000],
    ['days', DAYS_PER_MONTH, 30.416_666_666_666_668],
  ])('has %s: %d', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});
