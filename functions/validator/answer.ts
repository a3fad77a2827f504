import { albBodyBytes } from '../shared/answer-size.js';
import {
  type EventError,
  type EventErrorCode,
  INGEST_ANSWER_LIMITS,
  type IngestResult,
} from '../shared/contract/ingest-api.js';

export type AnswerLimits = { readonly [K in keyof typeof INGEST_ANSWER_LIMITS]: number };

/** What became of a request's events once the stream has answered. */
export interface IngestOutcome {
  /** Events the stream took. */
  readonly accepted: number;
  /** One per event not accepted, in any order. */
  readonly errors: readonly EventError[];
}

export interface AnswerOptions {
  /** Seconds a client is asked to wait after the stream throttled, or failed. */
  readonly retryAfterThrottledSec: number;
  readonly retryAfterUnavailableSec: number;
  readonly limits?: AnswerLimits;
}

export interface IngestAnswer {
  readonly statusCode: 200 | 207 | 429 | 503;
  /** `retry-after` when some events are to be sent again. */
  readonly headers: Record<string, string>;
  readonly result: IngestResult;
  /** Events the client is told to send again. */
  readonly retryable: number;
}

/**
 * Room left in the response for what is not the body: status line, headers (a request id,
 * Retry-After), in either header shape. Measured at ~250 bytes.
 */
const ENVELOPE_BYTES = 4_096;

/** `message` cut to `maxChars` characters, "…" included, never splitting a surrogate pair. */
export function capMessage(message: string, maxChars: number): string {
  if (message.length <= maxChars) return message;
  let end = Math.max(0, maxChars - 1);
  const last = message.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${message.slice(0, end)}…`;
}

/**
 * The answer to a request whose events were read: its status, Retry-After and body. The body
 * stays under the load balancer's response limit whatever the request: the first errors are
 * listed (each message capped) within a count and a byte budget, and when some are left out the
 * answer counts them by code and names their indexes, so a client still knows what became of
 * every event; every retryable index is named apart, listed or not.
 */
export function ingestAnswer(outcome: IngestOutcome, options: AnswerOptions): IngestAnswer {
  const limits = options.limits ?? INGEST_ANSWER_LIMITS;
  const errors = [...outcome.errors].sort((a, b) => a.index - b.index);
  const retryIndexes = errors.filter((e) => e.retryable).map((e) => e.index);
  const unavailable = errors.some((e) => e.retryable && e.code === 'unavailable');

  const base: IngestResult = {
    accepted: outcome.accepted,
    rejected: errors.length,
    errors: [],
    ...(retryIndexes.length > 0 ? { retry_indexes: retryIndexes } : {}),
  };
  // The index lists grow with the events (~50 KB each at 10,000); the listing gets what they
  // leave, measured with every error left out, the most they can take.
  const budget = Math.min(
    limits.maxListedErrorBytes,
    limits.maxResponseBytes - ENVELOPE_BYTES - albBodyBytes(omitted(base, errors, [])),
  );
  const listed: EventError[] = [];
  let bytes = 0;
  for (const error of errors) {
    if (listed.length >= limits.maxListedErrors) break;
    const entry: EventError = {
      index: error.index,
      code: error.code,
      message: capMessage(error.message, limits.maxMessageChars),
      retryable: error.retryable,
    };
    const cost = albBodyBytes(entry) + 1;
    if (bytes + cost > budget) break;
    listed.push(entry);
    bytes += cost;
  }
  const result =
    listed.length === errors.length ? { ...base, errors: listed } : omitted(base, errors, listed);

  const headers: Record<string, string> = {};
  if (retryIndexes.length > 0) {
    // Ask for the longer wait when the stream failed outright; throttling clears within a second.
    headers['retry-after'] = String(
      unavailable ? options.retryAfterUnavailableSec : options.retryAfterThrottledSec,
    );
  }
  let statusCode: IngestAnswer['statusCode'] = 200;
  if (errors.length > 0) statusCode = 207;
  if (outcome.accepted === 0 && retryIndexes.length > 0) statusCode = unavailable ? 503 : 429;
  return { statusCode, headers, result, retryable: retryIndexes.length };
}

/** How many of `errors` carry each code: the answer's `error_counts`, and the metrics by reason. */
export function countByCode(
  errors: readonly Pick<EventError, 'code'>[],
): Partial<Record<EventErrorCode, number>> {
  const counts: Partial<Record<EventErrorCode, number>> = {};
  for (const error of errors) counts[error.code] = (counts[error.code] ?? 0) + 1;
  return counts;
}

/** `base` listing `listed`, the first of `errors`, and summing up the rest. */
function omitted(
  base: IngestResult,
  errors: readonly EventError[],
  listed: readonly EventError[],
): IngestResult {
  const indexes: Partial<Record<EventErrorCode, number[]>> = {};
  for (const error of errors.slice(listed.length)) {
    const list = indexes[error.code] ?? [];
    list.push(error.index);
    indexes[error.code] = list;
  }
  return {
    ...base,
    errors: listed,
    errors_omitted: errors.length - listed.length,
    error_counts: countByCode(errors),
    omitted_indexes: indexes,
  };
}
