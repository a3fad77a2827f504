/**
 * When the bill stops growing. Storage that accumulates (the archive's classes, the ClickHouse
 * nodes' S3 disk, log groups) grows until the oldest writes reach the age at which they leave it:
 * the archive's expiry, the S3 disk's last band (the rows' delete), a log group's retention. From
 * the first month that starts past the longest of those ages, every month bills the same.
 */
import { clickHouseStorageFigures } from '../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from './billable-resource.js';
import type { CostAssumptions } from './cost-assumptions.js';
import { monthContext } from './cost-model.js';
import { CLICKHOUSE_COLD_WORKLOAD } from './cost-tags.js';
import type { Load } from './load.js';
import { DAYS_PER_MONTH, type RegionPrices } from './prices.js';
import type { RuleContext } from './rules/rule.js';

/**
 * Days after the first write until a resource's lines stop growing: 0 for what does not
 * accumulate, `Infinity` for what is kept forever (a log group without retention).
 */
export function accumulationDays(r: BillableResource, context: RuleContext): number {
  if (r.size.free !== undefined) return 0;
  switch (r.type) {
    case 'AWS::S3::Bucket': {
      const workload = sizeString(r, 'workload');
      if (workload === 'archive') return sizeNumber(r, 'expireAfterDays', Number.POSITIVE_INFINITY);
      if (workload === CLICKHOUSE_COLD_WORKLOAD) {
        const { coldBands } = clickHouseStorageFigures(context.tier, context.capacity);
        return Math.max(0, ...coldBands.map((band) => band.toDay));
      }
      return 0;
    }
    case 'AWS::Logs::LogGroup':
      // Only the groups the load writes to get lines (lib/pricing/rules/log-group.ts).
      return (context.invocationsByComponent.get(r.component) ?? 0) > 0
        ? sizeNumber(r, 'retentionDays', Number.POSITIVE_INFINITY)
        : 0;
    case 'AWS::EC2::FlowLog':
      return context.assumptions.flowLogRejectGbPerMonth > 0
        ? sizeNumber(r, 'retentionDays', Number.POSITIVE_INFINITY)
        : 0;
    default:
      return 0;
  }
}

/** The first month (1-based) that starts on or after `days` since the first write. */
export function firstMonthFrom(days: number): number {
  // 730 days are exactly 24 months of 30.4167 days; the tolerance keeps float error from adding one.
  return days <= 0 ? 1 : Math.ceil(days / DAYS_PER_MONTH - 1e-9) + 1;
}

/** The steady state: from which month every line bills the same, and the age that decides it. */
export interface SteadyState {
  readonly month: number;
  /** The longest accumulation among the resources, in days. */
  readonly horizonDays: number;
}

/**
 * The first month at which every accumulating line has stopped growing, from the inventory's
 * retentions and lifecycles and capacity's cold bands at the load; `null` when something is kept
 * forever and grows every month.
 */
export function steadyState(
  inventory: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions> = {},
): SteadyState | null {
  const context = monthContext({ inventory, load, prices, month: 1, assumptions });
  const horizonDays = Math.max(0, ...inventory.map((r) => accumulationDays(r, context)));
  return Number.isFinite(horizonDays) ? { month: firstMonthFrom(horizonDays), horizonDays } : null;
}
