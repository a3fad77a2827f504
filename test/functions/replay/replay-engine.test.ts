import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ReplayCheckpoint,
  type ReplayCheckpointState,
  runReplay,
} from '../../../functions/replay/core.js';
import {
  encodeHeaderLine,
  type StreamRecordHeader,
} from '../../../functions/shared/contract/stream-record.js';
import { ClickHouseLoaderStore } from '../../../functions/shared/load/clickhouse-store.js';
import { type LoadBatch, loadBatch } from '../../../functions/shared/load/core.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, rows } from '../../helpers/clickhouse.js';
import { archiveKeyAt, archiveObjectBytes, MemoryArchive } from '../../helpers/memory-archive.js';

/**
 * Replay against the real engine: an archive of records (two projects, a client's resend among
 * them) loaded through the loader's core. The counts and the per-minute rollup must equal the
 * ground truth computed from the events themselves, however often and however interrupted the
 * replay runs.
 */

// Minutes: the tables' TTLs drop rows older than their retention, so the events are recent.
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const START = NOW - 90 * 60_000;
let ch: Awaited<ReturnType<typeof embeddedClickHouse>>;
let client: ClickHouseClient;
let store: ClickHouseLoaderStore;

beforeAll(async () => {
  ch = await embeddedClickHouse();
  client = ch.client;
  store = new ClickHouseLoaderStore(client);
});
afterAll(async () => ch?.close());

async function emptyStore(): Promise<void> {
  for (const table of ['events', 'events_minute', 'events_hour', 'loaded_requests', 'load_dead_letters']) {
    await client.command({ query: `TRUNCATE TABLE ${table}` });
  }
}

interface Truth {
  /** project/minute → requests, input tokens, cost. */
  readonly perMinute: Map<string, { requests: number; input: number; cost: number }>;
  readonly events: number;
  readonly byProject: Map<string, number>;
}

/**
 * The archive: 6 objects, 10 minutes apart, each of 4 records of 5 events; the last record of
 * each object is a resend of its first (same request key, same events), as a client resends a
 * request that got no answer.
 */
function buildArchive(): { archive: MemoryArchive; truth: Truth } {
  const objects = new MemoryArchive();
  const perMinute = new Map<string, { requests: number; input: number; cost: number }>();
  const byProject = new Map<string, number>();
  let events = 0;
  let clock = START;
  const generator = eventGenerator({ seed: 11, now: () => clock });
  for (let o = 0; o < 6; o++) {
    const records: string[] = [];
    const objectStart = START + o * 10 * 60_000;
    for (let r = 0; r < 3; r++) {
      const project = r === 1 ? 'proj-b' : 'proj-a';
      const receivedAt = objectStart + r * 60_000 + 1_000;
      const lines: string[] = [];
      for (let e = 0; e < 5; e++) {
        clock = receivedAt - 30_000 + e * 1_000;
        const event = generator.next();
        lines.push(JSON.stringify(event));
        const key = `${project}/${Math.floor(clock / 60_000) * 60_000}`;
        const minute = perMinute.get(key) ?? { requests: 0, input: 0, cost: 0 };
        minute.requests++;
        minute.input += event.input_tokens ?? 0;
        minute.cost += event.cost_cents ?? 0;
        perMinute.set(key, minute);
        byProject.set(project, (byProject.get(project) ?? 0) + 1);
        events++;
      }
      const header: StreamRecordHeader = {
        format: 'evalforge.batch/v1',
        project_id: project,
        key_id: '0123456789abcdef',
        received_at: new Date(receivedAt).toISOString(),
        request_id: `req-${o}-${r}`,
        request_key: createHash('sha256').update(`${o}/${r}`).digest('hex'),
        part: 0,
        events: lines.length,
      };
      records.push(`${encodeHeaderLine(header)}${lines.join('\n')}\n`);
    }
    // The resend: the first record again, arriving a little later.
    records.push(records[0] as string);
    objects.objects.set(archiveKeyAt(objectStart + 1_000, o), { bytes: archiveObjectBytes(records) });
  }
  return { archive: objects, truth: { perMinute, events, byProject } };
}

class MemoryCheckpoint implements ReplayCheckpoint {
  state: ReplayCheckpointState | undefined;
  async load() {
    return this.state;
  }
  async save(state: ReplayCheckpointState) {
    this.state = state;
  }
  async clear() {
    this.state = undefined;
  }
}

const RANGE = { fromMs: START, toMs: NOW + 60_000 };
const load = (batch: LoadBatch) => loadBatch(batch, { store, now: () => NOW }, { verifyEvents: true });
const deps = (archive: MemoryArchive, checkpoint: ReplayCheckpoint, loader = load) => ({
  archive,
  checkpoint,
  load: loader,
  now: Date.now,
  sleep: async () => undefined,
});

async function stored(): Promise<{ events: number; distinct: number; byProject: Map<string, number> }> {
  const [e] = await rows<{ n: number; d: number }>(
    client,
    'SELECT count() AS n, uniqExact(project_id, trace_id, span_id) AS d FROM events',
  );
  const projects = await rows<{ project_id: string; n: number }>(
    client,
    'SELECT project_id, count() AS n FROM events GROUP BY project_id',
  );
  return {
    events: e?.n ?? -1,
    distinct: e?.d ?? -1,
    byProject: new Map(projects.map((p) => [p.project_id, p.n])),
  };
}

/** The per-minute rollup as the query API reads it (sums of its SimpleAggregateFunction columns). */
async function rollup(): Promise<Map<string, { requests: number; input: number; cost: number }>> {
  const minutes = await rows<{
    project_id: string;
    minute: number;
    requests: number;
    input: number;
    cost: number;
  }>(
    client,
    `SELECT project_id, toUnixTimestamp(minute) * 1000 AS minute, sum(requests) AS requests,
            sum(input_tokens) AS input, sum(cost_cents) AS cost
     FROM events_minute GROUP BY project_id, minute ORDER BY project_id, minute`,
  );
  return new Map(
    minutes.map((m) => [
      `${m.project_id}/${m.minute}`,
      { requests: m.requests, input: m.input, cost: m.cost },
    ]),
  );
}

function expectRollupIsTruth(
  actual: Map<string, { requests: number; input: number; cost: number }>,
  truth: Truth,
) {
  expect([...actual.keys()].sort()).toEqual([...truth.perMinute.keys()].sort());
  for (const [key, want] of truth.perMinute) {
    const got = actual.get(key);
    expect(got?.requests, key).toBe(want.requests);
    expect(got?.input, key).toBe(want.input);
    expect(got?.cost, key).toBeCloseTo(want.cost, 6);
  }
}

describe('replay into the embedded engine', () => {
  beforeEach(emptyStore);

  it('restores every event into an empty store: the counts and the per-minute rollup equal the ground truth', async () => {
    const { archive, truth } = buildArchive();
    const outcome = await runReplay({ range: RANGE }, deps(archive, new MemoryCheckpoint()));
    expect(outcome.status).toBe('complete');
    expect(outcome.totals).toMatchObject({ objects: 6, records: 24, events: truth.events, deadLetters: 0 });
    // The resends' events are found stored, not loaded again.
    expect(outcome.totals.duplicateEvents).toBe(6 * 5);
    const after = await stored();
    expect(after.events).toBe(truth.events);
    expect(after.distinct).toBe(truth.events);
    expect(after.byProject).toEqual(truth.byProject);
    expectRollupIsTruth(await rollup(), truth);
  });

  it('adds nothing when replayed again, nor over stored data whose requests loaded_requests no longer holds', async () => {
    const { archive, truth } = buildArchive();
    await runReplay({ range: RANGE }, deps(archive, new MemoryCheckpoint()));
    const again = await runReplay({ range: RANGE }, deps(archive, new MemoryCheckpoint()));
    expect(again.totals.events).toBe(0);
    expect(again.totals.duplicateEvents).toBe(truth.events + 6 * 5);

    // loaded_requests keeps 8 days; older data has no request keys left there.
    await client.command({ query: 'TRUNCATE TABLE loaded_requests' });
    const third = await runReplay({ range: RANGE }, deps(archive, new MemoryCheckpoint()));
    expect(third.totals.events).toBe(0);
    expect((await stored()).events).toBe(truth.events);
    expectRollupIsTruth(await rollup(), truth);
  });

  it('finishes with exactly the right counts when stopped halfway and run again', async () => {
    const { archive, truth } = buildArchive();
    const checkpoint = new MemoryCheckpoint();
    const controller = new AbortController();
    let batches = 0;
    // Stopped in the middle of the third object, after one of its two batches.
    const stopping = async (batch: LoadBatch) => {
      const summary = await load(batch);
      if (++batches === 5) controller.abort();
      return summary;
    };
    const first = await runReplay(
      { range: RANGE, batchRecords: 2, signal: controller.signal },
      deps(archive, checkpoint, stopping),
    );
    expect(first.status).toBe('interrupted');
    expect(checkpoint.state?.done).toHaveLength(2);
    const partial = (await stored()).events;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(truth.events);

    const second = await runReplay({ range: RANGE, batchRecords: 2 }, deps(archive, checkpoint));
    expect(second.status).toBe('complete');
    // The third object is read again: its first batch's events are found stored.
    expect(second.totals.events).toBe(truth.events);
    const after = await stored();
    expect(after.events).toBe(truth.events);
    expect(after.distinct).toBe(truth.events);
    expectRollupIsTruth(await rollup(), truth);
    expect(checkpoint.state).toBeUndefined();
  });

  it("restores one project's events alone when asked", async () => {
    const { archive, truth } = buildArchive();
    const outcome = await runReplay(
      { range: { ...RANGE, project: 'proj-b' } },
      deps(archive, new MemoryCheckpoint()),
    );
    expect(outcome.totals.events).toBe(truth.byProject.get('proj-b'));
    expect((await stored()).byProject).toEqual(new Map([['proj-b', truth.byProject.get('proj-b')]]));
  });
});
