package logquery

import "strings"

// Limits on one query; see the package documentation.
const (
	maxAtoms  = 256 // distinct full-text terms: the bit set of a scan
	maxPhrase = 64  // tokens of a phrase: the bits of its shift-and state
	maxDepth  = 100 // nested parentheses and NOTs
	// MaxKeywordsLength bounds the keywords' text in bytes: ample for a
	// few hundred terms, and it bounds the parser's work.
	MaxKeywordsLength = 10240
	// A wildcard word is matched against every token of every row it
	// reaches, in time proportional to its length times the token's when
	// it has a '*': these bound that product's first factor.
	maxWildcardLength = 256 // bytes of one wildcard word
	maxWildcards      = 16  // '*' and '?' in one word
)

type atomKind uint8

const (
	atomExact atomKind = iota
	atomWildcard
	atomPhrase
)

// atom is one token condition on a text: an exact token, a wildcard
// pattern, or a phrase of exact tokens, all normalised.
type atom struct {
	kind   atomKind
	text   string   // the token or the pattern (exact, wildcard)
	phrase []string // the tokens, 2 to maxPhrase (phrase)
}

// key identifies an atom among a query's full-text atoms.
func (a *atom) key() string {
	if a.kind == atomPhrase {
		return "p\x00" + strings.Join(a.phrase, "\x00")
	}
	return string("ew"[a.kind]) + a.text
}

// step advances a phrase's shift-and state by one token: bit k of the
// result is set when the last k+1 tokens equal the phrase's first k+1.
func (a *atom) step(t *Tokenizer, state uint64, tok string) uint64 {
	var mask uint64
	for k, m := range a.phrase {
		if t.equal(tok, m) {
			mask |= 1 << k
		}
	}
	return (state<<1 | 1) & mask
}

// complete reports whether a phrase state ends a whole occurrence.
func (a *atom) complete(state uint64) bool {
	return state>>(len(a.phrase)-1)&1 != 0
}

// matchToken reports whether tok satisfies an exact or wildcard atom; stop
// (may be nil) can end a long wildcard match.
func (a *atom) matchToken(t *Tokenizer, tok string, stop func() bool) bool {
	if a.kind == atomWildcard {
		return wildcardMatch(a.text, tok, !t.caseSensitive, stop)
	}
	return t.equal(tok, a.text)
}

// in reports whether the atom holds in the text s.
func (a *atom) in(t *Tokenizer, s string) bool {
	var state uint64
	for i := 0; ; {
		start, end := t.span(s, i)
		if start == end {
			return false
		}
		tok := s[start:end]
		i = end
		if a.kind != atomPhrase {
			if a.matchToken(t, tok, nil) {
				return true
			}
			continue
		}
		if state = a.step(t, state, tok); a.complete(state) {
			return true
		}
	}
}

type nodeKind uint8

const (
	nodeAll          nodeKind = iota // every line (content:*)
	nodeAnd                          // all kids
	nodeOr                           // any kid
	nodeNot                          // not kids[0]
	nodeContent                      // full-text atom idx holds
	nodeContentEmpty                 // the content is empty (content:"")
	nodeLabel                        // label condition lab holds
)

// node is a node of a query's expression tree.
type node struct {
	kind nodeKind
	kids []*node
	idx  int
	lab  *labelCond
}

type labelKind uint8

const (
	labelPresent labelKind = iota // key:*
	labelEmpty                    // key:""
	labelAtom                     // key:token, key:pattern, key:#"phrase"
	labelNumber                   // key>n, key in [a b], ...
)

// labelCond is a field search on one label.
type labelCond struct {
	key  string
	kind labelKind
	atom atom
	num  numRange
}

func (c *labelCond) match(t *Tokenizer, label func(key string) (string, bool)) bool {
	if label == nil {
		return false
	}
	v, ok := label(c.key)
	if !ok {
		return false
	}
	switch c.kind {
	case labelEmpty:
		return v == ""
	case labelAtom:
		return c.atom.in(t, v)
	case labelNumber:
		f, ok := parseNumber(v)
		return ok && c.num.contains(f)
	}
	return true
}

// Query is a parsed keywords expression. It is immutable and safe for
// concurrent use.
type Query struct {
	tok      *Tokenizer
	root     *node          // nil: match everything
	atoms    []atom         // full-text atoms, indexed by node.idx
	positive []bool         // atoms reached outside any NOT: highlighted
	exact    []int          // the scan plan: atoms by kind
	wildcard []int          //
	phrases  []int          //
	index    map[string]int // normalised token -> exact atom, for long lists
	maxExact int            // longest exact atom
	// A cheap filter before an index lookup: the lengths (bit 0 for 64 and
	// longer) and first bytes (both cases when folding) of the exact atoms.
	lengths uint64
	firsts  [4]uint64
}

// indexAbove is how many exact atoms make a map lookup per token cheaper
// than comparing against each.
const indexAbove = 8

// plan sorts the atoms into the per-kind lists a content scan walks.
func (q *Query) plan() {
	for i := range q.atoms {
		a := &q.atoms[i]
		switch a.kind {
		case atomExact:
			q.exact = append(q.exact, i)
			q.maxExact = max(q.maxExact, len(a.text))
		case atomWildcard:
			q.wildcard = append(q.wildcard, i)
		case atomPhrase:
			q.phrases = append(q.phrases, i)
		}
	}
	if len(q.exact) <= indexAbove {
		return
	}
	q.index = make(map[string]int, len(q.exact))
	for _, i := range q.exact {
		text := q.atoms[i].text
		q.index[text] = i
		q.lengths |= 1 << (min(len(text), 64) % 64)
		c := text[0]
		q.firsts[c>>6] |= 1 << (c & 63)
		if 'a' <= c && c <= 'z' && !q.tok.caseSensitive {
			c -= 'a' - 'A'
			q.firsts[c>>6] |= 1 << (c & 63)
		}
	}
}

// MatchAll reports whether the query matches every line (empty keywords).
func (q *Query) MatchAll() bool { return q.root == nil || q.root.kind == nodeAll }

// Match reports whether a log line matches. label returns the value of a
// label of the line (ok false when the line lacks it); nil means no labels.
func (q *Query) Match(content string, label func(key string) (string, bool)) bool {
	return q.MatchStop(content, label, nil)
}

// MatchStop is Match for a caller that may stop wanting the answer:
// matching wildcards against a long line can take long, and stop is
// consulted as it goes. Once stop says true the answer is false.
func (q *Query) MatchStop(content string, label func(key string) (string, bool), stop func() bool) bool {
	if q.root == nil {
		return true
	}
	m := matcher{q: q, content: content, label: label, stop: stop}
	return m.eval(q.root)
}

// matcher evaluates a query on one line. The content is tokenised once,
// the first time a full-text atom is asked for, so a failing label
// condition on the left of an AND skips the scan.
type matcher struct {
	q       *Query
	content string
	label   func(key string) (string, bool)
	stop    func() bool
	scanned bool
	found   [maxAtoms / 64]uint64
}

func (m *matcher) eval(n *node) bool {
	switch n.kind {
	case nodeAnd:
		for _, k := range n.kids {
			if !m.eval(k) {
				return false
			}
		}
		return true
	case nodeOr:
		for _, k := range n.kids {
			if m.eval(k) {
				return true
			}
		}
		return false
	case nodeNot:
		return !m.eval(n.kids[0])
	case nodeContent:
		if !m.scanned {
			m.scan()
		}
		return m.has(n.idx)
	case nodeContentEmpty:
		return m.content == ""
	case nodeLabel:
		return n.lab.match(m.q.tok, m.label)
	}
	return true
}

func (m *matcher) has(a int) bool { return m.found[a>>6]&(1<<(a&63)) != 0 }

// set marks atom a found and reports whether it was not before.
func (m *matcher) set(a int) bool {
	w, b := a>>6, uint64(1)<<(a&63)
	if m.found[w]&b != 0 {
		return false
	}
	m.found[w] |= b
	return true
}

// scan tokenises the content once and records every atom that holds,
// stopping as soon as all have been found.
func (m *matcher) scan() {
	m.scanned = true
	q, t, s := m.q, m.q.tok, m.content
	left := len(q.atoms)
	var small [8]uint64
	states := small[:]
	if len(q.phrases) > len(small) {
		states = make([]uint64, len(q.phrases))
	}
	for i := 0; ; {
		start, end := t.span(s, i)
		if start == end {
			return
		}
		tok := s[start:end]
		i = end
		if q.index != nil {
			if a, ok := q.lookup(tok); ok && m.set(a) {
				left--
			}
		} else {
			for _, a := range q.exact {
				if t.equal(tok, q.atoms[a].text) && m.set(a) {
					left--
				}
			}
		}
		for _, a := range q.wildcard {
			if !m.has(a) && q.atoms[a].matchToken(t, tok, m.stop) {
				m.set(a)
				left--
			}
		}
		for j, a := range q.phrases {
			ph := &q.atoms[a]
			if states[j] = ph.step(t, states[j], tok); ph.complete(states[j]) && m.set(a) {
				left--
			}
		}
		if left == 0 {
			return
		}
	}
}

// lookup finds the exact atom equal to tok in the index. Folding goes
// through a stack buffer: a map index by string(bytes) does not allocate.
func (q *Query) lookup(tok string) (int, bool) {
	c := tok[0]
	if len(tok) > q.maxExact || q.lengths&(1<<(min(len(tok), 64)%64)) == 0 || q.firsts[c>>6]&(1<<(c&63)) == 0 {
		return 0, false
	}
	if q.tok.caseSensitive {
		a, ok := q.index[tok]
		return a, ok
	}
	var buf [64]byte
	if len(tok) > len(buf) {
		a, ok := q.index[q.tok.Normalize(tok)]
		return a, ok
	}
	b := buf[:len(tok)]
	for i := range b {
		c := tok[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	a, ok := q.index[string(b)]
	return a, ok
}
