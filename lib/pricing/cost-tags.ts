/**
 * The cost-allocation tags: the stack puts them on every resource that takes tags, and the pricing
 * inventory reads the component from them, so both sides name the same key. `workload` marks a
 * resource whose bill follows the load in a way its template cannot show (the ClickHouse nodes'
 * S3 disk: `clickhouse-cold`).
 */
export const COST_TAGS = {
  tier: 'evalforge:tier',
  component: 'evalforge:component',
  workload: 'evalforge:workload',
} as const;

/** The `workload` tag's value on the bucket behind the ClickHouse nodes' S3 disk. */
export const CLICKHOUSE_COLD_WORKLOAD = 'clickhouse-cold';

/**
 * The `workload` tag's value on a multi-region tier's transit stream: it carries the share of
 * events accepted outside their home region, not the load.
 */
export const TRANSIT_WORKLOAD = 'transit';
