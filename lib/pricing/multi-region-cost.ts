/**
 * A multi-region tier's bill: each region's stack priced from its own template at its share of
 * the load, the global routing stack, and the transfer of forwarded events to their home regions.
 * Pure: the templates come in. Every region is priced at us-east-1's list prices (the table has no
 * other region): a stated approximation, except for inter-region transfer, which is priced by the
 * region it leaves (`INTER_REGION_OUT_PER_GB`).
 */
import { TIERS, type TierId } from '../tiers.js';
import { COST_ASSUMPTIONS, type CostAssumptions } from './cost-assumptions.js';
import type { CostLine } from './cost-line.js';
import { monthlyCost, totalMonthlyUsd } from './cost-model.js';
import { CostModelError } from './cost-model-error.js';
import { describeLoad, num, usd } from './format.js';
import { inventory, type TemplateJson } from './inventory.js';
import type { Load } from './load.js';
import {
  BYTES_PER_GB,
  GLOBAL_ACCELERATOR,
  HOURS_PER_MONTH,
  INTER_REGION_OUT_PER_GB,
  pricesFor,
  type RegionPrices,
  SECONDS_PER_MONTH,
} from './prices.js';
import { ceilingLoad, type TierCost, tierCost } from './tier-cost.js';

/** One region's synthesized stack. */
export interface RegionalTemplate {
  readonly region: string;
  readonly stackName: string;
  readonly template: TemplateJson;
}

export interface MultiRegionCostInput {
  readonly tier: TierId;
  /** Every region's stack, the primary first. */
  readonly regional: readonly RegionalTemplate[];
  /** The global routing stack's template. */
  readonly global: TemplateJson;
  /** The whole tier's load, split evenly across the regions. @default - the tier's ceiling */
  readonly load?: Load;
  /** @default - us-east-1 list prices, for every region */
  readonly prices?: RegionPrices;
  readonly assumptions?: Partial<CostAssumptions>;
}

/** One region's month-1 bill at its share of the load. */
export interface RegionBill {
  readonly region: string;
  readonly stackName: string;
  /** The share of the tier's load it takes in normal operation. */
  readonly share: number;
  readonly cost: TierCost;
}

/** Forwarded events crossing regions: one line per region they leave. */
export interface InterRegionLine {
  readonly region: string;
  readonly gb: number;
  readonly usdPerGb: number;
  readonly monthlyUsd: number;
  readonly formula: string;
}

/** A multi-region tier's month-1 bill. */
export interface MultiRegionCost {
  readonly tier: TierId;
  readonly load: Load;
  readonly regions: readonly RegionBill[];
  readonly global: { readonly lines: readonly CostLine[]; readonly total: number };
  readonly interRegion: { readonly lines: readonly InterRegionLine[]; readonly total: number };
  /** The tier's total: the regions, the global stack and the inter-region transfer. */
  readonly total: number;
  /** Dollars by component across the regions, with `global` and `inter-region`. */
  readonly byComponent: Record<string, number>;
  /** What Global Accelerator in front of the load balancers would add (not deployed). */
  readonly globalAcceleratorUsd: { readonly usd: number; readonly formula: string };
}

/** The gzip bytes a second of a load's requests (each request body is one stream record). */
const bodyBytesPerSec = (load: Load): number => (load.eventsPerSec * load.eventBytes) / load.gzipRatio;

/** The tier's bill across its regions at a load (by default its ceiling), month 1. */
export function multiRegionCost(input: MultiRegionCostInput): MultiRegionCost {
  const { tier, regional } = input;
  if (regional.length < 2) {
    throw new CostModelError(`a multi-region bill needs at least two regions, got ${regional.length}`);
  }
  const load = input.load ?? ceilingLoad(tier);
  const prices = input.prices ?? pricesFor('us-east-1');
  const assumptions = input.assumptions ?? {};
  const a = { ...COST_ASSUMPTIONS, ...assumptions };
  const share = 1 / regional.length;
  const regionLoad: Load = { ...load, eventsPerSec: load.eventsPerSec * share };
  const regions = regional.map((r) => ({
    region: r.region,
    stackName: r.stackName,
    share,
    cost: tierCost({ tier, load: regionLoad, months: 1, template: r.template, prices, assumptions }),
  }));
  const globalLines = monthlyCost({
    inventory: inventory(input.global),
    load,
    prices,
    month: 1,
    assumptions,
  });
  const interRegion = regional.map(({ region }) => {
    const price = INTER_REGION_OUT_PER_GB[region];
    if (price === undefined) {
      throw new CostModelError(`no inter-region transfer price for ${region}`);
    }
    const gb = (bodyBytesPerSec(regionLoad) * a.crossRegionShare * SECONDS_PER_MONTH) / BYTES_PER_GB;
    return {
      region,
      gb,
      usdPerGb: price.usd,
      monthlyUsd: gb * price.usd,
      formula: `${num(regionLoad.eventsPerSec)} events/s × ${num(a.crossRegionShare, 4)} forwarded × ${num(load.eventBytes)} B ÷ ${num(load.gzipRatio)} gzip × ${num(SECONDS_PER_MONTH)} s = ${num(gb, 0)} GB out of ${region} × $${price.usd}/GB`,
    };
  });
  const interRegionTotal = interRegion.reduce((sum, l) => sum + l.monthlyUsd, 0);
  const globalTotal = totalMonthlyUsd(globalLines);
  const byComponent: Record<string, number> = {};
  for (const { cost } of regions) {
    for (const [component, value] of Object.entries(cost.byComponent)) {
      byComponent[component] = (byComponent[component] ?? 0) + value;
    }
  }
  byComponent.global = globalTotal;
  byComponent['inter-region'] = interRegionTotal;
  const ingestGb = (bodyBytesPerSec(load) * SECONDS_PER_MONTH) / BYTES_PER_GB;
  const gaUsd =
    ingestGb * GLOBAL_ACCELERATOR.dataTransferPremiumGb.usd + HOURS_PER_MONTH * GLOBAL_ACCELERATOR.hour.usd;
  return {
    tier,
    load,
    regions,
    global: { lines: globalLines, total: globalTotal },
    interRegion: { lines: interRegion, total: interRegionTotal },
    total: regions.reduce((sum, r) => sum + r.cost.total, 0) + globalTotal + interRegionTotal,
    byComponent,
    globalAcceleratorUsd: {
      usd: gaUsd,
      formula: `${num(ingestGb, 0)} GB of request bodies × $${GLOBAL_ACCELERATOR.dataTransferPremiumGb.usd}/GB premium + ${HOURS_PER_MONTH} h × $${GLOBAL_ACCELERATOR.hour.usd}`,
    },
  };
}

/** The bill as text, for `npm run cost`. */
export function renderMultiRegionCost(cost: MultiRegionCost): string {
  const rows = [
    `${TIERS[cost.tier].name} across ${cost.regions.length} regions, month 1, at ${describeLoad(cost.load)}`,
    '  each region at an even share of the load, priced at us-east-1 list prices (no other region has a',
    '  price table here: an approximation); inter-region transfer at the price of the region it leaves',
    ...cost.regions.map(
      (r) =>
        `  ${r.region.padEnd(16)} ${r.stackName.padEnd(26)} ${num(r.share * 100, 1)}% of the load  ${usd(r.cost.total).padStart(14)}`,
    ),
    `  ${'global'.padEnd(16)} ${'EvalForge-Global'.padEnd(26)} latency records, health checks ${usd(cost.global.total).padStart(11)}`,
    ...cost.interRegion.lines.map(
      (l) =>
        `  ${'inter-region'.padEnd(16)} out of ${l.region.padEnd(18)} ${num(l.gb, 0)} GB × $${l.usdPerGb}/GB ${usd(l.monthlyUsd).padStart(14)}`,
    ),
    `  ${'total'.padEnd(16)} ${''.padEnd(26)} ${''.padEnd(16)} ${usd(cost.total).padStart(14)}`,
    `  forwarded share: ${num(COST_ASSUMPTIONS.crossRegionShare * 100, 2)}% of events accepted outside their home region (crossRegionShare)`,
    `  Global Accelerator instead of latency records would add ${usd(cost.globalAcceleratorUsd.usd)} a month: ${cost.globalAcceleratorUsd.formula}`,
  ];
  return `${rows.join('\n')}\n`;
}
