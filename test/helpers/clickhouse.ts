import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../../clickhouse/migrate.js';
import { createClickHouseClient, selectRows } from '../../functions/shared/clickhouse/client.js';
import { ClickHouseLoaderStore } from '../../functions/shared/load/clickhouse-store.js';

/**
 * The real engine, in this test file's process, on a data directory of its own: chDB allows one
 * directory per process, and vitest runs each test file in a process of its own.
 */
export async function embeddedClickHouse(): Promise<{ client: ClickHouseClient; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'evalforge-ch-'));
  const client = await createClickHouseClient({ kind: 'embedded', path: join(dir, 'db') });
  await migrate(client, { kind: 'single' });
  return {
    client,
    close: async () => {
      await client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of a query, with 64-bit integers as numbers. */
export const rows = selectRows;

/** The engine on an existing data directory (one another process has finished with); left in place on close. */
export async function embeddedClickHouseAt(
  path: string,
): Promise<{ client: ClickHouseClient; close(): Promise<void> }> {
  const client = await createClickHouseClient({ kind: 'embedded', path });
  return { client, close: () => client.close() };
}

/**
 * Inserts rows into `events_ingest` the way the loader does, through its store (the same
 * settings and statement): each row a client event plus its record header's `_` fields.
 */
export async function insertIngestRows(client: ClickHouseClient, rows: readonly object[]): Promise<void> {
  const text = rows.map((row) => JSON.stringify(row)).join('\n');
  await new ClickHouseLoaderStore(client).insertEvents(text, `test:${randomUUID().replaceAll('-', '')}`);
}

/** A row of `load_dead_letters`, as the loader writes it. */
export interface DeadLetterInsert {
  /** ISO-8601 UTC, or the engine's `YYYY-MM-DD hh:mm:ss.sss`. */
  readonly failed_at: string;
  /** '' for a record whose header was unreadable. */
  readonly project_id: string;
  readonly source?: string;
  readonly request_id?: string;
  readonly reason?: string;
  readonly engine_code?: number;
  readonly line?: string;
  readonly data_base64?: string;
}

/**
 * Inserts rows straight into `load_dead_letters`; the fields left out get a loader-like value.
 * The insert carries a deduplication token of its own: the embedded engine keeps a query's
 * settings for the queries after it, so without one it would carry the loader's last token and
 * be dropped as a repeat of the loader's insert.
 */
export async function insertDeadLetters(
  client: ClickHouseClient,
  letters: readonly DeadLetterInsert[],
): Promise<void> {
  await client.insert({
    table: 'load_dead_letters',
    values: letters.map((letter) => ({
      source: 'arn:aws:kinesis:eu-west-1:111111111111:stream/evalforge-events/shardId-000000000000:1',
      request_id: '',
      reason: '',
      engine_code: 0,
      line: '',
      data_base64: '',
      ...letter,
      failed_at: letter.failed_at.replace('T', ' ').replace('Z', ''),
    })),
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: `test:${randomUUID()}` },
  });
}
