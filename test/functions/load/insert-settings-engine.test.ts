import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  INGEST_SETTINGS,
  insertSettings,
  type LoaderTarget,
} from '../../../functions/shared/load/clickhouse-store.js';
import { eventGenerator } from '../../../lib/workloads/event-generator.js';
import { embeddedClickHouse, rows } from '../../helpers/clickhouse.js';

let engine: { client: ClickHouseClient; close(): Promise<void> };
beforeAll(async () => {
  engine = await embeddedClickHouse();
});
afterAll(() => engine.close());
beforeEach(async () => {
  for (const table of ['events', 'events_minute', 'loaded_requests']) {
    await engine.client.command({ query: `TRUNCATE TABLE ${table}` });
  }
});

const NOW = Math.floor(Date.now() / 1000) * 1000;
const generator = eventGenerator({ seed: 5, now: () => NOW - 30_000 });
const body = (n: number) =>
  Array.from({ length: n }, () => {
    const event = JSON.stringify(generator.next());
    return `{"_project_id":"proj-a","_received_at":"${new Date(NOW).toISOString()}","_request_id":"r","_request_key":"${'e'.repeat(64)}",${event.slice(1)}`;
  }).join('\n');

/** The statement a shard store sends, on the embedded engine's plain tables. */
async function insertAs(target: LoaderTarget, ndjson: string, token: string) {
  const settings = Object.entries({ ...INGEST_SETTINGS, ...insertSettings(target) })
    .map(([name, value]) => `${name} = ${Number(value)}`)
    .join(', ');
  const result = await engine.client.exec({
    query: `INSERT INTO events_ingest SETTINGS ${settings}, insert_deduplication_token = '${token}' FORMAT JSONEachRow`,
    values: Readable.from([ndjson]),
  });
  for await (const _ of result.stream) {
  }
}

async function stored() {
  const [e] = await rows<{ n: number }>(engine.client, 'SELECT count() AS n FROM events');
  const [m] = await rows<{ n: number }>(engine.client, 'SELECT sum(requests) AS n FROM events_minute');
  const [l] = await rows<{ n: number }>(engine.client, 'SELECT count() AS n FROM loaded_requests');
  return { events: e?.n, rollup: m?.n, loadedRequests: l?.n };
}

describe("a shard's insert settings on ClickHouse 26.7", () => {
  it.each<[string, LoaderTarget]>([
    ['one replica (asynchronous inserts)', { kind: 'shard', replicas: 1 }],
    ['two replicas (asynchronous inserts, insert_quorum 2)', { kind: 'shard', replicas: 2 }],
  ])(
    'are accepted, and an insert retried with its token after a lost answer is stored once, rollups included: %s',
    async (_, target) => {
      const ndjson = body(40);
      await insertAs(target, ndjson, 'shard:first');
      // The answer was lost (a client timeout): the loader sends the same lines with the same token.
      await insertAs(target, ndjson, 'shard:first');
      expect(await stored()).toEqual({ events: 40, rollup: 40, loadedRequests: 1 });
      // Other lines under another token still load.
      await insertAs(target, body(5), 'shard:second');
      expect(await stored()).toMatchObject({ events: 45, rollup: 45 });
    },
  );
});
