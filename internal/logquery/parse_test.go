package logquery

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const w, s = KindLeadingWildcard, KindSyntax
	many := make([]string, maxAtoms+1)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	tests := []struct {
		keywords string
		kind     ErrorKind
		msg      string
	}{
		// leading wildcards (LTS.0301), per token
		{"*abc", w, `'*' and '?' not allowed as first character: "*abc" at position 1`},
		{"abc ?x", w, `'*' and '?' not allowed as first character: "?x" at position 5`},
		{"a/*b", w, `'*' and '?' not allowed as first character: "*b" at position 3`},
		{"*", w, `'*' and '?' not allowed as first character: "*" at position 1`},
		{"key:*abc", w, `'*' and '?' not allowed as first character: "*abc" at position 5`},
		{"content:?x", w, `'*' and '?' not allowed as first character: "?x" at position 9`},
		{"日志 *x", w, `'*' and '?' not allowed as first character: "*x" at position 4`},
		{"a or (b and ?c)", w, `'*' and '?' not allowed as first character: "?c" at position 13`},
		// structure
		{"(", s, "missing search term at position 2"},
		{")", s, "unexpected ')' at position 1"},
		{"a)", s, "unexpected ')' at position 2"},
		{"(a", s, "missing ')' for this '(' at position 1"},
		{"(a]", s, "unexpected ']' at position 3"},
		{"()", s, "empty parentheses at position 1"},
		{"[a]", s, "unexpected '[' at position 1"},
		{"a and", s, "missing search term after 'and' at position 3"},
		{"a &&", s, "missing search term after '&&' at position 3"},
		{"a or", s, "missing search term after 'or' at position 3"},
		{"not", s, "missing search term after 'not' at position 1"},
		{"a not", s, "missing search term after 'not' at position 3"},
		{"and a", s, `unexpected reserved word "and" (quote it to search for it) at position 1`},
		{"a or or b", s, `unexpected reserved word "or" (quote it to search for it) at position 6`},
		{"a and )", s, "unexpected ')' at position 7"},
		{"in", s, `unexpected reserved word "in" (quote it to search for it) at position 1`},
		{"=5", s, "unexpected '=' at position 1"},
		// quotes
		{`"abc`, s, "unterminated quote at position 1"},
		{`a #"abc`, s, "unterminated quote at position 3"},
		{`"abc\"`, s, "unterminated quote at position 1"},
		{"/", s, `word "/" has no searchable token (only delimiters) at position 1`},
		{`" "`, s, `quoted text " " has no searchable token (only delimiters) at position 1`},
		{`#""`, s, `phrase #"" has no searchable token (only delimiters) at position 1`},
		{`k:#","`, s, `phrase #"," has no searchable token (only delimiters) at position 3`},
		// fields
		{"key:", s, `missing value after "key": at position 1`},
		{"key:and", s, `unexpected reserved word "and" (quote it to search for it) at position 5`},
		{"key:(a)", s, "unexpected '(' at position 5"},
		{":x", s, "unexpected ':' at position 1"},
		{"a:b:c", s, "unexpected ':' at position 4"},
		{`"":x`, s, "empty field name at position 1"},
		// numbers
		{"code>abc", s, `'>' needs a number, got word "abc" at position 6`},
		{"code>=", s, "'>=' needs a number after it at position 5"},
		{"code<1e999", s, `'<' needs a number, got word "1e999" at position 6`},
		{"content>5", s, "'>' compares a label's number, not the content at position 8"},
		{"code in 5", s, `expected '[' or '(' after 'in', got word "5" at position 9`},
		{"logged in", s, "expected '[' or '(' after 'in', got end of keywords at position 10"},
		{"code in [1]", s, "a range needs two bounds, got 1 at position 9"},
		{"code in [1 2 3]", s, "a range needs two bounds, got 3 at position 9"},
		{"code in [a 2]", s, `range bound "a" is not a number at position 10`},
		{"code in [5 1]", s, "range lower bound 5 is greater than upper bound 1 at position 9"},
		{"code in [1 2", s, "missing ']' or ')' for this range at position 9"},
		{"code in [1 : 2]", s, "unexpected ':' at position 12"},
		{"content in [1 2]", s, "'in' ranges apply to a label's number, not the content at position 1"},
		// limits
		{strings.Repeat("(", maxDepth+1) + "a" + strings.Repeat(")", maxDepth+1), s, "keywords nested too deeply (more than 100 levels) at position 101"},
		{strings.Repeat("not ", maxDepth+1) + "a", s, "keywords nested too deeply (more than 100 levels) at position 401"},
		{strings.Join(many, " or "), s /* the position of t256 */, "too many search terms (at most 256 distinct) at position 1939"},
		{`#"` + strings.Repeat("a ", maxPhrase+1) + `"`, s, "phrase has 65 tokens, at most 64 are allowed at position 1"},
	}
	for _, tt := range tests {
		q, err := Parse(tt.keywords, nil)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%.40q) = %v, %v; want an *Error", tt.keywords, q, err)
			continue
		}
		if e.Kind != tt.kind || e.Msg != tt.msg {
			t.Errorf("Parse(%.40q) error\n got %d %q\nwant %d %q", tt.keywords, e.Kind, e.Msg, tt.kind, tt.msg)
		}
		if e.Error() != e.Msg {
			t.Errorf("Error() = %q", e.Error())
		}
	}
}

// TestParseAccepts lists valid edge cases, including the limits themselves.
func TestParseAccepts(t *testing.T) {
	many := make([]string, maxAtoms)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	for _, kw := range []string{
		strings.Repeat("(", maxDepth-1) + "a" + strings.Repeat(")", maxDepth-1),
		strings.Join(many, " or ") + " or t0", // duplicates do not count
		`#"` + strings.Repeat("a ", maxPhrase) + `"`,
		`"a\\b"`,
		`C:\dir`, // field search on label C with value \dir
		`"C:\dir"`,
		"a|b a&b",
		"a#b",
		"a !b",
		"k in (1 2)",
		"k in [ -1 , 2 ]",
		"AND_X or_y notice inx", // reserved words only as whole words
		"a IN b",                // only lower-case `in` is reserved
	} {
		if _, err := Parse(kw, nil); err != nil {
			t.Errorf("Parse(%.60q): %v", kw, err)
		}
	}
}

// TestParseQuotedEscapes checks how quoted text is read.
func TestParseQuotedEscapes(t *testing.T) {
	for kw, content := range map[string]string{
		`"a\"b"`:   `x a"b`,
		`"a\\b"`:   `a\b`,
		`"a\nb"`:   `a\nb`, // other backslashes are literal
		`#"a \"b"`: `a "b`,
	} {
		q := mustParse(t, kw, NewTokenizer(" ", false))
		if !q.Match(content, nil) {
			t.Errorf("%s does not match %q", kw, content)
		}
	}
}

// TestParseBounds: the keywords' length and wildcard words are bounded,
// with a position; the bounds themselves are accepted.
func TestParseBounds(t *testing.T) {
	for _, tc := range []struct{ keywords, msg string }{
		{strings.Repeat("a ", MaxKeywordsLength/2+1), "keywords are 10242 bytes long, at most 10240 are allowed; the excess starts at position 10241"},
		{"a" + strings.Repeat("*", maxWildcards+1), "" /* stars fold: accepted */},
		{"a" + strings.Repeat("?", maxWildcards+1), `a word with wildcards may have at most 256 bytes and 16 wildcards, "a?????????????????" has 18 and 17 at position 1`},
		{"x " + strings.Repeat("b", maxWildcardLength) + "*", "has 257 and 1 at position 3"},
	} {
		_, err := Parse(tc.keywords, nil)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("Parse(%.40q): %v", tc.keywords, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindSyntax || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Parse(%.40q) = %v, want %q", tc.keywords, err, tc.msg)
		}
	}
	for _, kw := range []string{
		strings.Repeat("a ", MaxKeywordsLength/2),
		"a" + strings.Repeat("?", maxWildcards-1),
		strings.Repeat("b", maxWildcardLength-1) + "*",
	} {
		if _, err := Parse(kw, nil); err != nil {
			t.Errorf("Parse(%.40q): %v", kw, err)
		}
	}
}
