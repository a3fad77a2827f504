/**
 * Every CloudWatch metric EvalForge publishes, by the service that emits it: the functions write
 * them (Powertools, embedded metric format, one set per invocation, never one per event) and the
 * stack's dashboard and alarms read them, so both sides name the same metric. Each is in the
 * `EvalForge` namespace with the dimension `service` (Powertools' default dimension), and any
 * further dimensions listed beside it.
 */
export const METRICS_NAMESPACE = 'EvalForge';

export const METRIC_SERVICES = {
  validator: 'ingest-validator',
  loader: 'loader',
  query: 'query',
  clickhouse: 'clickhouse-health',
} as const;

/** The validator: one set per request. */
export const VALIDATOR_METRICS = {
  requests: 'Requests',
  eventsAccepted: 'EventsAccepted',
  eventsRejected: 'EventsRejected',
  eventsRetryable: 'EventsRetryable',
  requestBytes: 'RequestBytes',
  streamRecords: 'StreamRecords',
  /** `Status<code>` for each answer of 400 and above, e.g. `Status429`, `Status503`. */
  statusPrefix: 'Status',
} as const;

/** The loader: one set per batch. */
export const LOADER_METRICS = {
  recordsLoaded: 'RecordsLoaded',
  eventsLoaded: 'EventsLoaded',
  duplicateRecords: 'DuplicateRecords',
  duplicateEvents: 'DuplicateEvents',
  deadLetters: 'DeadLetters',
  bytesLoaded: 'BytesLoaded',
} as const;

/** The query API: one set per request, with the dimension `route`. */
export const QUERY_METRICS = {
  requests: 'QueryRequests',
  latency: 'QueryLatency',
  statusPrefix: 'Status',
} as const;
