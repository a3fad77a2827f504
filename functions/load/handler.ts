import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ClickHouseClient } from '@clickhouse/client';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { applyHeapTuning } from '../shared/heap-tuning.js';
import { ClickHouseLoaderStore } from '../shared/load/clickhouse-store.js';
import { type LoadBatch, type LoadSummary, loadBatch, type ShardedStore } from '../shared/load/core.js';
import { LOADER_METRICS as M, METRIC_SERVICES } from '../shared/metrics-catalog.js';
import { observability } from '../shared/observability.js';
import { clickHouse, shardedStore } from './deps.js';

// Before the first batch: the collector's settings for batch-sized garbage (see heap-tuning.ts).
applyHeapTuning();

const { logger, metrics } = observability(METRIC_SERVICES.loader);

/**
 * How long the oldest of `event`'s records waited between reaching the stream (its approximate
 * arrival time, seconds since the epoch) and `now` (milliseconds); undefined for no records.
 */
export function loadLagMs(event: KinesisStreamEvent, now: number): number | undefined {
  let oldest = Number.POSITIVE_INFINITY;
  for (const record of event.Records) {
    oldest = Math.min(oldest, record.kinesis.approximateArrivalTimestamp * 1000);
  }
  return Number.isFinite(oldest) ? Math.max(0, Math.round(now - oldest)) : undefined;
}

/** Each metric of an invocation's set: its name, its unit and what it sums over the batches. */
const SUMMED: readonly (readonly [
  string,
  (typeof MetricUnit)[keyof typeof MetricUnit],
  (summary: LoadSummary) => number,
])[] = [
  [M.recordsLoaded, MetricUnit.Count, (s) => s.records - s.duplicateRecords - s.deadRecords],
  [M.eventsLoaded, MetricUnit.Count, (s) => s.events],
  [M.duplicateRecords, MetricUnit.Count, (s) => s.duplicateRecords],
  [M.duplicateEvents, MetricUnit.Count, (s) => s.duplicateEvents],
  [M.deadLetters, MetricUnit.Count, (s) => s.deadLetters],
  [M.bytesLoaded, MetricUnit.Bytes, (s) => s.bytes],
];

/** One set of metrics per invocation, whatever its number of batches and records. */
function record(summaries: readonly LoadSummary[], lagMs: number | undefined): void {
  for (const [name, unit, pick] of SUMMED) {
    metrics.addMetric(
      name,
      unit,
      summaries.reduce((total, summary) => total + pick(summary), 0),
    );
  }
  if (lagMs !== undefined) metrics.addMetric(M.loadLag, MetricUnit.Milliseconds, lagMs);
}

/** The event source's records, grouped by shard: a shard's sequence numbers name its batch. */
export function toBatches(event: KinesisStreamEvent): LoadBatch[] {
  const batches = new Map<string, LoadBatch & { records: LoadBatch['records'][number][] }>();
  for (const record of event.Records) {
    const shard = record.eventID.split(':')[0] ?? 'unknown-shard';
    const source = `${record.eventSourceARN}/${shard}`;
    const batch = batches.get(source) ?? { source, records: [] };
    batch.records.push({
      data: Buffer.from(record.kinesis.data, 'base64'),
      sequenceNumber: record.kinesis.sequenceNumber,
    });
    batches.set(source, batch);
  }
  return [...batches.values()];
}

/**
 * Kinesis → ClickHouse. When the engine cannot take inserts the invocation throws, so the event
 * source retries the batch (bisecting it) and nothing unloaded is acknowledged; events the engine
 * refuses for their data, and records that cannot be read, go to the dead-letter table inside
 * `loadBatch` and are acknowledged, so no data stalls a shard. `client` is the Lambda's cluster
 * client, or the embedded engine when `npm start` drives this same handler; `onSummary` lets it
 * count what each batch did. `shards`, when it gives stores, routes each project's rows to the
 * shard that owns it instead (a cluster's `CLICKHOUSE_SHARD_URLS`).
 */
export function createLoaderHandler(
  client: () => Promise<ClickHouseClient>,
  options: {
    readonly onSummary?: (summary: LoadSummary) => void;
    readonly shards?: () => Promise<ShardedStore | undefined>;
  } = {},
) {
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const store = (await options.shards?.()) ?? new ClickHouseLoaderStore(await client());
      const summaries: LoadSummary[] = [];
      let lagMs: number | undefined;
      try {
        for (const batch of toBatches(event)) {
          const summary = await loadBatch(batch, { store, now: Date.now });
          options.onSummary?.(summary);
          summaries.push(summary);
          if (summary.deadLetters > 0)
            logger.error('events or records written to load_dead_letters', { source: batch.source, summary });
        }
        // Measured once everything is loaded: the lag runs until the events can be queried.
        lagMs = loadLagMs(event, Date.now());
      } finally {
        // Batches loaded before a failure are counted; the retry counts them again as duplicates.
        record(summaries, lagMs);
      }
      return { batchItemFailures: [] };
    });
}

export const handler = createLoaderHandler(clickHouse, { shards: shardedStore });
