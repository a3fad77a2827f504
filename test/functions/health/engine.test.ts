import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISKS_SQL, NODE_SQL, readNode } from '../../../functions/health/core.js';
import { embeddedClickHouse, insertIngestRows, rows } from '../../helpers/clickhouse.js';

/** The health function's SQL against the real engine's system tables (the migrated schema). */
let engine: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
const query = (_node: string, sql: string) => rows<Record<string, unknown>>(client, sql);

beforeAll(async () => {
  engine = await embeddedClickHouse();
  client = engine.client;
});

afterAll(async () => {
  await engine.close();
});

const row = (i: number) => ({
  trace_id: i.toString(16).padStart(32, '0'),
  span_id: i.toString(16).padStart(16, '0'),
  timestamp: '2026-11-26T09:15:02.118Z',
  name: 'health-check',
  _project_id: 'proj-health',
  _received_at: '2026-11-26T09:15:03.000Z',
  _request_id: `req-${i}`,
  _request_key: i.toString(16).padStart(64, '0'),
});

describe('the health SQL on the embedded engine', () => {
  it('reads the local disk as a free ratio between 0 and 1', async () => {
    const reading = await readNode('local', query);
    expect(reading.disks.map((d) => d.disk)).toEqual(['default']);
    expect(reading.disks[0]?.freeRatio).toBeGreaterThan(0);
    expect(reading.disks[0]?.freeRatio).toBeLessThanOrEqual(1);
  });

  it('answers zeros for an idle node: no merges, no replication queue', async () => {
    const reading = await readNode('local', query);
    expect(reading).toMatchObject({
      mergesRunning: 0,
      replicationQueueSize: 0,
      replicationQueueOldestSec: 0,
    });
  });

  it('counts the active parts of the busiest partition, one more per insert while merges wait', async () => {
    await client.command({ query: 'SYSTEM STOP MERGES' });
    try {
      for (const i of [1, 2, 3]) await insertIngestRows(client, [row(i)]);
      const reading = await readNode('local', query);
      const [events] = await rows<{ parts: number }>(
        client,
        "SELECT count() AS parts FROM system.parts WHERE active AND database = currentDatabase() AND table = 'events'",
      );
      expect(events?.parts).toBe(3);
      expect(reading.maxPartsPerPartition).toBeGreaterThanOrEqual(3);
    } finally {
      await client.command({ query: 'SYSTEM START MERGES' });
    }
  });

  it('counts a failed insert and a failed select in the node counters', async () => {
    const before = await readNode('local', query);
    await expect(
      client.insert({ table: 'events_ingest', values: [{ input_tokens: 'many' }], format: 'JSONEachRow' }),
    ).rejects.toThrow();
    await expect(rows(client, "SELECT throwIf(1, 'refused') AS x")).rejects.toThrow(/refused/);
    const after = await readNode('local', query);
    expect(after.failedInserts).toBe(before.failedInserts + 1);
    expect(after.failedSelects).toBe(before.failedSelects + 1);
  });

  it('names every column the core reads', async () => {
    const [scalars] = await query('local', NODE_SQL);
    expect(Object.keys(scalars ?? {}).sort()).toEqual([
      'failed_inserts',
      'failed_selects',
      'max_parts_per_partition',
      'merges_running',
      'replication_queue_oldest_sec',
      'replication_queue_size',
    ]);
    const disks = await query('local', DISKS_SQL);
    expect(Object.keys(disks[0] ?? {}).sort()).toEqual(['disk', 'free_space', 'total_space']);
  });
});
