/**
 * The design document's figures (shared/seed/scaling-analysis.md, "Scaling Solutions by Tier"):
 * what it says each tier costs a month and what it lists for it, to set beside EvalForge's bill.
 */
import type { TierId } from '../tiers.js';
import { HOURS_PER_MONTH, type Price, pricesFor } from './prices.js';

const prices = pricesFor('us-east-1');

const REFERENCE = 'shared/reference/aws-prices-and-limits.md';
/**
 * RDS and ElastiCache list prices, for the design document's own listing only: EvalForge creates
 * neither, so they are not in the price table the cost model reads.
 */
const referencePrice = (usd: number): Price => ({
  usd,
  unit: 'instance-h',
  source: `${REFERENCE} (RDS PostgreSQL and ElastiCache rows)`,
  asOf: '2026-11-27',
});
const ec2 = (type: string): Price => {
  const p = prices.ec2[type];
  if (p === undefined) throw new Error(`no EC2 price for ${type}`);
  return p;
};

/** Something the design document lists for a tier that has a list price. */
export interface DesignDocItem {
  readonly what: string;
  readonly count: number;
  readonly price: Price;
}

/** The design document's figure for a tier and what it lists. */
export interface DesignDocTier {
  readonly usd: number;
  /** What it lists that has a list price. */
  readonly items: readonly DesignDocItem[];
  /** What it lists without a price here. */
  readonly unpriced: readonly string[];
  /** What EvalForge bills for that its listing does not name. */
  readonly leavesOut: string;
}

/** Tiers 1 and 2 list servers only. */
const SERVERS_ONLY =
  'the stream, the load balancer, Firehose and storage (the S3 archive and ClickHouse’s disks)';
/** Tiers 3 and 4 list the load balancers' hours and a stream too, but no usage. */
const NO_USAGE = 'the load balancers’ LCUs, Firehose, the archive’s storage and ClickHouse’s disks';

/** Each tier as the design document prices and lists it. */
export const DESIGN_DOC: Readonly<Record<TierId, DesignDocTier>> = {
  1: {
    usd: 98,
    items: [
      { what: 't3.medium API server', count: 1, price: ec2('t3.medium') },
      { what: 't3.large ClickHouse', count: 1, price: ec2('t3.large') },
      { what: 'db.t3.small PostgreSQL', count: 1, price: referencePrice(0.036) },
      { what: 'cache.t3.micro Redis', count: 1, price: referencePrice(0.017) },
    ],
    unpriced: [],
    leavesOut: SERVERS_ONLY,
  },
  2: {
    usd: 980,
    items: [
      { what: 'c5.large API servers', count: 2, price: ec2('c5.large') },
      { what: 'c5.2xlarge ClickHouse', count: 1, price: ec2('c5.2xlarge') },
      { what: 'db.r5.large PostgreSQL and its read replica', count: 2, price: referencePrice(0.25) },
      { what: 'cache.r6g.large Redis', count: 1, price: referencePrice(0.206) },
    ],
    unpriced: [],
    leavesOut: SERVERS_ONLY,
  },
  3: {
    usd: 5_840,
    items: [
      { what: 'ALBs (hours only)', count: 2, price: prices.alb.hour },
      { what: 'c5.2xlarge API servers', count: 5, price: ec2('c5.2xlarge') },
      { what: 'c5.4xlarge ClickHouse', count: 3, price: ec2('c5.4xlarge') },
      {
        what: 'db.r5.xlarge PostgreSQL Multi-AZ (billed twice) and 2 read replicas',
        count: 4,
        price: referencePrice(0.5),
      },
      { what: 'cache.r6g.xlarge Redis nodes', count: 3, price: referencePrice(0.411) },
    ],
    unpriced: ['3 × kafka.m5.large'],
    leavesOut: NO_USAGE,
  },
  4: {
    usd: 28_450,
    items: [
      { what: 'ALBs (hours only)', count: 4, price: prices.alb.hour },
      { what: 'c5.2xlarge API servers', count: 20, price: ec2('c5.2xlarge') },
      { what: 'c5.9xlarge ClickHouse', count: 12, price: ec2('c5.9xlarge') },
    ],
    unpriced: [
      'Global Accelerator',
      'Aurora Serverless v2',
      'ElastiCache Global Datastore',
      'MSK 12 × kafka.m5.2xlarge',
      'CloudFront',
    ],
    leavesOut: NO_USAGE,
  },
};

/** An item's list price a month: `count × $/h × HOURS_PER_MONTH`. */
export const designDocItemUsd = (item: DesignDocItem): number =>
  item.count * item.price.usd * HOURS_PER_MONTH;

/** The list price a month of what the design document names for a tier. */
export function designDocListPrice(tier: TierId): number {
  return DESIGN_DOC[tier].items.reduce((sum, i) => sum + designDocItemUsd(i), 0);
}
