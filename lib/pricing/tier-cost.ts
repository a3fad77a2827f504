/**
 * A tier's bill from its own template (`synthesizeTierTemplate` in lib/app.ts): list its
 * billable resources and price them at a load, by default the tier's ceiling under the sizing
 * assumptions. The CLI, the report and the stack's cost outputs share it.
 */
import { SIZING_ASSUMPTIONS, TIERS, type TierId } from '../tiers.js';
import type { CostAssumptions } from './cost-assumptions.js';
import type { CostLine } from './cost-line.js';
import {
  costPerMillionEvents,
  linesByResource,
  type MonthTotal,
  monthContext,
  monthlyCost,
  projection,
  totalMonthlyUsd,
} from './cost-model.js';
import { inventory, type TemplateJson } from './inventory.js';
import type { Load } from './load.js';
import { pricesFor, type RegionPrices } from './prices.js';
import { steadyState } from './steady-state.js';
import { type VolumeName, volumeLines } from './volumes.js';

/** The load a tier is sized for: its ceiling, with the sizing assumptions' event and batch. */
export function ceilingLoad(tier: TierId): Load {
  return {
    eventsPerSec: TIERS[tier].ceilingEventsPerSec,
    eventBytes: SIZING_ASSUMPTIONS.eventBytes,
    gzipRatio: SIZING_ASSUMPTIONS.gzipRatio,
    eventsPerRequest: SIZING_ASSUMPTIONS.eventsPerRequest,
  };
}

/** The tier, its template and the load to price. */
export interface TierCostInput {
  readonly tier: TierId;
  /** @default - the tier's ceiling with `SIZING_ASSUMPTIONS` (`ceilingLoad(tier)`) */
  readonly load?: Load;
  /** Months of the projection. @default 12 */
  readonly months?: number;
  /** The tier's synthesized template (`synthesizeTierTemplate`); one can be priced at several loads. */
  readonly template: TemplateJson;
  /** @default - us-east-1 list prices */
  readonly prices?: RegionPrices;
  readonly assumptions?: Partial<CostAssumptions>;
}

/** A tier's month-1 bill and its projection. */
export interface TierCost {
  readonly tier: TierId;
  readonly load: Load;
  /** Month 1's lines. */
  readonly lines: readonly CostLine[];
  /** Month 1's total: the sum of `lines`. */
  readonly total: number;
  /** Month 1's dollars per million events (`NaN` at 0 events/s). */
  readonly perMillion: number;
  /** Month 1's dollars by component (network, stream, ingest, …), in the lines' order. */
  readonly byComponent: Record<string, number>;
  /** Month-by-month totals as storage accumulates, month 1 first. */
  readonly projection: readonly MonthTotal[];
  /**
   * The first month from which every month bills the same (`lib/pricing/steady-state.ts`), its
   * lines and total; `null` when something is kept forever.
   */
  readonly steadyState: {
    readonly month: number;
    /** The longest accumulation, in days, that decides the month. */
    readonly horizonDays: number;
    readonly lines: readonly CostLine[];
    readonly total: number;
  } | null;
  /** Each volume (hot, warm, archive) the template has: what it holds, its lines in month 1 and at steady state. */
  readonly volumes: readonly {
    readonly volume: VolumeName;
    readonly holds: string;
    readonly month1: readonly CostLine[];
    /** `null` without a steady state. */
    readonly steadyState: readonly CostLine[] | null;
  }[];
}

/** What a tier costs a month at a load (by default its ceiling), line by line and by component. */
export function tierCost(input: TierCostInput): TierCost {
  const { tier, months = 12, assumptions = {} } = input;
  const load = input.load ?? ceilingLoad(tier);
  const prices = input.prices ?? pricesFor('us-east-1');
  const resources = inventory(input.template);
  const month1 = { inventory: resources, load, prices, month: 1, assumptions };
  const lines = monthlyCost(month1);
  const steady = steadyState(resources, load, prices, assumptions);
  const steadyInput = steady && { ...month1, month: steady.month };
  const steadyLines = steadyInput && monthlyCost(steadyInput);
  const context = monthContext(month1);
  const volumesMonth1 = volumeLines(resources, linesByResource(month1), context);
  const volumesSteady = steadyInput && volumeLines(resources, linesByResource(steadyInput), context);
  const byComponent: Record<string, number> = {};
  for (const line of lines)
    byComponent[line.component] = (byComponent[line.component] ?? 0) + line.monthlyUsd;
  return {
    tier,
    load,
    lines,
    total: totalMonthlyUsd(lines),
    perMillion: load.eventsPerSec > 0 ? costPerMillionEvents(lines, load) : Number.NaN,
    byComponent,
    projection: projection(resources, load, prices, months, assumptions),
    steadyState:
      steady && steadyLines ? { ...steady, lines: steadyLines, total: totalMonthlyUsd(steadyLines) } : null,
    volumes: volumesMonth1.map((v, i) => ({
      volume: v.volume,
      holds: v.holds,
      month1: v.lines,
      steadyState: volumesSteady?.[i]?.lines ?? null,
    })),
  };
}
