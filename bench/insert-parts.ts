import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../clickhouse/migrate.js';
import { createClickHouseClient, selectRows } from '../functions/shared/clickhouse/client.js';
import {
  INGEST_SETTINGS,
  insertSettings,
  type LoaderTarget,
} from '../functions/shared/load/clickhouse-store.js';
import { eventGenerator } from '../lib/workloads/event-generator.js';

/**
 * `npm run bench:parts [-- <seconds per rate, default 10>]`: what inserts at a given rate cost the embedded
 * engine in parts. For each rate (1, 5, 20, 60 inserts a second, the range of tiers 1–4 per node),
 * the loader's insert (`events_ingest`, its views below) runs that often for a few seconds, with
 * the statement of one node (synchronous) and of a shard (asynchronous inserts); then it reads
 * `system.parts` (chDB keeps no `system.part_log`): parts created a second per table (block
 * numbers taken), merges a second, and rows merges rewrote per row inserted so far.
 */

const RATES = [1, 5, 20, 60] as const;
const EVENTS_PER_INSERT = 25;
const TABLES = ['events', 'events_minute', 'events_hour', 'loaded_requests'] as const;

const generator = eventGenerator({ seed: 17 });
let request = 0;
function body(): string {
  const key = (++request).toString(16).padStart(64, '0');
  const now = new Date().toISOString();
  return Array.from({ length: EVENTS_PER_INSERT }, () => {
    const event = JSON.stringify(generator.next());
    return `{"_project_id":"proj-bench","_received_at":"${now}","_request_id":"r${request}","_request_key":"${key}",${event.slice(1)}`;
  }).join('\n');
}

async function insert(client: ClickHouseClient, target: LoaderTarget, ndjson: string, token: string) {
  const settings = Object.entries({ ...INGEST_SETTINGS, ...insertSettings(target) })
    .map(([name, value]) => `${name} = ${Number(value)}`)
    .join(', ');
  const result = await client.exec({
    // The plain tables: the embedded engine has no shard tables; the settings are a shard's.
    query: `INSERT INTO events_ingest SETTINGS ${settings}, insert_deduplication_token = '${token}' FORMAT JSONEachRow`,
    values: Readable.from([ndjson]),
  });
  for await (const _ of result.stream) {
  }
}

interface PartsRow {
  table: string;
  blocks: number;
  merged: number;
  mergedRows: number;
  activeRows: number;
  activeParts: number;
}

async function partsNow(client: ClickHouseClient): Promise<Map<string, PartsRow>> {
  const found = await selectRows<PartsRow>(
    client,
    `SELECT table, max(max_block_number) AS blocks, countIf(level > 0) AS merged, sumIf(rows, level > 0) AS mergedRows,
            sumIf(rows, active = 1) AS activeRows, countIf(active = 1) AS activeParts
     FROM system.parts WHERE database = currentDatabase() AND table IN {tables:Array(String)} GROUP BY table`,
    { tables: [...TABLES] },
  );
  return new Map(found.map((r) => [r.table, r]));
}

export interface PartsResult {
  readonly mode: string;
  readonly targetPerSec: number;
  readonly achievedPerSec: number;
  readonly partsPerSecPerTable: number;
  readonly mergesPerSec: number;
  readonly mergedRowsPerInsertedRow: number;
  readonly activeParts: number;
}

async function runRate(
  client: ClickHouseClient,
  target: LoaderTarget,
  mode: string,
  rate: number,
  seconds: number,
): Promise<PartsResult> {
  // Block numbers go on across TRUNCATE: read them first.
  const before = await partsNow(client);
  for (const table of TABLES) await client.command({ query: `TRUNCATE TABLE ${table}` });
  const bodies = Array.from({ length: Math.ceil(rate * seconds) }, body);
  const started = performance.now();
  for (const [i, ndjson] of bodies.entries()) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await insert(client, target, ndjson, `bench:${mode}:${rate}:${i}:${request}`);
  }
  const elapsed = Math.max((performance.now() - started) / 1000, seconds);
  // Give merges the same moment after every rate.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = await partsNow(client);
  const events = after.get('events');
  const blocks = (events?.blocks ?? 0) - (before.get('events')?.blocks ?? 0);
  return {
    mode,
    targetPerSec: rate,
    achievedPerSec: bodies.length / elapsed,
    partsPerSecPerTable: blocks / elapsed,
    mergesPerSec: (events?.merged ?? 0) / elapsed,
    mergedRowsPerInsertedRow: (events?.mergedRows ?? 0) / Math.max(1, bodies.length * EVENTS_PER_INSERT),
    activeParts: events?.activeParts ?? 0,
  };
}

async function main() {
  const seconds = Number(process.argv[2] ?? 10);
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-parts-'));
  const client = await createClickHouseClient({ kind: 'embedded', path: join(dir, 'db') });
  try {
    await migrate(client, { kind: 'single' });
    const [version] = await selectRows<{ v: string }>(client, 'SELECT version() AS v');
    console.log(
      `embedded ClickHouse ${version?.v}, ${cpus().length} cores, ${EVENTS_PER_INSERT} events (~5.7 KB each) an insert, ${seconds} s a rate`,
    );
    const results: PartsResult[] = [];
    for (const [mode, target] of [
      ['synchronous (one node)', { kind: 'node' }],
      ['asynchronous (a shard)', { kind: 'shard', replicas: 1 }],
    ] as const) {
      for (const rate of RATES) {
        const result = await runRate(client, target, mode, rate, seconds);
        results.push(result);
      }
    }
    console.log('');
    console.log(
      '| inserts | target /s | achieved /s | parts created /s per table | merges /s (events) | rows merged per row inserted | active parts (events) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(
        `| ${r.mode} | ${r.targetPerSec} | ${r.achievedPerSec.toFixed(1)} | ${r.partsPerSecPerTable.toFixed(1)} | ${r.mergesPerSec.toFixed(2)} | ${r.mergedRowsPerInsertedRow.toFixed(2)} | ${r.activeParts} |`,
      );
    }
  } finally {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
