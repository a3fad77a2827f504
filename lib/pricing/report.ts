/**
 * A tier's cost report: its bill at a load (by default its ceiling) from its own template, identical
 * lines together and largest first, its components' shares, the months ahead as storage accumulates,
 * and the design document's figure beside it. Pure: the template comes in, nothing is read or
 * written; `lib/pricing/render/` turns reports into text.
 */
import { AWS_LIMITS } from '../capacity.js';
import { SIZING_ASSUMPTIONS, TIERS, type TierId } from '../tiers.js';
import type { CostLine } from './cost-line.js';
import type { MonthTotal } from './cost-model.js';
import { DESIGN_DOC, designDocItemUsd, designDocListPrice } from './design-doc.js';
import { FLOOR_GZIP_RATIOS, floorAnalysis, type TierFloor } from './floor.js';
import { describeLoad, num, usd, usd0 } from './format.js';
import { inventory, type TemplateJson } from './inventory.js';
import { type Lever, type LeverOptions, levers } from './levers.js';
import type { Load } from './load.js';
import { HOURS_PER_MONTH, pricesFor, type RegionPrices } from './prices.js';
import { ceilingLoad, tierCost } from './tier-cost.js';
import type { VolumeName } from './volumes.js';
import { type WorkloadCost, type WorkloadRatio, workloadCosts } from './workload-cost.js';

/** Identical lines (same component, item, formula and price: e.g. three shards' instances) as one. */
export interface ReportLine {
  readonly component: string;
  readonly item: string;
  readonly count: number;
  readonly formula: string;
  readonly unit: string;
  readonly unitPriceUsd: number;
  /** Of all `count` lines together. */
  readonly monthlyUsd: number;
}

/** A tier's bill at a load, for the renderers (`lib/pricing/render/`) and `--json`. */
export interface TierReport {
  readonly tier: TierId;
  readonly name: string;
  readonly load: Load;
  /** Month 1: the sum of `lines`. */
  readonly totalUsd: number;
  /** `null` when the projection is shorter than 12 months. */
  readonly month12Usd: number | null;
  readonly perMillionUsd: number;
  readonly components: readonly { component: string; monthlyUsd: number; share: number }[];
  /** Every line of month 1, identical ones together, largest first. */
  readonly lines: readonly ReportLine[];
  readonly projection: readonly MonthTotal[];
  /** The first month from which every month bills the same; `null` when something is kept forever. */
  readonly steadyStateMonth: number | null;
  /** That month's total. */
  readonly steadyStateUsd: number | null;
  /** The longest time, in days, storage accumulates for (the archive's expiry, the S3 disk's delete, …). */
  readonly steadyStateHorizonDays: number | null;
  /** Where the events are kept, hottest first: what each volume holds and its lines in month 1 and at steady state. */
  readonly volumes: readonly VolumeReport[];
  /** What each lever (`lib/pricing/levers.ts`) saves at the load, month 1 and at steady state. */
  readonly levers: readonly Lever[];
  /**
   * The tier at each measured workload's gzip ratio (`lib/pricing/workload-cost.ts`), the rest of
   * the load unchanged: the range between fresh text and application sessions. Empty when none
   * were given; the headline figures above stay at `load.gzipRatio`.
   */
  readonly workloads: readonly WorkloadCost[];
  /**
   * What the load balancer's processed bytes and Firehose's ingestion alone cost at the load, at the
   * measured 3:1 and the design document's 5:1 (`lib/pricing/floor.ts`): no design of this shape
   * costs less.
   */
  readonly floor: TierFloor;
  readonly designDoc: {
    readonly usd: number;
    readonly listPriceUsd: number;
    readonly differenceUsd: number;
    readonly explanation: string;
  };
}

/** One volume's lines in a month, identical ones together, and their sum. */
export interface VolumeMonth {
  readonly monthlyUsd: number;
  readonly lines: readonly ReportLine[];
}

/** A volume (hot: the data nodes' gp3; warm: their S3 disk; archive: the raw archive) in a tier's report. */
export interface VolumeReport {
  readonly volume: VolumeName;
  readonly holds: string;
  readonly month1: VolumeMonth;
  /** `null` without a steady state. */
  readonly steadyState: VolumeMonth | null;
}

/** The tier, its template and the load to report on. */
export interface TierReportInput {
  readonly tier: TierId;
  /** The tier's synthesized template (`synthesizeTierTemplate`). */
  readonly template: TemplateJson;
  /** @default - the tier's ceiling (`ceilingLoad(tier)`) */
  readonly load?: Load;
  /** Months of the projection. @default 12 */
  readonly months?: number;
  /** @default - us-east-1 list prices */
  readonly prices?: RegionPrices;
  /** @default - each lever's default alternative (`LEVER_DEFAULTS`) */
  readonly levers?: LeverOptions;
  /** Workloads to price the tier at besides the load's own ratio. @default - none */
  readonly workloads?: readonly WorkloadRatio[];
}

function groupLines(lines: readonly CostLine[]): ReportLine[] {
  const groups = new Map<string, ReportLine>();
  for (const line of lines) {
    const key = [line.component, line.item, line.formula, line.unitPriceUsd].join('\u0000');
    const seen = groups.get(key);
    groups.set(key, {
      component: line.component,
      item: line.item,
      count: (seen?.count ?? 0) + 1,
      formula: line.formula,
      unit: line.unit,
      unitPriceUsd: line.unitPriceUsd,
      monthlyUsd: (seen?.monthlyUsd ?? 0) + line.monthlyUsd,
    });
  }
  return [...groups.values()].sort((a, b) => b.monthlyUsd - a.monthlyUsd);
}

function volumeMonth(lines: readonly CostLine[]): VolumeMonth {
  return { monthlyUsd: lines.reduce((sum, l) => sum + l.monthlyUsd, 0), lines: groupLines(lines) };
}

/** Month-1 dollars by item across the tier (all EBS volumes together, …), largest first. */
function byItem(lines: readonly CostLine[]): { item: string; monthlyUsd: number }[] {
  const items = new Map<string, number>();
  for (const line of lines) {
    const item = line.item.replace(/ \(band \d+\)$/, '');
    items.set(item, (items.get(item) ?? 0) + line.monthlyUsd);
  }
  return [...items.entries()]
    .map(([item, monthlyUsd]) => ({ item, monthlyUsd }))
    .sort((a, b) => b.monthlyUsd - a.monthlyUsd);
}

/** Why our month-1 bill and the design document's figure differ, in words. */
function explain(
  tier: TierId,
  lines: readonly CostLine[],
  total: number,
  month12: number | null,
  steady: { readonly month: number; readonly total: number } | null,
): string {
  const doc = DESIGN_DOC[tier];
  const list = designDocListPrice(tier);
  const parts = doc.items
    .map((i) => `${i.count > 1 ? `${i.count} × ` : ''}${i.what} ${usd(designDocItemUsd(i))}`)
    .join(' + ');
  const relation = doc.usd < list ? 'below' : 'above';
  const unpriced =
    doc.unpriced.length > 0 ? ` (not counting ${doc.unpriced.join(', ')}, which have no price here)` : '';
  const largest = byItem(lines)
    .slice(0, 4)
    .map((i) => `${i.item} ${usd(i.monthlyUsd)}`)
    .join(', ');
  const diff = total - doc.usd;
  const growth =
    month12 === null
      ? ''
      : ` Its storage figures ignore that the archive accumulates: ours reaches ${usd(month12)} in month 12` +
        (steady === null || steady.month <= 12
          ? '.'
          : ` and ${usd(steady.total)} from month ${steady.month} on, once the oldest writes leave every store.`);
  return (
    `The design document's ${usd0(doc.usd)} is ${relation} the list price of what it names: ${parts} = ` +
    `${usd(list)} a month at ${HOURS_PER_MONTH} h${unpriced}. It leaves out ${doc.leavesOut}, and assumes ` +
    `5:1 compression where ${SIZING_ASSUMPTIONS.gzipRatio}:1 was measured. Ours is ${usd(total)} in month 1, ` +
    `${diff >= 0 ? `${usd(diff)} more` : `${usd(-diff)} less`} (${num(total / doc.usd, 1)}×); its largest lines: ` +
    `${largest}.${growth}`
  );
}

/** The tier's floor at the report's load, at each of `FLOOR_GZIP_RATIOS`. */
function tierFloor(tier: TierId, load: Load, prices: RegionPrices): TierFloor {
  const [floor] = floorAnalysis({
    prices,
    tiers: [tier],
    gzipRatios: FLOOR_GZIP_RATIOS,
    loadOf: (_, gzipRatio) => ({ ...load, gzipRatio }),
  });
  if (floor === undefined) throw new Error(`no floor for tier ${tier}`);
  return floor;
}

/** One tier's report at a load (by default its ceiling). */
export function tierReport(input: TierReportInput): TierReport {
  const { tier, template, load = ceilingLoad(tier), months = 12, prices = pricesFor('us-east-1') } = input;
  const cost = tierCost({ tier, load, months, template, prices });
  const month12 = cost.projection.find((m) => m.month === 12)?.totalUsd ?? null;
  return {
    tier,
    name: TIERS[tier].name,
    load,
    totalUsd: cost.total,
    month12Usd: month12,
    perMillionUsd: cost.perMillion,
    components: Object.entries(cost.byComponent).map(([component, monthlyUsd]) => ({
      component,
      monthlyUsd,
      share: cost.total > 0 ? monthlyUsd / cost.total : 0,
    })),
    lines: groupLines(cost.lines),
    projection: cost.projection,
    steadyStateMonth: cost.steadyState?.month ?? null,
    steadyStateUsd: cost.steadyState?.total ?? null,
    steadyStateHorizonDays: cost.steadyState?.horizonDays ?? null,
    volumes: cost.volumes.map((v) => ({
      volume: v.volume,
      holds: v.holds,
      month1: volumeMonth(v.month1),
      steadyState: v.steadyState === null ? null : volumeMonth(v.steadyState),
    })),
    levers: levers({ template, load, prices, options: input.levers ?? {} }),
    workloads: workloadCosts(inventory(template), load, prices, input.workloads ?? []),
    floor: tierFloor(tier, load, prices),
    designDoc: {
      usd: DESIGN_DOC[tier].usd,
      listPriceUsd: designDocListPrice(tier),
      differenceUsd: cost.total - DESIGN_DOC[tier].usd,
      explanation: explain(tier, cost.lines, cost.total, month12, cost.steadyState),
    },
  };
}

/** One input of the sensitivity table, its month-1 and month-12 totals. */
export interface Sensitivity {
  readonly input: string;
  readonly value: string;
  readonly month1Usd: number;
  readonly month12Usd: number;
  readonly note: string;
}

/**
 * How a tier's total moves with the inputs that decide the bill, one at a time from its ceiling;
 * the template stays as sized for the ceiling.
 */
export function sensitivity(
  tier: TierId,
  template: TemplateJson,
  prices: RegionPrices = pricesFor('us-east-1'),
): Sensitivity[] {
  const base = ceilingLoad(tier);
  const cases: { input: string; value: string; load: Load }[] = [
    { input: 'baseline', value: describeLoad(base), load: base },
    { input: 'events per request', value: '50', load: { ...base, eventsPerRequest: 50 } },
    { input: 'events per request', value: '500', load: { ...base, eventsPerRequest: 500 } },
    { input: 'compression', value: '3:1', load: { ...base, gzipRatio: 3 } },
    { input: 'compression', value: '5:1', load: { ...base, gzipRatio: 5 } },
    { input: 'event size', value: '2.6 KB', load: { ...base, eventBytes: 2_600 } },
    { input: 'event size', value: '5.3 KB', load: { ...base, eventBytes: 5_300 } },
    { input: 'event size', value: '10.6 KB', load: { ...base, eventBytes: 10_600 } },
  ];
  return cases.map(({ input, value, load }) => {
    const cost = tierCost({ tier, load, months: 12, template, prices });
    const recordBytes = (load.eventsPerRequest * load.eventBytes) / load.gzipRatio;
    const note =
      recordBytes > AWS_LIMITS.kinesisRecordBytes
        ? `a request of ${num(load.eventsPerRequest)} is ${num(recordBytes / 1e6)} MB gzip, over Kinesis's 1 MiB ` +
          `record: the SDK's 1 MB cap sends ≤ ${num(Math.floor((1e6 * load.gzipRatio) / load.eventBytes), 0)} per request`
        : '';
    return {
      input,
      value,
      month1Usd: cost.total,
      month12Usd: cost.projection[cost.projection.length - 1]?.totalUsd ?? cost.total,
      note,
    };
  });
}
