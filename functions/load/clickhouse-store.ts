import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { type DeadLetter, type EventKey, eventId, type LoaderStore } from './core.js';

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

const SETTINGS_CLAUSE = Object.entries(INGEST_SETTINGS)
  .map(([name, value]) => `${name} = ${Number(value)}`)
  .join(', ');
const TOKEN = /^[0-9a-z:]{1,200}$/;

/** The loader's store over any `@clickhouse/client`: embedded chDB locally, a cluster in AWS. */
export class ClickHouseLoaderStore implements LoaderStore {
  constructor(private readonly client: ClickHouseClient) {}

  async loadedRequestKeys(keys: readonly string[]): Promise<Set<string>> {
    const result = await this.client.query({
      query: 'SELECT DISTINCT request_key FROM loaded_requests WHERE request_key IN {keys:Array(String)}',
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
      query: `SELECT DISTINCT trace_id, span_id, toUnixTimestamp(toStartOfMinute(timestamp)) AS minute FROM events
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

  insertEvents(ndjson: string, deduplicationToken: string): Promise<void> {
    return this.insert('events_ingest', ndjson, deduplicationToken, `${SETTINGS_CLAUSE}, `);
  }

  insertDeadLetters(letters: readonly DeadLetter[], deduplicationToken: string): Promise<void> {
    return this.insert(
      'load_dead_letters',
      letters.map((letter) => JSON.stringify(letter)).join('\n'),
      deduplicationToken,
    );
  }

  /**
   * One JSONEachRow insert, its settings and token in the statement itself: a server reads them
   * the same way, the embedded engine is spared a separate SET in front of a 10 MB insert, and it
   * keeps settings sent beside a query for the queries after it, where a token left behind would
   * drop later inserts as repeats.
   */
  private async insert(table: string, ndjson: string, token: string, settings = ''): Promise<void> {
    if (!TOKEN.test(token)) throw new Error(`deduplication token ${token} is not [0-9a-z:]`);
    const result = await this.client.exec({
      query: `INSERT INTO ${table} SETTINGS ${settings}insert_deduplication_token = '${token}' FORMAT JSONEachRow`,
      values: Readable.from([ndjson]),
    });
    // Drain the (empty) answer so the connection returns to the pool.
    for await (const _ of result.stream) {
    }
  }
}
