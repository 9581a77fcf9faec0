-- Saved searches of a stream (LTS "search criterias", quick queries):
-- ORIGINALLOG for a search, VISUALIZATION for SQL. Deleted with their
-- stream or group, explicitly, like the structuring rules.
CREATE TABLE search_criteria (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    criteria    TEXT NOT NULL,
    search_type TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    UNIQUE (stream_id, search_type, name)
);

CREATE INDEX search_criteria_group ON search_criteria (group_id);

-- The SQL a stream was queried with, newest use last (ListHistorySql).
CREATE TABLE sql_history (
    project_id  TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    stream_id   TEXT NOT NULL,
    statement   TEXT NOT NULL,
    last_use_ms BIGINT NOT NULL,
    PRIMARY KEY (stream_id, statement)
);

CREATE INDEX sql_history_group ON sql_history (group_id);

-- Favourite streams (Createfavorite), by the resource id the client names.
CREATE TABLE favorites (
    project_id    TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    stream_id     TEXT NOT NULL,
    stream_name   TEXT NOT NULL,
    is_global     BOOLEAN NOT NULL,
    created_ms    BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource_id)
);
