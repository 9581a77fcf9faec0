package ltscore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
	"logtank/internal/structuring"
)

// A stream's structuring rule (lts.md §11) is set through the v2 rule API
// or copied from a template by a v3 configuration, stored in the catalog,
// and applies to the lines ingested after it is set (structureEntries).

// TemplateRef names the template a stream's rule was copied from; the zero
// value is a rule set through the v2 API.
type TemplateRef struct {
	ID, Name, Type string
}

// StoredRule is a stream's rule as stored, with what ingestion counted with
// it since the server started or the rule last changed.
type StoredRule struct {
	ID, GroupID          string
	Rule                 structuring.Rule
	Template             TemplateRef
	CreatedMS, UpdatedMS int64
	Stats                RuleStats
}

// CheckStream answers LTS.0201 when group is not a group of project and
// LTS.0208 when stream is not a stream of group.
func (c *Core) CheckStream(ctx context.Context, project, group, stream string) error {
	switch _, err := c.db.LogGroup(ctx, project, group); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrGroupNotFound
	case err != nil:
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	switch _, err := c.db.LogStream(ctx, project, group, stream); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrStreamNotFound.WithMsg("The log stream does not existed in log group %s: %s", group, stream)
	case err != nil:
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return nil
}

// SetRule makes rule the stream's rule, copied from template (the zero
// TemplateRef for the v2 API), and returns its id. A rule that replaces
// another keeps its id and creation time. An invalid rule is LTS.1901 or
// LTS.0009 (StructuringError).
func (c *Core) SetRule(ctx context.Context, project, group, stream string, rule structuring.Rule, template TemplateRef) (string, error) {
	return c.putRule(ctx, project, group, stream, rule, template, false)
}

// ReplaceRule is SetRule for a stream that must have a rule already: one
// without is LTS.0102 for the v2 API, LTS.2016 for a v3 configuration
// (template.Type set), as each API answers.
func (c *Core) ReplaceRule(ctx context.Context, project, group, stream string, rule structuring.Rule, template TemplateRef) (string, error) {
	return c.putRule(ctx, project, group, stream, rule, template, true)
}

func (c *Core) putRule(ctx context.Context, project, group, stream string, rule structuring.Rule, template TemplateRef, replaceOnly bool) (string, error) {
	if err := c.CheckStream(ctx, project, group, stream); err != nil {
		return "", err
	}
	if err := rule.Validate(); err != nil {
		return "", StructuringError(err)
	}
	prev, exists, err := c.storedRule(ctx, project, stream)
	if err != nil {
		return "", err
	}
	if replaceOnly && !exists {
		if template.Type != "" {
			return "", ErrUpdateStructConfig.WithMsg("%s: the log stream %s has no struct config", ErrUpdateStructConfig.Msg, stream)
		}
		return "", ErrStructNotFound.WithMsg("Query empty.: the log stream %s has no struct template to update", stream)
	}
	text, err := json.Marshal(rule)
	if err != nil {
		return "", &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	now := c.now().UnixMilli()
	sr := catalog.StructRule{ID: uuid.NewString(), StreamID: stream, ProjectID: project, GroupID: group, Rule: string(text),
		TemplateID: template.ID, TemplateName: template.Name, TemplateType: template.Type, CreatedMS: now, UpdatedMS: now}
	if exists {
		sr.ID, sr.CreatedMS = prev.ID, prev.CreatedMS
		if sr.UpdatedMS <= prev.UpdatedMS {
			// The cache tells rules apart by id and update time: a change
			// within the same millisecond must still look new.
			sr.UpdatedMS = prev.UpdatedMS + 1
		}
	}
	if err := c.streamConfigSaved(ctx, c.db.PutStructRule(ctx, sr)); err != nil {
		return "", err
	}
	return sr.ID, nil
}

// Rule returns the stream's rule; a stream without one is LTS.0102.
func (c *Core) Rule(ctx context.Context, project, group, stream string) (StoredRule, error) {
	if err := c.CheckStream(ctx, project, group, stream); err != nil {
		return StoredRule{}, err
	}
	sr, exists, err := c.storedRule(ctx, project, stream)
	if err != nil {
		return StoredRule{}, err
	}
	if !exists {
		return StoredRule{}, ErrStructNotFound.WithMsg("Query empty.: the log stream %s has no struct template", stream)
	}
	rule, err := structuring.UnmarshalRule([]byte(sr.Rule))
	if err != nil {
		return StoredRule{}, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	out := StoredRule{ID: sr.ID, GroupID: sr.GroupID, Rule: rule, CreatedMS: sr.CreatedMS, UpdatedMS: sr.UpdatedMS,
		Template: TemplateRef{ID: sr.TemplateID, Name: sr.TemplateName, Type: sr.TemplateType}}
	out.Stats, _ = c.RuleStats(stream, sr.ID)
	return out, nil
}

// DeleteRule removes the project's rule of id, whichever its stream; an id
// the project has no rule of is LTS.0102. The stream's lines are ingested
// unstructured from then on.
func (c *Core) DeleteRule(ctx context.Context, project, id string) error {
	switch _, err := c.db.DeleteStructRule(ctx, project, id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrStructNotFound.WithMsg("Query empty.: no struct template has id %s", id)
	case err != nil:
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return c.reload(ctx)
}

// storedRule returns the stream's stored rule, and whether there is one.
func (c *Core) storedRule(ctx context.Context, project, stream string) (catalog.StructRule, bool, error) {
	sr, err := c.db.StructRuleOfStream(ctx, project, stream)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return sr, false, nil
	case err != nil:
		return sr, false, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return sr, true, nil
}

// streamConfigSaved answers the storing of a stream's rule or index
// configuration: a stream gone meanwhile is LTS.0208, any other failure
// internal; once stored, the cache is refreshed so that ingestion and
// queries apply it.
func (c *Core) streamConfigSaved(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrStreamNotFound
	case err != nil:
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return c.reload(ctx)
}

// reload refreshes the cache after a change the core made; a failure is
// reported, since ingestion would act on stale rules.
func (c *Core) reload(ctx context.Context) error {
	if err := c.streams.reload(ctx); err != nil {
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return nil
}
