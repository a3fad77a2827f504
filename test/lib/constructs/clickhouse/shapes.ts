import type { ClusterLayout } from '../../../../lib/constructs/clickhouse/cluster-layout.js';
import type { ClickHouseClusterProps } from '../../../../lib/constructs/clickhouse/props.js';
import { TIERS, type TierId } from '../../../../lib/tiers.js';

/** The cluster's props without the VPC, named for the test titles. */
export type Shape = Omit<ClickHouseClusterProps, 'vpc'> & { readonly label: string };

function tierShape(id: TierId): Shape {
  const { vcpus: _vcpus, memoryGiB: _memoryGiB, ...props } = TIERS[id].clickhouse;
  return {
    label: `tier ${id}: ${props.shards} × ${props.replicas}, ${props.keeperNodes} Keepers`,
    ...props,
    retention: TIERS[id].retention,
  };
}

/**
 * The shapes the construct is tested in: one node without Keeper (the smallest it builds; no tier
 * uses it), and the tiers' own (1 and 2 differ only in sizes: one node beside three Keepers).
 */
export const SHAPES: readonly Shape[] = [
  {
    label: '1 × 1, no Keeper',
    instanceType: 'c5.xlarge',
    shards: 1,
    replicas: 1,
    keeperNodes: 0,
    keeperInstanceType: 't3.small',
    volumeGiB: 1_000,
    volumeThroughputMiBps: 125,
    volumeIops: 3_000,
    coldCacheGiB: 50,
    // No cold volume: every part stays on the node's disk (the bucket exists, unused).
    retention: {
      hotDays: null,
      warmDays: 30,
      bodiesDays: 7,
      minuteRollupDays: 35,
      hourRollupDays: 400,
      ttlMergeTimeoutSec: 14_400,
    },
  },
  tierShape(1),
  tierShape(3),
  tierShape(4),
];

/** The private zone the construct names its nodes in by default. */
export const ZONE = 'clickhouse.evalforge.internal';

/** A shape's layout with the construct's defaults. */
export function layoutOf(shape: Shape): ClusterLayout {
  return {
    clusterName: 'evalforge',
    domainName: ZONE,
    shards: shape.shards,
    replicas: shape.replicas,
    keeperNodes: shape.keeperNodes,
  };
}
