-- What a cluster node polls (see poll.go): a change number on the rows of
-- ingest_heads and leases, set by every insert and update of a row, so a
-- poll reads the rows that moved by an index scan instead of every row;
-- and the streams whose head row was deleted, with the number of that
-- deletion, so a node's view drops them. On PostgreSQL the number is the
-- writing transaction's id, on SQLite one above the highest given. Rows
-- written before this migration are numbered 0: a node's first read is
-- whole.
ALTER TABLE ingest_heads ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;

CREATE INDEX ingest_heads_by_change ON ingest_heads (changed);

ALTER TABLE leases ADD COLUMN changed BIGINT NOT NULL DEFAULT 0;

CREATE INDEX leases_by_change ON leases (changed);

CREATE TABLE ingest_heads_gone (
    stream_id TEXT PRIMARY KEY,
    changed   BIGINT NOT NULL
);

CREATE INDEX ingest_heads_gone_by_change ON ingest_heads_gone (changed);
