package structuring

import (
	"encoding/json"
	"testing"
)

func TestJSONAllFieldsFlattened(t *testing.T) {
	line := `{"level":"info", "code":200, "lat":1.5, "ok":true, "gone":null,
		"req":{"method":"GET","hdr":{"ua":"curl","x":{"deep":1}}}, "tags":[1, "a", {"b" : 2}],
		"esc\u0041":"tab\there \ud83d\ude00", "big":123456789012345678901}`
	p := mustCompile(t, Rule{Kind: KindJSON, Layers: 3})
	check(t, p, line, []Field{
		{Name: "level", Str: "info"},
		{Name: "code", Type: Long, Int: 200},
		{Name: "lat", Type: Float, Float: 1.5},
		{Name: "ok", Str: "true"},
		{Name: "req.method", Str: "GET"},
		{Name: "req.hdr.ua", Str: "curl"},
		{Name: "req.hdr.x", Str: `{"deep":1}`}, // beyond 3 layers: compact JSON text
		{Name: "tags", Str: `[1,"a",{"b":2}]`},
		{Name: "escA", Str: "tab\there 😀"},
		{Name: "big", Type: Float, Float: 123456789012345678901},
	}, Result{Matched: true})

	p = mustCompile(t, Rule{Kind: KindJSON, Layers: 1})
	got, _ := p.Parse(`{"a":{"b":{"c":1}},"a.b":2}`, nil)
	want := []Field{{Name: "a", Str: `{"b":{"c":1}}`}, {Name: "a.b", Type: Long, Int: 2}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("layers 1: got %+v, want %+v", got, want)
	}
}

func TestJSONConfiguredFields(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindJSON, Layers: 2, Fields: []FieldSpec{
		{Key: "metadata.value", Name: "value", Type: Float},
		{Key: "code", Name: "code", Type: Long},
		{Key: "metadata.unit", Name: "unit"},
		{Key: "count", Name: "count", Type: Long},
		{Key: "missing", Name: "missing", Type: Long},
		{Key: "flag", Name: "flag", Type: Long},
	}})
	line := `{"metadata":{"value":"3.25","unit":"ms","other":1},"code":"404","count":2.0,"flag":true,"ignored":"x"}`
	check(t, p, line, []Field{
		{Name: "value", Type: Float, Float: 3.25},
		{Name: "code", Type: Long, Int: 404},
		{Name: "unit", Str: "ms"},
		{Name: "count", Type: Long, Int: 2},
		{Name: "missing", Type: Long},
		{Name: "flag", Type: Long},
	}, Result{Matched: true, Failed: 2}) // missing is absent, flag is a bool
}

func TestJSONUnparsed(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindJSON})
	for _, line := range []string{
		``, `plain text`, `[1,2]`, `"s"`, `{"a":1`, `{"a":1}x`, `{"a":01}`, `{"a":1.}`, `{"a":-}`,
		`{"a":"\x"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":{"b":}}`, `{a:1}`, `{"a":tru}`,
		`{"a":[}`, `{"a":{"b":1,}}`, `{"a":1,}`, `{"a" 1}`,
	} {
		got, res := p.Parse(line, nil)
		if res.Matched || len(got) != 0 {
			t.Errorf("Parse(%q) = %+v, %+v; want unparsed", line, got, res)
		}
	}
}

// TestJSONAgreesWithEncodingJSON checks validity decisions against the
// standard library on assorted documents.
func TestJSONAgreesWithEncodingJSON(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindJSON, Layers: 1})
	for _, line := range []string{
		`{}`, ` { } `, `{"a":[]}`, `{"a":[[[]]]}`, `{"a":{"b":[{"c":null}]}}`, `{"a":-0.5e+3}`,
		`{"a":"\u00e9\/"}`, `{"a":[1 2]}`, `{"a":{"b" "c"}}`, `{"a":[1,{"x":}]}`, `{"a":1e}`,
	} {
		_, res := p.Parse(line, nil)
		var v map[string]any
		std := json.Unmarshal([]byte(line), &v) == nil
		if res.Matched != std {
			t.Errorf("Parse(%q).Matched = %v, encoding/json valid = %v", line, res.Matched, std)
		}
	}
}

func TestJSONDuplicateKeysKeepLast(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindJSON})
	check(t, p, `{"a":1,"b":"x","a":"two"}`, []Field{{Name: "a", Str: "two"}, {Name: "b", Str: "x"}}, Result{Matched: true})
}
