/**
 * The cost model: pure functions from an inventory of billable resources (read from a synthesized
 * template) and a load to monthly dollars, line by line, each line with the formula that made it.
 *
 * Each resource type has its rule (`lib/pricing/rules/`, listed in `cost-rules.ts`). Fixed costs
 * come from the resources' sizes; usage costs from the load through `lib/capacity.ts`'s own
 * arithmetic (request and record bytes, records/s, Lambda CPU shares and durations, Firehose
 * objects), so the bill and the sizing cannot disagree. A month is `HOURS_PER_MONTH`; GB is 10^9
 * bytes (EBS volumes are provisioned in GiB and billed per GiB-month at the GB-month price). Free
 * tiers are ignored.
 */
import type { BillableResource } from './billable-resource.js';
import { capacityTier } from './capacity-tier.js';
import { COST_ASSUMPTIONS, type CostAssumptions } from './cost-assumptions.js';
import type { CostLine } from './cost-line.js';
import { CostModelError } from './cost-model-error.js';
import { LINES_LAST, ruleFor } from './cost-rules.js';
import { capacityOptionsOf, checkLoad, type Load } from './load.js';
import { DAYS_PER_MONTH, type RegionPrices, SECONDS_PER_MONTH } from './prices.js';
import { invocationsByComponent } from './rules/lambda.js';
import type { RuleContext } from './rules/rule.js';

/** One month's bill to compute: what, at which load and prices, in which month. */
export interface MonthlyCostInput {
  readonly inventory: readonly BillableResource[];
  readonly load: Load;
  readonly prices: RegionPrices;
  /** 1-based: storage that accumulates is billed as it stands in this month. */
  readonly month: number;
  readonly assumptions?: Partial<CostAssumptions>;
}

/** A resource marked `free` (with the reason) gets no line. */
const isPriced = (r: BillableResource): boolean => r.size.free === undefined;

/** Checks the input and gathers what every rule reads for the month. */
export function monthContext(input: MonthlyCostInput): RuleContext {
  const { inventory, load, prices, month } = input;
  checkLoad(load);
  if (!Number.isInteger(month) || month < 1) {
    throw new CostModelError(`month must be an integer ≥ 1, got ${month}`);
  }
  for (const r of inventory) {
    if (ruleFor(r.type) === undefined) {
      throw new CostModelError(`${r.type} ${r.logicalId}: no cost rule for this resource type`);
    }
  }
  const context = {
    load,
    prices,
    assumptions: { ...COST_ASSUMPTIONS, ...input.assumptions },
    startDay: (month - 1) * DAYS_PER_MONTH,
    endDay: month * DAYS_PER_MONTH,
    tier: capacityTier(inventory),
    capacity: capacityOptionsOf(load),
  };
  const functions = inventory.filter((r) => isPriced(r) && r.type === 'AWS::Lambda::Function');
  return { ...context, invocationsByComponent: invocationsByComponent(functions, context) };
}

/** The month's lines of each resource of the inventory, in its order (none for one marked free). */
export function linesByResource(input: MonthlyCostInput): (readonly CostLine[])[] {
  const context = monthContext(input);
  const priced = input.inventory
    .map((resource, index) => ({ resource, index }))
    .filter(({ resource }) => isPriced(resource));
  const linesOf: (readonly CostLine[])[] = input.inventory.map(() => []);
  for (const type of new Set(priced.map(({ resource }) => resource.type))) {
    const rule = ruleFor(type);
    if (rule === undefined) continue;
    const slice = priced.filter(({ resource }) => resource.type === type);
    const lines = rule(
      slice.map(({ resource }) => resource),
      context,
    );
    slice.forEach(({ index }, i) => {
      linesOf[index] = lines[i] ?? [];
    });
  }
  return linesOf;
}

/** The bill for one month at a load, one line per priced item, grouped by component. */
export function monthlyCost(input: MonthlyCostInput): CostLine[] {
  const linesOf = linesByResource(input);
  const priced = input.inventory
    .map((resource, index) => ({ resource, index }))
    .filter(({ resource }) => isPriced(resource));
  const last = priced.filter(({ resource }) => LINES_LAST.has(resource.type));
  const lines = [...priced.filter((p) => !last.includes(p)), ...last].flatMap(
    ({ index }) => linesOf[index] ?? [],
  );
  const order = [...new Set(input.inventory.map((r) => r.component))];
  return lines
    .map((line, i) => ({ line, i }))
    .sort((x, y) => order.indexOf(x.line.component) - order.indexOf(y.line.component) || x.i - y.i)
    .map(({ line }) => line);
}

/** The sum of the lines. */
export function totalMonthlyUsd(lines: readonly CostLine[]): number {
  return lines.reduce((sum, line) => sum + line.monthlyUsd, 0);
}

/** `total ÷ (eventsPerSec × 2,628,000 s ÷ 1e6)`: dollars per million events. */
export function costPerMillionEvents(lines: readonly CostLine[], load: Load): number {
  checkLoad(load);
  if (load.eventsPerSec === 0) {
    throw new CostModelError('cost per million events needs a load above 0 events/s');
  }
  return totalMonthlyUsd(lines) / ((load.eventsPerSec * SECONDS_PER_MONTH) / 1e6);
}

/** A month of the projection. */
export interface MonthTotal {
  readonly month: number;
  readonly totalUsd: number;
}

/** Month-by-month totals as storage accumulates. */
export function projection(
  inventory: readonly BillableResource[],
  load: Load,
  prices: RegionPrices,
  months = 12,
  assumptions: Partial<CostAssumptions> = {},
): MonthTotal[] {
  if (!Number.isInteger(months) || months < 1) {
    throw new CostModelError(`months must be an integer ≥ 1, got ${months}`);
  }
  return Array.from({ length: months }, (_, i) => ({
    month: i + 1,
    totalUsd: totalMonthlyUsd(monthlyCost({ inventory, load, prices, month: i + 1, assumptions })),
  }));
}
