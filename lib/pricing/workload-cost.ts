/**
 * A tier priced at each measured workload's gzip ratio: the same inventory and load with only
 * `gzipRatio` changed, month 1 and at the steady state, as the compression lever prices its
 * alternative (lib/pricing/levers.ts). The bill's headline stays at the load's own ratio (the
 * sizing's 3:1, fresh text: the worst case); these figures are the range real traffic falls in.
 */
import type { BillableResource } from './billable-resource.js';
import type { CostAssumptions } from './cost-assumptions.js';
import { monthlyCost, totalMonthlyUsd } from './cost-model.js';
import type { Load } from './load.js';
import type { RegionPrices } from './prices.js';
import { steadyState } from './steady-state.js';

/** A workload's compression as measured (lib/workloads/compression.ts): what a tier is priced at. */
export interface WorkloadRatio {
  /** `unique` or `sessions`. */
  readonly name: string;
  /** Uncompressed ÷ gzip bytes of a request batch at the SDK's level. */
  readonly gzipRatio: number;
  /** gzip bytes per event of the measured sample. */
  readonly bytesPerEvent: number;
}

/** A tier's bill at a workload's ratio. */
export interface WorkloadCost extends WorkloadRatio {
  readonly monthlyUsd: number;
  /** At that ratio's own steady-state month; `null` when something is kept forever. */
  readonly steadyStateUsd: number | null;
  readonly steadyStateMonth: number | null;
}

/** Month 1 and the steady state of an inventory at a load: the bill's total, as the levers compute it. */
export function billAt(
  resources: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions> = {},
): Pick<WorkloadCost, 'monthlyUsd' | 'steadyStateUsd' | 'steadyStateMonth'> {
  const month = (m: number) =>
    totalMonthlyUsd(monthlyCost({ inventory: resources, load, prices, month: m, assumptions }));
  const steady = steadyState(resources, load, prices, assumptions);
  return {
    monthlyUsd: month(1),
    steadyStateUsd: steady === null ? null : month(steady.month),
    steadyStateMonth: steady?.month ?? null,
  };
}

/** The tier at each workload's ratio, everything else as the load has it. */
export function workloadCosts(
  resources: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  workloads: readonly WorkloadRatio[],
  assumptions: Partial<CostAssumptions> = {},
): WorkloadCost[] {
  return workloads.map((w) => ({
    name: w.name,
    gzipRatio: w.gzipRatio,
    bytesPerEvent: w.bytesPerEvent,
    ...billAt(resources, { ...load, gzipRatio: w.gzipRatio }, prices, assumptions),
  }));
}
