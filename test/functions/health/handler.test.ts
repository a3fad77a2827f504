import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import {
  DISKS_SQL,
  type FailureCounters,
  type HealthDeps,
  NODE_SQL,
} from '../../../functions/health/core.js';
import { capturePowertoolsConsole, type PowertoolsConsole } from '../../helpers/powertools-console.js';

/** The health function's EMF lines: one per node and one per local disk, never more. */
const context = {
  functionName: 'evalforge-clickhouse-health',
  awsRequestId: 'req-health',
} as unknown as Context;
const tick = { 'detail-type': 'Scheduled Event', source: 'aws.events' } as unknown as ScheduledEvent;

let log: MockInstance<typeof console.log>;
let powertools: PowertoolsConsole;
let createHealthHandler: typeof import('../../../functions/health/handler.js').createHealthHandler;

const emfBlobs = () => powertools.emfBlobs();

function deps(nodes: string[], down: string[] = []): HealthDeps {
  return {
    nodes,
    counters: new Map<string, FailureCounters>(),
    query: async (node, sql) => {
      if (down.includes(node)) throw new Error('connect ETIMEDOUT');
      if (sql === NODE_SQL) {
        return [
          {
            merges_running: 1,
            max_parts_per_partition: 12,
            replication_queue_size: 0,
            replication_queue_oldest_sec: 0,
            failed_inserts: 0,
            failed_selects: 0,
          },
        ];
      }
      if (sql === DISKS_SQL) {
        return [
          { disk: 'default', free_space: 80, total_space: 100 },
          { disk: 'hot', free_space: 30, total_space: 100 },
        ];
      }
      return [];
    },
  };
}

beforeAll(async () => {
  powertools = capturePowertoolsConsole();
  log = powertools.log;
  ({ createHealthHandler } = await import('../../../functions/health/handler.js'));
});

beforeEach(() => {
  log.mockClear();
  vi.mocked(console.error).mockClear();
});

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the health handler', () => {
  it('prints one line per node and one per local disk, with their dimensions', async () => {
    const summary = await createHealthHandler(() => deps(['ch-s1-r1', 'ch-s2-r1']))(tick, context);
    expect(summary).toEqual({ nodes: 2, unreachable: 0, sets: 6 });
    const blobs = emfBlobs();
    expect(blobs).toHaveLength(6);
    expect(blobs.map((b) => b._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual([
      [['service', 'node']],
      [['service', 'node', 'disk']],
      [['service', 'node', 'disk']],
      [['service', 'node']],
      [['service', 'node', 'disk']],
      [['service', 'node', 'disk']],
    ]);
    expect(blobs[0]).toMatchObject({
      service: 'clickhouse-health',
      node: 'ch-s1-r1',
      NodeUnreachable: 0,
      MaxPartsPerPartition: 12,
      MergesRunning: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'EvalForge' }] },
    });
    expect(blobs[2]).toMatchObject({ node: 'ch-s1-r1', disk: 'hot', DiskFreeRatio: 0.3 });
    // A disk line carries the disk's metric only, not the node's again.
    expect(blobs[1]).not.toHaveProperty('MergesRunning');
  });

  it('publishes an unreachable node and logs it as an error, without failing the invocation', async () => {
    const summary = await createHealthHandler(() => deps(['ch-s1-r1', 'ch-s1-r2'], ['ch-s1-r2']))(
      tick,
      context,
    );
    expect(summary).toEqual({ nodes: 2, unreachable: 1, sets: 4 });
    expect(emfBlobs().at(-1)).toMatchObject({ node: 'ch-s1-r2', NodeUnreachable: 1 });
    const errors = vi.mocked(console.error).mock.calls.map(([line]) => String(line));
    expect(errors.some((line) => line.includes('ch-s1-r2') && line.includes('ETIMEDOUT'))).toBe(true);
  });
});
