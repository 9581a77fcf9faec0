package loki

import (
	"maps"
	"strconv"
	"strings"
	"testing"
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
