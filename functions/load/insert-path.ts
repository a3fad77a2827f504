/**
 * How a shard node gathers the loader's asynchronous inserts (`async_insert`): it flushes its
 * buffer for a table every `intervalMs`, or earlier once it holds `maxBytes` or `maxQueries`
 * inserts. Each flush is one part per table, so a node makes about one part a second per table
 * whatever the loader's insert rate, as long as a second's inserts stay under both thresholds
 * (lib/capacity.ts checks them for every tier at its ceiling × 1.25).
 */
export const ASYNC_INSERT_FLUSH = {
  intervalMs: 1_000,
  maxBytes: 512 * 1024 * 1024,
  /** ClickHouse's default `async_insert_max_query_number`. */
  maxQueries: 450,
} as const;
