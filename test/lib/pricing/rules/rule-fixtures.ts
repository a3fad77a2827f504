/** What the rule tests share: the issue's load, resources by hand and a rule run in one month. */
import type { BillableResource } from '../../../../lib/pricing/billable-resource.js';
import type { CostAssumptions } from '../../../../lib/pricing/cost-assumptions.js';
import type { CostLine } from '../../../../lib/pricing/cost-line.js';
import { monthContext } from '../../../../lib/pricing/cost-model.js';
import type { Load } from '../../../../lib/pricing/load.js';
import { pricesFor } from '../../../../lib/pricing/prices.js';
import type { CostRule } from '../../../../lib/pricing/rules/rule.js';

export const prices = pricesFor('us-east-1');

/** The issue's example: 50K events/s of 5.3 KB events in 500-event gzip batches at 5:1. */
export const issueLoad: Load = {
  eventsPerSec: 50_000,
  eventBytes: 5_300,
  gzipRatio: 5,
  eventsPerRequest: 500,
};

/** 730 h ÷ 24 = 30.41666… */
export const MONTH_DAYS = 730 / 24;

export const res = (
  type: string,
  logicalId: string,
  size: BillableResource['size'] = {},
  component = 'component',
): BillableResource => ({ type, logicalId, component, size });

/**
 * The lines `rule` gives each resource of `slice`, in `month` (default 1) at `load` (default the
 * issue's), with the context of `inventory` (default: the slice itself).
 */
export function priceWith(
  rule: CostRule,
  slice: readonly BillableResource[],
  options: {
    readonly inventory?: readonly BillableResource[];
    readonly load?: Load;
    readonly month?: number;
    readonly assumptions?: Partial<CostAssumptions>;
  } = {},
): (readonly CostLine[])[] {
  const context = monthContext({
    inventory: options.inventory ?? slice,
    load: options.load ?? issueLoad,
    prices,
    month: options.month ?? 1,
    assumptions: options.assumptions ?? {},
  });
  return [...rule(slice, context)];
}

/** The one resource's lines as `[item, quantity, monthly USD]`. */
export const summary = (lines: readonly CostLine[]) =>
  lines.map((l) => [l.item, l.quantity, l.monthlyUsd] as const);

/** A month of steady use at idle: the fixed costs alone. */
export const idle: Load = { ...issueLoad, eventsPerSec: 0 };
