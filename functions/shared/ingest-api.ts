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

/** Body of 200, 207, and of 429/503 when the request was read but the stream refused it. */
export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  /** One entry per event not accepted, in index order. */
  readonly errors: readonly EventError[];
}

/** Body of every other non-2xx answer (400, 401, 404, 405, 413, 415, 500). */
export interface RequestErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
