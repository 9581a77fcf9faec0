package lts

import (
	"encoding/json"
	"errors"
	"net/http"

	"logtank/internal/catalog"
	"logtank/internal/logquery"
	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

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
