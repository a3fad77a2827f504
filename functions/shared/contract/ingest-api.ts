/**
 * The ingest HTTP API's limits and answers, shared by the validator and the SDK.
 * Documented in the README under "Ingest HTTP API".
 */
export const INGEST_LIMITS = {
  /** An ALB rejects a Lambda target's request body over 1 MB; EvalForge answers 413 first. */
  maxBodyBytes: 1_000_000,
  /** A gzip body is inflated up to this size and no further (a gzip bomb stops here). */
  maxDecompressedBytes: 16 * 1024 * 1024,
  maxEventsPerRequest: 10_000,
} as const;

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/**
 * The request header that names a batch for deduplication: the same value on every retry of the
 * same batch, a new one for any other batch. Without it, the body's hash serves.
 */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Why one event was not accepted. */
export type EventErrorCode =
  /** The event breaks the contract; sending it again will not help. */
  | 'invalid_event'
  /** The event names a project other than the API key's. */
  | 'project_mismatch'
  /** Another event of the same request has the same trace_id and span_id. */
  | 'duplicate_event'
  /** The timestamp is too far in the future or the past. */
  | 'timestamp_out_of_range'
  /** The event is valid but too large to be stored as one stream record. */
  | 'event_too_large'
  /** The stream is over its throughput; retry after Retry-After seconds. */
  | 'throttled'
  /** The stream could not be written; retry after Retry-After seconds. */
  | 'unavailable';

export interface EventError {
  /** Position of the event in the request: the array index, or the NDJSON line among non-blank lines. */
  readonly index: number;
  readonly code: EventErrorCode;
  readonly message: string;
  /** True only for throttled and unavailable: the same event may be sent again. */
  readonly retryable: boolean;
}

/**
 * Bounds on the answer to `POST /v1/events`, so that it always reaches the client: a load balancer
 * answers 502 in place of a Lambda target's response whose JSON is over 1 MB.
 */
export const INGEST_ANSWER_LIMITS = {
  /** The load balancer's cap on a Lambda target's response: the JSON of the whole ALB result. */
  maxResponseBytes: 1_000_000,
  /** Errors listed one by one in `errors` at most; the rest are summed up by code and index. */
  maxListedErrors: 1_000,
  /** A listed error's message is cut to this many characters (ending in "…"). */
  maxMessageChars: 300,
  /** Bytes the listed errors may take in the ALB result's JSON, where the body is escaped again. */
  maxListedErrorBytes: 256 * 1024,
} as const;

/**
 * Body of 200, 207, and of 429/503 when the request was read but the stream refused it. Every
 * event not accepted is either listed in `errors` or, when the listing is cut short, named in
 * `omitted_indexes`; every event to send again is in `retry_indexes`; the rest were accepted.
 */
export interface IngestResult {
  readonly accepted: number;
  /** Events not accepted, the retryable ones included. */
  readonly rejected: number;
  /**
   * One entry per event not accepted, in index order: all of them, or the first ones (up to
   * `INGEST_ANSWER_LIMITS`) when `errors_omitted` says some are left out.
   */
  readonly errors: readonly EventError[];
  /** The index of every retryable event (`throttled`, `unavailable`), listed or not, ascending; present when there is one. */
  readonly retry_indexes?: readonly number[];
  /** How many errors `errors` leaves out; present only when it leaves some out. */
  readonly errors_omitted?: number;
  /** Every error, listed or not, counted by code; present with `errors_omitted`. */
  readonly error_counts?: Readonly<Partial<Record<EventErrorCode, number>>>;
  /** The index of every error `errors` leaves out, by code, ascending; present with `errors_omitted`. */
  readonly omitted_indexes?: Readonly<Partial<Record<EventErrorCode, readonly number[]>>>;
}

/** Body of every other non-2xx answer (400, 401, 404, 405, 413, 415, 500). */
export interface RequestErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
