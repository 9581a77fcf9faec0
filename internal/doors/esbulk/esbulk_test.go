package esbulk

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"logtank/internal/logstore"
)

// TestDocument: a document's message, time and flattened fields, as the
// door's package comment promises them.
func TestDocument(t *testing.T) {
	dc := decoder{messageFields: defaultMessageFields, now: 42, names: map[string]string{}}
	var p fastjson.Parser
	e, err := dc.document(&p, []byte(`{"@timestamp":1765000000123.000456,"log":{"k":[1,"a"]},"message":"hello","http":{"status":200,"bytes":1.5,"tls":{"on":true}},"tags":["a","b"],"none":null,"big":18446744073709551616}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Content != "hello" || e.TimeNs != 1765000000123000456 {
		t.Fatalf("content %q, time %d", e.Content, e.TimeNs)
	}
	want := []logstore.Field{
		{Name: "log.k", Type: logstore.FieldString, Str: `[1,"a"]`},
		{Name: "http.status", Type: logstore.FieldLong, Long: 200},
		{Name: "http.bytes", Type: logstore.FieldFloat, Float: 1.5},
		{Name: "http.tls.on", Type: logstore.FieldString, Str: "true"},
		{Name: "tags", Type: logstore.FieldString, Str: `["a","b"]`},
		{Name: "big", Type: logstore.FieldFloat, Float: 18446744073709551616},
	}
	if fmt.Sprint(e.Fields) != fmt.Sprint(want) {
		t.Fatalf("fields\n%v\nwant\n%v", e.Fields, want)
	}
	// Without a message field the document is the line, at the arrival time.
	e, err = dc.document(&p, []byte(`{"msg":"x"}`))
	if err != nil || e.Content != `{"msg":"x"}` || e.TimeNs != 42 {
		t.Fatalf("%+v %v", e, err)
	}
	for _, bad := range []string{`[1]`, `{"a":`, `{"@timestamp":true}`, `{"@timestamp":"soon"}`, `{"@timestamp":-5}`, `{"@timestamp":1.0000001}`} {
		if _, err := dc.document(&p, []byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestTimestamp(t *testing.T) {
	for in, want := range map[string]time.Time{
		`"2026-12-06T10:00:00.123456789+01:00"`: time.Date(2026, 12, 6, 9, 0, 0, 123456789, time.UTC),
		`"2026-12-06T10:00:00.5"`:               time.Date(2026, 12, 6, 10, 0, 0, 5e8, time.UTC),
		`"2026-12-06"`:                          time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC),
		`"1765000000123"`:                       time.UnixMilli(1765000000123),
		`1765000000123.4`:                       time.UnixMilli(1765000000123).Add(400 * time.Microsecond),
		`0`:                                     time.Unix(0, 0),
	} {
		v := fastjson.MustParse(in)
		got, err := timestamp(v)
		if err != nil || got != want.UnixNano() {
			t.Errorf("%s: %d %v, want %d", in, got, err, want.UnixNano())
		}
	}
}

// TestBulkAnswer: the hand-written answer is valid JSON with every
// item's result under its verb, texts escaped.
func TestBulkAnswer(t *testing.T) {
	items := []item{
		{verb: "create", result: itemResult{Index: "web", Status: 201, Result: "created"}},
		{verb: "index", result: itemResult{Index: "wé\"b\n", ID: "7", Status: 400, Error: &itemError{"document_parsing_exception", `bad "x"` + "\x01"}}},
	}
	got := bulkAnswer(3*time.Millisecond, items)
	var out struct {
		Took   int64
		Errors bool
		Items  []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Status int
			Result string
			Error  struct{ Type, Reason string }
		}
	}
	if err := json.Unmarshal(got, &out); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	c, i := out.Items[0]["create"], out.Items[1]["index"]
	if out.Took != 3 || !out.Errors || len(out.Items) != 2 || c.Status != 201 || c.Result != "created" || c.Index != "web" ||
		i.Index != "wé\"b\n" || i.ID != "7" || i.Error.Reason != `bad "x"`+"\x01" || i.Error.Type != "document_parsing_exception" {
		t.Fatalf("%s", got)
	}
}
