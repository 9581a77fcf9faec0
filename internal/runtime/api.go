package runtime

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// api is the runtime API an instance's bootstrap talks to, on the
// instance's own loopback listener (RUNTIME_API_ADDR).
func (in *instance) api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/runtime/invocation/request", in.next)
	mux.HandleFunc("POST /v1/runtime/invocation/response/{request_id}", func(w http.ResponseWriter, r *http.Request) { in.answer(w, r, false) })
	mux.HandleFunc("POST /v1/runtime/invocation/error/{request_id}", func(w http.ResponseWriter, r *http.Request) { in.answer(w, r, true) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "the runtime API has GET /v1/runtime/invocation/request, POST /v1/runtime/invocation/response/{request_id} and POST /v1/runtime/invocation/error/{request_id}")
	})
	return mux
}

// next blocks until an invocation is handed to the instance, then answers
// with its event as the body and its request id in X-Cff-Request-Id.
func (in *instance) next(w http.ResponseWriter, r *http.Request) {
	var c *call
	select {
	case c = <-in.work:
	case <-r.Context().Done():
		return
	}
	c.fetched.Store(time.Now().UnixNano())
	in.mu.Lock()
	in.inflight[c.inv.RequestID] = c
	in.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Cff-Request-Id", c.inv.RequestID)
	invokeType := "sync"
	if c.inv.Async {
		invokeType = "async"
	}
	h.Set("X-CFF-Invoke-Type", invokeType)
	h.Set("X-Cff-Deadline-Ms", strconv.FormatInt(c.deadline.UnixMilli(), 10))
	h.Set("X-Cff-Func-Alias", c.inv.Alias)
	h.Set("Content-Length", strconv.Itoa(len(c.inv.Event)))
	_, _ = w.Write(c.inv.Event)
}

// answer takes the bootstrap's result (or error) for a request id.
func (in *instance) answer(w http.ResponseWriter, r *http.Request, failed bool) {
	id := r.PathValue("request_id")
	in.mu.Lock()
	c := in.inflight[id]
	delete(in.inflight, id)
	in.mu.Unlock()
	if c == nil {
		apiError(w, http.StatusNotFound, errNoCall.Error()+": "+id)
		return
	}
	rep := reply{failed: failed}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxResponseBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		// A chunked answer's size is unknown past the limit.
		rep.tooLarge = max(r.ContentLength, MaxResponseBytes+1)
	case err != nil:
		rep = reply{failed: true, body: []byte("the bootstrap's answer could not be read: " + err.Error())}
	default:
		rep.body = body
	}
	if code, err := strconv.Atoi(r.Header.Get("X-Cff-Func-Err-Code")); err == nil {
		rep.code = code
	}
	rep.at = time.Now()
	c.done <- rep
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "{}")
}

func apiError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
