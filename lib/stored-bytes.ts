/**
 * What one event costs on ClickHouse's disks, measured: the figures `lib/capacity.ts` computes the
 * bytes per day on each volume from (its `clickHouse…BytesPerRow` assumptions). Data only;
 * `npm run bench -- storage` (bench/storage.ts) measures them on the real migrations, rows inserted
 * as the loader inserts them and merged to one part, and docs/benchmarks.md records the run.
 *
 * Every figure is bytes on disk after ClickHouse's compression (the columns' codecs), per stored row.
 */
export const MEASURED_STORED_BYTES = {
  /**
   * `prompt` and `response` of one `events` row (2,000 + 3,000 characters, ZSTD(6)), kept for
   * the tier's `retention.bodiesDays`. Measured on text whose words are drawn one by
   * one from the event generator's vocabulary (2.97:1, gzip 2.92:1, like prose), not on the
   * generator's own text: that is cut from one 1 MiB corpus, so ZSTD's blocks find the same
   * passages many times over and it stores in 1,141 bytes (4.40:1), a flattered figure.
   */
  bodiesBytesPerRow: 1_691,
  /** The generator's own text, for the record: not to size with (see `bodiesBytesPerRow`). */
  generatorBodiesBytesPerRow: 1_141,
  /** The `metadata` JSON column (six generator keys, ~93 bytes raw; 11.2:1). */
  metadataBytesPerRow: 8.31,
  /**
   * Every other column of `events`: ids, timestamps, model, tokens, latency, cost, status, user,
   * session, tags, request id (~183 bytes raw; 3.53:1). Kept for the rows' `hotDays + warmDays`.
   */
  restBytesPerRow: 51.7,
  /** The part's marks, primary key, trace-id bloom filter and checksums, beyond the columns. */
  marksAndIndexesBytesPerRow: 2,
  /**
   * One `events_minute` row (per project, minute and model, with a t-digest of latencies). Rows a
   * day: projects × models × 1,440, whatever the event rate once each pair has a call a minute.
   */
  minuteRollupBytesPerRow: 87.6,
  /** One `events_hour` row: projects × models × 24 a day; its digest merges 60 minutes'. */
  hourRollupBytesPerRow: 1_244,
  /**
   * Both rollups per source event at the run's traffic: 10 events/s over 7 projects and 6 models.
   * It falls as the rate rises (the rows a day stay put), so at a tier's ceiling compute the
   * rollups from the rows a day and the bytes per row above; this is an upper bound for them.
   */
  rollupBytesPerEvent: 7.72,
  /** The traffic `rollupBytesPerEvent` was measured at. */
  rollupMeasuredAt: { eventsPerSec: 10, projects: 7, models: 6 },
  /** Uncompressed ÷ stored, by group, for the record. */
  compressionRatio: { bodies: 2.97, generatorBodies: 4.4, metadata: 11.2, rest: 3.53 },
  measuredWith: 'npm run bench -- storage',
  date: '2026-12-02',
  /** `events` rows measured; the independent-text bodies on 21,800 of them. */
  events: 200_000,
  engine: 'ClickHouse 26.7.2.1 (chDB 3.4.0, embedded)',
} as const;
