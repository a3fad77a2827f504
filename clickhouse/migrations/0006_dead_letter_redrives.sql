-- One row per dead letter sent back through the loader (`npm run dead-letters -- redrive`,
-- functions/replay/redrive.ts), written once the loader has taken the letter's events:
-- - loaded: some of its events went in;
-- - duplicate: every one of its events was stored already (a redrive that stopped before its
--   mark, or events loaded some other way);
-- - refused: the engine refused it again, and the redrive wrote a new letter, which a later
--   redrive takes up (its source is `redrive:<letter id>:0`).
-- A letter with a row here is never redriven again, and the query API no longer lists it.
--
-- letter_id is the letter's stored fields hashed (functions/shared/dead-letter-id.ts):
-- load_dead_letters has no id column, and a letter is never updated, so its fields name it.
-- Sharded by project, not by rand() as the letters are: the same letter always has the same
-- project, so a mark written again (a redrive run again after it stopped) lands on the shard that
-- has the first one, where its insert token drops it or ReplacingMergeTree keeps one; rand() would
-- scatter repeats over shards, where neither sees the other. The readers go through the
-- Distributed table, so where a mark lives does not matter to them.
-- Kept 60 days: longer than any letter (30 days from failed_at, and a letter is redriven after it
-- failed), so no mark expires while its letter could be redriven again.
CREATE TABLE IF NOT EXISTS {{table load_dead_letter_redrives}} {{on_cluster}}
(
    letter_id   String,
    project_id  LowCardinality(String),
    redriven_at DateTime64(3, 'UTC'),
    outcome     Enum8('loaded' = 1, 'duplicate' = 2, 'refused' = 3),
    events      UInt32
)
ENGINE = {{engine ReplacingMergeTree}}
ORDER BY letter_id
TTL toDateTime(redriven_at) + INTERVAL 60 DAY
SETTINGS {{dedup_window}}, index_granularity = 1024;

{{distributed load_dead_letter_redrives cityHash64(project_id)}};
