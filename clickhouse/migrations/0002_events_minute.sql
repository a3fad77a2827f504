-- The dashboard rollup: per project, minute and model. Dashboards read this, never raw rows, so
-- a query's cost follows the number of minutes and models in its window, not the number of events.
-- A small index granularity: a dashboard window reads a few hundred rollup rows, and with the
-- default 8,192 it would decode thousands of latency sketches it does not need.
CREATE TABLE IF NOT EXISTS {{table events_minute}} {{on_cluster}}
(
    project_id           LowCardinality(String),
    minute               DateTime('UTC'),
    model                LowCardinality(String),
    requests             SimpleAggregateFunction(sum, UInt64),
    errors               SimpleAggregateFunction(sum, UInt64),
    latency_ms_sum       SimpleAggregateFunction(sum, Float64),
    latency_ms_max       SimpleAggregateFunction(max, Float64),
    latency_ms_quantiles AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    input_tokens         SimpleAggregateFunction(sum, UInt64),
    output_tokens        SimpleAggregateFunction(sum, UInt64),
    tokens_used          SimpleAggregateFunction(sum, UInt64),
    cost_cents           SimpleAggregateFunction(sum, Float64)
)
ENGINE = {{engine AggregatingMergeTree}}
PARTITION BY toYYYYMM(minute)
ORDER BY (project_id, minute, model)
SETTINGS {{dedup_window}}, index_granularity = 1024;

{{distributed events_minute cityHash64(project_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table events_minute_mv}} {{on_cluster}} TO {{table events_minute}} AS
SELECT
    project_id,
    toStartOfMinute(timestamp) AS minute,
    model,
    count() AS requests,
    countIf(status = 'error') AS errors,
    sum(latency_ms) AS latency_ms_sum,
    max(latency_ms) AS latency_ms_max,
    quantilesTDigestState(0.5, 0.95, 0.99)(latency_ms) AS latency_ms_quantiles,
    sum(toUInt64(input_tokens)) AS input_tokens,
    sum(toUInt64(output_tokens)) AS output_tokens,
    sum(toUInt64(tokens_used)) AS tokens_used,
    sum(cost_cents) AS cost_cents
FROM {{table events}}
GROUP BY project_id, minute, model;
