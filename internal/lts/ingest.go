package lts

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"logtank/internal/logstore"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// Ingestion limits. Bodies may arrive compressed: the decompressed size is
// capped too, so a small compressed body cannot expand without bound.
const (
	IngestBodyLimit   = 16 << 20
	maxDecompressed   = 32 << 20
	ingestSuccessCode = "SVCSTG.ALS.200.200"
)

// IngestAPI returns the ingestion routes. Their errors use the ingestion
// body shape, which carries both key spellings of the clients that post logs.
func (s *Service) IngestAPI() wire.Service {
	return wire.Service{
		Name:      "lts-ingest",
		BodyLimit: IngestBodyLimit,
		Errors: wire.Errors{
			Unauthenticated: func(reason string) *wire.Error { return Errors.Unauthenticated(reason).InShape(wire.ShapeIngest) },
			WrongProject:    func() *wire.Error { return ltscore.ErrWrongProject.InShape(wire.ShapeIngest) },
			Invalid:         func(reason string) *wire.Error { return invalid("%s", reason).InShape(wire.ShapeIngest) },
			TooLarge:        func(limit int64) *wire.Error { return Errors.TooLarge(limit).InShape(wire.ShapeIngest) },
			Internal:        func() *wire.Error { return ltscore.ErrInternal.InShape(wire.ShapeIngest) },
		},
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v2/{project_id}/lts/groups/{log_group_id}/streams/{log_stream_id}/tenant/contents", Handle: ingestShape(s.reportContents)},
			{Method: "POST", Pattern: "/v2/{project_id}/lts/groups/{log_group_id}/streams/{log_stream_id}/tenant/contents/high-accuracy", Handle: ingestShape(s.reportHighAccuracy)},
			{Method: "POST", Pattern: "/v2/internal/{project_id}/lts/groups/{log_group_id}/streams/{log_stream_id}/tenant/batch-contents", Handle: ingestShape(s.reportBatch)},
		},
	}
}

// ingestShape renders a handler's catalogue errors in the ingestion shape.
func ingestShape(h wire.HandlerFunc) wire.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		var we *wire.Error
		var in *wire.Internal
		switch {
		case errors.As(err, &in):
			return &wire.Internal{Err: in.Err.InShape(wire.ShapeIngest), Cause: in.Cause}
		case errors.As(err, &we):
			return we.InShape(wire.ShapeIngest)
		}
		return err
	}
}

// reportResponse is the ingestion APIs' success answer.
type reportResponse struct {
	Code   string `json:"errorCode"`
	Msg    string `json:"errorMessage"`
	Result any    `json:"result"`
}

func reportSuccess(w http.ResponseWriter) {
	wire.WriteJSON(w, http.StatusOK, reportResponse{Code: ingestSuccessCode, Msg: "Report success."})
}

func decodeBody(r *http.Request, v any) error {
	b, err := wire.DecodedBody(r, maxDecompressed)
	if err != nil {
		return invalid("%v", err)
	}
	return decodeJSON(b, v)
}

// target resolves the stream of the request's path.
func (s *Service) target(r *http.Request) (ltscore.Target, error) {
	return s.core.Target(r.Context(), r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"))
}

// accept stores the batches through the core and answers success.
func (s *Service) accept(w http.ResponseWriter, r *http.Request, t ltscore.Target, batches ...ltscore.Batch) error {
	if err := s.core.Ingest(r.Context(), t, batches...); err != nil {
		return err
	}
	reportSuccess(w)
	return nil
}

type reportRequest struct {
	LogTimeNs wire.Int          `json:"log_time_ns"`
	Contents  []string          `json:"contents"`
	Labels    map[string]string `json:"labels"`
}

func (s *Service) reportContents(w http.ResponseWriter, r *http.Request) error {
	var req reportRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	t, err := s.target(r)
	if err != nil {
		return err
	}
	if !req.LogTimeNs.Set {
		return invalid("log_time_ns is required")
	}
	entries := make([]logstore.Entry, len(req.Contents))
	for i, c := range req.Contents {
		entries[i] = logstore.Entry{TimeNs: req.LogTimeNs.Value + int64(i), Content: c}
	}
	return s.accept(w, r, t, ltscore.Batch{Labels: req.Labels, Entries: entries, Field: "contents"})
}

type timedLog struct {
	LogTimeNs wire.Int `json:"log_time_ns"`
	Log       string   `json:"log"`
}

func timedEntries(logs []timedLog, field string) ([]logstore.Entry, error) {
	entries := make([]logstore.Entry, len(logs))
	for i, l := range logs {
		if !l.LogTimeNs.Set {
			return nil, invalid("%s[%d].log_time_ns is required", field, i)
		}
		entries[i] = logstore.Entry{TimeNs: l.LogTimeNs.Value, Content: l.Log}
	}
	return entries, nil
}

func (s *Service) reportHighAccuracy(w http.ResponseWriter, r *http.Request) error {
	body, err := wire.DecodedBody(r, maxDecompressed)
	if err != nil {
		return invalid("%v", err)
	}
	req, ok := decodeHighAccuracy(body)
	if !ok {
		if err := decodeJSON(body, &req); err != nil {
			return err
		}
	}
	t, err := s.target(r)
	if err != nil {
		return err
	}
	entries, err := timedEntries(req.Contents, "contents")
	if err != nil {
		return err
	}
	return s.accept(w, r, t, ltscore.Batch{Labels: req.Labels, Entries: entries, Field: "contents"})
}

// reportBatch serves the producer SDK, whose labels arrive as a JSON text.
func (s *Service) reportBatch(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Items []struct {
			Contents []timedLog `json:"contents"`
			Labels   string     `json:"labels"`
		} `json:"log_items"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	t, err := s.target(r)
	if err != nil {
		return err
	}
	if len(req.Items) == 0 {
		return invalid("log_items must hold at least one item")
	}
	// The items are stored together: all of them, or none.
	batches := make([]ltscore.Batch, len(req.Items))
	for i, item := range req.Items {
		m := map[string]string{}
		if strings.TrimSpace(item.Labels) != "" {
			if err := json.Unmarshal([]byte(item.Labels), &m); err != nil {
				return invalid("log_items[%d].labels must be a JSON object of strings encoded as a string: %v", i, err)
			}
		}
		field := fmt.Sprintf("log_items[%d].contents", i)
		entries, err := timedEntries(item.Contents, field)
		if err != nil {
			return err
		}
		batches[i] = ltscore.Batch{Labels: m, Entries: entries, Field: field}
	}
	return s.accept(w, r, t, batches...)
}
