package catalog

import (
	"context"
	"database/sql"
)

// SearchCriteria is a saved search of a stream: a search (ORIGINALLOG) or
// SQL (VISUALIZATION) under a name unique per stream and type.
type SearchCriteria struct {
	ID         string
	ProjectID  string
	GroupID    string
	StreamID   string
	Name       string
	Criteria   string
	SearchType string
	CreatedMS  int64
}

// CreateSearchCriteria stores s unless its stream is missing from its
// project and group (ErrNotFound), the stream has max saved searches
// (ErrQuota) or one of that type and name (ErrExists).
func (c *DB) CreateSearchCriteria(ctx context.Context, s SearchCriteria, max int) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := streamInTx(ctx, tx, s.ProjectID, s.GroupID, s.StreamID); err != nil {
			return err
		}
		if err := admit(ctx, tx, max,
			counting{`SELECT count(*) FROM search_criteria WHERE stream_id = $1`, []any{s.StreamID}},
			counting{`SELECT count(*) FROM search_criteria WHERE stream_id = $1 AND search_type = $2 AND name = $3`, []any{s.StreamID, s.SearchType, s.Name}}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO search_criteria (id, project_id, group_id, stream_id, name, criteria, search_type, created_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, s.ID, s.ProjectID, s.GroupID, s.StreamID, s.Name, s.Criteria, s.SearchType, s.CreatedMS)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

// SearchCriterias lists the saved searches of a project's group, of one
// stream when streamID is not empty, of one type when searchType is not
// empty, in the order they were saved.
func (c *DB) SearchCriterias(ctx context.Context, projectID, groupID, streamID, searchType string) ([]SearchCriteria, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT id, project_id, group_id, stream_id, name, criteria, search_type, created_ms
		FROM search_criteria WHERE project_id = $1 AND group_id = $2 AND ($3 = '' OR stream_id = $3) AND ($4 = '' OR search_type = $4)
		ORDER BY created_ms, id`, projectID, groupID, streamID, searchType)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SearchCriteria{}
	for rows.Next() {
		var s SearchCriteria
		if err := rows.Scan(&s.ID, &s.ProjectID, &s.GroupID, &s.StreamID, &s.Name, &s.Criteria, &s.SearchType, &s.CreatedMS); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSearchCriteria removes a saved search of a stream (ErrNotFound
// when the stream has none with that id).
func (c *DB) DeleteSearchCriteria(ctx context.Context, projectID, groupID, streamID, id string) error {
	return c.mustAffect(c.sql.ExecContext(ctx, `DELETE FROM search_criteria WHERE project_id = $1 AND group_id = $2 AND stream_id = $3 AND id = $4`,
		projectID, groupID, streamID, id))
}

// SQLHistory is one statement a stream was queried with.
type SQLHistory struct {
	Statement string
	LastUseMS int64
}

// RecordSQL notes that a stream was queried with statement at ms, keeping
// the keep most recently used statements of the stream.
func (c *DB) RecordSQL(ctx context.Context, projectID, groupID, streamID, statement string, ms int64, keep int) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sql_history (project_id, group_id, stream_id, statement, last_use_ms) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (stream_id, statement) DO UPDATE SET last_use_ms = excluded.last_use_ms`, projectID, groupID, streamID, statement, ms); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sql_history WHERE stream_id = $1 AND statement NOT IN
			(SELECT statement FROM sql_history WHERE stream_id = $1 ORDER BY last_use_ms DESC, statement LIMIT $2)`, streamID, keep)
		return err
	})
}

// SQLHistoryOf lists a stream's statements, the most recently used first.
func (c *DB) SQLHistoryOf(ctx context.Context, projectID, groupID, streamID string) ([]SQLHistory, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT statement, last_use_ms FROM sql_history WHERE project_id = $1 AND group_id = $2 AND stream_id = $3
		ORDER BY last_use_ms DESC, statement`, projectID, groupID, streamID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SQLHistory{}
	for rows.Next() {
		var h SQLHistory
		if err := rows.Scan(&h.Statement, &h.LastUseMS); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Favorite is a favourite stream of a project.
type Favorite struct {
	ProjectID    string
	ResourceID   string
	ResourceType string
	GroupID      string
	GroupName    string
	StreamID     string
	StreamName   string
	IsGlobal     bool
	CreatedMS    int64
}

// PutFavorite stores f (replacing a favourite with its resource id) unless
// its stream is missing from its project and group (ErrNotFound).
func (c *DB) PutFavorite(ctx context.Context, f Favorite) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := streamInTx(ctx, tx, f.ProjectID, f.GroupID, f.StreamID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO favorites (project_id, resource_id, resource_type, group_id, group_name, stream_id, stream_name, is_global, created_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (project_id, resource_id) DO UPDATE SET resource_type = excluded.resource_type, group_id = excluded.group_id,
				group_name = excluded.group_name, stream_id = excluded.stream_id, stream_name = excluded.stream_name, is_global = excluded.is_global`,
			f.ProjectID, f.ResourceID, f.ResourceType, f.GroupID, f.GroupName, f.StreamID, f.StreamName, f.IsGlobal, f.CreatedMS)
		return err
	})
}

// DeleteFavorite removes a favourite (ErrNotFound when there is none).
func (c *DB) DeleteFavorite(ctx context.Context, projectID, resourceID string) error {
	return c.mustAffect(c.sql.ExecContext(ctx, `DELETE FROM favorites WHERE project_id = $1 AND resource_id = $2`, projectID, resourceID))
}

// FavoriteStreams returns the ids of a project's streams that some
// favourite names, for the stream lists' is_favorite.
func (c *DB) FavoriteStreams(ctx context.Context, projectID string) (map[string]bool, error) {
	out := map[string]bool{}
	err := c.each(ctx, `SELECT DISTINCT stream_id FROM favorites WHERE project_id = $1`, func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		out[id] = true
		return err
	}, projectID)
	return out, err
}

// deleteConsoleState removes the saved searches, SQL history,
// favourites and charts of a stream or group (column is stream_id or group_id).
func deleteConsoleState(ctx context.Context, tx *sql.Tx, column, id string) error {
	for _, table := range []string{"search_criteria", "sql_history", "favorites", "charts"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+column+` = $1`, id); err != nil {
			return err
		}
	}
	return nil
}
