CREATE TABLE transfers (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    type       TEXT NOT NULL,
    settings   TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    failure    TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE INDEX transfers_group ON transfers (group_id);

-- One row per stream of a transfer, with its progress: the rows of the
-- stream with sequence numbers in (base_seq, done_seq] and times before
-- done_end_ms are in objects. A run first records the window it is about to
-- write as pending, so that after a crash it writes the same window again
-- (the same object key) instead of a different one.
CREATE TABLE transfer_streams (
    transfer_id    TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    stream_id      TEXT NOT NULL,
    type           TEXT NOT NULL,
    base_seq       BIGINT NOT NULL,
    done_end_ms    BIGINT NOT NULL,
    done_seq       BIGINT NOT NULL,
    pending_end_ms BIGINT NOT NULL,
    pending_seq    BIGINT NOT NULL,
    PRIMARY KEY (transfer_id, stream_id),
    UNIQUE (stream_id, type)
);
