-- Dead letters name their project and keep the event line itself: the loader sets aside the one
-- event the engine refused (with the engine's error code and reason) and loads the rest of its
-- batch, so a tenant's dead letters can be listed through the query API. Letters for records
-- that could not be read at all keep project_id '' (when the header was unreadable) and the
-- record's bytes in data_base64, as before.
ALTER TABLE {{table load_dead_letters}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS project_id LowCardinality(String) DEFAULT '' AFTER failed_at,
    ADD COLUMN IF NOT EXISTS request_id String DEFAULT '' AFTER source,
    ADD COLUMN IF NOT EXISTS engine_code Int32 DEFAULT 0 AFTER reason,
    ADD COLUMN IF NOT EXISTS line String DEFAULT '' CODEC(ZSTD(3)) AFTER engine_code;

{{cluster_only}} ALTER TABLE load_dead_letters {{on_cluster}}
    ADD COLUMN IF NOT EXISTS project_id LowCardinality(String) DEFAULT '' AFTER failed_at,
    ADD COLUMN IF NOT EXISTS request_id String DEFAULT '' AFTER source,
    ADD COLUMN IF NOT EXISTS engine_code Int32 DEFAULT 0 AFTER reason,
    ADD COLUMN IF NOT EXISTS line String DEFAULT '' AFTER engine_code;
