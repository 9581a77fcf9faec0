-- A version per part of the catalog that nodes cache in memory (see
-- changes.go): a write to that part adds one in its own transaction, and
-- nodes sharing the catalog reload when the number they last saw moves.
CREATE TABLE catalog_versions (
    scope   TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

INSERT INTO catalog_versions (scope, version) VALUES ('accounts', 0), ('streams', 0);

-- The order a transfer lists its streams in, which was SQLite's rowid
-- (PostgreSQL has none). Streams stored before this migration are numbered
-- by stream id: their order changes once, their contents do not.
ALTER TABLE transfer_streams ADD COLUMN position BIGINT NOT NULL DEFAULT 0;

UPDATE transfer_streams SET position = (SELECT count(*) FROM transfer_streams t
    WHERE t.transfer_id = transfer_streams.transfer_id AND t.stream_id <= transfer_streams.stream_id);
