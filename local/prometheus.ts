import type { ALBEvent, ALBResult } from 'aws-lambda';
import { fromAlbEvent, toAlbResult } from '../functions/shared/alb.js';
import { authenticate, type KeyStore } from '../functions/shared/auth/api-keys.js';
import { errorResponse, type HttpResponse } from '../functions/shared/http.js';
import type { PipelineStats } from './pipeline.js';

/**
 * `GET /metrics` of `npm start`: the pipeline's running figures in Prometheus' text exposition
 * format (0.0.4), the same figures the status line prints and the deployed functions publish to
 * CloudWatch (functions/shared/metrics-catalog.ts), so a local Prometheus or Grafana can scrape
 * them. Totals are counters since start; lags and buffered bytes are gauges.
 */

/** Where `npm start` serves them. */
export const METRICS_PATH = '/metrics';

/** The content type Prometheus expects for the text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly value: (stats: PipelineStats) => number;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'evalforge_requests_total',
    type: 'counter',
    help: 'Ingest requests the validator answered.',
    value: (s) => s.requests,
  },
  {
    name: 'evalforge_events_accepted_total',
    type: 'counter',
    help: 'Events the API acknowledged.',
    value: (s) => s.eventsAccepted,
  },
  {
    name: 'evalforge_events_rejected_total',
    type: 'counter',
    help: 'Events the API refused for the contract.',
    value: (s) => s.eventsRejected,
  },
  {
    name: 'evalforge_events_loaded_total',
    type: 'counter',
    help: 'Events the loader stored in ClickHouse.',
    value: (s) => s.eventsLoaded,
  },
  {
    name: 'evalforge_duplicate_records_total',
    type: 'counter',
    help: 'Stream records the loader found already loaded.',
    value: (s) => s.duplicateRecords,
  },
  {
    name: 'evalforge_dead_letters_total',
    type: 'counter',
    help: 'Events and records the loader set aside in load_dead_letters.',
    value: (s) => s.deadLetters,
  },
  {
    name: 'evalforge_loader_retries_total',
    type: 'counter',
    help: 'Loader batches that failed and were retried.',
    value: (s) => s.loaderRetries,
  },
  {
    name: 'evalforge_archive_objects_total',
    type: 'counter',
    help: 'Objects the archive stored in S3.',
    value: (s) => s.archiveObjects,
  },
  {
    name: 'evalforge_loader_lag_seconds',
    type: 'gauge',
    help: 'Age of the oldest acknowledged record not yet in ClickHouse.',
    value: (s) => s.loaderLagMs / 1_000,
  },
  {
    name: 'evalforge_archive_lag_seconds',
    type: 'gauge',
    help: 'Age of the oldest acknowledged record not yet in an archive object.',
    value: (s) => s.archiveLagMs / 1_000,
  },
  {
    name: 'evalforge_archive_buffered_bytes',
    type: 'gauge',
    help: 'Bytes the archive holds in its buffer, not yet in an object.',
    value: (s) => s.archiveBufferedBytes,
  },
];

/** Every figure of `stats` as the text format: a HELP and a TYPE line, then the sample. */
export function renderPrometheus(stats: PipelineStats): string {
  return FAMILIES.map((family) => {
    const value = family.value(stats);
    const sample = Number.isFinite(value) ? String(value) : 'NaN';
    return `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n${family.name} ${sample}\n`;
  }).join('');
}

/**
 * The answer to a request for `/metrics`: the figures for a `GET` (or `HEAD`) with any API key
 * the local key store knows (a Prometheus scrape job sends it as a bearer token), 401 without
 * one, 405 for another method, 404 below the path.
 */
export async function metricsAnswer(
  event: ALBEvent,
  keys: KeyStore,
  stats: () => PipelineStats,
): Promise<ALBResult> {
  const multiValue = event.multiValueHeaders !== undefined;
  const answer = (response: HttpResponse) => toAlbResult(response, multiValue);
  const request = fromAlbEvent(event);
  if (request.path !== METRICS_PATH) {
    return answer(
      errorResponse(404, 'not_found', `no such path ${request.path}; the figures are at ${METRICS_PATH}`),
    );
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return answer(
      errorResponse(405, 'method_not_allowed', `${METRICS_PATH} answers GET only`, { allow: 'GET, HEAD' }),
    );
  }
  const auth = await authenticate(keys, request.headers.authorization);
  if (!auth.ok) {
    return answer(errorResponse(401, 'unauthorized', auth.reason, { 'www-authenticate': 'Bearer' }));
  }
  const body = request.method === 'HEAD' ? '' : renderPrometheus(stats());
  return answer({
    statusCode: 200,
    headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' },
    body,
  });
}
