-- Cluster mode's data path (see ingest_log.go): the acknowledged batches of
-- each stream that no segment holds yet, numbered per stream in commit
-- order, and the manifest of the segments that hold the rest.
CREATE TABLE ingest_heads (
    stream_id   TEXT PRIMARY KEY,
    head_seq    BIGINT NOT NULL,
    indexed_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE ingest_log (
    stream_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    batch     BYTEA NOT NULL,
    PRIMARY KEY (stream_id, seq)
);

CREATE TABLE log_segments (
    stream_id TEXT NOT NULL,
    object    TEXT NOT NULL,
    day       TEXT NOT NULL,
    from_seq  BIGINT NOT NULL,
    to_seq    BIGINT NOT NULL,
    min_line  BIGINT NOT NULL,
    max_line  BIGINT NOT NULL,
    rows      BIGINT NOT NULL,
    bytes     BIGINT NOT NULL,
    PRIMARY KEY (stream_id, object)
);

CREATE INDEX log_segments_by_seq ON log_segments (stream_id, to_seq);
