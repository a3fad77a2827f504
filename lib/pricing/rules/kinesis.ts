import { streamFigures } from '../../capacity.js';
import { sizeNumber } from '../billable-resource.js';
import { costLine, hourlyLine } from '../cost-line.js';
import { CostModelError } from '../cost-model-error.js';
import { num } from '../format.js';
import { BILLING_UNITS, SECONDS_PER_MONTH } from '../prices.js';
import { perResource } from './rule.js';

/**
 * `AWS::Kinesis::Stream` (provisioned): shard-hours, extended retention beyond 24 h, and PUT
 * payload units of the load's records. Size keys: `shardCount`, `retentionHours` (default 24).
 */
export const kinesisStreamRule = perResource((r, { prices, tier, capacity }) => {
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
