-- Streams that were deleted (tombstones): every node removes its own copy
-- of their logs when it sees one (at start, and when the streams' change
-- version moves), so a stream's deletion is decided once, in the catalog,
-- rather than by each node's view of which streams the catalog still
-- lists. One small row per deleted stream, kept so that a node that was
-- down for any length of time still cleans up. deleted_ms is the
-- database's clock.
CREATE TABLE deleted_streams (
    stream_id  TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    deleted_ms BIGINT NOT NULL
);
