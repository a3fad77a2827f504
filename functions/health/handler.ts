import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { checkHealth, type HealthDeps } from './core.js';
import { lambdaHealthDeps, logger, metrics } from './deps.js';

/** What one round read: how many nodes answered, and how many sets went out. */
export interface HealthSummary {
  readonly nodes: number;
  readonly unreachable: number;
  readonly sets: number;
}

/**
 * Every minute (an EventBridge schedule): reads each data node and prints one EMF line per node
 * and per local disk, each with its `node` (and `disk`) dimension. Unreachable nodes are logged
 * as errors and published as `NodeUnreachable`, never thrown: a retry would only publish twice.
 */
export function createHealthHandler(deps: () => HealthDeps) {
  return middy<ScheduledEvent, HealthSummary>()
    .use(injectLambdaContext(logger))
    .handler(async () => {
      const resolved = deps();
      const { sets, unreachable } = await checkHealth(resolved);
      for (const set of sets) {
        metrics.addDimensions(set.dimensions);
        for (const metric of set.metrics) metrics.addMetric(metric.name, metric.unit, metric.value);
        metrics.publishStoredMetrics();
      }
      for (const { node, error } of unreachable)
        logger.error('ClickHouse node did not answer', { node, error });
      return { nodes: resolved.nodes.length, unreachable: unreachable.length, sets: sets.length };
    });
}

export const handler = createHealthHandler(lambdaHealthDeps);
