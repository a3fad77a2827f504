-- The hourly rollup, fed from the minute rollup: a day's chart is 24 rows per model instead of
-- 1,440, and a week's latency quantiles merge 168 sketches instead of 10,080. Dashboards pick it
-- for windows of whole hours longer than a few hours.
CREATE TABLE IF NOT EXISTS {{table events_hour}} {{on_cluster}}
(
    project_id           LowCardinality(String),
    hour                 DateTime('UTC'),
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
PARTITION BY toYYYYMM(hour)
ORDER BY (project_id, hour, model)
SETTINGS {{dedup_window}}, index_granularity = 1024;

{{distributed events_hour cityHash64(project_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table events_hour_mv}} {{on_cluster}} TO {{table events_hour}} AS
SELECT
    project_id,
    toStartOfHour(minute) AS hour,
    model,
    sum(requests) AS requests,
    sum(errors) AS errors,
    sum(latency_ms_sum) AS latency_ms_sum,
    max(latency_ms_max) AS latency_ms_max,
    quantilesTDigestMergeState(0.5, 0.95, 0.99)(latency_ms_quantiles) AS latency_ms_quantiles,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(tokens_used) AS tokens_used,
    sum(cost_cents) AS cost_cents
FROM {{table events_minute}}
GROUP BY project_id, hour, model;
