package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"logtank/internal/lts"
	"logtank/internal/wire"
)

func TestPanicBecomesServiceError(t *testing.T) {
	svc := wire.Service{Name: "lts", Errors: lts.Errors, Routes: []wire.Route{{
		Method: "GET", Pattern: "/boom", Public: true,
		Handle: func(http.ResponseWriter, *http.Request) error { panic("kaboom") },
	}, {
		Method: "GET", Pattern: "/fail", Public: true,
		Handle: func(http.ResponseWriter, *http.Request) error { return io.ErrUnexpectedEOF },
	}}}
	srv := httptest.NewServer(newRouter(slog.New(slog.DiscardHandler), nil, prometheus.NewRegistry(), []wire.Service{svc}))
	defer srv.Close()
	for _, path := range []string{"/boom", "/fail"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("%s: the connection broke: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || !strings.Contains(string(body), `"error_code":"LTS.0010"`) || resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s: got %d %s", path, resp.StatusCode, body)
		}
		if strings.Contains(string(body), "kaboom") || strings.Contains(string(body), "EOF") {
			t.Fatalf("%s: internal detail leaked: %s", path, body)
		}
	}
}

func TestOperationPatternsRegisterWithoutConflict(t *testing.T) {
	mux := http.NewServeMux()
	for _, p := range OperationPatterns() {
		mux.Handle(p, http.NotFoundHandler())
	}
	if len(OperationPatterns()) == 0 {
		t.Fatal("no operations")
	}
}

// TestAbortedAnswerBreaksTheConnection: a handler that gives up midway
// through its answer (a forwarded answer cut off) with http.ErrAbortHandler
// breaks the connection, so that the client sees an error rather than a
// short answer ending as if it were whole.
func TestAbortedAnswerBreaksTheConnection(t *testing.T) {
	svc := wire.Service{Name: "aom", Errors: lts.Errors, Routes: []wire.Route{{
		Method: "GET", Pattern: "/cut", Public: true,
		Handle: func(w http.ResponseWriter, _ *http.Request) error {
			io.WriteString(w, `{"status":"success","data":[`)
			http.NewResponseController(w).Flush()
			panic(http.ErrAbortHandler)
		},
	}}}
	srv := httptest.NewServer(newRouter(slog.New(slog.DiscardHandler), nil, prometheus.NewRegistry(), []wire.Service{svc}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/cut")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, err := io.ReadAll(resp.Body); err == nil {
		t.Fatalf("a cut-off answer read as whole: %d %s", resp.StatusCode, body)
	}
}
