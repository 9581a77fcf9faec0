package catalog

import (
	"context"
	"database/sql"
)

// StructRule is the structuring rule of a stream. Rule is opaque here: the
// structuring package's JSON of the rule.
type StructRule struct {
	ID        string
	StreamID  string
	ProjectID string
	GroupID   string
	Rule      string
	// TemplateID, TemplateName and TemplateType say which v3 template the
	// rule came from; empty for a rule set through the v2 API.
	TemplateID   string
	TemplateName string
	TemplateType string
	CreatedMS    int64
	UpdatedMS    int64
}

// PutStructRule stores r as its stream's rule, replacing the one there
// (which keeps its id and creation time). ErrNotFound when the stream is
// not in r's project and group: checked in the same transaction, so a rule
// never outlives a stream deleted concurrently.
func (c *DB) PutStructRule(ctx context.Context, r StructRule) error {
	return c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		if err := streamInTx(ctx, tx, r.ProjectID, r.GroupID, r.StreamID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO struct_rules (stream_id, id, project_id, group_id, rule, template_id, template_name, template_type, created_ms, updated_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (stream_id) DO UPDATE SET rule = excluded.rule, template_id = excluded.template_id,
				template_name = excluded.template_name, template_type = excluded.template_type, updated_ms = excluded.updated_ms`,
			r.StreamID, r.ID, r.ProjectID, r.GroupID, r.Rule, r.TemplateID, r.TemplateName, r.TemplateType, r.CreatedMS, r.UpdatedMS)
		return err
	})
}

func streamInTx(ctx context.Context, tx *sql.Tx, projectID, groupID, streamID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM log_streams WHERE project_id = $1 AND group_id = $2 AND id = $3`,
		projectID, groupID, streamID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

const structRuleColumns = `id, stream_id, project_id, group_id, rule, template_id, template_name, template_type, created_ms, updated_ms`

func scanStructRule(r interface{ Scan(...any) error }) (StructRule, error) {
	var s StructRule
	err := r.Scan(&s.ID, &s.StreamID, &s.ProjectID, &s.GroupID, &s.Rule, &s.TemplateID, &s.TemplateName, &s.TemplateType, &s.CreatedMS, &s.UpdatedMS)
	return s, err
}

// StructRuleOfStream returns a stream's rule, or ErrNotFound.
func (c *DB) StructRuleOfStream(ctx context.Context, projectID, streamID string) (StructRule, error) {
	r, err := scanStructRule(c.sql.QueryRowContext(ctx, `SELECT `+structRuleColumns+` FROM struct_rules WHERE project_id = $1 AND stream_id = $2`, projectID, streamID))
	return r, notFound(err)
}

// StructRules lists the rules of every stream, for the ingestion cache.
func (c *DB) StructRules(ctx context.Context) ([]StructRule, error) {
	var out []StructRule
	err := c.each(ctx, `SELECT `+structRuleColumns+` FROM struct_rules`, func(r *sql.Rows) error {
		s, err := scanStructRule(r)
		out = append(out, s)
		return err
	})
	return out, err
}

// DeleteStructRule removes a rule of a project by its id and returns it, or
// ErrNotFound.
func (c *DB) DeleteStructRule(ctx context.Context, projectID, id string) (StructRule, error) {
	var r StructRule
	err := c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		var err error
		r, err = scanStructRule(tx.QueryRowContext(ctx, `SELECT `+structRuleColumns+` FROM struct_rules WHERE project_id = $1 AND id = $2`, projectID, id))
		if err != nil {
			return notFound(err)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM struct_rules WHERE id = $1`, id)
		return err
	})
	return r, err
}

// IndexConfig is the index configuration of a stream; Config is opaque
// here (the structuring package's JSON).
type IndexConfig struct {
	StreamID  string
	ProjectID string
	GroupID   string
	Config    string
	UpdatedMS int64
}

// PutIndexConfig stores ic as its stream's index configuration, replacing
// the one there; ErrNotFound when the stream is not in ic's project and
// group.
func (c *DB) PutIndexConfig(ctx context.Context, ic IndexConfig) error {
	return c.change(ctx, ScopeStreams, func(tx *sql.Tx) error {
		if err := streamInTx(ctx, tx, ic.ProjectID, ic.GroupID, ic.StreamID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO index_configs (stream_id, project_id, group_id, config, updated_ms) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (stream_id) DO UPDATE SET config = excluded.config, updated_ms = excluded.updated_ms`,
			ic.StreamID, ic.ProjectID, ic.GroupID, ic.Config, ic.UpdatedMS)
		return err
	})
}

// IndexConfigOfStream returns a stream's index configuration, or
// ErrNotFound when none was set.
func (c *DB) IndexConfigOfStream(ctx context.Context, projectID, streamID string) (IndexConfig, error) {
	var ic IndexConfig
	err := c.sql.QueryRowContext(ctx, `SELECT stream_id, project_id, group_id, config, updated_ms FROM index_configs WHERE project_id = $1 AND stream_id = $2`,
		projectID, streamID).Scan(&ic.StreamID, &ic.ProjectID, &ic.GroupID, &ic.Config, &ic.UpdatedMS)
	return ic, notFound(err)
}

// IndexConfigs lists the index configurations of every stream.
func (c *DB) IndexConfigs(ctx context.Context) ([]IndexConfig, error) {
	var out []IndexConfig
	err := c.each(ctx, `SELECT stream_id, project_id, group_id, config, updated_ms FROM index_configs`, func(r *sql.Rows) error {
		var ic IndexConfig
		err := r.Scan(&ic.StreamID, &ic.ProjectID, &ic.GroupID, &ic.Config, &ic.UpdatedMS)
		out = append(out, ic)
		return err
	})
	return out, err
}

// deleteStructuring removes the rules and index configurations of a
// stream (column "stream_id") or of every stream of a group ("group_id"),
// inside the transaction that deletes them.
func deleteStructuring(ctx context.Context, tx *sql.Tx, column, id string) error {
	for _, table := range []string{"struct_rules", "index_configs"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+column+` = $1`, id); err != nil {
			return err
		}
	}
	return nil
}

// StructTemplate is a custom structuring template of a project (v3). Rule
// is opaque here (the structuring package's JSON); Type is its method as
// the template list names it (regex, json, split, nginx).
type StructTemplate struct {
	ID        string
	ProjectID string
	Name      string
	Type      string
	Rule      string
	CreatedMS int64
}

// CreateStructTemplate stores t, or ErrExists when its project has a
// template of that name.
func (c *DB) CreateStructTemplate(ctx context.Context, t StructTemplate) error {
	_, err := c.sql.ExecContext(ctx, `INSERT INTO struct_templates (id, project_id, name, type, rule, created_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.ID, t.ProjectID, t.Name, t.Type, t.Rule, t.CreatedMS)
	if uniqueViolation(err) {
		return ErrExists
	}
	return err
}

const structTemplateColumns = `id, project_id, name, type, rule, created_ms`

func scanStructTemplate(r interface{ Scan(...any) error }) (StructTemplate, error) {
	var t StructTemplate
	err := r.Scan(&t.ID, &t.ProjectID, &t.Name, &t.Type, &t.Rule, &t.CreatedMS)
	return t, err
}

// StructTemplateByID returns a template of a project, or ErrNotFound.
func (c *DB) StructTemplateByID(ctx context.Context, projectID, id string) (StructTemplate, error) {
	t, err := scanStructTemplate(c.sql.QueryRowContext(ctx, `SELECT `+structTemplateColumns+` FROM struct_templates WHERE project_id = $1 AND id = $2`, projectID, id))
	return t, notFound(err)
}

// StructTemplates lists a project's templates, oldest first.
func (c *DB) StructTemplates(ctx context.Context, projectID string) ([]StructTemplate, error) {
	var out []StructTemplate
	err := c.each(ctx, `SELECT `+structTemplateColumns+` FROM struct_templates WHERE project_id = $1 ORDER BY created_ms, id`, func(r *sql.Rows) error {
		t, err := scanStructTemplate(r)
		out = append(out, t)
		return err
	}, projectID)
	return out, err
}

// DeleteStructTemplate removes a template of a project, or ErrNotFound.
// Rules made from it stay: a stream's rule is a copy.
func (c *DB) DeleteStructTemplate(ctx context.Context, projectID, id string) error {
	return c.mustAffect(c.sql.ExecContext(ctx, `DELETE FROM struct_templates WHERE project_id = $1 AND id = $2`, projectID, id))
}
