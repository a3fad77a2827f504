import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { renderMigration, type Topology } from '../../../clickhouse/migrate.js';
import { type DeadLetter, type EventKey, eventId, type LoaderStore } from './core.js';
import { ASYNC_INSERT_FLUSH } from './insert-path.js';

export { ASYNC_INSERT_FLUSH };

/**
 * How `events_ingest` reads the lines the validator forwards. A timestamp in epoch milliseconds
 * reads into its String column as its digits. The `metadata` JSON column keeps each value's JSON
 * type: no date or date-time is guessed from a string (`"2026-01-01"` stays a string), and no
 * boolean becomes a number or a string inside a mixed array (`[true, "x"]` stays as sent). Objects
 * and arrays read into String columns as their JSON text, for records written before the validator
 * forwarded non-text prompts as text.
 */
export const INGEST_SETTINGS: ClickHouseSettings = {
  input_format_json_read_objects_as_strings: 1,
  input_format_json_read_arrays_as_strings: 1,
  input_format_json_read_numbers_as_strings: 1,
  input_format_json_read_bools_as_strings: 0,
  input_format_json_read_bools_as_numbers: 0,
  input_format_try_infer_dates: 0,
  input_format_try_infer_datetimes: 0,
  type_json_skip_duplicated_paths: 0,
  input_format_skip_unknown_fields: 0,
  // Views fed by a deduplicated block are deduplicated too: the rollups count a batch once.
  deduplicate_blocks_in_dependent_materialized_views: 1,
};

/**
 * Where the store writes and reads:
 * - `node`: one ClickHouse with the plain tables (the embedded engine of `npm start` and the tests,
 *   or a cluster reached through its Distributed tables when no shard URLs are given).
 * - `shard`: one node of the shard that owns the rows, with the shard's local tables
 *   (`events_ingest_local`…), `replicas` replicas in the shard.
 */
export type LoaderTarget = { readonly kind: 'node' } | { readonly kind: 'shard'; readonly replicas: number };

/** A table's name on a target, as clickhouse/migrate.ts renders it (`x` on one node, `x_local` on a shard). */
export function tableOn(target: LoaderTarget, name: string): string {
  // Any cluster name renders the same local table; only the migration renderer knows the convention.
  const topology: Topology = target.kind === 'shard' ? { kind: 'cluster', cluster: 'c' } : { kind: 'single' };
  const [statement] = renderMigration(`SELECT 1 FROM {{table ${name}}}`, topology);
  return statement?.slice('SELECT 1 FROM '.length) ?? name;
}

/**
 * The settings of the loader's inserts on a target, beside the token:
 * - on a shard, asynchronous inserts: the node gathers the loader's concurrent inserts into one
 *   part per table a second (`ASYNC_INSERT_FLUSH`), and the loader still waits until its rows are
 *   in a part (`wait_for_async_insert`), so an acknowledged batch is stored. Deduplication is kept:
 *   each insert's token is checked on its own inside the flush (`async_insert_deduplicate`), and
 *   the views below `events_ingest` deduplicate with it (allowed with asynchronous inserts since
 *   ClickHouse 24.x when `throw_if_deduplication_in_dependent_materialized_views_enabled_with_async_insert`
 *   is 0, its default from 25.x).
 * - on a replicated shard, `insert_quorum` = every replica: an insert is acknowledged only once
 *   every replica has its part, so whichever replica answers the dedup reads next has it.
 *   `insert_quorum_parallel` stays 1: ClickHouse refuses asynchronous inserts with a sequential
 *   quorum.
 * - on one node, plain synchronous inserts, as before.
 */
export function insertSettings(target: LoaderTarget): Readonly<Record<string, number>> {
  if (target.kind === 'node') return {};
  return {
    async_insert: 1,
    wait_for_async_insert: 1,
    async_insert_deduplicate: 1,
    throw_if_deduplication_in_dependent_materialized_views_enabled_with_async_insert: 0,
    async_insert_use_adaptive_busy_timeout: 0,
    async_insert_busy_timeout_max_ms: ASYNC_INSERT_FLUSH.intervalMs,
    async_insert_max_data_size: ASYNC_INSERT_FLUSH.maxBytes,
    async_insert_max_query_number: ASYNC_INSERT_FLUSH.maxQueries,
    ...(target.replicas > 1 ? { insert_quorum: target.replicas, insert_quorum_parallel: 1 } : {}),
  };
}

const clause = (settings: Readonly<Record<string, unknown>>) =>
  Object.entries(settings)
    .map(([name, value]) => `${name} = ${Number(value)}, `)
    .join('');
const TOKEN = /^[0-9a-z:]{1,200}$/;

/**
 * The loader's store over any `@clickhouse/client`: embedded chDB locally, a cluster in AWS (one
 * store per shard, on a node of that shard, when the loader routes rows itself).
 */
export class ClickHouseLoaderStore implements LoaderStore {
  private readonly tables: {
    readonly ingest: string;
    readonly deadLetters: string;
    readonly loaded: string;
    readonly events: string;
  };
  /** The target's insert settings, as a SETTINGS clause's start. */
  private readonly settings: string;
  /** The same with the ingest table's input format settings in front. */
  private readonly ingestSettings: string;

  constructor(
    private readonly client: ClickHouseClient,
    readonly target: LoaderTarget = { kind: 'node' },
  ) {
    this.tables = {
      ingest: tableOn(target, 'events_ingest'),
      deadLetters: tableOn(target, 'load_dead_letters'),
      loaded: tableOn(target, 'loaded_requests'),
      events: tableOn(target, 'events'),
    };
    this.settings = clause(insertSettings(target));
    this.ingestSettings = `${clause(INGEST_SETTINGS)}${this.settings}`;
  }

  async loadedRequestKeys(keys: readonly string[]): Promise<Set<string>> {
    const result = await this.client.query({
      query: `SELECT DISTINCT request_key FROM ${this.tables.loaded} WHERE request_key IN {keys:Array(String)}`,
      query_params: { keys },
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ request_key: string }>()).map((r) => r.request_key));
  }

  async storedEvents(projectId: string, events: readonly EventKey[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // The sort key (project, minute, trace_id, span_id) narrows the read to the events' minutes.
    const minutes = [...new Set(events.map((e) => Math.floor(e.timestampMs / 60_000) * 60))];
    const result = await this.client.query({
      query: `SELECT DISTINCT trace_id, span_id, toUnixTimestamp(toStartOfMinute(timestamp)) AS minute FROM ${this.tables.events}
              WHERE project_id = {project:String}
                AND timestamp >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
                AND timestamp < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                AND toStartOfMinute(timestamp) IN (SELECT arrayJoin(arrayMap(s -> toDateTime(s, 'UTC'), {minutes:Array(UInt32)})))
                AND trace_id IN {traces:Array(String)}
                AND span_id IN {spans:Array(String)}`,
      query_params: {
        project: projectId,
        from: Math.min(...minutes) * 1000,
        to: (Math.max(...minutes) + 60) * 1000,
        minutes,
        traces: [...new Set(events.map((e) => e.trace_id))],
        spans: [...new Set(events.map((e) => e.span_id))],
      },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ trace_id: string; span_id: string; minute: number }>();
    return new Set(
      rows.map((r) =>
        eventId({ trace_id: r.trace_id, span_id: r.span_id, timestampMs: Number(r.minute) * 1000 }),
      ),
    );
  }

  async markRequests(
    requests: readonly { project_id: string; request_key: string }[],
    deduplicationToken: string,
  ): Promise<void> {
    if (requests.length === 0) return;
    const loadedAt = Math.floor(Date.now() / 1000);
    await this.insert(
      insertStatement(this.tables.loaded, deduplicationToken, this.settings),
      requests.map((r) => JSON.stringify({ ...r, loaded_at: loadedAt })).join('\n'),
    );
  }

  async insertEvents(ndjson: string, deduplicationToken: string): Promise<void> {
    await this.insert(this.insertEventsStatement(deduplicationToken), ndjson);
  }

  /**
   * The statement `insertEvents` sends in front of its rows, for a token: what the benchmark
   * gives the engine itself to measure the loader against the same insert.
   */
  insertEventsStatement(deduplicationToken: string): string {
    return insertStatement(this.tables.ingest, deduplicationToken, this.ingestSettings);
  }

  async insertDeadLetters(letters: readonly DeadLetter[], deduplicationToken: string): Promise<void> {
    await this.insert(
      insertStatement(this.tables.deadLetters, deduplicationToken, this.settings),
      letters.map((letter) => JSON.stringify(letter)).join('\n'),
    );
  }

  /** One JSONEachRow insert of `ndjson` after `statement` (insertStatement). */
  private async insert(statement: string, ndjson: string): Promise<void> {
    const result = await this.client.exec({ query: statement, values: Readable.from([ndjson]) });
    // Drain the (empty) answer so the connection returns to the pool.
    for await (const _ of result.stream) {
    }
  }
}

/**
 * One JSONEachRow insert's statement, its settings and token in the statement itself: a server
 * reads them the same way, the embedded engine is spared a separate SET in front of a 10 MB
 * insert, and it keeps settings sent beside a query for the queries after it, where a token left
 * behind would drop later inserts as repeats.
 */
function insertStatement(table: string, token: string, settings: string): string {
  if (!TOKEN.test(token)) throw new Error(`deduplication token ${token} is not [0-9a-z:]`);
  return `INSERT INTO ${table} SETTINGS ${settings}insert_deduplication_token = '${token}' FORMAT JSONEachRow`;
}
