CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE domains (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY,
    domain_id  TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    domain_id     TEXT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL,
    created_ms    BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE access_keys (
    access      TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE log_groups (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    alias      TEXT NOT NULL,
    ttl_days   INTEGER NOT NULL,
    tags       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE log_streams (
    id                 TEXT PRIMARY KEY,
    project_id         TEXT NOT NULL,
    group_id           TEXT NOT NULL REFERENCES log_groups(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    alias              TEXT NOT NULL,
    ttl_days           INTEGER NOT NULL,
    tags               TEXT NOT NULL,
    enterprise_project TEXT NOT NULL,
    log_storage        BOOLEAN NOT NULL,
    created_ms         BIGINT NOT NULL,
    UNIQUE (group_id, name)
);

CREATE INDEX log_streams_project ON log_streams (project_id);
