import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { ClickHouseClient } from '@clickhouse/client';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { observability } from '../shared/observability.js';
import { ClickHouseLoaderStore } from './clickhouse-store.js';
import { type LoadBatch, type LoadSummary, loadBatch, type ShardedStore } from './core.js';
import { clickHouse, shardedStore } from './deps.js';

const { logger, metrics } = observability('loader');

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
      for (const batch of toBatches(event)) {
        const summary = await loadBatch(batch, { store, now: Date.now });
        options.onSummary?.(summary);
        metrics.addMetric(
          'RecordsLoaded',
          MetricUnit.Count,
          summary.records - summary.duplicateRecords - summary.deadRecords,
        );
        metrics.addMetric('EventsLoaded', MetricUnit.Count, summary.events);
        metrics.addMetric('DuplicateRecords', MetricUnit.Count, summary.duplicateRecords);
        metrics.addMetric('DuplicateEvents', MetricUnit.Count, summary.duplicateEvents);
        metrics.addMetric('DeadLetters', MetricUnit.Count, summary.deadLetters);
        metrics.addMetric('BytesLoaded', MetricUnit.Bytes, summary.bytes);
        if (summary.deadLetters > 0)
          logger.error('events or records written to load_dead_letters', { source: batch.source, summary });
      }
      return { batchItemFailures: [] };
    });
}

export const handler = createLoaderHandler(clickHouse, { shards: shardedStore });
