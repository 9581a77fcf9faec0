-- Alarm rules (keywords and SQL) of a project, their definition as the
-- alarms package encodes it, and their evaluation state: next_due_ms is
-- the end of the next period to evaluate (an evaluation moves it forward
-- in the same transaction that records its outcome, so that each period
-- is evaluated once, even across a restart), recent the outcomes of the
-- last periods as a string of 0 and 1, false_streak how many periods in a
-- row the condition was false.
CREATE TABLE alarm_rules (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    spec         TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    created_ms   BIGINT NOT NULL,
    updated_ms   BIGINT NOT NULL,
    next_due_ms  BIGINT NOT NULL,
    recent       TEXT NOT NULL,
    false_streak INTEGER NOT NULL,
    UNIQUE (project_id, name)
);

-- Alarms raised by rules: active until the rule recovers or a user clears
-- them, then history.
CREATE TABLE alarm_events (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL,
    rule_id          TEXT NOT NULL,
    active           BOOLEAN NOT NULL,
    level            TEXT NOT NULL,
    first_ms         BIGINT NOT NULL,
    last_ms          BIGINT NOT NULL,
    ends_ms          BIGINT NOT NULL,
    count            BIGINT NOT NULL,
    notified_ms      BIGINT NOT NULL,
    detail           TEXT NOT NULL
);

CREATE INDEX alarm_events_rule ON alarm_events (rule_id, active);
CREATE INDEX alarm_events_project ON alarm_events (project_id, active, first_ms);

-- Notifications to send (an outbox written with the evaluation that
-- decided them) and the log of their attempts.
CREATE TABLE alarm_deliveries (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    topic       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    request     TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    next_ms     BIGINT NOT NULL,
    last_error  TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    done_ms     BIGINT NOT NULL
);

CREATE INDEX alarm_deliveries_pending ON alarm_deliveries (state, next_ms);
CREATE INDEX alarm_deliveries_event ON alarm_deliveries (event_id);

-- Named things of a project the alarms use, each a JSON document its owner
-- encodes: notification templates, topics (webhook endpoints) and alarm
-- action rules (topics plus a template).
CREATE TABLE alarm_objects (
    project_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    PRIMARY KEY (project_id, kind, name)
);
