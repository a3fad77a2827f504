import { clickHouseStorageFigures, firehoseFigures } from '../../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from '../billable-resource.js';
import { bandedLines, type CostLine, costLine } from '../cost-line.js';
import { CLICKHOUSE_COLD_WORKLOAD } from '../cost-tags.js';
import { num } from '../format.js';
import { BILLING_UNITS, BYTES_PER_GB, HOURS_PER_MONTH, type Price, type RegionPrices } from '../prices.js';
import { averageDaysHeld, daysReaching } from './days-held.js';
import { perResource, type RuleContext } from './rule.js';

const MiB = 1_048_576;

/**
 * `AWS::S3::Bucket`, by its `workload`:
 * - `archive` (the bucket Firehose writes to): its PUTs and, as it accumulates, its storage in each
 *   lifecycle class and the transitions into them. Size keys: `infrequentAccessAfterDays`,
 *   `glacierInstantRetrievalAfterDays`, `glacierAfterDays`, `deepArchiveAfterDays`,
 *   `expireAfterDays` (each optional).
 * - `clickhouse-cold` (the data nodes' S3 disk): the rows the tables move there, held by age band
 *   until they are deleted (`lib/capacity.ts`'s `clickHouseStorageFigures`, under the retention the
 *   bucket's size carries: `hotDays`, `warmDays`, `bodiesDays`, …), and the disk's PUTs and GETs.
 * Other buckets (the load balancers' access logs) get no line.
 */
export const s3BucketRule = perResource((r, context) => {
  const workload = sizeString(r, 'workload');
  if (workload === 'archive') return archiveLines(r, context);
  if (workload === CLICKHOUSE_COLD_WORKLOAD) return coldDiskLines(r, context);
  return [];
});

/** S3 Standard's GB-month bands (the first 50 TB, the next 450 TB, over 500 TB). */
const standardBands = (s3: RegionPrices['s3']) => ({
  sizes: BILLING_UNITS.s3StandardBandsGb,
  prices: [s3.standardGbMonthFirst50Tb, s3.standardGbMonthNext450Tb, s3.standardGbMonthOver500Tb],
});

/** A lifecycle class objects may move to: the size key of its day, its name and prices. */
interface LifecycleClass {
  readonly afterDaysKey: string;
  readonly name: string;
  readonly storage: Price;
  readonly transition: Price;
}

/** The classes a lifecycle may name, warmest first: the order S3 moves objects in. */
const lifecycleClasses = (s3: RegionPrices['s3']): readonly LifecycleClass[] => [
  {
    afterDaysKey: 'infrequentAccessAfterDays',
    name: 'Standard-IA',
    storage: s3.standardIaGbMonth,
    transition: s3.transitionToIaPerThousand,
  },
  {
    afterDaysKey: 'glacierInstantRetrievalAfterDays',
    name: 'Glacier Instant Retrieval',
    storage: s3.glacierInstantGbMonth,
    transition: s3.transitionToGlacierInstantPerThousand,
  },
  {
    afterDaysKey: 'glacierAfterDays',
    name: 'Glacier Flexible Retrieval',
    storage: s3.glacierFlexibleGbMonth,
    transition: s3.transitionToGlacierFlexiblePerThousand,
  },
  {
    afterDaysKey: 'deepArchiveAfterDays',
    name: 'Glacier Deep Archive',
    storage: s3.deepArchiveGbMonth,
    transition: s3.transitionToDeepArchivePerThousand,
  },
];

/**
 * The classes the bucket's lifecycle names before its expiry, in day order, each held from its
 * transition day until the next one's (or the expiry): the path an object takes.
 */
export function lifecyclePath(
  r: BillableResource,
  prices: RegionPrices,
): { readonly held: (LifecycleClass & { from: number; to: number })[]; readonly expire: number } {
  const expire = sizeNumber(r, 'expireAfterDays', Number.POSITIVE_INFINITY);
  const named = lifecycleClasses(prices.s3)
    .filter((c) => r.size[c.afterDaysKey] !== undefined)
    .map((c) => ({ ...c, from: sizeNumber(r, c.afterDaysKey) }))
    .filter((c) => c.from < expire)
    // Stable: of two classes named for one day, the colder (later) one keeps the objects.
    .sort((a, b) => a.from - b.from);
  return {
    held: named.map((c, i) => ({ ...c, to: named[i + 1]?.from ?? expire })),
    expire,
  };
}

function archiveLines(
  r: BillableResource,
  { prices, tier, capacity, startDay: t0, endDay: t1 }: RuleContext,
): CostLine[] {
  const f = firehoseFigures(tier, capacity);
  const s3 = prices.s3;
  const lines = [
    costLine(
      r,
      'S3 PUTs (Firehose objects)',
      (f.objectsPerHour * HOURS_PER_MONTH) / 1_000,
      s3.putPerThousand,
      `${num(f.objectsPerHour)} objects/h (every ${num(f.secondsPerObject)} s) × ${HOURS_PER_MONTH} h`,
    ),
  ];
  const { held, expire } = lifecyclePath(r, prices);
  const standardTo = held[0]?.from ?? expire;
  const gbPerDay = (f.mibPerSec * MiB * 86_400) / BYTES_PER_GB;
  const objectsPerDay = f.objectsPerHour * 24;
  const window = `days ${num(t0)}–${num(t1)}`;
  lines.push(
    ...bandedLines(
      r,
      'S3 Standard storage',
      gbPerDay * averageDaysHeld(t0, t1, 0, standardTo),
      standardBands(s3),
      `${num(gbPerDay)} GB/day × average days of writes younger than ${num(standardTo)} d over ${window}`,
    ),
  );
  // The colder classes, each held from its transition day until the next one's.
  for (const c of held) {
    if (c.from >= c.to) continue;
    const gbMonth = gbPerDay * averageDaysHeld(t0, t1, c.from, c.to);
    if (gbMonth > 0) {
      lines.push(
        costLine(
          r,
          `S3 ${c.name} storage`,
          gbMonth,
          c.storage,
          `${num(gbPerDay)} GB/day × average days of writes aged ${c.from}–${num(c.to)} d over ${window}`,
        ),
      );
    }
    const moved = objectsPerDay * daysReaching(t0, t1, c.from);
    if (moved > 0) {
      lines.push(
        costLine(
          r,
          `S3 transitions to ${c.name}`,
          moved / 1_000,
          c.transition,
          `${num(objectsPerDay)} objects/day × days of ${window} after day ${c.from}`,
        ),
      );
    }
  }
  return lines;
}

/**
 * The data nodes' S3 disk: every node's cold bands (bytes a day arriving at one age, deleted or
 * rewritten at another) accumulate like the archive's classes, in S3 Standard; its requests run at
 * capacity's daily rate from the day the first rows move there.
 */
function coldDiskLines(r: BillableResource, context: RuleContext): CostLine[] {
  const { prices, tier, capacity, startDay: t0, endDay: t1 } = context;
  // The retention comes from the template (the migrations' `Retention`): fail by name without it.
  sizeNumber(r, 'hotDays');
  sizeNumber(r, 'warmDays');
  const nodes = tier.clickhouse.shards * tier.clickhouse.replicas;
  const storage = clickHouseStorageFigures(tier, capacity);
  const window = `days ${num(t0)}–${num(t1)}`;
  const gbMonth = storage.coldBands.reduce(
    (sum, band) =>
      sum +
      (band.bytesPerDayPerNode * nodes * averageDaysHeld(t0, t1, band.fromDay, band.toDay)) / BYTES_PER_GB,
    0,
  );
  const bands = storage.coldBands
    .map(
      (band) =>
        `${num(band.bytesPerDayPerNode / BYTES_PER_GB)} GB/day of ${band.rows} rows aged ${num(band.fromDay)}–${num(band.toDay)} d`,
    )
    .join(' + ');
  const nodesText = `${nodes} node${nodes === 1 ? '' : 's'}`;
  const lines = bandedLines(
    r,
    'S3 disk storage (S3 Standard)',
    gbMonth,
    standardBands(prices.s3),
    `${nodesText} × (${bands}) × average days held over ${window}`,
  );
  // Moves (and rewrites, later still) start when the first rows reach the first band.
  const firstDay = storage.coldBands[0]?.fromDay ?? Number.POSITIVE_INFINITY;
  const days = daysReaching(t0, t1, firstDay);
  if (days > 0 && storage.s3PutsPerDayPerNode > 0) {
    lines.push(
      costLine(
        r,
        'S3 disk PUTs',
        (storage.s3PutsPerDayPerNode * nodes * days) / 1_000,
        prices.s3.putPerThousand,
        `${num(storage.s3PutsPerDayPerNode)} PUTs/day per node (parts moved and rewritten, in 16 MiB upload parts) × ${nodesText} × ${num(days)} days after day ${num(firstDay)}`,
      ),
    );
  }
  if (days > 0 && storage.s3GetsPerDayPerNode > 0) {
    lines.push(
      costLine(
        r,
        'S3 disk GETs',
        (storage.s3GetsPerDayPerNode * nodes * days) / 1_000,
        prices.s3.getPerThousand,
        `${num(storage.s3GetsPerDayPerNode)} GETs/day per node at steady state (reads past the cache, and parts a bodies TTL rewrites) × ${nodesText} × ${num(days)} days after day ${num(firstDay)}`,
      ),
    );
  }
  return lines;
}
