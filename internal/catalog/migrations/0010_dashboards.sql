-- Dashboards: SQL charts of streams, gathered under a title and a
-- dashboard group. A dashboard lists its charts' ids in order (JSON).
CREATE TABLE dashboard_groups (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE dashboards (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    title      TEXT NOT NULL,
    charts     TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (project_id, title)
);

-- A chart is SQL over one stream, drawn as a table, bar, line, pie or
-- number. Deleted with its stream or group, explicitly.
CREATE TABLE charts (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    stream_id  TEXT NOT NULL,
    title      TEXT NOT NULL,
    sql        TEXT NOT NULL,
    type       TEXT NOT NULL,
    config     TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE INDEX charts_stream ON charts (stream_id);
CREATE INDEX charts_group ON charts (group_id);
