-- The raw events: one row per LLM call, as the contract normalises it.
-- Sorted by project and minute, so every per-project time window reads a contiguous range.
-- Prompt and response are ~95% of the bytes: strongest compression, and a TTL of their own
-- (the row stays; the S3 archive keeps the full text for ever).
CREATE TABLE IF NOT EXISTS {{table events}} {{on_cluster}}
(
    project_id     LowCardinality(String),
    timestamp      DateTime64(3, 'UTC') CODEC(Delta(8), ZSTD(1)),
    trace_id       String CODEC(ZSTD(1)),
    span_id        String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    name           LowCardinality(String),
    model          LowCardinality(String),
    input_tokens   UInt32 CODEC(T64, ZSTD(1)),
    output_tokens  UInt32 CODEC(T64, ZSTD(1)),
    tokens_used    UInt32 CODEC(T64, ZSTD(1)),
    latency_ms     Float64 CODEC(Gorilla, ZSTD(1)),
    cost_cents     Float64 CODEC(Gorilla, ZSTD(1)),
    status         Enum8('ok' = 1, 'error' = 2),
    error_message  String CODEC(ZSTD(3)),
    user_id        String CODEC(ZSTD(1)),
    session_id     String CODEC(ZSTD(1)),
    tags           Array(LowCardinality(String)),
    metadata       JSON(max_dynamic_paths = 256),
    prompt         String CODEC(ZSTD(6)) TTL toDateTime(timestamp) + INTERVAL 90 DAY,
    response       String CODEC(ZSTD(6)) TTL toDateTime(timestamp) + INTERVAL 90 DAY,
    received_at    DateTime64(3, 'UTC') CODEC(Delta(8), ZSTD(1)),
    request_id     String CODEC(ZSTD(1)),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = {{engine MergeTree}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, toStartOfMinute(timestamp), trace_id, span_id)
TTL toDateTime(timestamp) + INTERVAL 400 DAY
SETTINGS {{dedup_window}};

{{distributed events cityHash64(project_id)}};

-- What the loader inserts: the events as clients sent them, plus the record header's fields.
-- A Null table stores nothing; the view below normalises each block into `events`, so the
-- per-row work runs vectorised inside ClickHouse rather than in the loader.
CREATE TABLE IF NOT EXISTS {{table events_ingest}} {{on_cluster}}
(
    _project_id    String,
    _received_at   String,
    _request_id    String,
    _request_key   String,
    trace_id       String,
    span_id        String,
    parent_span_id Nullable(String),
    timestamp      String,
    project_id     Nullable(String),
    name           String,
    model          String,
    input_tokens   UInt32,
    output_tokens  UInt32,
    tokens_used    Nullable(UInt32),
    latency_ms     Float64,
    cost_cents     Float64,
    status         String,
    error_message  String,
    user_id        String,
    session_id     String,
    tags           Array(String),
    metadata       JSON(max_dynamic_paths = 256),
    prompt         String,
    response       String
)
ENGINE = Null;

{{distributed events_ingest cityHash64(_project_id)}};

-- The contract's normalisation (functions/shared/event.ts), in SQL. A property test holds the
-- two to the same results.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{table events_ingest_mv}} {{on_cluster}} TO {{table events}} AS
SELECT
    _project_id AS project_id,
    if(match(timestamp, '^[0-9]+$'),
       fromUnixTimestamp64Milli(toInt64(timestamp), 'UTC'),
       parseDateTime64BestEffort(timestamp, 3, 'UTC')) AS timestamp,
    lower(replaceAll(trace_id, '-', '')) AS trace_id,
    lower(replaceAll(span_id, '-', '')) AS span_id,
    ifNull(lower(replaceAll(parent_span_id, '-', '')), '') AS parent_span_id,
    name,
    model,
    input_tokens,
    output_tokens,
    ifNull(tokens_used, input_tokens + output_tokens) AS tokens_used,
    latency_ms,
    cost_cents,
    CAST(if(status = '', 'ok', status), 'Enum8(\'ok\' = 1, \'error\' = 2)') AS status,
    error_message,
    user_id,
    session_id,
    arrayDistinct(tags) AS tags,
    metadata,
    prompt,
    response,
    parseDateTime64BestEffort(_received_at, 3, 'UTC') AS received_at,
    _request_id AS request_id
FROM {{table events_ingest}};
