package logquery

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse parses arbitrary keywords: no panic, errors are *Error with a
// known code and a position; a parsed query matches, highlights and
// answers MayMatch on an arbitrary line without panicking, Highlight only
// adds tags, and MayMatch is true whenever Match is.
func FuzzParse(f *testing.F) {
	for _, kw := range []string{
		"", "error", "ERROR and not warn", "a&&b||c", "a or b and c", "(a or b) c", "not not a",
		"2023-01*", "e?ror", "a*b*c", "*abc", "?x", "a/*b", `"a b"`, `"a \"b\" \\"`, `#"a b c"`,
		`#"a*"`, "key:value", "key:*", `key:""`, `key:#"a b"`, "content:x", "content:*", `content:""`,
		"k>1", "k >= -2.5e3", "k<1", "k<=1", "k=1", "k=word", "k in [1 2]", "k in (1,2]", "k in [2 1]",
		"(", ")", "()", "a)", "(a", "[a]", "a:b:c", ":", "&&", "||", "not", "in", "logged in", `"abc`,
		"#", `#"`, "\x00", "日志 *x", "a\xffb", strings.Repeat("(", 120), strings.Repeat("not ", 120) + "a",
	} {
		f.Add(kw, "2020-07-25/14:44:42 this log is Error NO 1\n")
	}
	f.Add("a b", "a b a")
	f.Add(`#"x y"`, "x y x y")
	f.Fuzz(func(t *testing.T, keywords, line string) {
		q, err := Parse(keywords, nil)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T %v is not *Error", keywords, err, err)
			}
			if e.Kind != KindSyntax && e.Kind != KindLeadingWildcard || !strings.Contains(e.Msg, " at position ") {
				t.Fatalf("Parse(%q) error %d %q lacks a kind or a position", keywords, e.Kind, e.Msg)
			}
			if e.Kind == KindLeadingWildcard && !strings.HasPrefix(e.Msg, wildcardMsg) {
				t.Fatalf("Parse(%q) wildcard error message %q", keywords, e.Msg)
			}
			return
		}
		labels := map[string]string{"k": line, "key": line}
		match := q.Match(line, labelsOf(labels))
		b := summarize(q.tok, []string{line}, []map[string]string{labels})
		if match && !q.MayMatch(b.hasToken, b.hasLabel) {
			t.Fatalf("keywords %q match %q but MayMatch is false", keywords, line)
		}
		h := q.Highlight(line)
		if !strings.Contains(line, "HighLightTag") {
			plain := strings.NewReplacer(highlightOpen, "", highlightClose, "").Replace(h)
			if plain != line {
				t.Fatalf("Highlight(%q) of %q changed the text: %q", keywords, line, h)
			}
		}
	})
}
