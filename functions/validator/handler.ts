import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { fromAlbEvent, toAlbResult } from '../shared/alb.js';
import { applyHeapTuning } from '../shared/heap-tuning.js';
import {
  VALIDATOR_METRICS as M,
  METRIC_SERVICES,
  REJECTION_REASON_DIMENSION,
} from '../shared/metrics-catalog.js';
import { observability, publishCountsBy } from '../shared/observability.js';
import { handleRequest, type RequestSummary, type ValidatorDeps } from './core.js';
import { lambdaValidatorDeps } from './deps.js';

// Before the first request: the collector's settings for request-sized garbage (see heap-tuning.ts).
applyHeapTuning();

const { logger, metrics } = observability(METRIC_SERVICES.validator);

/**
 * One set of metrics per request, never per event: 50K events/s must not become 250K metrics/s.
 * It is printed here, then one line per distinct rejection reason (seven at most): a line has one
 * set of dimensions, so each reason takes its own.
 */
function record(summary: RequestSummary): void {
  // OTLP's trace export is counted as the events route is: a span is an event from here on (the
  // route is in the log line of a request not fully accepted).
  if (summary.route !== 'events' && summary.route !== 'traces') {
    // Health checks (the load balancer's, every few seconds) and stray paths are counted too: an
    // invocation that publishes no metric makes Powertools log a warning line every time.
    metrics.addMetric(summary.route === 'health' ? M.healthChecks : M.otherRequests, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return;
  }
  metrics.addMetric(M.requests, MetricUnit.Count, 1);
  metrics.addMetric(M.eventsAccepted, MetricUnit.Count, summary.eventsAccepted);
  metrics.addMetric(M.eventsRejected, MetricUnit.Count, summary.eventsRejected);
  metrics.addMetric(M.eventsRetryable, MetricUnit.Count, summary.eventsRetryable);
  metrics.addMetric(M.requestBytes, MetricUnit.Bytes, summary.bodyBytes);
  metrics.addMetric(M.streamRecords, MetricUnit.Count, summary.records);
  if (summary.statusCode >= 400)
    metrics.addMetric(`${M.statusPrefix}${summary.statusCode}`, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
  publishCountsBy(
    metrics,
    M.eventsRejectedByReason,
    REJECTION_REASON_DIMENSION,
    summary.eventsNotAcceptedByCode,
  );
  if (summary.statusCode !== 200) logger.warn('request not fully accepted', { summary });
}

/**
 * The ALB target: a thin adapter over the core. `deps` is called per request (it is memoised by
 * the caller), so the Lambda reads its environment on first use and `npm start` can pass its own
 * local adapters to this very code; `onSummary` lets it count what each request did.
 */
export function createValidatorHandler(
  deps: () => ValidatorDeps,
  options: { readonly onSummary?: (summary: RequestSummary) => void } = {},
) {
  return middy<ALBEvent, ALBResult>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const { response, summary } = await handleRequest(fromAlbEvent(event), deps());
      record(summary);
      options.onSummary?.(summary);
      return toAlbResult(response, event.multiValueHeaders !== undefined);
    });
}

export const handler = createValidatorHandler(lambdaValidatorDeps);
