import { gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import {
  encodeHeaderLine,
  type StreamRecordHeader,
} from '../../../functions/shared/contract/stream-record.js';
import {
  ASYNC_INSERT_FLUSH,
  ClickHouseLoaderStore,
  insertSettings,
  type LoaderTarget,
  tableOn,
} from '../../../functions/shared/load/clickhouse-store.js';
import {
  type DeadLetter,
  type EventKey,
  eventId,
  type LoadBatch,
  type LoaderStore,
  loadBatch,
} from '../../../functions/shared/load/core.js';
import { shardOf } from '../../../functions/shared/load/shard-routing.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const generator = eventGenerator({ seed: 11, now: () => NOW - 30_000 });
let seq = 0;

/** One shard's tables, in memory: what its node stores and answers. */
class ShardFake implements LoaderStore {
  readonly rows: { project: string; requestKey: string; key: string }[] = [];
  readonly tokens = new Set<string>();
  readonly letters: DeadLetter[] = [];
  readonly reads: string[] = [];
  /** `loaded_requests`: the requests the loader marked before inserting their events. */
  readonly marked = new Set<string>();
  async loadedRequestKeys(keys: readonly string[]) {
    this.reads.push(...keys);
    return new Set(keys.filter((k) => this.marked.has(k)));
  }
  async markRequests(requests: readonly { project_id: string; request_key: string }[]) {
    for (const r of requests) this.marked.add(r.request_key);
  }
  async storedEvents(projectId: string, events: readonly EventKey[]) {
    const ids = new Set(events.map(eventId));
    return new Set(this.rows.filter((r) => r.project === projectId && ids.has(r.key)).map((r) => r.key));
  }
  async insertEvents(ndjson: string, token: string) {
    if (this.tokens.has(token)) return; // the engine's deduplication
    this.tokens.add(token);
    for (const line of ndjson.split('\n')) {
      const row = JSON.parse(line);
      const key = eventId({
        trace_id: row.trace_id,
        span_id: row.span_id,
        timestampMs: Date.parse(row.timestamp),
      });
      this.rows.push({ project: row._project_id, requestKey: row._request_key, key });
    }
  }
  async insertDeadLetters(letters: readonly DeadLetter[]) {
    this.letters.push(...letters);
  }
}

function shardedFakes(n: number): { shards: ShardFake[]; shardOf(projectId: string): number } {
  return { shards: Array.from({ length: n }, () => new ShardFake()), shardOf: (p) => shardOf(p, n) };
}

function record(project: string, events: number, requestKey?: string) {
  const lines = Array.from({ length: events }, () => {
    const e = generator.next();
    return JSON.stringify({ ...e, timestamp: new Date(NOW - 30_000).toISOString() });
  });
  const header: StreamRecordHeader = {
    format: 'evalforge.batch/v1',
    project_id: project,
    key_id: '0123456789abcdef',
    received_at: new Date(NOW).toISOString(),
    request_id: `req-${++seq}`,
    request_key: requestKey ?? (seq * 7919).toString(16).padStart(64, '0'),
    part: 0,
    events,
  };
  return { data: gzipSync(encodeHeaderLine(header) + lines.join('\n')), sequenceNumber: String(++seq) };
}
const batch = (...records: { data: Buffer; sequenceNumber: string }[]): LoadBatch => ({
  source: 'arn:aws:kinesis:us-east-1:111111111111:stream/evalforge-events/shardId-000000000000',
  records,
});
const projects = Array.from({ length: 24 }, (_, i) => `proj-${i}`);

describe('loadBatch over shards', () => {
  it.each([1, 3, 6])(
    "puts every project's rows on the shard cityHash64(project_id) %% %i names, one insert per shard",
    async (n) => {
      const store = shardedFakes(n);
      const summary = await loadBatch(batch(...projects.map((p) => record(p, 3))), { store, now: () => NOW });
      expect(summary.events).toBe(projects.length * 3);
      for (const [index, shard] of store.shards.entries()) {
        for (const row of shard.rows) expect(shardOf(row.project, n)).toBe(index);
        expect(shard.tokens.size).toBe(shard.rows.length > 0 ? 1 : 0);
      }
      expect(store.shards.flatMap((s) => s.rows.map((r) => r.project)).sort()).toEqual(
        projects.flatMap((p) => [p, p, p]).sort(),
      );
    },
  );

  it("asks a request's own shard whether it was loaded, so a resend on another batch is skipped there", async () => {
    const store = shardedFakes(6);
    const first = record('proj-7', 4, 'a'.repeat(64));
    await loadBatch(batch(first), { store, now: () => NOW });
    const again = await loadBatch(batch({ ...first, sequenceNumber: String(++seq) }), {
      store,
      now: () => NOW,
    });
    expect(again).toMatchObject({ events: 0, duplicateEvents: 4, duplicateRecords: 1 });
    const owner = store.shards[shardOf('proj-7', 6)] as ShardFake;
    expect(owner.reads).toContain('a'.repeat(64));
    for (const shard of store.shards) if (shard !== owner) expect(shard.reads).toEqual([]);
  });

  it('fails the batch when one shard cannot take its insert, and the retry loads only what is missing', async () => {
    const store = shardedFakes(3);
    const down = store.shards[shardOf('proj-1', 3)] as ShardFake;
    const insert = down.insertEvents.bind(down);
    down.insertEvents = async () => {
      throw Object.assign(new Error('Timeout'), { code: '159' });
    };
    const b = batch(...projects.map((p) => record(p, 2)));
    await expect(loadBatch(b, { store, now: () => NOW })).rejects.toThrow(/Timeout/);
    down.insertEvents = insert;
    const retry = await loadBatch(b, { store, now: () => NOW });
    expect(store.shards.reduce((n, s) => n + s.rows.length, 0)).toBe(projects.length * 2);
    expect(retry.events).toBe(down.rows.length);
  });
});

/** A client that records the statements it is sent. */
function recordingClient() {
  const statements: string[] = [];
  const client = {
    exec: async ({ query }: { query: string }) => {
      statements.push(query);
      return { stream: (async function* () {})() };
    },
    query: async ({ query }: { query: string }) => {
      statements.push(query);
      return { json: async () => [] };
    },
  } as unknown as ClickHouseClient;
  return { client, statements };
}

describe('ClickHouseLoaderStore on a target', () => {
  it.each<[LoaderTarget, string[]]>([
    [{ kind: 'node' }, ['events_ingest', 'load_dead_letters', 'loaded_requests', 'events']],
    [
      { kind: 'shard', replicas: 2 },
      ['events_ingest_local', 'load_dead_letters_local', 'loaded_requests_local', 'events_local'],
    ],
  ])('names the tables clickhouse/migrate.ts renders for %o', (target, names) => {
    expect(
      ['events_ingest', 'load_dead_letters', 'loaded_requests', 'events'].map((t) => tableOn(target, t)),
    ).toEqual(names);
  });

  it('inserts synchronously, with no quorum, on one node', async () => {
    const { client, statements } = recordingClient();
    const store = new ClickHouseLoaderStore(client);
    await store.insertEvents('{}', 'tok');
    await store.loadedRequestKeys(['k']);
    expect(statements[0]).toMatch(/^INSERT INTO events_ingest SETTINGS /);
    expect(statements[0]).not.toMatch(/async_insert|insert_quorum/);
    expect(statements[0]).toMatch(/insert_deduplication_token = 'tok'/);
    expect(statements[1]).toMatch(/FROM loaded_requests WHERE/);
  });

  it('inserts asynchronously into the local tables of a one-replica shard, deduplication kept, no quorum', async () => {
    const { client, statements } = recordingClient();
    const store = new ClickHouseLoaderStore(client, { kind: 'shard', replicas: 1 });
    await store.insertEvents('{}', 'tok');
    await store.insertDeadLetters([], 'dead:tok');
    await store.storedEvents('p', [{ trace_id: 't', span_id: 's', timestampMs: NOW }]);
    expect(statements[0]).toMatch(/^INSERT INTO events_ingest_local SETTINGS /);
    expect(statements[0]).toMatch(
      /async_insert = 1, wait_for_async_insert = 1, async_insert_deduplicate = 1/,
    );
    expect(statements[0]).toMatch(/deduplicate_blocks_in_dependent_materialized_views = 1/);
    expect(statements[0]).toContain(`async_insert_busy_timeout_max_ms = ${ASYNC_INSERT_FLUSH.intervalMs}`);
    expect(statements[0]).not.toMatch(/insert_quorum/);
    expect(statements[1]).toMatch(/^INSERT INTO load_dead_letters_local SETTINGS async_insert = 1/);
    expect(statements[2]).toMatch(/FROM events_local/);
  });

  it('waits for every replica of a replicated shard (insert_quorum = replicas) before an insert is acknowledged', () => {
    expect(insertSettings({ kind: 'shard', replicas: 2 })).toMatchObject({
      insert_quorum: 2,
      insert_quorum_parallel: 1,
    });
    expect(insertSettings({ kind: 'shard', replicas: 3 })).toMatchObject({ insert_quorum: 3 });
    expect(insertSettings({ kind: 'node' })).toEqual({});
  });
});
