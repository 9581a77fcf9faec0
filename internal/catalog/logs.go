package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
)

// LogGroup is a named set of log streams in a project.
type LogGroup struct {
	ID        string
	ProjectID string
	Name      string
	Alias     string
	TTLDays   int
	Tags      map[string]string
	CreatedMS int64
}

// LogStream is where logs are written and searched.
type LogStream struct {
	ID        string
	ProjectID string
	GroupID   string
	Name      string
	Alias     string
	// TTLDays is 0 when the stream follows its group's TTL.
	TTLDays           int
	Tags              map[string]string
	EnterpriseProject string
	LogStorage        bool
	CreatedMS         int64
}

func tagsJSON(t map[string]string) string {
	if t == nil {
		t = map[string]string{}
	}
	b, _ := json.Marshal(t)
	return string(b)
}

func scanTags(s string) map[string]string {
	t := map[string]string{}
	_ = json.Unmarshal([]byte(s), &t)
	return t
}

// CreateLogGroup stores g unless its project already has maxGroups groups
// (ErrQuota) or a group of that name (ErrExists).
func (c *DB) CreateLogGroup(ctx context.Context, g LogGroup, maxGroups int) error {
	return c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		if err := admit(ctx, tx, maxGroups,
			counting{`SELECT count(*) FROM log_groups WHERE project_id = $1`, []any{g.ProjectID}},
			counting{`SELECT count(*) FROM log_groups WHERE project_id = $1 AND name = $2`, []any{g.ProjectID, g.Name}}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO log_groups (id, project_id, name, alias, ttl_days, tags, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			g.ID, g.ProjectID, g.Name, g.Alias, g.TTLDays, tagsJSON(g.Tags), g.CreatedMS)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

const groupColumns = `id, project_id, name, alias, ttl_days, tags, created_ms`

func scanGroup(r interface{ Scan(...any) error }) (LogGroup, error) {
	var g LogGroup
	var tags string
	err := r.Scan(&g.ID, &g.ProjectID, &g.Name, &g.Alias, &g.TTLDays, &tags, &g.CreatedMS)
	g.Tags = scanTags(tags)
	return g, err
}

// LogGroups lists a project's groups, oldest first.
func (c *DB) LogGroups(ctx context.Context, projectID string) ([]LogGroup, error) {
	var out []LogGroup
	err := c.each(ctx, `SELECT `+groupColumns+` FROM log_groups WHERE project_id = $1 ORDER BY created_ms, id`, func(r *sql.Rows) error {
		g, err := scanGroup(r)
		out = append(out, g)
		return err
	}, projectID)
	return out, err
}

// LogGroup returns one group of a project, or ErrNotFound.
func (c *DB) LogGroup(ctx context.Context, projectID, id string) (LogGroup, error) {
	g, err := scanGroup(c.sql.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM log_groups WHERE project_id = $1 AND id = $2`, projectID, id))
	return g, notFound(err)
}

// UpdateLogGroup sets a group's TTL and, when tags is not nil, its tags.
func (c *DB) UpdateLogGroup(ctx context.Context, projectID, id string, ttlDays int, tags map[string]string) (LogGroup, error) {
	err := c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		if tags != nil {
			return c.mustAffect(tx.ExecContext(ctx, `UPDATE log_groups SET ttl_days = $1, tags = $2 WHERE project_id = $3 AND id = $4`, ttlDays, tagsJSON(tags), projectID, id))
		}
		return c.mustAffect(tx.ExecContext(ctx, `UPDATE log_groups SET ttl_days = $1 WHERE project_id = $2 AND id = $3`, ttlDays, projectID, id))
	})
	if err != nil {
		return LogGroup{}, err
	}
	return c.LogGroup(ctx, projectID, id)
}

// DeleteLogGroup removes a group and its streams, unless a transfer
// refers to the group (an *InUseError). The streams are deleted
// explicitly, not left to the foreign key's cascade, so the outcome does
// not depend on the engine's foreign-key setting. Each stream leaves a
// tombstone (DeletedStreams) in the same transaction.
func (c *DB) DeleteLogGroup(ctx context.Context, projectID, id string) error {
	return c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		if t, err := transferOfGroup(ctx, tx, id); err != nil || t != "" {
			return inUse(t, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_streams (stream_id, project_id, deleted_ms)
			SELECT id, project_id, `+c.nowMS()+` FROM log_streams WHERE project_id = $1 AND group_id = $2
			ON CONFLICT (stream_id) DO NOTHING`, projectID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_streams WHERE project_id = $1 AND group_id = $2`, projectID, id); err != nil {
			return err
		}
		if err := deleteStructuring(ctx, tx, "group_id", id); err != nil {
			return err
		}
		if err := deleteConsoleState(ctx, tx, "group_id", id); err != nil {
			return err
		}
		return c.mustAffect(tx.ExecContext(ctx, `DELETE FROM log_groups WHERE project_id = $1 AND id = $2`, projectID, id))
	})
}

// CreateLogStream stores s unless its group is missing (ErrNotFound), has
// maxStreams streams (ErrQuota) or a stream of that name (ErrExists).
func (c *DB) CreateLogStream(ctx context.Context, s LogStream, maxStreams int) error {
	return c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		var groups int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM log_groups WHERE project_id = $1 AND id = $2`, s.ProjectID, s.GroupID).Scan(&groups); err != nil {
			return err
		}
		if groups == 0 {
			return ErrNotFound
		}
		if err := admit(ctx, tx, maxStreams,
			counting{`SELECT count(*) FROM log_streams WHERE group_id = $1`, []any{s.GroupID}},
			counting{`SELECT count(*) FROM log_streams WHERE group_id = $1 AND name = $2`, []any{s.GroupID, s.Name}}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO log_streams (id, project_id, group_id, name, alias, ttl_days, tags, enterprise_project, log_storage, created_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			s.ID, s.ProjectID, s.GroupID, s.Name, s.Alias, s.TTLDays, tagsJSON(s.Tags), s.EnterpriseProject, s.LogStorage, s.CreatedMS)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

const streamColumns = `id, project_id, group_id, name, alias, ttl_days, tags, enterprise_project, log_storage, created_ms`

func scanStream(r interface{ Scan(...any) error }) (LogStream, error) {
	var s LogStream
	var tags string
	err := r.Scan(&s.ID, &s.ProjectID, &s.GroupID, &s.Name, &s.Alias, &s.TTLDays, &tags, &s.EnterpriseProject, &s.LogStorage, &s.CreatedMS)
	s.Tags = scanTags(tags)
	return s, err
}

// StreamFilter selects streams of a project; empty fields match all.
type StreamFilter struct {
	GroupID    string
	GroupName  string
	StreamName string
}

// LogStreams lists a project's streams that match f, oldest first.
func (c *DB) LogStreams(ctx context.Context, projectID string, f StreamFilter) ([]LogStream, error) {
	var out []LogStream
	q := `SELECT ` + streamColumnsPrefixed + ` FROM log_streams s JOIN log_groups g ON g.id = s.group_id
		WHERE s.project_id = $1 AND ($2 = '' OR s.group_id = $2) AND ($3 = '' OR g.name = $3) AND ($4 = '' OR s.name = $4)
		ORDER BY s.created_ms, s.id`
	err := c.each(ctx, q, func(r *sql.Rows) error {
		s, err := scanStream(r)
		out = append(out, s)
		return err
	}, projectID, f.GroupID, f.GroupName, f.StreamName)
	return out, err
}

const streamColumnsPrefixed = `s.id, s.project_id, s.group_id, s.name, s.alias, s.ttl_days, s.tags, s.enterprise_project, s.log_storage, s.created_ms`

// LogStream returns one stream of a group, or ErrNotFound.
func (c *DB) LogStream(ctx context.Context, projectID, groupID, id string) (LogStream, error) {
	s, err := scanStream(c.sql.QueryRowContext(ctx, `SELECT `+streamColumns+` FROM log_streams WHERE project_id = $1 AND group_id = $2 AND id = $3`, projectID, groupID, id))
	return s, notFound(err)
}

// StreamUpdate is the changeable part of a stream; nil fields stay as they are.
type StreamUpdate struct {
	TTLDays    int
	Tags       map[string]string
	LogStorage *bool
}

// UpdateLogStream applies u to a stream of a group.
func (c *DB) UpdateLogStream(ctx context.Context, projectID, groupID, id string, u StreamUpdate) (LogStream, error) {
	err := c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		s, err := scanStream(tx.QueryRowContext(ctx, `SELECT `+streamColumns+` FROM log_streams WHERE project_id = $1 AND group_id = $2 AND id = $3`, projectID, groupID, id))
		if err != nil {
			return notFound(err)
		}
		if u.Tags != nil {
			s.Tags = u.Tags
		}
		if u.LogStorage != nil {
			s.LogStorage = *u.LogStorage
		}
		_, err = tx.ExecContext(ctx, `UPDATE log_streams SET ttl_days = $1, tags = $2, log_storage = $3 WHERE id = $4`, u.TTLDays, tagsJSON(s.Tags), s.LogStorage, id)
		return err
	})
	if err != nil {
		return LogStream{}, err
	}
	return c.LogStream(ctx, projectID, groupID, id)
}

// DeleteLogStream removes a stream of a group, unless a transfer writes
// it (an *InUseError), and leaves its tombstone (DeletedStreams) in the
// same transaction.
func (c *DB) DeleteLogStream(ctx context.Context, projectID, groupID, id string) error {
	return c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		if t, err := transferOfStream(ctx, tx, id); err != nil || t != "" {
			return inUse(t, err)
		}
		if err := deleteStructuring(ctx, tx, "stream_id", id); err != nil {
			return err
		}
		if err := deleteConsoleState(ctx, tx, "stream_id", id); err != nil {
			return err
		}
		if err := c.mustAffect(tx.ExecContext(ctx, `DELETE FROM log_streams WHERE project_id = $1 AND group_id = $2 AND id = $3`, projectID, groupID, id)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deleted_streams (stream_id, project_id, deleted_ms) VALUES ($1, $2, `+c.nowMS()+`)
			ON CONFLICT (stream_id) DO NOTHING`, id, projectID)
		return err
	})
}

// DeletedStreams returns the ids of every stream ever deleted (see the
// deleted_streams table): the logs every node must no longer keep.
func (c *DB) DeletedStreams(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := c.each(ctx, `SELECT stream_id FROM deleted_streams`, func(r *sql.Rows) error {
		var id string
		err := r.Scan(&id)
		out[id] = true
		return err
	})
	return out, err
}

// StreamRef is where a stream belongs and how long its logs are kept.
type StreamRef struct {
	ID        string
	ProjectID string
	GroupID   string
	// Name and GroupName are the stream's and its group's names.
	Name, GroupName string
	// TTLDays is the stream's own TTL, or its group's when it has none.
	TTLDays int
}

// StreamRefs lists every stream of every project.
func (c *DB) StreamRefs(ctx context.Context) ([]StreamRef, error) {
	var out []StreamRef
	err := c.each(ctx, `SELECT s.id, s.project_id, s.group_id, s.name, g.name, CASE WHEN s.ttl_days > 0 THEN s.ttl_days ELSE g.ttl_days END
		FROM log_streams s JOIN log_groups g ON g.id = s.group_id`, func(r *sql.Rows) error {
		var s StreamRef
		err := r.Scan(&s.ID, &s.ProjectID, &s.GroupID, &s.Name, &s.GroupName, &s.TTLDays)
		out = append(out, s)
		return err
	})
	return out, err
}
