import { describe, expect, it } from 'vitest';
import { kinesisStreamRule } from '../../../../lib/pricing/rules/kinesis.js';
import { idle, priceWith, res, summary } from './rule-fixtures.js';

const stream = (size: Record<string, number>) => res('AWS::Kinesis::Stream', 'Stream', size, 'stream');

describe('kinesisStreamRule', () => {
  it('bills shard-hours and PUT payload units of the load’s records', () => {
    // 125 shards × 730 h × $0.015 = $1,368.75. A record: 530,000 B body + 200 B header + 64 B
    // partition key = 530,264 B → 22 units of 25,000 B; 100 records/s × 22 × 2,628,000 s = 5,781.6M.
    const [lines] = priceWith(kinesisStreamRule, [stream({ shardCount: 125, retentionHours: 24 })]);
    expect(summary(lines ?? [])).toEqual([
      ['Kinesis shard-hours', 91_250, expect.closeTo(1_368.75, 9)],
      ['Kinesis PUT payload units', expect.closeTo(5_781.6, 9), expect.closeTo(80.9424, 9)],
    ]);
  });

  it.each([
    [24, 0],
    [48, 125 * 730 * 0.02],
    [168, 125 * 730 * 0.02],
  ])('bills retention of %d h beyond the included 24 h at $%d', (retentionHours, usd) => {
    const [lines] = priceWith(kinesisStreamRule, [stream({ shardCount: 125, retentionHours })], {
      load: idle,
    });
    const extended = (lines ?? []).filter((l) => l.item === 'Kinesis extended retention');
    expect(extended.reduce((sum, l) => sum + l.monthlyUsd, 0)).toBeCloseTo(usd, 9);
  });

  it('takes 24 h of retention when the size has none', () => {
    const [lines] = priceWith(kinesisStreamRule, [stream({ shardCount: 2 })], { load: idle });
    expect((lines ?? []).map((l) => l.item)).toEqual(['Kinesis shard-hours', 'Kinesis PUT payload units']);
  });

  it.each([
    // One event a request, uncompressed: record = event + 200 B header + 64 B key.
    [24_736, 1],
    [24_737, 2],
    [49_736, 2],
  ])('counts a record of a %d B event as %d PUT payload units', (eventBytes, units) => {
    const load = { eventsPerSec: 1, eventBytes, gzipRatio: 1, eventsPerRequest: 1 };
    const [lines] = priceWith(kinesisStreamRule, [stream({ shardCount: 1 })], { load });
    expect(lines?.at(-1)?.quantity).toBeCloseTo((units * 2_628_000) / 1e6, 9);
  });

  it('rejects retention beyond 7 days, which is priced as long-term retention', () => {
    expect(() => priceWith(kinesisStreamRule, [stream({ shardCount: 1, retentionHours: 169 })])).toThrow(
      /beyond 7 days/,
    );
  });

  it('rejects a stream without shards (on demand), naming the size key', () => {
    expect(() => priceWith(kinesisStreamRule, [stream({ retentionHours: 24 })])).toThrow(/shardCount/);
  });
});
