export { MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryDelayMs } from './backoff.js';
export {
  type CaptureEvent,
  CLIENT_DEFAULTS,
  type ClientStats,
  type DropCode,
  type DroppedEvents,
  EvalForgeClient,
  type EvalForgeClientOptions,
  type LlmCallMeta,
  type LlmCallResultFields,
  type OverflowPolicy,
  SDK_VERSION,
} from './client.js';
export { INGEST_PATH, REGION_ENDPOINT_TEMPLATE, resolveIngestUrl } from './endpoint.js';
export { EvalForgeConfigError, EvalForgeRequestError } from './errors.js';
export { newSpanId, newTraceId } from './ids.js';
