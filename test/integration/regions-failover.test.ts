import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../functions/shared/clickhouse/client.js';
import { openLocalClickHouse } from '../../local/cold-storage.js';
import { type AckedEvent, RegionClient } from '../../local/region-client.js';
import { LocalRegions } from '../../local/regions.js';
import { startLocalS3 } from '../../local/s3.js';

/**
 * The failover simulation: two regions (two npm start processes) and the region router. A client
 * of each region's project sends through the router from its home region; mid-load eu-west-1 is
 * killed (SIGKILL, an outage), its clients reach us-east-1, which takes their events into its
 * transit stream while the forwarder retries; eu-west-1 comes back on the same data directory and
 * ports, and the forwarder delivers. Then every acknowledged event must be in its home region's
 * store exactly once, and in no other region's store.
 */

const US = 'us-east-1';
const EU = 'eu-west-1';
const runId = `failover-${Date.now()}`;
let dir: string;
let regions: LocalRegions | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalforge-regions-'));
}, 30_000);

afterAll(async () => {
  await regions?.stop({ drain: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `/v1/calls/count` of this run's events, in `region`'s own store, with the project's key. */
async function countIn(
  region: string,
  key: string,
): Promise<{ calls: number; distinct_calls: number; duplicate_calls: number }> {
  const response = await fetch(`${regions?.url(region)}/v1/calls/count?window=1h&metadata.run=${runId}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { calls: number; distinct_calls: number; duplicate_calls: number };
}

/** Every row of this run's projects in a stopped region's store: project, ids and how many times each. */
async function census(region: string): Promise<Map<string, number>> {
  const dataDir = join(dir, region);
  const s3 = await startLocalS3({ path: join(dataDir, 's3') });
  const clickhouse = await openLocalClickHouse(dataDir, s3.endpoint);
  try {
    const rows = await selectRows<{ project_id: string; trace_id: string; span_id: string; n: number }>(
      clickhouse,
      `SELECT project_id, trace_id, span_id, count() AS n FROM events
       WHERE project_id IN ('proj-${US}', 'proj-${EU}') GROUP BY project_id, trace_id, span_id`,
    );
    return new Map(rows.map((r) => [`${r.project_id}/${r.trace_id}/${r.span_id}`, r.n]));
  } finally {
    await clickhouse.close();
    await s3.close();
  }
}

const idsOf = (projectId: string, acked: readonly AckedEvent[]) =>
  acked.map((e) => `${projectId}/${e.traceId}/${e.spanId}`);

describe('regions: failover and recovery', () => {
  it('keeps every acknowledged event, in its home region once, through a region outage', async () => {
    const startedAt = Date.now();
    regions = await LocalRegions.start({
      dir,
      regions: [US, EU],
      // Two shards each: two pipelines share this machine's two cores with the load.
      env: { EVALFORGE_SHARDS: '2' },
      healthIntervalMs: 200,
    });
    const sim = regions;
    const client = (region: string) =>
      new RegionClient({
        routerUrl: sim.router.url,
        apiKey: sim.project(region).key,
        clientRegion: region,
        eventsPerRequest: 10,
        requestsPerSec: 10,
        runId,
      });
    const usClient = client(US);
    const euClient = client(EU);

    await sleep(3_000);
    await sim.kill(EU);
    const downAt = Date.now();
    // The eu clients now reach us-east-1, whose forwarder keeps failing to reach eu-west-1.
    await sleep(4_000);
    const restartBegan = Date.now();
    await sim.restart(EU);
    const backAt = Date.now();
    await sleep(1_000);
    await Promise.all([usClient.stop(), euClient.stop()]);

    const euAcceptedInUs = euClient.acked.filter((e) => e.acceptedIn === US).length;
    // Some eu events were accepted by us-east-1 while eu-west-1 was down: the outage was real.
    expect(euAcceptedInUs).toBeGreaterThan(0);
    // While it was down, nothing was acknowledged by it.
    const byDeadRegion = euClient.acked.filter(
      (e) => e.ackedAt > downAt && e.ackedAt < restartBegan && e.acceptedIn === EU,
    );
    expect(byDeadRegion).toHaveLength(0);

    // Recovery: from eu-west-1 serving again to every acknowledged eu event queryable there.
    const euKey = sim.project(EU).key;
    const deadline = Date.now() + 60_000;
    let eu = await countIn(EU, euKey);
    while (eu.distinct_calls < euClient.acked.length) {
      if (Date.now() > deadline)
        throw new Error(`eu-west-1 holds ${eu.distinct_calls} of ${euClient.acked.length}`);
      await sleep(100);
      eu = await countIn(EU, euKey);
    }
    const recoveredAt = Date.now();
    const us = await countIn(US, sim.project(US).key);
    expect(eu).toEqual({ ...eu, calls: euClient.acked.length, duplicate_calls: 0 });
    expect(us.calls).toBe(usClient.acked.length);
    expect(us.duplicate_calls).toBe(0);
    // Asked in the wrong region, the query API says where the project's events are.
    const wrong = await fetch(`${sim.url(US)}/v1/calls/count?window=1h`, {
      headers: { authorization: `Bearer ${euKey}` },
    });
    expect(wrong.status).toBe(421);
    expect(await wrong.text()).toContain('wrong_region');

    // Stopped with Ctrl-C: each region loads, archives and forwards what it accepted, then exits.
    const codes = await sim.stop({ drain: true });
    expect(codes).toEqual({ [US]: 0, [EU]: 0 });
    regions = undefined;

    const stores: Record<string, Map<string, number>> = { [US]: await census(US), [EU]: await census(EU) };
    const expected: Record<string, string[]> = {
      [US]: idsOf(`proj-${US}`, usClient.acked),
      [EU]: idsOf(`proj-${EU}`, euClient.acked),
    };
    for (const region of [US, EU]) {
      const store = stores[region] ?? new Map();
      const ids = expected[region] ?? [];
      expect(new Set(ids).size).toBe(ids.length);
      // Every acknowledged event of the project homed here, each once; nothing else of either project.
      expect([...store.keys()].sort()).toEqual([...ids].sort());
      expect([...store.values()].every((n) => n === 1)).toBe(true);
    }

    console.log(
      [
        `regions failover: ${usClient.acked.length} us-east-1 + ${euClient.acked.length} eu-west-1 events acknowledged`,
        `  eu-west-1 down ${((restartBegan - downAt) / 1_000).toFixed(1)} s, restarted in ${((backAt - restartBegan) / 1_000).toFixed(1)} s; ${euAcceptedInUs} eu events accepted by us-east-1 meanwhile`,
        `  time to recover (eu-west-1 serving → every acknowledged eu event queryable there): ${((recoveredAt - backAt) / 1_000).toFixed(2)} s`,
        `  retries by the clients: us ${usClient.retries.length}, eu ${euClient.retries.length}; test ${((Date.now() - startedAt) / 1_000).toFixed(0)} s`,
      ].join('\n'),
    );
  }, 150_000);
});
