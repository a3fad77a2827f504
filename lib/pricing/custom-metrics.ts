/**
 * The CloudWatch custom metrics each function publishes (embedded metric format, through
 * Powertools): every distinct metric name and set of dimension values is one custom metric, billed
 * for each hour it is published. The counts read the metrics catalog
 * (`functions/shared/metrics-catalog.ts`); they are ceilings, counting every status a function can
 * answer and every reason as published all month (one seen in no hour costs nothing that month).
 */
import {
  CLICKHOUSE_METRICS,
  LOADER_METRICS,
  QUERY_METRICS,
  VALIDATOR_METRICS,
} from '../../functions/shared/metrics-catalog.js';
import type { TierSpec } from '../tiers.js';

/** One function's custom metrics: how many, and how they were counted. */
export interface CustomMetrics {
  readonly count: number;
  readonly why: string;
}

/** The catalog's metric names of a service, less the `Status<code>` prefix. */
const names = (metrics: Readonly<Record<string, string>>): number =>
  Object.keys(metrics).filter((key) => key !== 'statusPrefix').length;

/** The validator's answers of 400 and above (docs/api.md): 400, 401, 404, 405, 413, 415, 429, 503. */
export const VALIDATOR_ERROR_STATUSES = 8;
/** The values of `EventsRejectedByReason`'s `reason` dimension: the contract's seven event error codes. */
export const REJECTION_REASONS = 7;
/** The query API's answers of 400 and above (docs/api.md): 400, 401, 404, 405, 422, 429, 503. */
export const QUERY_ERROR_STATUSES = 7;
/** `QueryRoute`'s values (functions/query/core.ts), each a value of the `route` dimension. */
export const QUERY_ROUTES = 10;
/** Local disks a ClickHouse data node reports `DiskFreeRatio` for: its data volume (`default`). */
export const CLICKHOUSE_LOCAL_DISKS = 1;

/** The inventory's function names (`size.function`) that publish custom metrics. */
const PUBLISHERS = ['validator', 'loader', 'query', 'health'] as const;

/** Whether a function publishes custom metrics. */
export function publishesCustomMetrics(functionName: string): boolean {
  return (PUBLISHERS as readonly string[]).includes(functionName);
}

/**
 * A function's custom metrics in a tier (the health function's follow the data nodes), if any.
 * Without query traffic the query function only answers the load balancer's health checks: the
 * `health` route's two names.
 */
export function customMetricsOf(
  functionName: string,
  tier: TierSpec,
  queryRequestsPerSec: number,
): CustomMetrics | undefined {
  switch (functionName) {
    case 'validator': {
      // EventsRejectedByReason is one metric per reason; every other name has the service dimension only.
      const count = names(VALIDATOR_METRICS) - 1 + REJECTION_REASONS + VALIDATOR_ERROR_STATUSES;
      return {
        count,
        why: `${names(VALIDATOR_METRICS) - 1} names, EventsRejectedByReason × ${REJECTION_REASONS} reasons, Status<code> × ${VALIDATOR_ERROR_STATUSES} error statuses`,
      };
    }
    case 'loader':
      return { count: names(LOADER_METRICS), why: `${names(LOADER_METRICS)} names, dimension service only` };
    case 'query': {
      if (queryRequestsPerSec === 0) {
        const count = names(QUERY_METRICS);
        return { count, why: `${count} names of the health route alone: no query traffic is assumed` };
      }
      const perRoute = names(QUERY_METRICS) + QUERY_ERROR_STATUSES;
      return {
        count: QUERY_ROUTES * perRoute,
        why: `(${names(QUERY_METRICS)} names + Status<code> × ${QUERY_ERROR_STATUSES} error statuses) × ${QUERY_ROUTES} routes`,
      };
    }
    case 'health': {
      const nodes = tier.clickhouse.shards * tier.clickhouse.replicas;
      const perNode = names(CLICKHOUSE_METRICS) - 1 + CLICKHOUSE_LOCAL_DISKS;
      return {
        count: nodes * perNode,
        why: `${nodes} data nodes × (${names(CLICKHOUSE_METRICS) - 1} per node + DiskFreeRatio × ${CLICKHOUSE_LOCAL_DISKS} local disk)`,
      };
    }
    default:
      return undefined;
  }
}
