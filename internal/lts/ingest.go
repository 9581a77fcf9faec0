package lts

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/klauspost/compress/snappy"

	"logtank/internal/logstore"
	"logtank/internal/wire"
)

// Ingestion limits. Bodies may arrive compressed: the decompressed size is
// capped too, so a small compressed body cannot expand without bound.
const (
	IngestBodyLimit  = 16 << 20
	maxDecompressed  = 32 << 20
	maxLineBytes     = 1 << 20
	maxLabels        = 64
	maxLabelKeyLen   = 128
	maxLabelValueLen = 1024
	maxFutureSkew    = 24 * time.Hour
	// maxBatchLines bounds one batch (the producer SDK sends at most
	// 40,960); with the decompressed size cap it keeps a batch within one
	// write-ahead-log record whatever the lines' sizes.
	maxBatchLines     = 100_000
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
			WrongProject:    func() *wire.Error { return ErrWrongProject.InShape(wire.ShapeIngest) },
			Invalid:         func(reason string) *wire.Error { return invalid("%s", reason).InShape(wire.ShapeIngest) },
			TooLarge:        func(limit int64) *wire.Error { return Errors.TooLarge(limit).InShape(wire.ShapeIngest) },
			Internal:        func() *wire.Error { return ErrInternal.InShape(wire.ShapeIngest) },
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

func reportSuccess(w http.ResponseWriter) {
	wire.WriteJSON(w, http.StatusOK, map[string]any{"errorCode": ingestSuccessCode, "errorMessage": "Report success.", "result": nil})
}

// body returns the request body, decompressed per Content-Encoding.
func body(r *http.Request) ([]byte, error) {
	raw := wire.Body(r)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, invalid("the body is not valid gzip: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxDecompressed+1))
		if err != nil {
			return nil, invalid("the body is not valid gzip: %v", err)
		}
		if len(out) > maxDecompressed {
			return nil, invalid("the decompressed body is larger than %d bytes", maxDecompressed)
		}
		return out, nil
	case "snappy":
		n, err := snappy.DecodedLen(raw)
		if err != nil {
			return nil, invalid("the body is not valid snappy: %v", err)
		}
		if n > maxDecompressed {
			return nil, invalid("the decompressed body is larger than %d bytes", maxDecompressed)
		}
		out, err := snappy.Decode(nil, raw)
		if err != nil {
			return nil, invalid("the body is not valid snappy: %v", err)
		}
		return out, nil
	default:
		return nil, invalid("Content-Encoding %q is not supported (gzip or snappy)", enc)
	}
}

func decodeBody(r *http.Request, v any) error {
	b, err := body(r)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}

// target resolves the stream a report goes to, checking that it belongs to
// the path's group and project.
func (s *Service) target(r *http.Request) (string, time.Duration, error) {
	project, group, id := r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id")
	ref, ok := s.streams.get(id)
	if !ok || ref.ProjectID != project {
		if !s.groupExists(r, project, group) {
			return "", 0, ErrGroupNotFound
		}
		return "", 0, ErrStreamNotFound
	}
	if ref.GroupID != group {
		if !s.groupExists(r, project, group) {
			return "", 0, ErrGroupNotFound
		}
		return "", 0, ErrStreamNotFound.WithMsg("The log stream does not existed in log group %s", group)
	}
	return id, time.Duration(ref.TTLDays) * 24 * time.Hour, nil
}

func (s *Service) groupExists(r *http.Request, project, group string) bool {
	_, err := s.db.LogGroup(r.Context(), project, group)
	return err == nil
}

func checkLabels(m map[string]string) (logstore.Labels, error) {
	if len(m) > maxLabels {
		return nil, invalid("labels may hold at most %d labels", maxLabels)
	}
	for k, v := range m {
		if k == "" || len(k) > maxLabelKeyLen {
			return nil, invalid("label key %q must be 1-%d bytes", k, maxLabelKeyLen)
		}
		if len(v) > maxLabelValueLen {
			return nil, invalid("label %s: the value must be at most %d bytes", k, maxLabelValueLen)
		}
	}
	return logstore.LabelsFromMap(m), nil
}

// checkEntries refuses lines that are empty-handed, too large, older than
// the stream's TTL or too far in the future.
func (s *Service) checkEntries(entries []logstore.Entry, ttl time.Duration, field string) error {
	if len(entries) == 0 {
		return invalid("%s must hold at least one log", field)
	}
	if len(entries) > maxBatchLines {
		return invalid("%s holds %d logs, more than the limit of %d per request", field, len(entries), maxBatchLines)
	}
	now := s.now()
	oldest := now.Add(-ttl).UnixNano()
	newest := now.Add(maxFutureSkew).UnixNano()
	for i, e := range entries {
		switch {
		case len(e.Content) > maxLineBytes:
			return invalid("%s[%d] is %d bytes, more than the limit of %d", field, i, len(e.Content), maxLineBytes)
		case ttl > 0 && e.TimeNs < oldest:
			return invalid("%s[%d]: log time %s is older than the stream's TTL of %d days", field, i,
				time.Unix(0, e.TimeNs).UTC().Format(time.RFC3339Nano), int(ttl/(24*time.Hour)))
		case e.TimeNs > newest:
			return invalid("%s[%d]: log time %s is more than %v in the future", field, i,
				time.Unix(0, e.TimeNs).UTC().Format(time.RFC3339Nano), maxFutureSkew)
		case e.TimeNs <= 0:
			return invalid("%s[%d]: log_time_ns must be a positive Unix time in nanoseconds", field, i)
		}
	}
	return nil
}

func (s *Service) store(id string, labels logstore.Labels, entries []logstore.Entry) error {
	s.structureEntries(id, labels, entries)
	_, err := s.logs.Append(id, labels, entries)
	return storeError(err)
}

// storeError is what a failed append answers: too much for one write is
// the request's fault; a full or failing disk is a 503 to retry later
// (nothing of the request was stored); anything else the server's fault.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, logstore.ErrTooLarge):
		return ErrTooLarge.WithMsg("The request's logs are too large to store in one write (%v): send them in smaller requests", err)
	case errors.Is(err, logstore.ErrUnavailable):
		why := "a write to disk failed"
		if logstore.RefusalReason(err) == logstore.RefusedDiskFull {
			why = "the disk is full"
		}
		return ErrUnavailable.WithMsg("The service cannot store logs for now (%s); nothing of this request was stored, retry later", why)
	}
	return &wire.Internal{Err: ErrInternal.WithMsg("Failed to write the logs"), Cause: err}
}

// accept checks and stores one batch and answers success.
func (s *Service) accept(w http.ResponseWriter, id string, ttl time.Duration, labels logstore.Labels, entries []logstore.Entry) error {
	if err := s.checkEntries(entries, ttl, "contents"); err != nil {
		return err
	}
	if err := s.store(id, labels, entries); err != nil {
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
	id, ttl, err := s.target(r)
	if err != nil {
		return err
	}
	if !req.LogTimeNs.Set {
		return invalid("log_time_ns is required")
	}
	labels, err := checkLabels(req.Labels)
	if err != nil {
		return err
	}
	entries := make([]logstore.Entry, len(req.Contents))
	for i, c := range req.Contents {
		entries[i] = logstore.Entry{TimeNs: req.LogTimeNs.Value + int64(i), Content: c}
	}
	return s.accept(w, id, ttl, labels, entries)
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
	var req struct {
		Contents []timedLog        `json:"contents"`
		Labels   map[string]string `json:"labels"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	id, ttl, err := s.target(r)
	if err != nil {
		return err
	}
	labels, err := checkLabels(req.Labels)
	if err != nil {
		return err
	}
	entries, err := timedEntries(req.Contents, "contents")
	if err != nil {
		return err
	}
	return s.accept(w, id, ttl, labels, entries)
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
	id, ttl, err := s.target(r)
	if err != nil {
		return err
	}
	if len(req.Items) == 0 {
		return invalid("log_items must hold at least one item")
	}
	batches := make([]logstore.Batch, len(req.Items))
	total := 0
	for i, item := range req.Items {
		m := map[string]string{}
		if strings.TrimSpace(item.Labels) != "" {
			if err := json.Unmarshal([]byte(item.Labels), &m); err != nil {
				return invalid("log_items[%d].labels must be a JSON object of strings encoded as a string: %v", i, err)
			}
		}
		labels, err := checkLabels(m)
		if err != nil {
			return err
		}
		field := fmt.Sprintf("log_items[%d].contents", i)
		entries, err := timedEntries(item.Contents, field)
		if err != nil {
			return err
		}
		if err := s.checkEntries(entries, ttl, field); err != nil {
			return err
		}
		if total += len(entries); total > maxBatchLines {
			return invalid("log_items hold more than the limit of %d logs per request", maxBatchLines)
		}
		batches[i] = logstore.Batch{Labels: labels, Entries: entries}
	}
	// The items are stored together: all of them, or none.
	for _, b := range batches {
		s.structureEntries(id, b.Labels, b.Entries)
	}
	if _, err := s.logs.AppendBatches(id, batches); err != nil {
		return storeError(err)
	}
	reportSuccess(w)
	return nil
}
