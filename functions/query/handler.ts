import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { albPathWithQuery, fromAlbEvent, toAlbResult } from '../shared/alb.js';
import { QUERY_METRICS as M, METRIC_SERVICES } from '../shared/metrics-catalog.js';
import { observability } from '../shared/observability.js';
import { handleQueryRequest, type QueryDeps, type QuerySummary, unavailableResult } from './core.js';
import { corsDecision } from './cors.js';
import { lambdaDashboardOrigin, lambdaQueryDeps } from './deps.js';

const { logger, metrics } = observability(METRIC_SERVICES.query);

/** One set of metrics per request. */
function record(summary: QuerySummary, latencyMs: number): void {
  metrics.addDimension('route', summary.route);
  metrics.addMetric(M.requests, MetricUnit.Count, 1);
  metrics.addMetric(M.latency, MetricUnit.Milliseconds, latencyMs);
  if (summary.statusCode >= 400)
    metrics.addMetric(`${M.statusPrefix}${summary.statusCode}`, MetricUnit.Count, 1);
  if (summary.statusCode >= 500) logger.error('query request failed', { summary });
  // A 4xx for the client, but operators see who meets the limits and with what, to tune them.
  if (summary.errorCode === 'query_limit_exceeded' || summary.errorCode === 'query_quota_exceeded') {
    logger.warn('query over a limit', { summary });
  }
}

export interface QueryHandlerOptions {
  /**
   * The one origin whose browser pages may read the answers (the web dashboard's), see cors.ts.
   * @default - none: no CORS headers, `OPTIONS` answered as any other method (the local runtime)
   */
  readonly dashboardOrigin?: () => string | undefined;
}

/** The query API behind the load balancer, over whatever dependencies `deps` gives. */
export function createQueryHandler(
  deps: () => Promise<QueryDeps> | QueryDeps,
  options: QueryHandlerOptions = {},
) {
  return middy<ALBEvent, ALBResult>()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      const started = performance.now();
      const request = { ...fromAlbEvent(event), path: albPathWithQuery(event) };
      let result: Awaited<ReturnType<typeof handleQueryRequest>>;
      let corsHeaders: Readonly<Record<string, string>> = {};
      try {
        const cors = corsDecision(request, options.dashboardOrigin?.());
        if ('preflight' in cors) {
          // Before any key or store: a browser's preflight carries no credentials.
          const { statusCode } = cors.preflight;
          const errorCode = cors.errorCode === undefined ? {} : { errorCode: cors.errorCode };
          result = {
            response: cors.preflight,
            summary: { route: 'other', method: request.method, statusCode, ...errorCode },
          };
        } else {
          corsHeaders = cors.headers;
          result = await handleQueryRequest(request, await deps());
        }
      } catch (error) {
        result = unavailableResult(request, error);
      }
      record(result.summary, performance.now() - started);
      const response = { ...result.response, headers: { ...result.response.headers, ...corsHeaders } };
      return toAlbResult(response, event.multiValueHeaders !== undefined);
    });
}

export const handler = createQueryHandler(lambdaQueryDeps, { dashboardOrigin: lambdaDashboardOrigin });
