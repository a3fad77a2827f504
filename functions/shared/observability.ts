import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE } from './metrics-catalog.js';

export { METRICS_NAMESPACE };

/** One logger and one metrics instance per function, at module scope. */
export function observability(serviceName: string): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
  };
}

/**
 * Counts of one metric split by a dimension of a small, closed set of values (a rejection
 * reason, say): one EMF line per value present, each with the service's dimensions plus
 * `dimension`, printed now. A line carries one set of dimensions, so values cannot share one;
 * the set being closed is what keeps this to a few lines per invocation, whatever its size.
 * Zero counts are left out.
 */
export function publishCountsBy(
  metrics: Metrics,
  name: string,
  dimension: string,
  counts: Readonly<Record<string, number>>,
): void {
  for (const [value, count] of Object.entries(counts)) {
    if (count <= 0) continue;
    metrics.singleMetric().addDimension(dimension, value).addMetric(name, MetricUnit.Count, count);
  }
}
