package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
)

// Dashboard is a titled list of charts of a project.
type Dashboard struct {
	ID        string
	ProjectID string
	GroupName string
	Title     string
	Charts    []string
	UpdatedMS int64
}

// Chart is SQL over a stream with the way to draw its result. Config is
// opaque here (the chart's JSON configuration).
type Chart struct {
	ID        string
	ProjectID string
	GroupID   string
	StreamID  string
	Title     string
	SQL       string
	Type      string
	Config    string
	CreatedMS int64
}

// CreateDashboardGroup stores a dashboard group (ErrExists when the
// project has one of that name).
func (c *DB) CreateDashboardGroup(ctx context.Context, id, projectID, name string, ms int64) error {
	_, err := c.sql.ExecContext(ctx, `INSERT INTO dashboard_groups (id, project_id, name, created_ms) VALUES ($1, $2, $3, $4)`, id, projectID, name, ms)
	if uniqueViolation(err) {
		return ErrExists
	}
	return err
}

// DashboardGroupExists tells whether a project has a dashboard group.
func (c *DB) DashboardGroupExists(ctx context.Context, projectID, name string) (bool, error) {
	var n int
	err := c.sql.QueryRowContext(ctx, `SELECT count(*) FROM dashboard_groups WHERE project_id = $1 AND name = $2`, projectID, name).Scan(&n)
	return n > 0, err
}

// CreateDashboard stores d (ErrExists when the project has a dashboard of
// that title, ErrQuota past max dashboards).
func (c *DB) CreateDashboard(ctx context.Context, d Dashboard, max int) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := admit(ctx, tx, max,
			counting{`SELECT count(*) FROM dashboards WHERE project_id = $1`, []any{d.ProjectID}},
			counting{`SELECT count(*) FROM dashboards WHERE project_id = $1 AND title = $2`, []any{d.ProjectID, d.Title}}); err != nil {
			return err
		}
		charts, _ := json.Marshal(nonNil(d.Charts))
		_, err := tx.ExecContext(ctx, `INSERT INTO dashboards (id, project_id, group_name, title, charts, updated_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
			d.ID, d.ProjectID, d.GroupName, d.Title, string(charts), d.UpdatedMS)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Dashboards lists a project's dashboards by title.
func (c *DB) Dashboards(ctx context.Context, projectID string) ([]Dashboard, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT id, project_id, group_name, title, charts, updated_ms FROM dashboards WHERE project_id = $1 ORDER BY title`, projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Dashboard{}
	for rows.Next() {
		var d Dashboard
		var charts string
		if err := rows.Scan(&d.ID, &d.ProjectID, &d.GroupName, &d.Title, &charts, &d.UpdatedMS); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(charts), &d.Charts); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteDashboard removes a dashboard and, when withCharts, its charts
// (ErrNotFound when the project has no such dashboard).
func (c *DB) DeleteDashboard(ctx context.Context, projectID, id string, withCharts bool) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		var charts string
		err := tx.QueryRowContext(ctx, `SELECT charts FROM dashboards WHERE project_id = $1 AND id = $2`, projectID, id).Scan(&charts)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if withCharts {
			var ids []string
			if err := json.Unmarshal([]byte(charts), &ids); err != nil {
				return err
			}
			for _, cid := range ids {
				if _, err := tx.ExecContext(ctx, `DELETE FROM charts WHERE project_id = $1 AND id = $2`, projectID, cid); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM dashboards WHERE project_id = $1 AND id = $2`, projectID, id)
		return err
	})
}

// CreateChart stores ch and, when dashboardID is not empty, appends it to
// that dashboard's charts (ErrNotFound when the stream or the dashboard is
// missing).
func (c *DB) CreateChart(ctx context.Context, ch Chart, dashboardID string) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := streamInTx(ctx, tx, ch.ProjectID, ch.GroupID, ch.StreamID); err != nil {
			return err
		}
		if dashboardID != "" {
			var charts string
			err := tx.QueryRowContext(ctx, `SELECT charts FROM dashboards WHERE project_id = $1 AND id = $2`, ch.ProjectID, dashboardID).Scan(&charts)
			if err == sql.ErrNoRows {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			var ids []string
			if err := json.Unmarshal([]byte(charts), &ids); err != nil {
				return err
			}
			b, _ := json.Marshal(append(ids, ch.ID))
			if _, err := tx.ExecContext(ctx, `UPDATE dashboards SET charts = $1, updated_ms = $2 WHERE id = $3`, string(b), ch.CreatedMS, dashboardID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO charts (id, project_id, group_id, stream_id, title, sql, type, config, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			ch.ID, ch.ProjectID, ch.GroupID, ch.StreamID, ch.Title, ch.SQL, ch.Type, ch.Config, ch.CreatedMS)
		return err
	})
}

// Charts lists a project's charts, of one stream when streamID is not
// empty, oldest first.
func (c *DB) Charts(ctx context.Context, projectID, groupID, streamID string) ([]Chart, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT id, project_id, group_id, stream_id, title, sql, type, config, created_ms FROM charts
		WHERE project_id = $1 AND ($2 = '' OR group_id = $2) AND ($3 = '' OR stream_id = $3) ORDER BY created_ms, id`, projectID, groupID, streamID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Chart{}
	for rows.Next() {
		var ch Chart
		if err := rows.Scan(&ch.ID, &ch.ProjectID, &ch.GroupID, &ch.StreamID, &ch.Title, &ch.SQL, &ch.Type, &ch.Config, &ch.CreatedMS); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}
