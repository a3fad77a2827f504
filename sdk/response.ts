import type { EventError, EventErrorCode, IngestResult } from '../functions/shared/contract/ingest-api.js';
import { parseRetryAfterMs } from './backoff.js';
import type { TransportResponse } from './transport.js';

/** One event the server refused for good. */
export interface EventRejection {
  readonly index: number;
  readonly code: EventErrorCode;
  readonly message: string;
}

/** What to do after an answer to a request carrying `eventCount` events. */
export type Verdict =
  /** Every event was accepted. */
  | { readonly kind: 'accepted' }
  /** The answer lists events one by one; events neither retried nor rejected were accepted. */
  | {
      readonly kind: 'per-event';
      readonly status: number;
      /** Indexes (positions in the request) to send again, ascending. */
      readonly retry: readonly number[];
      readonly rejected: readonly EventRejection[];
      readonly retryAfterMs: number | undefined;
      readonly reason: string;
    }
  /** Nothing was accepted and the same request may succeed later. */
  | {
      readonly kind: 'retry-all';
      readonly status: number | undefined;
      readonly retryAfterMs: number | undefined;
      readonly reason: string;
    }
  /** 413: the request was too large; send each half on its own. */
  | { readonly kind: 'split'; readonly status: number; readonly reason: string }
  /** Nothing was accepted and sending it again will not help (400, 401, 403, 404, 415…). */
  | { readonly kind: 'reject-all'; readonly status: number; readonly reason: string };

const EVENT_ERROR_CODES: ReadonlySet<string> = new Set<EventErrorCode>([
  'invalid_event',
  'project_mismatch',
  'duplicate_event',
  'timestamp_out_of_range',
  'event_too_large',
  'throttled',
  'unavailable',
]);

const MAX_REASON_CHARS = 300;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isEventError(value: unknown): value is EventError {
  return (
    isRecord(value) &&
    typeof value.index === 'number' &&
    typeof value.code === 'string' &&
    typeof value.message === 'string' &&
    typeof value.retryable === 'boolean'
  );
}

const isIndexList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((index) => typeof index === 'number');

/**
 * A result that leaves errors out of its listing must name them all: else it cannot tell which
 * of the unlisted events were accepted.
 */
function accountsForOmitted(value: Record<string, unknown>): boolean {
  const omitted = value.errors_omitted ?? 0;
  if (typeof omitted !== 'number') return false;
  const byCode = value.omitted_indexes ?? {};
  if (!isRecord(byCode) || !Object.values(byCode).every(isIndexList)) return false;
  return Object.values(byCode).reduce((sum: number, list) => sum + (list as number[]).length, 0) === omitted;
}

/** The body as an `IngestResult`, or `undefined` when it is not one (a proxy's HTML page, say). */
export function parseIngestResult(body: string): IngestResult | undefined {
  const value = parseJson(body);
  if (
    isRecord(value) &&
    typeof value.accepted === 'number' &&
    typeof value.rejected === 'number' &&
    Array.isArray(value.errors) &&
    value.errors.every(isEventError) &&
    (value.retry_indexes === undefined || isIndexList(value.retry_indexes)) &&
    accountsForOmitted(value)
  ) {
    return value as unknown as IngestResult;
  }
  return undefined;
}

/** `HTTP 401 (unauthorized): API key revoked`, or the start of a body that is not JSON. */
export function describeAnswer(status: number, body: string): string {
  const value = parseJson(body);
  if (isRecord(value) && isRecord(value.error)) {
    const { code, message } = value.error;
    return `HTTP ${status} (${String(code)}): ${String(message)}`.slice(0, MAX_REASON_CHARS);
  }
  const text = body.replace(/\s+/g, ' ').trim();
  return (text ? `HTTP ${status}: ${text}` : `HTTP ${status}`).slice(0, MAX_REASON_CHARS);
}

const RETRYABLE_CODES: ReadonlySet<string> = new Set<EventErrorCode>(['throttled', 'unavailable']);

/**
 * Reads a per-event answer: the listed errors, then the errors left out of a listing cut short
 * (`omitted_indexes`), final unless retryable; every index in `retry_indexes` is sent again,
 * listed or not. Events named nowhere were accepted (`unlisted: 'accepted'`) or, when the answer
 * says nothing was, are sent again.
 */
function perEvent(
  result: IngestResult,
  status: number,
  eventCount: number,
  retryAfterMs: number | undefined,
  unlisted: 'accepted' | 'retry',
): Verdict {
  const seen = new Set<number>();
  const retry: number[] = [];
  const rejected: EventRejection[] = [];
  let firstRetryable: Pick<EventError, 'code' | 'message'> | undefined;
  const take = (index: number, code: string, message: string, retryable: boolean) => {
    if (!Number.isInteger(index) || index < 0 || index >= eventCount || seen.has(index)) return;
    seen.add(index);
    if (retryable) {
      retry.push(index);
      firstRetryable ??= { code: code as EventErrorCode, message };
      return;
    }
    // A code this SDK does not know yet is kept in the message; the drop is still final.
    const known = EVENT_ERROR_CODES.has(code);
    rejected.push({
      index,
      code: known ? (code as EventErrorCode) : 'invalid_event',
      message: known ? message : `${code}: ${message}`,
    });
  };
  // The list of retryable indexes is complete, even when the listing is cut short.
  const mustRetry = new Set(result.retry_indexes ?? []);
  for (const error of result.errors) {
    take(error.index, error.code, error.message, error.retryable || mustRetry.has(error.index));
  }
  const omittedMessage = `left out of the answer, which lists ${result.errors.length} of ${result.rejected} errors`;
  for (const [code, indexes] of Object.entries(result.omitted_indexes ?? {})) {
    for (const index of indexes ?? []) {
      take(index, code, omittedMessage, RETRYABLE_CODES.has(code) || mustRetry.has(index));
    }
  }
  for (const index of mustRetry) take(index, 'unavailable', omittedMessage, true);
  if (unlisted === 'retry') {
    for (let index = 0; index < eventCount; index++) if (!seen.has(index)) retry.push(index);
  }
  retry.sort((a, b) => a - b);
  rejected.sort((a, b) => a.index - b.index);
  const reason = firstRetryable
    ? `HTTP ${status}: ${firstRetryable.code}: ${firstRetryable.message}`
    : `HTTP ${status}: the request was not accepted`;
  return {
    kind: 'per-event',
    status,
    retry,
    rejected,
    retryAfterMs,
    reason: reason.slice(0, MAX_REASON_CHARS),
  };
}

/**
 * The retry rules, in the spirit of OTLP's: 429, 408 and 5xx are retried, honouring Retry-After;
 * a 207, 429 or 503 that lists events one by one retries only those marked retryable; 413 is
 * split; every other answer is final.
 */
export function judgeResponse(response: TransportResponse, eventCount: number, nowMs: number): Verdict {
  const { status, body } = response;
  const retryAfterMs = parseRetryAfterMs(response.retryAfter, nowMs);
  if (status >= 200 && status < 300) {
    const result = parseIngestResult(body);
    if (
      result &&
      (result.errors.length > 0 ||
        (result.errors_omitted ?? 0) > 0 ||
        (result.retry_indexes ?? []).length > 0)
    ) {
      return perEvent(result, status, eventCount, retryAfterMs, 'accepted');
    }
    // A 207 that does not say which events failed: send them all again (events carry ids, so a
    // duplicate can be recognised downstream; a loss cannot be undone).
    if (status === 207 && !result) {
      return { kind: 'retry-all', status, retryAfterMs, reason: 'HTTP 207 without a readable result body' };
    }
    return { kind: 'accepted' };
  }
  if (status === 429 || status === 503) {
    // Nothing was accepted: events the body does not mention are retried too.
    const result = parseIngestResult(body);
    if (result) return perEvent(result, status, eventCount, retryAfterMs, 'retry');
    return { kind: 'retry-all', status, retryAfterMs, reason: describeAnswer(status, body) };
  }
  if (status === 413) return { kind: 'split', status, reason: describeAnswer(status, body) };
  if (status === 408 || status >= 500) {
    return { kind: 'retry-all', status, retryAfterMs, reason: describeAnswer(status, body) };
  }
  return { kind: 'reject-all', status, reason: describeAnswer(status, body) };
}
