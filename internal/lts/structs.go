package lts

import (
	"context"
	"encoding/json"
	"errors"
	"logtank/internal/ltscore"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/logquery"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// This file serves structuring (lts.md §11): the v2 rule of a stream, the
// v3 configuration of a stream from a built-in or custom template, custom
// templates, and the index configuration of a stream. A stream's rule
// applies to the lines ingested after it is set (see structureEntries).

// ruleError maps a structuring validation failure onto the catalogue: a
// value outside an enumeration is LTS.1901, anything else LTS.0009; both
// keep the message, which names the field.
func ruleError(err error) error {
	var se *structuring.Error
	if errors.As(err, &se) && se.Kind == structuring.NotInList {
		return ltscore.ErrNotInList.WithMsg("%s", se.Msg)
	}
	if errors.As(err, &se) {
		return invalid("%s", se.Msg)
	}
	return invalid("%v", err)
}

// checkStream answers LTS.0009 for a missing id, LTS.0201 when the group is
// not the project's and LTS.0208 when the stream is not the group's.
func (s *Service) checkStream(r *http.Request, project, groupField, groupID, streamField, streamID string) error {
	switch {
	case groupID == "":
		return invalid("%s is required", groupField)
	case streamID == "":
		return invalid("%s is required", streamField)
	}
	if _, err := s.group(r, project, groupID); err != nil {
		return err
	}
	switch _, err := s.db.LogStream(r.Context(), project, groupID, streamID); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound.WithMsg("The log stream does not existed in log group %s: %s", groupID, streamID)
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	return nil
}

// writeText answers a plain-text body: the SDK hands the v2 and v3 rule
// operations' bodies to the caller as a raw string (Body *string), so the
// rule id, unquoted, is what a caller can use directly.
func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// existingRule returns the stream's stored rule, and whether there is one.
func (s *Service) existingRule(ctx context.Context, project, streamID string) (catalog.StructRule, bool, error) {
	prev, err := s.db.StructRuleOfStream(ctx, project, streamID)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return prev, false, nil
	case err != nil:
		return prev, false, internal(ltscore.ErrInternal, err)
	}
	return prev, true, nil
}

// saveRule stores rule as the stream's rule (keeping the id of the rule it
// replaces), refreshes the ingestion cache and answers the rule id.
func (s *Service) saveRule(w http.ResponseWriter, r *http.Request, sr catalog.StructRule, prev catalog.StructRule, replaces bool, rule structuring.Rule, status int) error {
	text, err := json.Marshal(rule)
	if err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	now := s.core.Now().UnixMilli()
	sr.Rule, sr.ID, sr.CreatedMS, sr.UpdatedMS = string(text), uuid.NewString(), now, now
	if replaces {
		sr.ID, sr.CreatedMS = prev.ID, prev.CreatedMS
		if sr.UpdatedMS <= prev.UpdatedMS {
			// The cache tells rules apart by id and update time: a change
			// within the same millisecond must still look new.
			sr.UpdatedMS = prev.UpdatedMS + 1
		}
	}
	switch err := s.db.PutStructRule(r.Context(), sr); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	writeText(w, status, sr.ID)
	return nil
}

func (s *Service) createStructTemplate(w http.ResponseWriter, r *http.Request) error {
	return s.putV2Rule(w, r, false)
}

func (s *Service) updateStructTemplate(w http.ResponseWriter, r *http.Request) error {
	return s.putV2Rule(w, r, true)
}

// putV2Rule serves POST (create or replace) and PUT (replace only) of the
// v2 rule of a stream.
func (s *Service) putV2Rule(w http.ResponseWriter, r *http.Request, update bool) error {
	var in structuring.StructTemplateInfo
	if err := decode(r, &in); err != nil {
		return err
	}
	project := r.PathValue("project_id")
	if in.ProjectId != "" && in.ProjectId != project {
		return invalid("project_id %q is not the project of the request path", in.ProjectId)
	}
	if err := s.checkStream(r, project, "log_group_id", in.LogGroupId, "log_stream_id", in.LogStreamId); err != nil {
		return err
	}
	rule, err := structuring.RuleFromV2(&in)
	if err != nil {
		return ruleError(err)
	}
	prev, exists, err := s.existingRule(r.Context(), project, in.LogStreamId)
	if err != nil {
		return err
	}
	if update && !exists {
		return ltscore.ErrStructNotFound.WithMsg("Query empty.: the log stream %s has no struct template to update", in.LogStreamId)
	}
	status := http.StatusCreated
	if update {
		status = http.StatusOK
	}
	sr := catalog.StructRule{StreamID: in.LogStreamId, ProjectID: project, GroupID: in.LogGroupId}
	return s.saveRule(w, r, sr, prev, exists, rule, status)
}

// showStructJSON is the GET answer: the SDK's ShowStructTemplateResponse
// plus what ingestion counted with the rule since the server started (or
// since the rule last changed). The SDK ignores the extra keys.
type showStructJSON struct {
	structuring.ShowStructTemplateResponse
	UnparsedLines int64 `json:"unparsedLines"`
	FailedValues  int64 `json:"failedValues"`
}

func (s *Service) showStructTemplate(w http.ResponseWriter, r *http.Request) error {
	project, q := r.PathValue("project_id"), r.URL.Query()
	groupID, streamID := q.Get("logGroupId"), q.Get("logStreamId")
	if err := s.checkStream(r, project, "logGroupId", groupID, "logStreamId", streamID); err != nil {
		return err
	}
	sr, exists, err := s.existingRule(r.Context(), project, streamID)
	if err != nil {
		return err
	}
	if !exists {
		return ltscore.ErrStructNotFound.WithMsg("Query empty.: the log stream %s has no struct template", streamID)
	}
	rule, err := structuring.UnmarshalRule([]byte(sr.Rule))
	if err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	out := showStructJSON{ShowStructTemplateResponse: rule.Show(structuring.ShowMeta{
		ID: sr.ID, ProjectID: project, LogGroupID: sr.GroupID, LogStreamID: streamID, TemplateName: sr.TemplateName,
	})}
	if st, ok := s.core.RuleStats(streamID, sr.ID); ok {
		out.UnparsedLines, out.FailedValues = st.Unparsed, st.Failed
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteStructTemplate(w http.ResponseWriter, r *http.Request) error {
	var in structuring.DeleteStructTemplateReqBody
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Id == "" {
		return invalid("id is required")
	}
	switch _, err := s.db.DeleteStructRule(r.Context(), r.PathValue("project_id"), in.Id); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStructNotFound.WithMsg("Query empty.: no struct template has id %s", in.Id)
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	writeText(w, http.StatusOK, in.Id)
	return nil
}

func (s *Service) createStructConfig(w http.ResponseWriter, r *http.Request) error {
	return s.putStructConfig(w, r, false)
}

func (s *Service) updateStructConfig(w http.ResponseWriter, r *http.Request) error {
	return s.putStructConfig(w, r, true)
}

// putStructConfig serves the v3 POST (create or replace) and PUT (replace
// only): the stream's rule becomes a copy of a built-in or custom template,
// with the quick-analysis choices of the body.
func (s *Service) putStructConfig(w http.ResponseWriter, r *http.Request, update bool) error {
	var in structuring.StructConfig
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return ruleError(err)
	}
	project := r.PathValue("project_id")
	if err := s.checkStream(r, project, "log_group_id", in.LogGroupId, "log_stream_id", in.LogStreamId); err != nil {
		return err
	}
	sr := catalog.StructRule{StreamID: in.LogStreamId, ProjectID: project, GroupID: in.LogGroupId,
		TemplateID: in.TemplateId, TemplateName: in.TemplateName, TemplateType: in.TemplateType}
	var rule structuring.Rule
	if in.TemplateType == structuring.TemplateBuiltIn {
		var err error
		if rule, err = structuring.BuiltInTemplateRule(in.TemplateName); err != nil {
			return ltscore.ErrTemplateInvalid.WithMsg("%s: %v", ltscore.ErrTemplateInvalid.Msg, err)
		}
	} else {
		t, err := s.db.StructTemplateByID(r.Context(), project, in.TemplateId)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			return ltscore.ErrTemplateInvalid.WithMsg("%s: the project has no custom template %s", ltscore.ErrTemplateInvalid.Msg, in.TemplateId)
		case err != nil:
			return internal(ltscore.ErrInternal, err)
		}
		if rule, err = structuring.UnmarshalRule([]byte(t.Rule)); err != nil {
			return internal(ltscore.ErrInternal, err)
		}
		sr.TemplateName = t.Name
	}
	if err := selectAnalysis(&rule, &in); err != nil {
		return err
	}
	prev, exists, err := s.existingRule(r.Context(), project, in.LogStreamId)
	if err != nil {
		return err
	}
	if update && !exists {
		return ltscore.ErrUpdateStructConfig.WithMsg("%s: the log stream %s has no struct config", ltscore.ErrUpdateStructConfig.Msg, in.LogStreamId)
	}
	return s.saveRule(w, r, sr, prev, exists, rule, http.StatusCreated)
}

// selectAnalysis applies a v3 body's quick-analysis choices to the
// template's rule: quick_analysis marks every field, then demo_fields and
// tag_fields set the fields they name, which must be the template's.
func selectAnalysis(rule *structuring.Rule, in *structuring.StructConfig) error {
	if len(in.DemoFields) == 0 && len(in.TagFields) == 0 && !in.QuickAnalysis.Value {
		return nil
	}
	p, err := structuring.Compile(rule)
	if err != nil {
		return ruleError(err)
	}
	fields := slices.Clone(p.Fields())
	if fields == nil && (len(in.DemoFields) > 0 || in.QuickAnalysis.Value) {
		return invalid("demo_fields: the template (%s without a field list) has no fixed fields to analyse", rule.Kind)
	}
	tags := slices.Clone(rule.Tags)
	for i := range fields {
		fields[i].Analysis = fields[i].Analysis || in.QuickAnalysis.Value
	}
	for i := range tags {
		tags[i].Analysis = tags[i].Analysis || in.QuickAnalysis.Value
	}
	for i, f := range in.DemoFields {
		k := slices.IndexFunc(fields, func(s structuring.FieldSpec) bool { return s.Name == f.FieldName })
		if k < 0 {
			return invalid("demo_fields[%d].field_name %q is not a field of the template", i, f.FieldName)
		}
		fields[k].Analysis = f.IsAnalysis.Value
	}
	for i, f := range in.TagFields {
		k := slices.IndexFunc(tags, func(s structuring.TagSpec) bool { return s.Name == f.FieldName })
		if k < 0 {
			return invalid("tag_fields[%d].field_name %q is not a tag field of the template", i, f.FieldName)
		}
		tags[k].Analysis = f.IsAnalysis.Value
	}
	rule.Fields, rule.Tags = fields, tags
	if err := rule.Validate(); err != nil {
		return ruleError(err)
	}
	return nil
}

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

// indexSaved is the answer of a stored index configuration, in the
// SDK's CreateLogStreamIndexResponse shape.
type indexSaved struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	Result       string `json:"result"`
}

func (s *Service) createIndexConfig(w http.ResponseWriter, r *http.Request) error {
	var in structuring.LtsIndexConfigInfo
	if err := decode(r, &in); err != nil {
		return err
	}
	cfg, err := in.Normalize()
	if err != nil {
		return ruleError(err)
	}
	project, groupID, streamID := r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("stream_id")
	if cfg.LogStreamId != streamID {
		return invalid("logStreamId %q is not the stream of the request path (%s)", cfg.LogStreamId, streamID)
	}
	if err := s.checkStream(r, project, "group_id", groupID, "stream_id", streamID); err != nil {
		return err
	}
	text, err := json.Marshal(cfg)
	if err != nil {
		return internal(ltscore.ErrInternal, err)
	}
	ic := catalog.IndexConfig{StreamID: streamID, ProjectID: project, GroupID: groupID, Config: string(text), UpdatedMS: s.core.Now().UnixMilli()}
	switch err := s.db.PutIndexConfig(r.Context(), ic); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	if err := s.reloadStreams(r.Context()); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, indexSaved{ErrorCode: ingestSuccessCode, ErrorMessage: "The index configuration is saved.", Result: streamID})
	return nil
}

func (s *Service) showIndexConfig(w http.ResponseWriter, r *http.Request) error {
	project, groupID, streamID := r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("stream_id")
	if err := s.checkStream(r, project, "group_id", groupID, "stream_id", streamID); err != nil {
		return err
	}
	ic, err := s.db.IndexConfigOfStream(r.Context(), project, streamID)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		wire.WriteJSON(w, http.StatusOK, defaultIndexConfig(streamID))
		return nil
	case err != nil:
		return internal(ltscore.ErrInternal, err)
	}
	wire.WriteJSON(w, http.StatusOK, json.RawMessage(ic.Config))
	return nil
}

// defaultIndexConfig is the configuration of a stream that was never given
// one: full text indexed, case-insensitive, with the default delimiters.
func defaultIndexConfig(streamID string) structuring.IndexConfig {
	return structuring.IndexConfig{
		FullTextIndex: structuring.FullTextIndex{Enable: true, Tokenizer: logquery.DefaultDelimiters},
		Fields:        []structuring.FieldIndex{}, LogStreamId: streamID,
		FastAnalysisSampleCount: structuring.DefaultFastAnalysisSampleCount,
	}
}
