package lts

import (
	"errors"
	"net/http"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

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
