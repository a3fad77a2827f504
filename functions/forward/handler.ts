import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { FORWARDER_METRICS as M, METRIC_SERVICES } from '../shared/metrics-catalog.js';
import { observability } from '../shared/observability.js';
import { type ForwarderDeps, forwardRecords, type TransitRecord } from './core.js';
import { lambdaForwarderDeps } from './deps.js';

const { logger, metrics } = observability(METRIC_SERVICES.forwarder);

/** The event source's records as the core reads them, in the batch's order. */
export function transitRecords(event: KinesisStreamEvent): TransitRecord[] {
  return event.Records.map((record) => ({
    data: Buffer.from(record.kinesis.data, 'base64'),
    partitionKey: record.kinesis.partitionKey,
    sequenceNumber: record.kinesis.sequenceNumber,
  }));
}

/**
 * Transit stream → home regions' streams. A record the home region did not take is reported as
 * the batch's first failure (ReportBatchItemFailures): the event source retries from it, so it
 * and the records after it wait in the transit stream until the home region is back. `deps` is
 * the Lambda's (environment) or what `npm start` passes for its local regions.
 */
export function createForwarderHandler(deps: () => ForwarderDeps) {
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const records = transitRecords(event);
      if (records.length === 0) return { batchItemFailures: [] };
      const outcome = await forwardRecords(records, deps());
      const failedAt = outcome.firstFailure
        ? records.findIndex((r) => r.sequenceNumber === outcome.firstFailure?.sequenceNumber)
        : -1;
      metrics.addMetric(M.recordsForwarded, MetricUnit.Count, outcome.forwarded);
      metrics.addMetric(M.recordsKept, MetricUnit.Count, outcome.kept);
      metrics.addMetric(M.recordsFailed, MetricUnit.Count, failedAt === -1 ? 0 : records.length - failedAt);
      const oldest = Math.min(...event.Records.map((r) => r.kinesis.approximateArrivalTimestamp * 1000));
      if (Number.isFinite(oldest)) {
        metrics.addMetric(M.forwardLag, MetricUnit.Milliseconds, Math.max(0, Date.now() - oldest));
      }
      if (!outcome.firstFailure) return { batchItemFailures: [] };
      logger.warn('a home region did not take records; the batch is retried from the first', {
        ...outcome.firstFailure,
        byRegion: outcome.byRegion,
      });
      return { batchItemFailures: [{ itemIdentifier: outcome.firstFailure.sequenceNumber }] };
    });
}

export const handler = createForwarderHandler(lambdaForwarderDeps);
