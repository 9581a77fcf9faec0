CREATE TABLE metric_series (
    project_id     TEXT NOT NULL,
    series_key     TEXT NOT NULL,
    namespace      TEXT NOT NULL,
    metric_name    TEXT NOT NULL,
    dimensions     TEXT NOT NULL,
    dimension_hash TEXT NOT NULL,
    unit           TEXT NOT NULL,
    value_type     TEXT NOT NULL,
    last_ms        BIGINT NOT NULL,
    PRIMARY KEY (project_id, series_key)
);

CREATE INDEX metric_series_by_name ON metric_series (project_id, namespace, metric_name);
