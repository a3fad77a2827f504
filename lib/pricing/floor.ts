/**
 * The floor: what the load balancer's processed bytes and Firehose's ingestion alone cost at a
 * tier's ceiling. Every design of this shape (ALB → Lambda → Kinesis → Firehose) pays both for every
 * compressed byte, whatever it does with the rest, so no such design can cost less; set beside the
 * design document's monthly figure (`design-doc.ts`), it says which of its figures this shape can
 * reach at a gzip ratio and which it cannot.
 *
 * The lines are the cost rules' own (`rules/alb.ts`, `rules/firehose.ts`), run on one load balancer
 * and one delivery stream at the tier's load, with the load balancer's other LCU dimensions at their
 * best (no new connections, no rule evaluations beyond the free ones): only the processed bytes, at
 * 0.4 GB per LCU-hour for a Lambda target. Fixed costs (the load balancer's hours) are left out.
 * Pure: no template is read.
 */
import { TIER_IDS, TIERS, type TierId } from '../tiers.js';
import type { BillableResource } from './billable-resource.js';
import { COST_ASSUMPTIONS, type CostAssumptions } from './cost-assumptions.js';
import type { CostLine } from './cost-line.js';
import { totalMonthlyUsd } from './cost-model.js';
import { DESIGN_DOC, designDocItemUsd } from './design-doc.js';
import { num, usd0 } from './format.js';
import { capacityOptionsOf, checkLoad, type Load } from './load.js';
import { BYTES_PER_GB, DAYS_PER_MONTH, type RegionPrices, SECONDS_PER_MONTH } from './prices.js';
import { markdownTable } from './render/tables.js';
import { albRule } from './rules/alb.js';
import { firehoseRule } from './rules/firehose.js';
import type { RuleContext } from './rules/rule.js';
import { ceilingLoad } from './tier-cost.js';

/** The gzip ratios the floor is priced at by default: the measured 3:1 and the design document's 5:1. */
export const FLOOR_GZIP_RATIOS = [3, 5] as const;

/** The floor of one tier at one gzip ratio. */
export interface FloorPoint {
  readonly gzipRatio: number;
  /** The tier's ceiling at this ratio. */
  readonly load: Load;
  /** The request bodies a month, as sent (gzip): what the load balancer processes. */
  readonly compressedGbPerMonth: number;
  /** LCU-hours of the processed-bytes dimension alone. */
  readonly albUsd: number;
  /** Ingestion, each record rounded up to 5 KB, in the price's bands. */
  readonly firehoseUsd: number;
  /** `albUsd + firehoseUsd`. */
  readonly monthlyUsd: number;
  /** `monthlyUsd ÷ compressedGbPerMonth`. */
  readonly perCompressedGbUsd: number;
  readonly designDocUsd: number;
  /** `designDocUsd − monthlyUsd`: what the design document's figure leaves for everything else (negative: the floor alone exceeds it). */
  readonly headroomUsd: number;
  /** `monthlyUsd ≤ designDocUsd`: the floor alone fits the figure. */
  readonly floorFits: boolean;
  /**
   * `headroomUsd ≥` the list price of the ClickHouse servers the design document lists: the floor and
   * those servers both fit. Necessary for this shape to cost the figure, not sufficient (the stream,
   * the functions and storage must fit what is left).
   */
  readonly reachable: boolean;
  /** The events/s whose floor is the design document's figure: above it, the figure is out of reach at this ratio. */
  readonly designDocEventsPerSec: number;
  /** The rules' lines: the LCU-hours and the Firehose bands. */
  readonly lines: readonly CostLine[];
}

/** A tier's floor at each ratio. */
export interface TierFloor {
  readonly tier: TierId;
  readonly name: string;
  readonly designDocUsd: number;
  /** The list price a month of the ClickHouse servers the design document lists for the tier: a design of any shape runs them. */
  readonly designDocClickHouseUsd: number;
  readonly points: readonly FloorPoint[];
}

/** What to price: the prices, and optionally the ratios, the tiers and each tier's load. */
export interface FloorInput {
  readonly prices: RegionPrices;
  /** @default - `FLOOR_GZIP_RATIOS` */
  readonly gzipRatios?: readonly number[];
  /** @default - all four */
  readonly tiers?: readonly TierId[];
  /** @default - each tier's ceiling (`ceilingLoad`) at the ratio */
  readonly loadOf?: (tier: TierId, gzipRatio: number) => Load;
  /** The cost model's assumptions besides the load balancer's connection and rule dimensions, which the floor sets at their best. */
  readonly assumptions?: Partial<CostAssumptions>;
}

/** The load balancer's LCU dimensions other than processed bytes, at their best: none new, no rule evaluation billed. */
const BEST_CASE_ALB: Partial<CostAssumptions> = {
  albRequestsPerConnection: Number.POSITIVE_INFINITY,
  albConnectionLifetimeSec: 0,
  albRulesPerRequest: 0,
};

const resource = (type: string, logicalId: string): BillableResource => ({
  type,
  logicalId,
  component: 'floor',
  size: {},
});
const ALB = resource('AWS::ElasticLoadBalancingV2::LoadBalancer', 'FloorAlb');
const FIREHOSE = resource('AWS::KinesisFirehose::DeliveryStream', 'FloorFirehose');

/** The rules' lines of the floor at `load` for `tier` (Firehose's buffer comes from the tier; it does not move ingestion). */
export function floorLines(
  tier: TierId,
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions> = {},
): { readonly alb: readonly CostLine[]; readonly firehose: readonly CostLine[] } {
  checkLoad(load);
  const context: RuleContext = {
    load,
    prices,
    assumptions: { ...COST_ASSUMPTIONS, ...assumptions, ...BEST_CASE_ALB },
    startDay: 0,
    endDay: DAYS_PER_MONTH,
    tier: TIERS[tier],
    capacity: capacityOptionsOf(load),
    invocationsByComponent: new Map(),
  };
  // One load balancer carries it all: the processed-bytes LCUs are linear in the traffic, so any split costs the same.
  const alb = (albRule([ALB], context)[0] ?? []).filter((line) => line.item.startsWith('ALB LCU-hours'));
  return { alb, firehose: firehoseRule([FIREHOSE], context)[0] ?? [] };
}

function floorPoint(
  tier: TierId,
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions>,
  clickHouseUsd: number,
): FloorPoint {
  const { alb, firehose } = floorLines(tier, load, prices, assumptions);
  const albUsd = totalMonthlyUsd(alb);
  const firehoseUsd = totalMonthlyUsd(firehose);
  const monthlyUsd = albUsd + firehoseUsd;
  const compressedGbPerMonth =
    ((load.eventsPerSec * load.eventBytes) / load.gzipRatio) * (SECONDS_PER_MONTH / BYTES_PER_GB);
  const designDocUsd = DESIGN_DOC[tier].usd;
  return {
    gzipRatio: load.gzipRatio,
    load,
    compressedGbPerMonth,
    albUsd,
    firehoseUsd,
    monthlyUsd,
    perCompressedGbUsd: compressedGbPerMonth === 0 ? Number.NaN : monthlyUsd / compressedGbPerMonth,
    designDocUsd,
    headroomUsd: designDocUsd - monthlyUsd,
    floorFits: monthlyUsd <= designDocUsd,
    reachable: designDocUsd - monthlyUsd >= clickHouseUsd,
    designDocEventsPerSec: eventsPerSecAt(designDocUsd, tier, load, prices, assumptions),
    lines: [...alb, ...firehose],
  };
}

/** The events/s at which the floor costs `usd` (it grows with the load: bisection, to 0.01 events/s). */
function eventsPerSecAt(
  usd: number,
  tier: TierId,
  load: Load,
  prices: RegionPrices,
  assumptions: Partial<CostAssumptions>,
): number {
  const cost = (eventsPerSec: number) => {
    const { alb, firehose } = floorLines(tier, { ...load, eventsPerSec }, prices, assumptions);
    return totalMonthlyUsd(alb) + totalMonthlyUsd(firehose);
  };
  let low = 0;
  let high = Math.max(1, load.eventsPerSec);
  while (cost(high) < usd) high *= 2;
  while (high - low > 0.01) {
    const mid = (low + high) / 2;
    if (cost(mid) < usd) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** Each tier's floor at each ratio, beside the design document's figure. */
export function floorAnalysis(input: FloorInput): TierFloor[] {
  const { prices, gzipRatios = FLOOR_GZIP_RATIOS, tiers = TIER_IDS, assumptions = {} } = input;
  const loadOf = input.loadOf ?? ((tier: TierId, gzipRatio: number) => ({ ...ceilingLoad(tier), gzipRatio }));
  return tiers.map((tier) => {
    const clickHouseUsd = DESIGN_DOC[tier].items
      .filter((item) => item.what.includes('ClickHouse'))
      .reduce((sum, item) => sum + designDocItemUsd(item), 0);
    return {
      tier,
      name: TIERS[tier].name,
      designDocUsd: DESIGN_DOC[tier].usd,
      designDocClickHouseUsd: clickHouseUsd,
      points: gzipRatios.map((ratio) =>
        floorPoint(tier, loadOf(tier, ratio), prices, assumptions, clickHouseUsd),
      ),
    };
  });
}

/** A tier's verdict in words: which ratios reach the design document's figure. */
function verdict(floor: TierFloor): string {
  const ratios = (points: readonly FloorPoint[]) => points.map((p) => `${num(p.gzipRatio)}:1`).join(' and ');
  const reach = floor.points.filter((p) => p.floorFits);
  const miss = floor.points.filter((p) => !p.floorFits);
  const doc = usd0(floor.designDocUsd);
  const parts: string[] = [];
  if (miss.length > 0) {
    parts.push(
      `the floor alone exceeds the design document's ${doc} at ${ratios(miss)}: this shape cannot reach it at the tier's ceiling ` +
        `(${doc} pays for the floor alone up to ${miss.map((p) => `${num(p.designDocEventsPerSec, 0)} events/s at ${num(p.gzipRatio)}:1`).join(', ')})`,
    );
  }
  for (const p of reach) {
    const servers = floor.designDocClickHouseUsd;
    parts.push(
      `at ${num(p.gzipRatio)}:1 the floor leaves ${usd0(p.headroomUsd)} of ${doc} for the stream, the functions, ClickHouse and storage` +
        (servers > p.headroomUsd
          ? `, less than the ${usd0(servers)} a month at list price of the ClickHouse servers the design document itself lists: out of reach all the same`
          : `; the ClickHouse servers the design document lists cost ${usd0(servers)} a month at list price, so the figure is within reach only if the rest fits the ${usd0(p.headroomUsd - servers)} left`),
    );
  }
  return `- Tier ${floor.tier}: ${parts.join('; ')}.`;
}

/** The floor as a markdown section: a table of every tier and ratio, then each tier's verdict. */
export function renderFloorMarkdown(floors: readonly TierFloor[]): string {
  const header = [
    'Tier',
    'gzip',
    'Compressed GB/month',
    'ALB processed bytes',
    'Firehose ingestion',
    'Floor/month',
    'Per compressed GB',
    'Design document',
    'Left for the rest',
    'Reachable',
  ];
  const signed = (value: number) => (value < 0 ? `−${usd0(-value)}` : usd0(value));
  const rows = floors.flatMap((f) =>
    f.points.map((p) => [
      `${f.tier}`,
      `${num(p.gzipRatio)}:1`,
      num(p.compressedGbPerMonth, 0),
      usd0(p.albUsd),
      usd0(p.firehoseUsd),
      usd0(p.monthlyUsd),
      `$${p.perCompressedGbUsd.toFixed(4)}`,
      usd0(p.designDocUsd),
      signed(p.headroomUsd),
      p.reachable ? 'yes' : 'no',
    ]),
  );
  const table = markdownTable(header, rows, [2, 3, 4, 5, 6, 7, 8]);
  return [
    '## Floor: the load balancer and Firehose alone',
    '',
    'What every design shaped ALB → Lambda → Kinesis → Firehose pays for each compressed byte at each tier’s ceiling, ' +
      'before anything else it runs: the ALB’s LCU-hours for the processed bytes alone (0.4 GB an LCU-hour for a Lambda target; ' +
      'no connection or rule dimension) and Firehose’s ingestion (each record rounded up to 5 KB, in its bands). ' +
      'No design of this shape costs less: where the floor exceeds the design document’s figure, or leaves less of it than the ClickHouse servers the document itself lists, ' +
      'the figure is out of its reach (`lib/pricing/floor.ts`).',
    '',
    table,
    '',
    ...floors.map(verdict),
    '',
  ].join('\n');
}
