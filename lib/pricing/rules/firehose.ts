import { firehoseFigures } from '../../capacity.js';
import { bandedLines } from '../cost-line.js';
import { num } from '../format.js';
import { BILLING_UNITS, BYTES_PER_GB, SECONDS_PER_MONTH } from '../prices.js';
import { perResource } from './rule.js';

/**
 * `AWS::KinesisFirehose::DeliveryStream`: GB ingested from the stream, each record rounded up to
 * 5 KB, in the price's bands. Its `bufferSizeMiB` and `bufferIntervalSec` reach the bill through
 * the capacity tier (the archive's objects, `lib/pricing/rules/s3.ts`).
 */
export const firehoseRule = perResource((r, { prices, tier, capacity }) => {
  const f = firehoseFigures(tier, capacity);
  const rounding = BILLING_UNITS.firehoseRecordRoundingBytes;
  const billedBytes = Math.ceil(f.recordBytes / rounding) * rounding;
  const gb = (f.recordsPerSec * billedBytes * SECONDS_PER_MONTH) / BYTES_PER_GB;
  const p = prices.firehose;
  return bandedLines(
    r,
    'Firehose ingestion',
    gb,
    {
      sizes: BILLING_UNITS.firehoseBandsGb,
      // Beyond the table's last band (5 PB a month), at its price.
      prices: [p.ingestGbFirst500Tb, p.ingestGbNext1500Tb, p.ingestGbNext3000Tb, p.ingestGbNext3000Tb],
    },
    `${num(f.recordsPerSec, 4)} records/s × ${num(billedBytes)} B (${num(f.recordBytes, 0)} B rounded up to ${num(rounding)} B) × ${num(SECONDS_PER_MONTH)} s = ${num(gb)} GB`,
  );
});
