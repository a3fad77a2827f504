import { type BillableResource, sizeNumber } from '../billable-resource.js';
import { type CostLine, costLine } from '../cost-line.js';
import { num } from '../format.js';
import { BYTES_PER_GB, DAYS_PER_MONTH } from '../prices.js';
import { averageDaysHeld } from './days-held.js';
import { perResource, type RuleContext } from './rule.js';

/**
 * `AWS::Logs::LogGroup`: it takes the logs of the load-driven functions of its component (their
 * invocations × `logBytesPerInvocation`), ingested, then stored for `retentionDays` (none: kept
 * forever).
 */
export const logGroupRule = perResource((r, context) => {
  const invocations = context.invocationsByComponent.get(r.component) ?? 0;
  if (invocations === 0) return [];
  const { assumptions: a, prices } = context;
  const gbPerMonth = (invocations * a.logBytesPerInvocation) / BYTES_PER_GB;
  return [
    costLine(
      r,
      'CloudWatch Logs ingestion',
      gbPerMonth,
      prices.cloudWatch.logsIngestionGb,
      `${num(invocations / 1e6)}M invocations × ${a.logBytesPerInvocation} B`,
    ),
    logStorageLine(r, 'CloudWatch Logs storage', gbPerMonth, context, ', uncompressed'),
  ];
});

/**
 * What a log group written at `gbPerMonth` holds over the month billed, kept for the resource's
 * `retentionDays`. `note` ends the formula.
 */
export function logStorageLine(
  r: BillableResource,
  item: string,
  gbPerMonth: number,
  { prices, startDay, endDay }: Pick<RuleContext, 'prices' | 'startDay' | 'endDay'>,
  note = '',
): CostLine {
  const retentionDays = sizeNumber(r, 'retentionDays', Number.POSITIVE_INFINITY);
  const gbPerDay = gbPerMonth / DAYS_PER_MONTH;
  return costLine(
    r,
    item,
    gbPerDay * averageDaysHeld(startDay, endDay, 0, retentionDays),
    prices.cloudWatch.logsStorageGbMonth,
    `${num(gbPerDay, 4)} GB/day × average days held (retention ${num(retentionDays)} d)${note}`,
  );
}
