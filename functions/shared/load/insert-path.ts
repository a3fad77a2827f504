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

/**
 * The zlib level of the loader's gzip insert bodies. Level 1 costs ~88 µs of CPU per 5.7 KB event
 * where zlib's default 6 costs ~256 µs, and sends ~2,080 bytes where 6 sends ~1,820 (2.7:1 against
 * 3.1:1). At Lambda's arm64 price the ~170 µs saved is worth ~$0.0039 per million events; the ~270
 * bytes more cost at most ~$0.0036 per million across zones (2/3 of inserts cross, $0.02 per GB),
 * nothing within one. No compression would save ~$0.0020 more CPU but send ~3,600 bytes more an
 * event, ~$0.048 per million across zones (docs/benchmarks.md, "Loader").
 */
export const LOADER_REQUEST_GZIP_LEVEL = 1;
