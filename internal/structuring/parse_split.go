package structuring

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDelimiterLen bounds one split delimiter (after unescaping).
const MaxDelimiterLen = 64

// splitParser is a split rule: the line is cut at every delimiter, and
// field i takes token Index i. Consecutive delimiters give empty tokens.
type splitParser struct {
	delims []string
	fields []FieldSpec
	last   int // highest token index a field needs
}

// fieldNames caches the names of unconfigured split tokens.
var fieldNames = func() []string {
	n := make([]string, 64)
	for i := range n {
		n[i] = "field" + strconv.Itoa(i+1)
	}
	return n
}()

// SplitFieldName is the name of the token at 0-based position i of a split
// rule that does not name it: field1, field2...
func SplitFieldName(i int) string {
	if i < len(fieldNames) {
		return fieldNames[i]
	}
	return "field" + strconv.Itoa(i+1)
}

func compileSplit(r *Rule) (*splitParser, *Error) {
	if len(r.Delimiters) == 0 {
		return nil, invalidf("tokenizer", "is required when parse_type is split")
	}
	for _, d := range r.Delimiters {
		if d == "" {
			return nil, invalidf("tokenizer", "must not be empty")
		}
		if len(d) > MaxDelimiterLen {
			return nil, invalidf("tokenizer", "must be at most %d bytes, got %d", MaxDelimiterLen, len(d))
		}
	}
	p := &splitParser{delims: r.Delimiters, fields: r.Fields}
	seen := make(map[int]int, len(r.Fields))
	for i, f := range r.Fields {
		if f.Index < 0 || f.Index >= MaxFields {
			return nil, invalidf(fmt.Sprintf("demo_fields[%d].index", i), "must be between 0 and %d, got %d", MaxFields-1, f.Index)
		}
		if j, dup := seen[f.Index]; dup {
			return nil, invalidf(fmt.Sprintf("demo_fields[%d].index", i), "%d is already used by demo_fields[%d]", f.Index, j)
		}
		seen[f.Index] = i
		p.last = max(p.last, f.Index)
	}
	return p, nil
}

// next returns the token of s starting at 0 and where the rest begins, or
// rest < 0 when the token runs to the end of s.
func (p *splitParser) next(s string) (tok string, rest int) {
	if len(p.delims) == 1 {
		d := p.delims[0]
		if len(d) == 1 {
			if i := strings.IndexByte(s, d[0]); i >= 0 {
				return s[:i], i + 1
			}
			return s, -1
		}
		if i := strings.Index(s, d); i >= 0 {
			return s[:i], i + len(d)
		}
		return s, -1
	}
	best, blen := -1, 0
	for _, d := range p.delims {
		if i := strings.Index(s, d); i >= 0 && (best < 0 || i < best || i == best && len(d) > blen) {
			best, blen = i, len(d)
		}
	}
	if best < 0 {
		return s, -1
	}
	return s[:best], best + blen
}

func (p *splitParser) parse(line string, dst []Field) ([]Field, Result) {
	if len(p.fields) == 0 {
		// Every token, named field1..fieldN, at most MaxFields.
		s := line
		for i := 0; i < MaxFields; i++ {
			tok, rest := p.next(s)
			dst = append(dst, Field{Name: SplitFieldName(i), Type: String, Str: tok})
			if rest < 0 {
				break
			}
			s = s[rest:]
		}
		return dst, Result{Matched: true}
	}
	// Cut only as far as the last configured index. Tokens are kept on the
	// stack for the common case of a few dozen fields.
	var buf [32]string
	toks := buf[:0]
	s, done := line, false
	for i := 0; i <= p.last && !done; i++ {
		tok, rest := p.next(s)
		toks = append(toks, tok)
		if rest < 0 {
			done = true
		} else {
			s = s[rest:]
		}
	}
	return fill(p.fields, dst, false, func(i int) (string, bool) {
		if j := p.fields[i].Index; j < len(toks) {
			return toks[j], true
		}
		return "", false
	})
}

// ParseDelimiter reads a split tokenizer as the wire sends it: a literal
// string, where `\t`, `\n`, `\r`, `\\`, `\xHH` and `\uHHHH` stand for the
// character (the console's special delimiters) and any other backslash is
// literal. The words "tab" and "space" are accepted too.
func ParseDelimiter(s string) (string, error) {
	switch s {
	case "":
		return "", invalidf("tokenizer", "must not be empty")
	case "tab":
		return "\t", nil
	case "space":
		return " ", nil
	}
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		case 'x', 'u':
			n := 2
			if s[i+1] == 'u' {
				n = 4
			}
			if i+2+n > len(s) {
				return "", invalidf("tokenizer", "%q has an incomplete \\%c escape", s, s[i+1])
			}
			v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
			if err != nil {
				return "", invalidf("tokenizer", "%q has an invalid \\%c escape %q", s, s[i+1], s[i:i+2+n])
			}
			b.WriteRune(rune(v))
			i += n
		default:
			b.WriteByte('\\')
			continue
		}
		i++
	}
	d := b.String()
	if !utf8.ValidString(d) {
		return "", invalidf("tokenizer", "%q is not valid UTF-8", s)
	}
	return d, nil
}
