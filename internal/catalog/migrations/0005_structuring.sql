-- The structuring rule of a stream: the rule's JSON as the structuring
-- package stores it, with the template it came from (v3) and its times.
-- Rows are deleted with their stream or group (DeleteLogStream,
-- DeleteLogGroup), explicitly, like the streams themselves.
CREATE TABLE struct_rules (
    stream_id     TEXT PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    project_id    TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    rule          TEXT NOT NULL,
    template_id   TEXT NOT NULL,
    template_name TEXT NOT NULL,
    template_type TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL
);

CREATE INDEX struct_rules_group ON struct_rules (group_id);

-- The index configuration of a stream, as normalized JSON.
CREATE TABLE index_configs (
    stream_id  TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    config     TEXT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE INDEX index_configs_group ON index_configs (group_id);

-- Custom structuring templates of a project (v3), each a rule's JSON.
CREATE TABLE struct_templates (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    rule       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
