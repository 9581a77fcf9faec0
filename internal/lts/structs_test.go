package lts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/logstore"
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

// rows reads every row of a stream with its fields.
func rows(t *testing.T, s *Service, stream string) []logstore.Row {
	t.Helper()
	var out []logstore.Row
	err := s.core.Logs().Rows(context.Background(), stream, logstore.Scan{Start: 0, End: math.MaxInt64, Fields: true}, func(r logstore.Row) bool {
		out = append(out, r)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fieldsText(fs []logstore.Field) string {
	var parts []string
	for _, f := range fs {
		switch f.Type {
		case logstore.FieldString:
			parts = append(parts, fmt.Sprintf("%s=%q", f.Name, f.Str))
		case logstore.FieldLong:
			parts = append(parts, fmt.Sprintf("%s=%d", f.Name, f.Long))
		case logstore.FieldFloat:
			parts = append(parts, fmt.Sprintf("%s=%gf", f.Name, f.Float))
		}
	}
	return strings.Join(parts, " ")
}

// TestIngestStructuresLines sets the seed's custom_regex rule through the
// handler, ingests through the report handler, and reads the stored
// fields back from the log engine, before and after a flush to segments.
func TestIngestStructuresLines(t *testing.T) {
	s, group, stream := openService(t, t.TempDir())
	ingestPath := map[string]string{"log_group_id": group, "log_stream_id": stream}
	report := func(lines ...string) {
		call(t, s.reportContents, "POST", "/", map[string]any{
			"log_time_ns": time.Now().UnixNano(), "contents": lines, "labels": map[string]string{"hostName": "web-1"},
		}, ingestPath)
	}
	report("2020-07-27/08:59:50 before the rule NO 1")
	w := call(t, s.createStructTemplate, "POST", "/", map[string]any{
		"log_group_id": group, "log_stream_id": stream, "project_id": testProject, "parse_type": "custom_regex",
		"content":     "2020-07-27/08:59:53 this log is Error NO 151687",
		"regex_rules": `^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\S+)`,
		"demo_fields": []map[string]any{
			{"fieldName": "test1", "type": "string"}, {"fieldName": "test2", "type": "string"},
			{"fieldName": "test3", "type": "string"}, {"fieldName": "test4", "type": "long"},
		},
		"tag_fields": []map[string]any{{"fieldName": "hostName", "type": "string"}},
	}, nil)
	if w.Code != http.StatusCreated || len(w.Body.String()) != 36 {
		t.Fatalf("create: %d %q", w.Code, w.Body)
	}
	report("2020-07-27/08:59:53 this log is Error NO 151687", "no match here", "2020-07-27/08:59:54 this log is Error NO x12")
	want := []string{
		"",
		`test1="2020-07-27" test2="08:59:53" test3="this" test4=151687 hostName="web-1"`,
		"",
		`test1="2020-07-27" test2="08:59:54" test3="this" test4=0 hostName="web-1"`,
	}
	check := func(when string) {
		got := rows(t, s, stream)
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", when, len(got), len(want))
		}
		for i, r := range got {
			if f := fieldsText(r.Fields); f != want[i] {
				t.Errorf("%s: row %d (%q) fields %s, want %s", when, i, r.Content, f, want[i])
			}
		}
	}
	check("memtable")
	if err := s.core.Logs().Flush(); err != nil {
		t.Fatal(err)
	}
	check("segments")
	var show map[string]any
	w = call(t, s.showStructTemplate, "GET", "/?logGroupId="+group+"&logStreamId="+stream, nil, nil)
	if err := json.Unmarshal(w.Body.Bytes(), &show); err != nil || show["unparsedLines"] != 1.0 || show["failedValues"] != 1.0 {
		t.Fatalf("show: %v %s", err, w.Body)
	}
}

// TestRuleChangesDuringIngestion swaps rules while batches are ingested;
// run with -race, it checks that ingestion reads the cache safely and that
// every row got the fields of one of the rules.
func TestRuleChangesDuringIngestion(t *testing.T) {
	s, group, stream := openService(t, t.TempDir())
	setRule := func(typ string) error {
		_, err := request(s.createStructTemplate, "POST", "/", map[string]any{
			"log_group_id": group, "log_stream_id": stream, "parse_type": "split", "tokenizer": " ", "content": "a 1",
			"demo_fields": []map[string]any{{"fieldName": "n", "type": typ, "index": 1}},
		}, nil)
		return err
	}
	if err := setRule("long"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			if err := setRule([]string{"string", "long"}[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 20 {
		call(t, s.reportContents, "POST", "/", map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": []string{"a 1", "b 2"}},
			map[string]string{"log_group_id": group, "log_stream_id": stream})
	}
	<-done
	for _, r := range rows(t, s, stream) {
		if len(r.Fields) != 1 || r.Fields[0].Name != "n" || r.Fields[0].Type == logstore.FieldFloat {
			t.Fatalf("row %q: fields %+v", r.Content, r.Fields)
		}
	}
}
