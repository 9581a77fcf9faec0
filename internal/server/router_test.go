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
