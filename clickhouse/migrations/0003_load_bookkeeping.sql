-- Which requests have been loaded, so a client's resend of a request it got no answer for
-- (same Idempotency-Key, or the same body) is skipped by the loader instead of counted twice.
-- Written by a view in the same insert as the events, so the two cannot disagree.
CREATE TABLE IF NOT EXISTS {{table loaded_requests}} {{on_cluster}}
(
    project_id  LowCardinality(String),
    request_key String,
    loaded_at   DateTime('UTC')
)
ENGINE = {{engine ReplacingMergeTree}}
ORDER BY request_key
TTL loaded_at + INTERVAL 8 DAY
SETTINGS {{dedup_window}}, index_granularity = 1024;

{{distributed loaded_requests cityHash64(project_id)}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{table loaded_requests_mv}} {{on_cluster}} TO {{table loaded_requests}} AS
SELECT DISTINCT _project_id AS project_id, _request_key AS request_key, now() AS loaded_at
FROM {{table events_ingest}};

-- Stream records that can never load (not gzip, not our format), kept with the reason.
CREATE TABLE IF NOT EXISTS {{table load_dead_letters}} {{on_cluster}}
(
    failed_at       DateTime64(3, 'UTC'),
    source          String,
    reason          String,
    data_base64     String CODEC(ZSTD(3))
)
ENGINE = {{engine MergeTree}}
ORDER BY failed_at
TTL toDateTime(failed_at) + INTERVAL 30 DAY
SETTINGS {{dedup_window}};

{{distributed load_dead_letters rand()}};
