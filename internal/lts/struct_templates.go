package lts

import (
	"encoding/json"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// createCustomTemplate stores a custom template of the project. The SDK
// has no operation for it (the console makes them); the body is the
// StructTemplateModel the list operation answers, and the answer is
// {"id": ...}.
func (s *Service) createCustomTemplate(w http.ResponseWriter, r *http.Request) error {
	var in structuring.StructTemplateModel
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.TemplateName == "" || utf8.RuneCountInString(in.TemplateName) > structuring.MaxTemplateNameLen {
		return invalid("template_name must be 1 to %d characters", structuring.MaxTemplateNameLen)
	}
	rule, err := structuring.RuleFromTemplate(&in)
	if err != nil {
		return ruleError(err)
	}
	text, err := json.Marshal(rule)
	if err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	project := r.PathValue("project_id")
	t := catalog.StructTemplate{ID: uuid.NewString(), ProjectID: project, Name: in.TemplateName,
		Rule: string(text), CreatedMS: s.core.Now().UnixMilli()}
	t.Type = rule.TemplateModel(t.ID, project, t.Name, t.CreatedMS).TemplateType
	switch err := s.db.CreateStructTemplate(r.Context(), t); {
	case errors.Is(err, catalog.ErrExists):
		return invalid("template_name %q is already used by a custom template of the project", in.TemplateName)
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	wire.WriteJSON(w, http.StatusCreated, map[string]string{"id": t.ID})
	return nil
}

// listCustomTemplates answers the project's custom template of the id
// query parameter, or all of them without it.
func (s *Service) listCustomTemplates(w http.ResponseWriter, r *http.Request) error {
	project, id := r.PathValue("project_id"), r.URL.Query().Get("id")
	var stored []catalog.StructTemplate
	if id != "" {
		t, err := s.db.StructTemplateByID(r.Context(), project, id)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			return ltscore.ErrFindTemplate.WithMsg("%s: the project has no custom template %s", ltscore.ErrFindTemplate.Msg, id)
		case err != nil:
			return internal(ltscore.ErrInternal, err)
		}
		stored = append(stored, t)
	} else {
		var err error
		if stored, err = s.db.StructTemplates(r.Context(), project); err != nil {
			return internal(ltscore.ErrInternal, err)
		}
	}
	out := make([]structuring.StructTemplateModel, 0, len(stored))
	for _, t := range stored {
		rule, err := structuring.UnmarshalRule([]byte(t.Rule))
		if err != nil {
			return internal(ltscore.ErrInternal, err)
		}
		out = append(out, rule.TemplateModel(t.ID, project, t.Name, t.CreatedMS))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

type briefTemplateJSON struct {
	CreateTime   int64  `json:"create_time"`
	ID           string `json:"id"`
	TemplateName string `json:"template_name"`
	TemplateType string `json:"template_type"`
	ProjectID    string `json:"project_id"`
}

func (s *Service) listBriefCustomTemplates(w http.ResponseWriter, r *http.Request) error {
	project := r.PathValue("project_id")
	stored, err := s.db.StructTemplates(r.Context(), project)
	if err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	out := make([]briefTemplateJSON, 0, len(stored))
	for _, t := range stored {
		out = append(out, briefTemplateJSON{CreateTime: t.CreatedMS, ID: t.ID, TemplateName: t.Name, TemplateType: t.Type, ProjectID: project})
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

func (s *Service) deleteCustomTemplate(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if id == "" {
		return invalid("id is required")
	}
	switch err := s.db.DeleteStructTemplate(r.Context(), r.PathValue("project_id"), id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrFindTemplate.WithMsg("%s: the project has no custom template %s", ltscore.ErrFindTemplate.Msg, id)
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	wire.NoContent(w)
	return nil
}
