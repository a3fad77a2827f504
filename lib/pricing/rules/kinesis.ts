import { streamFigures } from '../../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from '../billable-resource.js';
import { type CostLine, costLine, hourlyLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { TRANSIT_WORKLOAD } from '../cost-tags.js';
import { num } from '../format.js';
import { BILLING_UNITS, BYTES_PER_GB, HOURS_PER_MONTH, SECONDS_PER_MONTH } from '../prices.js';
import { perResource, type RuleContext } from './rule.js';

/**
 * A multi-region tier's transit stream (on-demand): the records of `crossRegionShare` of the load,
 * written once (each rounded up to 1 KB), read once by the forwarder, and held its retention.
 */
function transitLines(
  r: BillableResource,
  { prices, tier, capacity, assumptions: a }: RuleContext,
): CostLine[] {
  if (r.size.mode !== 'on-demand') {
    throw new CostModelError(`${r.type} ${r.logicalId}: a transit stream is priced on demand only`);
  }
  const retentionHours = sizeNumber(r, 'retentionHours', 24);
  if (retentionHours > BILLING_UNITS.kinesisExtendedRetentionMaxHours) {
    throw new CostModelError(`${r.type} ${r.logicalId}: retention beyond 7 days is not priced`);
  }
  const s = streamFigures(tier, capacity);
  const recordsPerSec = s.recordsPerSec * a.crossRegionShare;
  const writtenBytes = Math.ceil(s.recordBytes / 1_024) * 1_024;
  const p = prices.kinesis;
  const share = `${num(s.recordsPerSec, 4)} records/s × ${num(a.crossRegionShare, 4)} accepted outside their home region`;
  const lines = [
    costLine(
      r,
      'Kinesis on-demand stream-hours (transit)',
      HOURS_PER_MONTH,
      p.onDemandStreamHour,
      `1 × ${HOURS_PER_MONTH} h`,
    ),
    costLine(
      r,
      'Kinesis on-demand data in (transit)',
      (recordsPerSec * writtenBytes * SECONDS_PER_MONTH) / BYTES_PER_GB,
      p.onDemandDataInGb,
      `${share} × ceil(${num(s.recordBytes, 0)} B ÷ 1 KB) KB × ${num(SECONDS_PER_MONTH)} s`,
    ),
    costLine(
      r,
      'Kinesis on-demand data out (transit)',
      (recordsPerSec * s.recordBytes * SECONDS_PER_MONTH) / BYTES_PER_GB,
      p.onDemandDataOutGb,
      `${share} × ${num(s.recordBytes, 0)} B read once by the forwarder × ${num(SECONDS_PER_MONTH)} s`,
    ),
  ];
  const extendedHours = retentionHours - BILLING_UNITS.kinesisIncludedRetentionHours;
  if (extendedHours > 0) {
    lines.push(
      costLine(
        r,
        'Kinesis on-demand extended retention (transit)',
        (recordsPerSec * writtenBytes * extendedHours * 3_600) / BYTES_PER_GB,
        p.onDemandExtendedRetentionGbMonth,
        `${share} × ${num(writtenBytes)} B × ${num(extendedHours)} h beyond 24 h × 3,600 s, held all month`,
      ),
    );
  }
  return lines;
}

/**
 * `AWS::Kinesis::Stream` (provisioned): shard-hours, extended retention beyond 24 h, and PUT
 * payload units of the load's records. Size keys: `shardCount`, `retentionHours` (default 24).
 */
export const kinesisStreamRule = perResource((r, context) => {
  if (sizeString(r, 'workload') === TRANSIT_WORKLOAD) return transitLines(r, context);
  const { prices, tier, capacity } = context;
  const shards = sizeNumber(r, 'shardCount');
  const retentionHours = sizeNumber(r, 'retentionHours', 24);
  const p = prices.kinesis;
  const lines = [hourlyLine(r, 'Kinesis shard-hours', shards, p.shardHour)];
  if (retentionHours > BILLING_UNITS.kinesisIncludedRetentionHours) {
    if (retentionHours > BILLING_UNITS.kinesisExtendedRetentionMaxHours) {
      throw new CostModelError(
        `${r.type} ${r.logicalId}: retention beyond 7 days (long-term retention) is not priced`,
      );
    }
    lines.push(hourlyLine(r, 'Kinesis extended retention', shards, p.extendedRetentionShardHour));
  }
  const s = streamFigures(tier, capacity);
  const unitBytes = BILLING_UNITS.kinesisPutPayloadUnitBytes;
  const units = Math.ceil(s.recordBytes / unitBytes);
  lines.push(
    costLine(
      r,
      'Kinesis PUT payload units',
      (s.recordsPerSec * units * SECONDS_PER_MONTH) / 1e6,
      p.putPayloadUnitsPerMillion,
      `${num(s.recordsPerSec, 4)} records/s × ceil(${num(s.recordBytes, 0)} B ÷ ${num(unitBytes)}) = ${units} units × ${num(SECONDS_PER_MONTH)} s`,
    ),
  );
  return lines;
});
