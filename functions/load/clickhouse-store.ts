import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { DeadLetter, LoaderStore } from './core.js';

/**
 * How `events_ingest` reads client JSON: a prompt given as chat messages (an array or object) is
 * kept as its JSON text, and numbers or booleans read into String columns as their text.
 */
export const INGEST_SETTINGS: ClickHouseSettings = {
  input_format_json_read_objects_as_strings: 1,
  input_format_json_read_arrays_as_strings: 1,
  input_format_json_read_numbers_as_strings: 1,
  input_format_json_read_bools_as_strings: 1,
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

  async insertEvents(ndjson: string, deduplicationToken: string): Promise<void> {
    if (!TOKEN.test(deduplicationToken))
      throw new Error(`deduplication token ${deduplicationToken} is not [0-9a-z:]`);
    // Settings ride in the statement itself: a server reads them the same way, and the embedded
    // engine is spared a separate SET statement in front of a 10 MB insert.
    const result = await this.client.exec({
      query: `INSERT INTO events_ingest SETTINGS ${SETTINGS_CLAUSE}, insert_deduplication_token = '${deduplicationToken}' FORMAT JSONEachRow`,
      values: Readable.from([ndjson]),
    });
    // Drain the (empty) answer so the connection returns to the pool.
    for await (const _ of result.stream) {
    }
  }

  async insertDeadLetters(letters: readonly DeadLetter[], deduplicationToken: string): Promise<void> {
    await this.client.insert({
      table: 'load_dead_letters',
      values: [...letters],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: deduplicationToken },
    });
  }
}
