package logquery

import (
	"slices"
	"unicode/utf8"
)

// DefaultDelimiters is the delimiter set of a stream without an index
// configuration: comma, space, apostrophe, double quote, semicolon, equals,
// parentheses, brackets, braces, @, &, <, >, slash, colon, newline, tab and
// carriage return. Hyphen, dot, underscore, backslash, * and ? are not
// delimiters, so `2023-01-01` is one token and `?` stays usable as a wildcard.
const DefaultDelimiters = ", '\";=()[]{}@&<>/:\n\t\r"

// Tokenizer splits text into tokens at delimiter characters. It is
// immutable and safe for concurrent use; the zero value is unusable, build
// one with NewTokenizer or DefaultTokenizer.
type Tokenizer struct {
	delim         [256]bool // ASCII delimiters; bytes >= 0x80 are never set
	wide          []rune    // non-ASCII delimiters, nil when there are none
	caseSensitive bool
}

var defaultTokenizer = NewTokenizer(DefaultDelimiters, false)

// DefaultTokenizer returns the shared tokenizer with DefaultDelimiters that
// folds case.
func DefaultTokenizer() *Tokenizer { return defaultTokenizer }

// NewTokenizer returns a tokenizer splitting at every character of delims
// (UTF-8; invalid bytes in delims are ignored). An empty delims makes the
// whole text one token. Unless caseSensitive, ASCII letters are folded to
// lower case.
func NewTokenizer(delims string, caseSensitive bool) *Tokenizer {
	t := &Tokenizer{caseSensitive: caseSensitive}
	for i := 0; i < len(delims); {
		r, n := utf8.DecodeRuneInString(delims[i:])
		i += n
		switch {
		case r < utf8.RuneSelf:
			t.delim[r] = true
		case r == utf8.RuneError && n == 1:
		case !slices.Contains(t.wide, r):
			t.wide = append(t.wide, r)
		}
	}
	return t
}

// CaseSensitive reports whether tokens keep their case.
func (t *Tokenizer) CaseSensitive() bool { return t.caseSensitive }

// span returns the bounds of the first token of s at or after byte i; when
// none is left, start == end == len(s).
//
// UTF-8 never puts an ASCII byte inside a multi-byte character, so without
// non-ASCII delimiters the table lookup alone is exact for any input: that
// is the fast path, a tight loop over bytes.
func (t *Tokenizer) span(s string, i int) (start, end int) {
	if t.wide != nil {
		return t.spanWide(s, i)
	}
	delim := &t.delim
	for i < len(s) && delim[s[i]] {
		i++
	}
	start = i
	for i < len(s) && !delim[s[i]] {
		i++
	}
	return start, i
}

// spanWide is span for tokenizers with non-ASCII delimiters.
func (t *Tokenizer) spanWide(s string, i int) (start, end int) {
	isDelim := func(i int) (bool, int) {
		if c := s[i]; c < utf8.RuneSelf {
			return t.delim[c], 1
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		return slices.Contains(t.wide, r), n
	}
	for i < len(s) {
		d, n := isDelim(i)
		if !d {
			break
		}
		i += n
	}
	start = i
	for i < len(s) {
		d, n := isDelim(i)
		if d {
			break
		}
		i += n
	}
	return start, i
}

// EachToken calls fn for every token of s, in order, as a substring of s
// (not normalised, nothing allocated).
func (t *Tokenizer) EachToken(s string, fn func(tok string)) {
	for i := 0; ; {
		start, end := t.span(s, i)
		if start == end {
			return
		}
		fn(s[start:end])
		i = end
	}
}

// AppendTokens appends the normalised tokens of s to dst and returns it. A
// token already in normal form is a substring of s; only tokens that need
// folding allocate (the returned string itself).
func (t *Tokenizer) AppendTokens(dst []string, s string) []string {
	for i := 0; ; {
		start, end := t.span(s, i)
		if start == end {
			return dst
		}
		dst = append(dst, t.Normalize(s[start:end]))
		i = end
	}
}

// Normalize returns tok as it is stored and compared: with ASCII letters
// lower-cased unless the tokenizer is case-sensitive. It returns tok itself
// when nothing changes.
func (t *Tokenizer) Normalize(tok string) string {
	if t.caseSensitive {
		return tok
	}
	i := 0
	for i < len(tok) && !isUpper(tok[i]) {
		i++
	}
	if i == len(tok) {
		return tok
	}
	b := []byte(tok)
	for ; i < len(b); i++ {
		if isUpper(b[i]) {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// equal reports whether Normalize(tok) == norm, without allocating.
// ASCII folding keeps lengths, so unequal lengths never match.
func (t *Tokenizer) equal(tok, norm string) bool {
	if len(tok) != len(norm) {
		return false
	}
	if t.caseSensitive {
		return tok == norm
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		if c != norm[i] {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
