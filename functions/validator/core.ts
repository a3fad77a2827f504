import type { KeyStore } from '../shared/auth/api-keys.js';
import { canonicalLine, checkEvent } from '../shared/contract/event.js';
import { type EventError, type EventErrorCode, INGEST_LIMITS } from '../shared/contract/ingest-api.js';
import { outsideWindow } from '../shared/contract/time-window.js';
import {
  errorResponse,
  HEALTH_PATH,
  type HttpRequest,
  type HttpResponse,
  INGEST_EVENTS_PATH,
  INGEST_TRACES_PATH,
  jsonResponse,
  splitPath,
} from '../shared/http.js';
import type { ModelPriceTable } from '../shared/model-prices.js';
import { admit, EMPTY_SUMMARY, recordHeader, writeRecords } from './admission.js';
import { countByCode, ingestAnswer } from './answer.js';
import { type BodyLimits, DEFAULT_BODY_LIMITS, decodeBody } from './body.js';
import {
  type AcceptedLine,
  DEFAULT_PACK_OPTIONS,
  type PackedRecord,
  type PackOptions,
  packLines,
  packPassThrough,
  TOO_LARGE_FOR_A_RECORD,
} from './records.js';
import { DEFAULT_RETRY_POLICY, type PutRecords, type RetryPolicy } from './stream-writer.js';
import { ingestTraces } from './traces.js';

/** What one request did, for metrics and logs: aggregated per request, never per event. */
export interface RequestSummary {
  /** `events` and `traces` are the two ingest routes; their figures are counted alike. */
  readonly route: 'events' | 'traces' | 'health' | 'other';
  readonly statusCode: number;
  readonly projectId?: string;
  readonly keyId?: string;
  readonly bodyBytes: number;
  readonly decodedBytes: number;
  readonly eventsAccepted: number;
  readonly eventsRejected: number;
  /** Valid events the stream did not take after retries; the client was told to resend them. */
  readonly eventsRetryable: number;
  /** The events not accepted (rejected or retryable), by their error code; empty when all were. */
  readonly eventsNotAcceptedByCode: Partial<Record<EventErrorCode, number>>;
  readonly records: number;
  readonly passThrough: boolean;
  readonly errorCode?: string;
  /** The stream's own error, for operators' logs only: it can name the account and stream. */
  readonly streamError?: string;
  /** The key store's own error, for operators' logs only: it can name the account, role and table. */
  readonly keyStoreError?: string;
}

export interface ValidatorLimits {
  readonly body: BodyLimits;
  readonly maxBodyBytes: number;
  /** How far ahead of the server clock a timestamp may be (clock skew). */
  readonly maxFutureSkewMs: number;
  /** How old an event may be. */
  readonly maxAgeMs: number;
  readonly pack: PackOptions;
  readonly retry: RetryPolicy;
  /** Seconds a client is asked to wait after the stream throttled, or failed. */
  readonly retryAfterThrottledSec: number;
  readonly retryAfterUnavailableSec: number;
}

export const DEFAULT_VALIDATOR_LIMITS: ValidatorLimits = {
  body: DEFAULT_BODY_LIMITS,
  maxBodyBytes: INGEST_LIMITS.maxBodyBytes,
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 365 * 24 * 3_600_000,
  pack: DEFAULT_PACK_OPTIONS,
  retry: DEFAULT_RETRY_POLICY,
  retryAfterThrottledSec: 1,
  retryAfterUnavailableSec: 5,
};

export interface ValidatorDeps {
  readonly keys: KeyStore;
  readonly putRecords: PutRecords;
  readonly now: () => number;
  /** A fresh random id for each request. */
  readonly newId: () => string;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly limits: ValidatorLimits;
  /**
   * Prices of the models OTLP spans name, for spans that report tokens but no cost.
   * @default DEFAULT_MODEL_PRICES
   */
  readonly modelPrices?: ModelPriceTable;
  /**
   * This validator's region, in a deployment across regions: a key whose project lives in another
   * region has its records written to `transit`, or is refused 421 without one.
   * @default - keys' home regions are not looked at
   */
  readonly region?: string;
  /** The transit stream: records of projects homed in another region, for the forwarder. */
  readonly transit?: PutRecords;
}

export { requestKey } from './admission.js';

/** Routes one request: `GET /v1/health`, `POST /v1/events` and OTLP's `POST /v1/traces`. */
export async function handleRequest(
  request: HttpRequest,
  deps: ValidatorDeps,
): Promise<{ response: HttpResponse; summary: RequestSummary }> {
  const { path } = splitPath(request.path);
  if (path === HEALTH_PATH) {
    const response =
      request.method === 'GET' || request.method === 'HEAD'
        ? jsonResponse(200, { status: 'ok' })
        : errorResponse(
            405,
            'method_not_allowed',
            `${request.method} is not allowed on ${HEALTH_PATH}; use GET`,
            {
              allow: 'GET, HEAD',
            },
          );
    return { response, summary: { ...EMPTY_SUMMARY, route: 'health', statusCode: response.statusCode } };
  }
  if (path === INGEST_TRACES_PATH) {
    if (request.method === 'POST') return ingestTraces(request, deps);
    const response = errorResponse(
      405,
      'method_not_allowed',
      `${request.method} is not allowed on ${INGEST_TRACES_PATH}; OTLP exporters POST there (a trace is read at GET ${INGEST_TRACES_PATH}/{trace_id})`,
      { allow: 'POST' },
    );
    return {
      response,
      summary: { ...EMPTY_SUMMARY, route: 'traces', statusCode: 405, errorCode: 'method_not_allowed' },
    };
  }
  if (path !== INGEST_EVENTS_PATH) {
    const response = errorResponse(
      404,
      'not_found',
      `no such endpoint: ${request.method} ${path}; send events to POST ${INGEST_EVENTS_PATH}, or OTLP spans to POST ${INGEST_TRACES_PATH}`,
    );
    return {
      response,
      summary: { ...EMPTY_SUMMARY, route: 'other', statusCode: 404, errorCode: 'not_found' },
    };
  }
  if (request.method !== 'POST') {
    const response = errorResponse(
      405,
      'method_not_allowed',
      `${request.method} is not allowed on ${INGEST_EVENTS_PATH}; use POST`,
      {
        allow: 'POST',
      },
    );
    return {
      response,
      summary: { ...EMPTY_SUMMARY, route: 'events', statusCode: 405, errorCode: 'method_not_allowed' },
    };
  }
  return ingest(request, deps);
}

async function ingest(
  request: HttpRequest,
  deps: ValidatorDeps,
): Promise<{ response: HttpResponse; summary: RequestSummary }> {
  const { limits } = deps;
  const base = { ...EMPTY_SUMMARY, route: 'events' as const, bodyBytes: request.body.length };
  const reject = (
    statusCode: number,
    code: string,
    message: string,
    extra: Partial<RequestSummary> = {},
    headers: Readonly<Record<string, string>> = {},
  ) => ({
    response: errorResponse(statusCode, code, message, headers),
    summary: { ...base, ...extra, statusCode, errorCode: code },
  });

  const admission = await admit(request, deps, 'events');
  if (!admission.ok) {
    const { statusCode, code, message, headers, who, keyStoreError } = admission;
    return reject(
      statusCode,
      code,
      message,
      { ...who, ...(keyStoreError ? { keyStoreError } : {}) },
      headers,
    );
  }
  const { who, idempotencyKey } = admission;

  const decoded = decodeBody(
    request.body,
    { contentType: request.headers['content-type'], contentEncoding: request.headers['content-encoding'] },
    limits.body,
  );
  if (!decoded.ok) return reject(decoded.status, decoded.code, decoded.message, who);

  const now = deps.now();
  const window = { nowMs: now, maxFutureSkewMs: limits.maxFutureSkewMs, maxAgeMs: limits.maxAgeMs };
  const errors: EventError[] = [];
  const accepted: AcceptedLine[] = [];
  const seen = new Map<string, number>();
  let rewritten = 0;
  for (const item of decoded.items) {
    const invalid = (code: EventError['code'], message: string) =>
      errors.push({ index: item.index, code, message, retryable: false });
    if (item.error !== undefined) {
      invalid('invalid_event', item.error);
      continue;
    }
    if (item.duplicateKey !== undefined) {
      invalid('invalid_event', item.duplicateKey);
      continue;
    }
    const check = checkEvent(item.value, who.projectId);
    if (!check.ok) {
      invalid(check.code, check.reason);
      continue;
    }
    const { event } = check;
    const late = outsideWindow(event.timestamp, window);
    if (late !== undefined) {
      invalid('timestamp_out_of_range', `timestamp ${late}`);
      continue;
    }
    const id = `${event.trace_id}/${event.span_id}`;
    const first = seen.get(id);
    if (first !== undefined) {
      invalid('duplicate_event', `trace_id and span_id repeat those of event ${first} in this request`);
      continue;
    }
    seen.set(id, item.index);
    // The client's line goes on as sent only when the store reads it as exactly this event;
    // otherwise the normalised event does, so nothing acknowledged can be refused downstream.
    const verbatim = item.line !== undefined && item.canonicalText === true && check.verbatim;
    if (!verbatim) rewritten++;
    accepted.push({ index: item.index, text: verbatim ? (item.line as string) : canonicalLine(event) });
  }

  const header = recordHeader(who, idempotencyKey, decoded.decoded, now, deps);
  let records: PackedRecord[] = [];
  let passThrough = false;
  if (accepted.length > 0) {
    const whole =
      decoded.format === 'ndjson' && decoded.gzip && errors.length === 0 && rewritten === 0
        ? packPassThrough(
            header,
            request.body,
            accepted.map((a) => a.index),
            limits.pack.maxRecordBytes,
          )
        : undefined;
    if (whole) {
      records = [whole];
      passThrough = true;
    } else {
      const packed = packLines(header, accepted, limits.pack);
      records = packed.records;
      for (const index of packed.tooLarge) {
        errors.push({
          index,
          code: 'event_too_large',
          message: `event ${TOO_LARGE_FOR_A_RECORD}; shorten prompt or response`,
          retryable: false,
        });
      }
    }
  }

  const written = await writeRecords(records, header, deps);
  const { eventsAccepted, streamError } = written;
  errors.push(...written.errors);

  // Listed within a budget, so that the answer fits the load balancer's 1 MB response limit.
  const { statusCode, headers, result, retryable } = ingestAnswer(
    { accepted: eventsAccepted, errors },
    {
      retryAfterThrottledSec: limits.retryAfterThrottledSec,
      retryAfterUnavailableSec: limits.retryAfterUnavailableSec,
    },
  );
  return {
    response: jsonResponse(statusCode, result, { 'x-evalforge-request-id': header.request_id, ...headers }),
    summary: {
      ...base,
      ...who,
      statusCode,
      decodedBytes: decoded.decodedBytes,
      eventsAccepted,
      eventsRejected: errors.length - retryable,
      eventsRetryable: retryable,
      eventsNotAcceptedByCode: countByCode(errors),
      records: records.length,
      passThrough,
      ...(streamError ? { streamError } : {}),
    },
  };
}
