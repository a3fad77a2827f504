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
  replay: 'replay',
  forwarder: 'forwarder',
} as const;

/** The validator: one set per request. */
export const VALIDATOR_METRICS = {
  /** The load balancer's health checks, counted so that no invocation publishes an empty set. */
  healthChecks: 'HealthChecks',
  /** Requests to no route (404). */
  otherRequests: 'OtherRequests',
  requests: 'Requests',
  eventsAccepted: 'EventsAccepted',
  eventsRejected: 'EventsRejected',
  eventsRetryable: 'EventsRetryable',
  /**
   * Events not accepted, by why: one value per distinct `reason` (dimension) the request had, an
   * `EventErrorCode` of the ingest contract, a closed set of seven; the retryable ones
   * (`throttled`, `unavailable`) included, so its sum is `EventsRejected` + `EventsRetryable`.
   */
  eventsRejectedByReason: 'EventsRejectedByReason',
  requestBytes: 'RequestBytes',
  streamRecords: 'StreamRecords',
  /** `Status<code>` for each answer of 400 and above, e.g. `Status429`, `Status503`. */
  statusPrefix: 'Status',
} as const;

/** The dimension of `EventsRejectedByReason`. */
export const REJECTION_REASON_DIMENSION = 'reason';

/** The loader: one set per invocation, summed over its batches (one per shard). */
export const LOADER_METRICS = {
  recordsLoaded: 'RecordsLoaded',
  eventsLoaded: 'EventsLoaded',
  duplicateRecords: 'DuplicateRecords',
  duplicateEvents: 'DuplicateEvents',
  deadLetters: 'DeadLetters',
  bytesLoaded: 'BytesLoaded',
  /**
   * How long the invocation's oldest record waited between reaching the stream and being loaded
   * (milliseconds): the dashboard reads its Maximum. Absent when the invocation had no record.
   */
  loadLag: 'LoadLagMs',
} as const;

/** The replay job (functions/replay): one set per invocation that loads archive objects or redrives. */
export const REPLAY_METRICS = {
  objectsReplayed: 'ReplayObjects',
  bytesReplayed: 'ReplayBytes',
  eventsReplayed: 'ReplayEventsLoaded',
  /** Events found stored already: a replay over stored data counts every event here. */
  duplicateEvents: 'ReplayDuplicateEvents',
  deadLetters: 'ReplayDeadLetters',
  /** Archive objects of a restore class whose restore this invocation asked S3 for. */
  restoresRequested: 'ReplayRestoresRequested',
  /** Dead letters sent back through the loader by a redrive. */
  lettersRedriven: 'RedriveLetters',
} as const;

/** The forwarder (functions/forward): one set per invocation over a transit stream batch. */
export const FORWARDER_METRICS = {
  /** Records put into their home region's stream. */
  recordsForwarded: 'ForwardedRecords',
  /** Records put into this region's own stream (no readable header, or no other home). */
  recordsKept: 'ForwardKeptRecords',
  /** Records the home region did not take; the batch is retried from the first. */
  recordsFailed: 'ForwardFailedRecords',
  /** Age of the batch's oldest record when it was forwarded: the cross-region delivery lag's first leg. */
  forwardLag: 'ForwardLag',
} as const;

/** The query API: one set per request, with the dimension `route`. */
export const QUERY_METRICS = {
  requests: 'QueryRequests',
  latency: 'QueryLatency',
  statusPrefix: 'Status',
} as const;

/**
 * ClickHouse's own health, read from each data node's system tables every minute by
 * functions/health: one set per node (dimension `node`) and one per local disk (`node`, `disk`).
 */
export const CLICKHOUSE_METRICS = {
  /** 1 when the node did not answer; its other metrics are then absent. */
  nodeUnreachable: 'NodeUnreachable',
  /** `free_space / total_space` of a local disk (per disk); remote (object storage) disks are left out. */
  diskFreeRatio: 'DiskFreeRatio',
  /** The most active parts of any one partition of any table: inserts fail at `parts_to_throw_insert`. */
  maxPartsPerPartition: 'MaxPartsPerPartition',
  mergesRunning: 'MergesRunning',
  replicationQueueSize: 'ReplicationQueueSize',
  /** Seconds since the oldest replication queue entry was created; 0 when the queue is empty. */
  replicationQueueOldestSec: 'ReplicationQueueOldestAgeSec',
  /** Failed inserts since the previous reading (`system.events` FailedInsertQuery, a delta). */
  failedInserts: 'FailedInsertQueries',
  /** Failed selects since the previous reading (`system.events` FailedSelectQuery, a delta). */
  failedSelects: 'FailedSelectQueries',
} as const;

export const CLICKHOUSE_DIMENSIONS = { node: 'node', disk: 'disk' } as const;
