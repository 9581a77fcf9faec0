-- Cluster mode's upkeep of the shared segments (see segment_upkeep.go).
-- manifest_gen counts the changes to a stream's manifest other than the
-- rounds that extend it (segments merged, days expired): a node that built
-- the stream from an older generation builds it again. segment_garbage
-- holds the objects that left the manifest, deleted from the bucket once
-- not_before_ms (the database's clock) has passed, since a node may still
-- be reading them.
ALTER TABLE ingest_heads ADD COLUMN manifest_gen BIGINT NOT NULL DEFAULT 0;

CREATE TABLE segment_garbage (
    object        TEXT PRIMARY KEY,
    stream_id     TEXT NOT NULL,
    not_before_ms BIGINT NOT NULL
);

CREATE INDEX segment_garbage_by_stream ON segment_garbage (stream_id, not_before_ms);
