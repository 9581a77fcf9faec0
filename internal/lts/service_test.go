package lts

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

const testProject = "0123456789abcdef0123456789abcdef"

// openService opens a service on a new data folder with one group and one
// stream, created in the catalog directly.
func openService(t *testing.T, dir string) (*Service, string, string) {
	t.Helper()
	ctx := context.Background()
	db, err := catalog.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	group, stream := "0b5e5b6c-0000-4000-8000-000000000001", "0b5e5b6c-0000-4000-8000-000000000002"
	if err := db.CreateLogGroup(ctx, catalog.LogGroup{ID: group, ProjectID: testProject, Name: "g", TTLDays: 30}, 10); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLogStream(ctx, catalog.LogStream{ID: stream, ProjectID: testProject, GroupID: group, Name: "s", LogStorage: true}, 10); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, db, Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler), MemtableBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, group, stream
}

// call runs a handler the way the router does: body in the context, path
// values set.
func call(t *testing.T, h wire.HandlerFunc, method, target string, body any, path map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	w, err := request(h, method, target, body, path)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return w
}

// request is call for any goroutine: it returns the handler's error.
func request(h wire.HandlerFunc, method, target string, body any, path map[string]string) (*httptest.ResponseRecorder, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	r := httptest.NewRequest(method, target, nil)
	r = r.WithContext(wire.WithBody(r.Context(), b))
	r.SetPathValue("project_id", testProject)
	for k, v := range path {
		r.SetPathValue(k, v)
	}
	w := httptest.NewRecorder()
	return w, h(w, r)
}
