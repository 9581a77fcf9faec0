CREATE TABLE functions (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    domain_id  TEXT NOT NULL,
    package    TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (project_id, package, name)
);

CREATE TABLE function_versions (
    function_id  TEXT NOT NULL REFERENCES functions(id) ON DELETE CASCADE,
    version      TEXT NOT NULL,
    config       TEXT NOT NULL,
    code_digest  TEXT NOT NULL,
    code_size    BIGINT NOT NULL,
    fingerprint  TEXT NOT NULL,
    description  TEXT NOT NULL,
    modified_ms  BIGINT NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (function_id, version)
);

CREATE TABLE function_aliases (
    function_id        TEXT NOT NULL REFERENCES functions(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    version            TEXT NOT NULL,
    additional_version TEXT NOT NULL,
    description        TEXT NOT NULL,
    routing            TEXT NOT NULL,
    modified_ms        BIGINT NOT NULL,
    created_ms         BIGINT NOT NULL,
    PRIMARY KEY (function_id, name)
);

CREATE TABLE function_async_invocations (
    request_id    TEXT PRIMARY KEY,
    function_id   TEXT NOT NULL REFERENCES functions(id) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,
    version       TEXT NOT NULL,
    status        TEXT NOT NULL,
    error_code    INTEGER NOT NULL,
    error_message TEXT NOT NULL,
    start_ms      BIGINT NOT NULL,
    end_ms        BIGINT NOT NULL
);

CREATE INDEX function_async_invocations_by_function ON function_async_invocations (function_id, start_ms);
