import { describe, expect, it } from 'vitest';
import { firehoseRule } from '../../../../lib/pricing/rules/firehose.js';
import { issueLoad, priceWith, res, summary } from './rule-fixtures.js';

const firehose = res(
  'AWS::KinesisFirehose::DeliveryStream',
  'Firehose',
  { bufferSizeMiB: 128, bufferIntervalSec: 60 },
  'archive',
);

describe('firehoseRule', () => {
  it('bills the GB ingested, each record rounded up to 5,120 B', () => {
    // A record: 530,000 B body + 200 B header = 530,200 B → 104 × 5,120 = 532,480 B billed;
    // 100/s × 532,480 B × 2,628,000 s = 139,935.744 GB × $0.029.
    expect(summary(priceWith(firehoseRule, [firehose])[0] ?? [])).toEqual([
      ['Firehose ingestion', expect.closeTo(139_935.744, 6), expect.closeTo(4_058.136_576, 6)],
    ]);
  });

  it.each([
    // One event a request, uncompressed: record = event + 200 B header.
    [4_920, 5_120],
    [4_921, 10_240],
  ])('bills the record of a %d B event as %d B', (eventBytes, billedBytes) => {
    const load = { eventsPerSec: 1, eventBytes, gzipRatio: 1, eventsPerRequest: 1 };
    const [lines] = priceWith(firehoseRule, [firehose], { load });
    expect(lines?.[0]?.quantity).toBeCloseTo((billedBytes * 2_628_000) / 1e9, 9);
  });

  it('bills GB beyond the first 500 TB a month at the second band’s price', () => {
    // Four times the issue's load: 559,742.976 GB, of which 59,742.976 in band 2 at $0.025.
    const load = { ...issueLoad, eventsPerSec: 200_000 };
    expect(summary(priceWith(firehoseRule, [firehose], { load })[0] ?? [])).toEqual([
      ['Firehose ingestion', 500_000, expect.closeTo(14_500, 6)],
      ['Firehose ingestion (band 2)', expect.closeTo(59_742.976, 6), expect.closeTo(1_493.5744, 6)],
    ]);
  });
});
