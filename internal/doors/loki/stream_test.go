package loki

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	"logtank/internal/logstore"
)

// TestParseLabels: label sets as Loki's clients write them (Go's
// strconv.Quote escapes), and the malformed ones refused with the text.
func TestParseLabels(t *testing.T) {
	ok := func(in string, want map[string]string) {
		t.Helper()
		got, err := parseLabels(in)
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("parseLabels(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := func(in string) {
		t.Helper()
		if got, err := parseLabels(in); err == nil || !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("parseLabels(%q) = %v, %v; want an error naming the text", in, got, err)
		}
	}
	ok(`{}`, map[string]string{})
	ok(`{app="web"}`, map[string]string{"app": "web"})
	ok(`{app="web", job="varlogs/nginx"}`, map[string]string{"app": "web", "job": "varlogs/nginx"})
	ok(`{c="d\"e", path="C:\\logs", nl="a\nb", u="caf\u00e9"}`, map[string]string{"c": `d"e`, "path": `C:\logs`, "nl": "a\nb", "u": "café"})
	ok(`{ app = "web" , }`, map[string]string{"app": "web"})
	bad(`{app="x"`)
	bad(`app="x"}`)
	bad(`up{app="x"}`)
	bad(`{app=x}`)
	bad(`{app="x", app="y"}`)
	bad(`{app=~"x"}`)
	bad(``)
}

// TestSetField: structured metadata names given twice keep their last
// value, empty names are dropped, and past maxFields names are left out.
func TestSetField(t *testing.T) {
	var fields []logstore.Field
	fields = setField(fields, "user", "ann")
	fields = setField(fields, "", "nameless")
	fields = setField(fields, "user", "bob")
	if len(fields) != 1 || fields[0].Str != "bob" || fields[0].Type != logstore.FieldString {
		t.Fatalf("fields %+v", fields)
	}
	for i := range maxFields + 5 {
		fields = setField(fields, fmt.Sprint("k", i), "v")
	}
	if len(fields) != maxFields || fields[maxFields-1].Name != fmt.Sprint("k", maxFields-2) {
		t.Fatalf("%d fields, last %+v", len(fields), fields[len(fields)-1])
	}
}
