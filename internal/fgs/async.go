package fgs

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/runtime"
	"logtank/internal/wire"
)

// The states of an asynchronous invocation, as the list API reports them.
const (
	statusWait    = "WAIT"
	statusRunning = "RUNNING"
	statusSuccess = "SUCCESS"
	statusFail    = "FAIL"
	statusDiscard = "DISCARD"
)

// Bounds of the async-invocation list.
const (
	defaultAsyncLimit = 10
	maxAsyncLimit     = 100
)

// invokeAsync accepts an invocation, answers 202 with its request id and
// runs it in the background; the list API reports how it ended.
func (s *Service) invokeAsync(w http.ResponseWriter, r *http.Request) error {
	t, err := s.target(r)
	if err != nil {
		return err
	}
	ev, err := event(r)
	if err != nil {
		return err
	}
	rec := catalog.AsyncInvocation{
		RequestID: uuid.NewString(), FunctionID: t.f.ID, Qualifier: t.qualifier, Version: t.v.Version,
		Status: statusWait, StartMS: s.now().UnixMilli(),
	}
	s.asyncMu.Lock()
	if s.closed {
		s.asyncMu.Unlock()
		return fail(ErrUnavailable, "the server is shutting down")
	}
	s.async.Add(1)
	s.asyncMu.Unlock()
	if err := s.db.CreateAsyncInvocation(r.Context(), rec); err != nil {
		s.async.Done()
		return internal(err)
	}
	go s.runAsync(t, rec, ev)
	wire.WriteJSON(w, http.StatusAccepted, map[string]string{"request_id": rec.RequestID})
	return nil
}

func (s *Service) runAsync(t target, rec catalog.AsyncInvocation, ev []byte) {
	defer s.async.Done()
	ctx := context.Background()
	s.asyncSlots <- struct{}{}
	defer func() { <-s.asyncSlots }()
	rec.Status = statusRunning
	s.recordAsync(ctx, rec)
	res, err := s.run(ctx, t, runtime.Invocation{RequestID: rec.RequestID, Event: ev, Async: true, Alias: t.alias})
	rec.EndMS = s.now().UnixMilli()
	switch {
	case err != nil:
		rec.Status, rec.ErrorCode, rec.ErrorMessage = statusFail, 0, err.Error()
		if we, ok := err.(*wire.Error); ok {
			rec.ErrorMessage = we.Code + ": " + we.Msg
		}
	case res.ErrorCode != 0:
		rec.Status, rec.ErrorCode, rec.ErrorMessage = statusFail, res.ErrorCode, string(res.Output)
	default:
		rec.Status = statusSuccess
	}
	s.recordAsync(ctx, rec)
}

func (s *Service) recordAsync(ctx context.Context, rec catalog.AsyncInvocation) {
	if err := s.db.UpdateAsyncInvocation(ctx, rec); err != nil {
		s.log.Error("recording an asynchronous invocation", "request_id", rec.RequestID, "error", err)
	}
}

// asyncJSON is an asynchronous invocation as the list API shows it.
type asyncJSON struct {
	RequestID    string `json:"request_id"`
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message"`
	ErrorCode    int    `json:"error_code"`
	StartTime    string `json:"start_time"`
	EndTime      string `json:"end_time"`
}

const asyncTimeLayout = "2006-01-02T15:04:05Z"

func (s *Service) listAsyncInvocations(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	filter, err := asyncFilter(r)
	if err != nil {
		return err
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return err
	}
	if ref.Qualifier != "" {
		filter.Qualifier = ref.Qualifier
	}
	recs, total, err := s.db.AsyncInvocations(r.Context(), f.ID, filter)
	if err != nil {
		return internal(err)
	}
	out := make([]asyncJSON, 0, len(recs))
	for _, a := range recs {
		j := asyncJSON{RequestID: a.RequestID, Status: a.Status, ErrorMessage: a.ErrorMessage, ErrorCode: a.ErrorCode,
			StartTime: time.UnixMilli(a.StartMS).UTC().Format(asyncTimeLayout)}
		if a.EndMS != 0 {
			j.EndTime = time.UnixMilli(a.EndMS).UTC().Format(asyncTimeLayout)
		}
		out = append(out, j)
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"invocations": out, "count": total, "next_marker": filter.Offset + len(out)})
	return nil
}

// asyncFilter reads the list's query: request_id, status, marker (an
// offset), limit, and the start-time range query_begin_time and
// query_end_time.
func asyncFilter(r *http.Request) (catalog.AsyncFilter, error) {
	q := r.URL.Query()
	f := catalog.AsyncFilter{RequestID: q.Get("request_id"), Status: q.Get("status"), Limit: defaultAsyncLimit}
	if f.Status != "" && !slices.Contains([]string{statusWait, statusRunning, statusSuccess, statusFail, statusDiscard}, f.Status) {
		return f, fail(ErrQuery, "status %q must be WAIT, RUNNING, SUCCESS, FAIL or DISCARD", f.Status)
	}
	if m := q.Get("marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return f, fail(ErrQuery, "marker %q must be a non-negative integer", m)
		}
		f.Offset = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxAsyncLimit {
			return f, fail(ErrQuery, "limit %q must be an integer from 1 to %d", l, maxAsyncLimit)
		}
		f.Limit = n
	}
	for name, dst := range map[string]*int64{"query_begin_time": &f.FromMS, "query_end_time": &f.ToMS} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		ms, ok := parseQueryTime(v)
		if !ok {
			return f, fail(ErrQuery, "%s %q must be a time such as 2024-01-02T15:04:05Z or milliseconds since 1970", name, v)
		}
		*dst = ms
	}
	return f, nil
}

func parseQueryTime(v string) (int64, bool) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}
