import { describe, expect, it } from 'vitest';
import {
  checkHealth,
  counterDelta,
  DISKS_SQL,
  type FailureCounters,
  healthMetricSets,
  NODE_SQL,
  type NodeQuery,
  type NodeReading,
} from '../../../functions/health/core.js';

const scalars = (over: Record<string, number> = {}) => ({
  merges_running: 2,
  max_parts_per_partition: 41,
  replication_queue_size: 3,
  replication_queue_oldest_sec: 95,
  failed_inserts: 10,
  failed_selects: 4,
  ...over,
});
const localDisk = { disk: 'default', free_space: 250, total_space: 1_000 };

/** A fake cluster: each node's answers to the two queries, or an error. */
function fakeQuery(
  nodes: Record<string, { scalars?: Record<string, number>; disks?: Record<string, unknown>[] } | Error>,
): NodeQuery & { calls: string[] } {
  const calls: string[] = [];
  const query = async (node: string, sql: string) => {
    calls.push(node);
    const answer = nodes[node];
    if (answer === undefined) throw new Error(`no such node ${node}`);
    if (answer instanceof Error) throw answer;
    if (sql === NODE_SQL) return [scalars(answer.scalars)];
    if (sql === DISKS_SQL) return answer.disks ?? [localDisk];
    throw new Error(`unexpected SQL ${sql}`);
  };
  return Object.assign(query, { calls });
}

const reading = (over: Partial<NodeReading> = {}): NodeReading => ({
  node: 'ch-s1-r1',
  disks: [{ disk: 'default', freeRatio: 0.25 }],
  maxPartsPerPartition: 41,
  mergesRunning: 2,
  replicationQueueSize: 3,
  replicationQueueOldestSec: 95,
  failedInserts: 10,
  failedSelects: 4,
  ...over,
});

const values = (set: { metrics: readonly { name: string; value: number }[] } | undefined) =>
  Object.fromEntries((set?.metrics ?? []).map((m) => [m.name, m.value]));

describe('counterDelta', () => {
  it.each([
    [10, undefined, undefined],
    [10, 10, 0],
    [15, 10, 5],
    // The server restarted: its counters began again from zero.
    [3, 10, 3],
  ])('of %i after %s is %s', (current, previous, expected) => {
    expect(counterDelta(current, previous)).toBe(expected);
  });
});

describe('healthMetricSets', () => {
  it('makes one set per node and one per disk, the node and disk as dimensions', () => {
    const { sets } = healthMetricSets(
      [
        reading({
          disks: [
            { disk: 'default', freeRatio: 0.25 },
            { disk: 'hot', freeRatio: 0.9 },
          ],
        }),
      ],
      new Map(),
    );
    expect(sets.map((s) => s.dimensions)).toEqual([
      { node: 'ch-s1-r1' },
      { node: 'ch-s1-r1', disk: 'default' },
      { node: 'ch-s1-r1', disk: 'hot' },
    ]);
    expect(values(sets[0])).toEqual({
      NodeUnreachable: 0,
      MaxPartsPerPartition: 41,
      MergesRunning: 2,
      ReplicationQueueSize: 3,
      ReplicationQueueOldestAgeSec: 95,
    });
    expect(sets[0]?.metrics.find((m) => m.name === 'ReplicationQueueOldestAgeSec')?.unit).toBe('Seconds');
    expect(sets.slice(1).map((s) => s.metrics)).toEqual([
      [{ name: 'DiskFreeRatio', unit: 'None', value: 0.25 }],
      [{ name: 'DiskFreeRatio', unit: 'None', value: 0.9 }],
    ]);
  });

  it('publishes failures since the previous reading, and keeps the counters for the next', () => {
    const previous = new Map<string, FailureCounters>([['ch-s1-r1', { failedInserts: 7, failedSelects: 4 }]]);
    const { sets, counters } = healthMetricSets([reading()], previous);
    expect(values(sets[0])).toMatchObject({ FailedInsertQueries: 3, FailedSelectQueries: 0 });
    expect(counters.get('ch-s1-r1')).toEqual({ failedInserts: 10, failedSelects: 4 });
    // The caller's map is left as it was.
    expect(previous.get('ch-s1-r1')).toEqual({ failedInserts: 7, failedSelects: 4 });
  });

  it('marks an unreachable node with NodeUnreachable alone, keeping its last counters', () => {
    const previous = new Map<string, FailureCounters>([['ch-s2-r1', { failedInserts: 1, failedSelects: 2 }]]);
    const { sets, counters } = healthMetricSets([{ node: 'ch-s2-r1', error: 'connect ETIMEDOUT' }], previous);
    expect(sets).toEqual([
      { dimensions: { node: 'ch-s2-r1' }, metrics: [{ name: 'NodeUnreachable', unit: 'Count', value: 1 }] },
    ]);
    expect(counters.get('ch-s2-r1')).toEqual({ failedInserts: 1, failedSelects: 2 });
  });
});

describe('checkHealth', () => {
  it('reads every node, publishing failure deltas from the second round on', async () => {
    const query = fakeQuery({ a: {}, b: { scalars: { failed_inserts: 0 } } });
    const deps = { nodes: ['a', 'b'], query, counters: new Map<string, FailureCounters>() };

    const first = await checkHealth(deps);
    expect(first.unreachable).toEqual([]);
    expect(first.sets.map((s) => s.dimensions)).toEqual([
      { node: 'a' },
      { node: 'a', disk: 'default' },
      { node: 'b' },
      { node: 'b', disk: 'default' },
    ]);
    expect(values(first.sets[0])).not.toHaveProperty('FailedInsertQueries');
    expect(values(first.sets[1])).toEqual({ DiskFreeRatio: 0.25 });

    const second = await checkHealth({
      ...deps,
      query: fakeQuery({ a: { scalars: { failed_inserts: 12 } }, b: {} }),
    });
    expect(values(second.sets[0])).toMatchObject({ FailedInsertQueries: 2, FailedSelectQueries: 0 });
    expect(values(second.sets[2])).toMatchObject({ FailedInsertQueries: 10 });
  });

  it('reports a node that fails to answer and still publishes the others', async () => {
    const query = fakeQuery({ a: {}, b: new Error('connect ECONNREFUSED 10.0.1.12:8443') });
    const result = await checkHealth({ nodes: ['a', 'b'], query, counters: new Map() });
    expect(result.unreachable).toEqual([{ node: 'b', error: 'connect ECONNREFUSED 10.0.1.12:8443' }]);
    expect(result.sets.map((s) => [s.dimensions, values(s).NodeUnreachable])).toEqual([
      [{ node: 'a' }, 0],
      [{ node: 'a', disk: 'default' }, undefined],
      [{ node: 'b' }, 1],
    ]);
  });

  it('fails a node whose system tables answer no number', async () => {
    const query = fakeQuery({ a: { disks: [{ disk: 'default', free_space: 'lots', total_space: 1 }] } });
    const result = await checkHealth({ nodes: ['a'], query, counters: new Map() });
    expect(result.unreachable).toEqual([
      { node: 'a', error: 'system tables answered no number for free_space' },
    ]);
  });
});
