package logsql

import (
	"strings"
	"unicode/utf8"
)

// likeMatcher matches a SQL LIKE pattern ('%' any run of characters, '_'
// exactly one) without regular expressions, in time linear in the text
// for the usual shapes.
//
// The pattern is first folded: a run of wildcards means "at least as many
// characters as it has '_', and any more if it has a '%'", so "%_%_%" is
// "__%". What is left is head%mid%...%tail, each part literal text in
// which '_' stands for one character. The head must match at the start,
// the tail at the end, and each middle part is taken at its leftmost
// place after the previous one: a part's matches all have the same number
// of characters, so the leftmost leaves the most room to the rest. A
// middle part holding a '_' is tried at each place its leading literal
// text occurs, which costs at most the text's length times the part's;
// that work is measured and the caller's stop function consulted, so a
// cancelled query does not finish a long line first.
type likeMatcher struct {
	kind byte // '=' exact, '^' prefix, '$' suffix, '*' contains, 'p' parts
	lit  string
	// parts form: whole is set when the pattern has no '%'.
	whole      bool
	head, tail string
	mids       []string
}

// likeStopEvery is how many units of matching work pass between two
// calls of the stop function: cheap beside the work, and a few
// microseconds apart.
const likeStopEvery = 1 << 14

func compileLike(p string) *likeMatcher {
	p = foldLikeWildcards(p)
	if !strings.Contains(p, "_") {
		inner := strings.Trim(p, "%")
		if !strings.Contains(inner, "%") {
			pre, suf := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%")
			switch {
			case pre && suf:
				return &likeMatcher{kind: '*', lit: inner}
			case pre:
				return &likeMatcher{kind: '$', lit: inner}
			case suf:
				return &likeMatcher{kind: '^', lit: inner}
			default:
				return &likeMatcher{kind: '=', lit: p}
			}
		}
	}
	parts := strings.Split(p, "%")
	m := &likeMatcher{kind: 'p', head: parts[0]}
	if len(parts) == 1 {
		m.whole = true
		return m
	}
	m.tail = parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		if mid != "" {
			m.mids = append(m.mids, mid)
		}
	}
	return m
}

// foldLikeWildcards rewrites every run of '%' and '_' as its '_'s
// followed by one '%' when the run has any.
func foldLikeWildcards(p string) string {
	if !strings.Contains(p, "%%") && !strings.Contains(p, "%_") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); {
		if p[i] != '%' && p[i] != '_' {
			b.WriteByte(p[i])
			i++
			continue
		}
		percent := false
		for ; i < len(p) && (p[i] == '%' || p[i] == '_'); i++ {
			if p[i] == '%' {
				percent = true
			} else {
				b.WriteByte('_')
			}
		}
		if percent {
			b.WriteByte('%')
		}
	}
	return b.String()
}

// match reports whether s matches; stop is consulted as the work grows,
// and when it says true match gives up and returns false (the caller then
// reports why it stopped).
func (m *likeMatcher) match(s string, stop func() bool) bool {
	switch m.kind {
	case '=':
		return s == m.lit
	case '^':
		return strings.HasPrefix(s, m.lit)
	case '$':
		return strings.HasSuffix(s, m.lit)
	case '*':
		return strings.Contains(s, m.lit)
	}
	from, ok := likePartAt(s, 0, m.head)
	if !ok {
		return false
	}
	if m.whole {
		return from == len(s)
	}
	to, ok := likePartBefore(s, m.tail)
	if !ok || from > to {
		return false
	}
	text := s[from:to]
	work := 0
	for _, mid := range m.mids {
		end, ok := likeFind(text, mid, &work, stop)
		if !ok {
			return false
		}
		text = text[end:]
	}
	return true
}

// likePartAt matches part at s[i:], returning where the match ends.
func likePartAt(s string, i int, part string) (int, bool) {
	for j := 0; j < len(part); j++ {
		if i >= len(s) {
			return 0, false
		}
		if part[j] == '_' {
			i += charWidth(s, i)
			continue
		}
		if s[i] != part[j] {
			return 0, false
		}
		i++
	}
	return i, true
}

// likePartBefore matches part at the end of s, returning where the match
// starts.
func likePartBefore(s, part string) (int, bool) {
	i := len(s)
	for j := len(part) - 1; j >= 0; j-- {
		if i == 0 {
			return 0, false
		}
		if part[j] == '_' {
			_, n := utf8.DecodeLastRuneInString(s[:i])
			i -= n
			continue
		}
		if s[i-1] != part[j] {
			return 0, false
		}
		i--
	}
	return i, true
}

// likeFind finds the leftmost match of part in s and returns where it
// ends. work counts the places tried, times the part's length.
func likeFind(s, part string, work *int, stop func() bool) (int, bool) {
	lead := part
	if k := strings.IndexByte(part, '_'); k >= 0 {
		lead = part[:k]
	} else {
		i := strings.Index(s, part)
		return i + len(part), i >= 0
	}
	for i := 0; i < len(s); {
		if lead != "" {
			k := strings.Index(s[i:], lead)
			if k < 0 {
				return 0, false
			}
			i += k
		}
		if end, ok := likePartAt(s, i, part); ok {
			return end, true
		}
		if *work += len(part); *work >= likeStopEvery {
			*work = 0
			if stop() {
				return 0, false
			}
		}
		i += charWidth(s, i)
	}
	return 0, false
}

// charWidth is the byte length of the character at s[i] (1 for a byte
// that starts no valid UTF-8 sequence, as regular expressions count it).
func charWidth(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}
