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

// A custom template is a rule a project keeps under a name, which a v3
// configuration copies onto a stream (ConfigTemplate): the stream's rule is a
// copy, so deleting the template leaves it.

// Template is a custom template of a project.
type Template struct {
	ID, Name string
	// Type is the template's method as the v3 API names it.
	Type      string
	Rule      structuring.Rule
	CreatedMS int64
}

// CreateTemplate stores t's rule as a custom template of project under
// t's name and type, and returns it with its id and creation time. An
// invalid rule is LTS.1901 or LTS.0009 (StructuringError), and so is a name
// the project already uses.
func (c *Core) CreateTemplate(ctx context.Context, project string, t Template) (Template, error) {
	if err := t.Rule.Validate(); err != nil {
		return Template{}, StructuringError(err)
	}
	text, err := json.Marshal(t.Rule)
	if err != nil {
		return Template{}, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	t.ID, t.CreatedMS = uuid.NewString(), c.now().UnixMilli()
	switch err := c.db.CreateStructTemplate(ctx, catalog.StructTemplate{ID: t.ID, ProjectID: project, Name: t.Name,
		Type: t.Type, Rule: string(text), CreatedMS: t.CreatedMS}); {
	case errors.Is(err, catalog.ErrExists):
		return Template{}, Invalid("template_name %q is already used by a custom template of the project", t.Name)
	case err != nil:
		return Template{}, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return t, nil
}

// Template returns the custom template id of project; one the project does
// not have is LTS.2017.
func (c *Core) Template(ctx context.Context, project, id string) (Template, error) {
	t, found, err := c.customTemplate(ctx, project, id)
	if err == nil && !found {
		err = ErrFindTemplate.WithMsg("%s: the project has no custom template %s", ErrFindTemplate.Msg, id)
	}
	return t, err
}

// Templates lists the custom templates of project, oldest first.
func (c *Core) Templates(ctx context.Context, project string) ([]Template, error) {
	stored, err := c.db.StructTemplates(ctx, project)
	if err != nil {
		return nil, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	out := make([]Template, 0, len(stored))
	for _, st := range stored {
		t, err := templateOf(st)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// ConfigTemplate returns the custom template id of project for a v3
// configuration to copy onto a stream; one the project does not have is
// LTS.2014, as that API answers.
func (c *Core) ConfigTemplate(ctx context.Context, project, id string) (Template, error) {
	t, found, err := c.customTemplate(ctx, project, id)
	if err == nil && !found {
		err = ErrTemplateInvalid.WithMsg("%s: the project has no custom template %s", ErrTemplateInvalid.Msg, id)
	}
	return t, err
}

// DeleteTemplate removes the custom template id of project; one the
// project does not have is LTS.2017.
func (c *Core) DeleteTemplate(ctx context.Context, project, id string) error {
	switch err := c.db.DeleteStructTemplate(ctx, project, id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ErrFindTemplate.WithMsg("%s: the project has no custom template %s", ErrFindTemplate.Msg, id)
	case err != nil:
		return &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return nil
}

// customTemplate returns the custom template id of project, and whether
// there is one.
func (c *Core) customTemplate(ctx context.Context, project, id string) (Template, bool, error) {
	st, err := c.db.StructTemplateByID(ctx, project, id)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return Template{}, false, nil
	case err != nil:
		return Template{}, false, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	t, err := templateOf(st)
	return t, err == nil, err
}

func templateOf(st catalog.StructTemplate) (Template, error) {
	rule, err := structuring.UnmarshalRule([]byte(st.Rule))
	if err != nil {
		return Template{}, &apierr.Internal{Err: ErrInternal, Cause: err}
	}
	return Template{ID: st.ID, Name: st.Name, Type: st.Type, Rule: rule, CreatedMS: st.CreatedMS}, nil
}
