/**
 * The three volumes events are kept on, and which resources' lines are each one's:
 * - hot: the ClickHouse data nodes' gp3 volumes (recent rows, the S3 disk's cache, the rollups);
 * - warm: the nodes' S3 disk (older rows, until the tables delete them), its storage and requests;
 * - archive: the raw archive bucket (every event as sent), through its lifecycle classes.
 */
import { clickHouseStorageFigures } from '../capacity.js';
import { type BillableResource, sizeNumber, sizeString } from './billable-resource.js';
import type { CostLine } from './cost-line.js';
import { CLICKHOUSE_COLD_WORKLOAD } from './cost-tags.js';
import { num } from './format.js';
import type { RegionPrices } from './prices.js';
import type { RuleContext } from './rules/rule.js';
import { lifecyclePath } from './rules/s3.js';

/** A volume, hottest first. */
export const VOLUMES = ['hot', 'warm', 'archive'] as const;
export type VolumeName = (typeof VOLUMES)[number];

/** The volume a resource is, if it is one. */
export function volumeOf(r: BillableResource): VolumeName | undefined {
  if (r.type === 'AWS::EC2::Volume' && r.size.clickHouseShard !== undefined) return 'hot';
  if (r.type !== 'AWS::S3::Bucket') return undefined;
  const workload = sizeString(r, 'workload');
  if (workload === CLICKHOUSE_COLD_WORKLOAD) return 'warm';
  return workload === 'archive' ? 'archive' : undefined;
}

const GB = 1e9;
const GiB = 1_073_741_824;

/** What a volume holds, in words and figures, from the inventory and capacity's storage figures. */
export function volumeHolds(
  volume: VolumeName,
  resources: readonly BillableResource[],
  { tier, capacity, prices }: Pick<RuleContext, 'tier' | 'capacity' | 'prices'>,
): string {
  const s = clickHouseStorageFigures(tier, capacity);
  const r = tier.retention;
  switch (volume) {
    case 'hot': {
      const gib = resources[0] === undefined ? 0 : sizeNumber(resources[0], 'volumeGiB');
      const window = num(s.hotWindowDays, 1);
      const days = window === num(r.hotDays, 1) ? window : `${r.hotDays}–${window}`;
      return (
        `${resources.length} × ${num(gib)} GiB gp3: rows for ${days} d (a part moves ` +
        `when its newest row is ${r.hotDays} d old), ${num(s.hotRowBytes / GiB, 0)} GiB per node, beside the S3 disk's cache and the rollups`
      );
    }
    case 'warm':
      return (
        `rows aged ${r.hotDays}–${r.hotDays + r.warmDays} d (bodies to ${r.bodiesDays} d), each replica its own ` +
        `copy: ${num(s.coldBytesHeldPerCluster / GB / 1_000, 1)} TB at steady state`
      );
    case 'archive': {
      const paths = resources.map((bucket) => {
        const { held, expire } = lifecyclePath(bucket, prices);
        const steps = ['Standard', ...held.filter((c) => c.from < c.to).map((c) => c.name)];
        const days = [...held.filter((c) => c.from < c.to).map((c) => c.from), expire];
        return steps
          .map(
            (step, i) => `${step} to ${Number.isFinite(days[i]) ? `${num(days[i] as number)} d` : 'forever'}`,
          )
          .join(', ');
      });
      return `every event as sent (gzip): ${paths.join('; ')}`;
    }
  }
}

/** One volume's lines in a month. */
export interface VolumeLines {
  readonly volume: VolumeName;
  readonly holds: string;
  readonly lines: readonly CostLine[];
}

/**
 * The lines of each volume the inventory has, from one month's lines by resource
 * (`linesByResource`), hottest first.
 */
export function volumeLines(
  inventory: readonly BillableResource[],
  linesOf: readonly (readonly CostLine[])[],
  context: Pick<RuleContext, 'tier' | 'capacity'> & { readonly prices: RegionPrices },
): VolumeLines[] {
  return VOLUMES.flatMap((volume) => {
    const indices = inventory.flatMap((r, i) => (volumeOf(r) === volume ? [i] : []));
    if (indices.length === 0) return [];
    return [
      {
        volume,
        holds: volumeHolds(
          volume,
          indices.map((i) => inventory[i] as BillableResource),
          context,
        ),
        lines: indices.flatMap((i) => linesOf[i] ?? []),
      },
    ];
  });
}
