package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
)

// MetricDimension is one name/value pair of a metric series.
type MetricDimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MetricSeries describes an AOM metric series whose points the metric
// store holds: what the listing APIs show and the unit the points carry.
type MetricSeries struct {
	ProjectID string
	// Key identifies the series within its project (namespace, metric name
	// and dimension set).
	Key        string
	Namespace  string
	MetricName string
	// Dimensions are sorted by name.
	Dimensions    []MetricDimension
	DimensionHash string
	Unit          string
	ValueType     string
	// LastMS is the newest report time known for the series, kept at a
	// coarse granularity: it decides when a series has aged out.
	LastMS int64
}

// UpsertMetricSeries records the series, in one transaction. For a known
// series the unit and type are replaced (the last report wins) and LastMS
// only moves forward.
func (c *DB) UpsertMetricSeries(ctx context.Context, series []MetricSeries) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO metric_series
			(project_id, series_key, namespace, metric_name, dimensions, dimension_hash, unit, value_type, last_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (project_id, series_key) DO UPDATE SET unit = excluded.unit, value_type = excluded.value_type,
				last_ms = CASE WHEN excluded.last_ms > metric_series.last_ms THEN excluded.last_ms ELSE metric_series.last_ms END`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, s := range series {
			dims, err := json.Marshal(s.Dimensions)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, s.ProjectID, s.Key, s.Namespace, s.MetricName, string(dims),
				s.DimensionHash, s.Unit, s.ValueType, s.LastMS); err != nil {
				return err
			}
		}
		return nil
	})
}

// MetricSeriesFilter selects series of a project; empty fields match all.
type MetricSeriesFilter struct {
	Namespace  string
	MetricName string
	// SinceMS leaves out series with no report since then.
	SinceMS int64
}

const metricSeriesColumns = `project_id, series_key, namespace, metric_name, dimensions, dimension_hash, unit, value_type, last_ms`

func scanMetricSeries(r interface{ Scan(...any) error }) (MetricSeries, error) {
	var s MetricSeries
	var dims string
	if err := r.Scan(&s.ProjectID, &s.Key, &s.Namespace, &s.MetricName, &dims, &s.DimensionHash, &s.Unit, &s.ValueType, &s.LastMS); err != nil {
		return s, err
	}
	s.Dimensions = []MetricDimension{}
	return s, json.Unmarshal([]byte(dims), &s.Dimensions)
}

// MetricSeriesList lists a project's series that match f, ordered by
// namespace, metric name and dimension hash.
func (c *DB) MetricSeriesList(ctx context.Context, projectID string, f MetricSeriesFilter) ([]MetricSeries, error) {
	var out []MetricSeries
	err := c.each(ctx, `SELECT `+metricSeriesColumns+` FROM metric_series
		WHERE project_id = $1 AND ($2 = '' OR namespace = $2) AND ($3 = '' OR metric_name = $3) AND last_ms >= $4
		ORDER BY namespace, metric_name, dimension_hash, series_key`, func(r *sql.Rows) error {
		s, err := scanMetricSeries(r)
		out = append(out, s)
		return err
	}, projectID, f.Namespace, f.MetricName, f.SinceMS)
	return out, err
}

// MetricSeriesByKey returns one series of a project, or ErrNotFound.
func (c *DB) MetricSeriesByKey(ctx context.Context, projectID, key string) (MetricSeries, error) {
	s, err := scanMetricSeries(c.sql.QueryRowContext(ctx, `SELECT `+metricSeriesColumns+` FROM metric_series
		WHERE project_id = $1 AND series_key = $2`, projectID, key))
	return s, notFound(err)
}

// DeleteMetricSeriesBefore forgets the series of every project with no
// report since beforeMS, whose points the metric store no longer keeps.
func (c *DB) DeleteMetricSeriesBefore(ctx context.Context, beforeMS int64) (int64, error) {
	res, err := c.sql.ExecContext(ctx, `DELETE FROM metric_series WHERE last_ms < $1`, beforeMS)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
