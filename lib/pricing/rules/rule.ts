/**
 * What a cost rule is: a pure function from the resources of one type (in inventory order), the
 * load and the prices to each resource's lines. The model (`lib/pricing/cost-model.ts`) builds the
 * context once a month and runs the rule of each type the inventory holds.
 */
import type { CapacityOptions } from '../../capacity.js';
import type { TierSpec } from '../../tiers.js';
import type { BillableResource } from '../billable-resource.js';
import type { CostAssumptions } from '../cost-assumptions.js';
import { type CostLine, costLine } from '../cost-line.js';
import type { Load } from '../load.js';
import type { Price, RegionPrices } from '../prices.js';

/** Everything a rule may read besides its slice of the inventory. */
export interface RuleContext {
  readonly load: Load;
  readonly prices: RegionPrices;
  readonly assumptions: CostAssumptions;
  /** Days since the first write at the start and at the end of the month billed. */
  readonly startDay: number;
  readonly endDay: number;
  /**
   * The inventory's sizes as a tier, where `lib/capacity.ts`'s functions read them, so the bill uses
   * the sizing's own arithmetic.
   */
  readonly tier: TierSpec;
  /** The load and its event, batch and compression, as capacity's functions take them. */
  readonly capacity: CapacityOptions;
  /** Invocations a month of the functions the load drives, by component: their log groups' input. */
  readonly invocationsByComponent: ReadonlyMap<string, number>;
}

/**
 * A cost rule: the lines of each resource of `slice` (all of the rule's type, in inventory order,
 * none marked free), in the slice's order. A rule sees the whole slice because some resources are
 * priced against their siblings (load balancers share the traffic by weight; the first budgets are
 * free).
 */
export type CostRule = (
  slice: readonly BillableResource[],
  context: RuleContext,
) => readonly (readonly CostLine[])[];

/** A rule whose resources are priced one by one. */
export const perResource =
  (lines: (r: BillableResource, context: RuleContext) => readonly CostLine[]): CostRule =>
  (slice, context) =>
    slice.map((r) => lines(r, context));

/** A rule for a flat monthly fee per resource (a hosted zone, an alarm, a secret, …). */
export const monthlyFee = (item: string, price: (prices: RegionPrices) => Price, formula: string): CostRule =>
  perResource((r, { prices }) => [costLine(r, item, 1, price(prices), formula)]);

/** A rule for a type that is priced through others (its lines are theirs). */
export const noLines: CostRule = (slice) => slice.map(() => []);
