import { CLICKHOUSE_DIMENSIONS as D, CLICKHOUSE_METRICS as M } from '../shared/metrics-catalog.js';

/**
 * ClickHouse's own health, read from each data node's system tables (functions/health runs it
 * every minute) and turned into metric sets: one per node, one per local disk. Pure over
 * `query`; the clock is the engine's (`now()` in the SQL).
 */

/** One node's scalars in one round trip. `max` and `sum` over no rows give 0. */
export const NODE_SQL = `SELECT
  (SELECT count() FROM system.merges) AS merges_running,
  (SELECT max(parts) FROM (
     SELECT count() AS parts FROM system.parts
     WHERE active AND database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')
     GROUP BY database, table, partition_id)) AS max_parts_per_partition,
  (SELECT count() FROM system.replication_queue) AS replication_queue_size,
  (SELECT ifNull(dateDiff('second', minOrNull(create_time), now()), 0)
     FROM system.replication_queue) AS replication_queue_oldest_sec,
  (SELECT sumIf(value, event = 'FailedInsertQuery') FROM system.events) AS failed_inserts,
  (SELECT sumIf(value, event = 'FailedSelectQuery') FROM system.events) AS failed_selects`;

/**
 * The node's local disks. Object-storage disks (the S3 tier) report sizes in exabytes that say
 * nothing of room left, so they are left out.
 */
export const DISKS_SQL = `SELECT name AS disk, free_space, total_space
FROM system.disks
WHERE NOT is_remote AND total_space > 0
ORDER BY name`;

/** Rows of a query on one node (64-bit integers as numbers). */
export type NodeQuery = (node: string, sql: string) => Promise<readonly Record<string, unknown>[]>;

/** The failure counters of `system.events`: totals since the server started. */
export interface FailureCounters {
  readonly failedInserts: number;
  readonly failedSelects: number;
}

export interface NodeReading extends FailureCounters {
  readonly node: string;
  readonly disks: readonly { readonly disk: string; readonly freeRatio: number }[];
  readonly maxPartsPerPartition: number;
  readonly mergesRunning: number;
  readonly replicationQueueSize: number;
  readonly replicationQueueOldestSec: number;
}

export type NodeOutcome = NodeReading | { readonly node: string; readonly error: string };

/** Units as CloudWatch names them (Powertools' `MetricUnit` values). */
export type HealthUnit = 'Count' | 'Seconds' | 'None';

/** One EMF line: its dimensions (beyond `service`) and its metrics. */
export interface MetricSet {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly { readonly name: string; readonly unit: HealthUnit; readonly value: number }[];
}

const num = (row: Record<string, unknown> | undefined, column: string): number => {
  const value = Number(row?.[column]);
  if (!Number.isFinite(value)) throw new Error(`system tables answered no number for ${column}`);
  return value;
};

/** One node's reading; throws when the node does not answer. */
export async function readNode(node: string, query: NodeQuery): Promise<NodeReading> {
  const [scalars, disks] = await Promise.all([query(node, NODE_SQL), query(node, DISKS_SQL)]);
  const row = scalars[0];
  return {
    node,
    disks: disks.map((disk) => ({
      disk: String(disk.disk),
      freeRatio: num(disk, 'free_space') / num(disk, 'total_space'),
    })),
    maxPartsPerPartition: num(row, 'max_parts_per_partition'),
    mergesRunning: num(row, 'merges_running'),
    replicationQueueSize: num(row, 'replication_queue_size'),
    replicationQueueOldestSec: num(row, 'replication_queue_oldest_sec'),
    failedInserts: num(row, 'failed_inserts'),
    failedSelects: num(row, 'failed_selects'),
  };
}

/**
 * Failures since the previous reading. The first reading has no baseline (undefined: nothing is
 * published); a counter lower than before means the server restarted, so all of it is new.
 */
export function counterDelta(current: number, previous: number | undefined): number | undefined {
  if (previous === undefined) return undefined;
  return current >= previous ? current - previous : current;
}

/**
 * The metric sets of one round of readings, and the counters to compare the next round with.
 * An unreachable node gets `NodeUnreachable` = 1 and keeps its last counters.
 */
export function healthMetricSets(
  outcomes: readonly NodeOutcome[],
  previous: ReadonlyMap<string, FailureCounters>,
): { sets: MetricSet[]; counters: Map<string, FailureCounters> } {
  const sets: MetricSet[] = [];
  const counters = new Map(previous);
  for (const outcome of outcomes) {
    const node = { [D.node]: outcome.node };
    if ('error' in outcome) {
      sets.push({ dimensions: node, metrics: [{ name: M.nodeUnreachable, unit: 'Count', value: 1 }] });
      continue;
    }
    const before = previous.get(outcome.node);
    const failedInserts = counterDelta(outcome.failedInserts, before?.failedInserts);
    const failedSelects = counterDelta(outcome.failedSelects, before?.failedSelects);
    counters.set(outcome.node, {
      failedInserts: outcome.failedInserts,
      failedSelects: outcome.failedSelects,
    });
    sets.push({
      dimensions: node,
      metrics: [
        { name: M.nodeUnreachable, unit: 'Count', value: 0 },
        { name: M.maxPartsPerPartition, unit: 'Count', value: outcome.maxPartsPerPartition },
        { name: M.mergesRunning, unit: 'Count', value: outcome.mergesRunning },
        { name: M.replicationQueueSize, unit: 'Count', value: outcome.replicationQueueSize },
        { name: M.replicationQueueOldestSec, unit: 'Seconds', value: outcome.replicationQueueOldestSec },
        ...(failedInserts === undefined
          ? []
          : [{ name: M.failedInserts, unit: 'Count' as const, value: failedInserts }]),
        ...(failedSelects === undefined
          ? []
          : [{ name: M.failedSelects, unit: 'Count' as const, value: failedSelects }]),
      ],
    });
    for (const disk of outcome.disks) {
      sets.push({
        dimensions: { ...node, [D.disk]: disk.disk },
        metrics: [{ name: M.diskFreeRatio, unit: 'None', value: disk.freeRatio }],
      });
    }
  }
  return { sets, counters };
}

export interface HealthDeps {
  /** The data nodes' names, as `query` knows them and the `node` dimension shows them. */
  readonly nodes: readonly string[];
  readonly query: NodeQuery;
  /** The failure counters of the previous round, kept by the caller between invocations. */
  readonly counters: Map<string, FailureCounters>;
}

/**
 * Reads every node at once; a node that fails to answer is reported, not thrown, so the others
 * are still published. Updates `deps.counters` for the next round.
 */
export async function checkHealth(
  deps: HealthDeps,
): Promise<{ sets: MetricSet[]; unreachable: { node: string; error: string }[] }> {
  const outcomes = await Promise.all(
    deps.nodes.map(async (node): Promise<NodeOutcome> => {
      try {
        return await readNode(node, deps.query);
      } catch (error) {
        return { node, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const { sets, counters } = healthMetricSets(outcomes, deps.counters);
  deps.counters.clear();
  for (const [node, value] of counters) deps.counters.set(node, value);
  const unreachable = outcomes.flatMap((o) => ('error' in o ? [{ node: o.node, error: o.error }] : []));
  return { sets, unreachable };
}
