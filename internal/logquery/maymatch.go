package logquery

import "slices"

// MayMatch decides for a whole block of lines from summaries only, so the
// engine can skip blocks that cannot hold a match. It never returns false
// when Match could return true for some line of the block; it may return
// true when no line matches.
//
// The contract of the callbacks (nil means "maybe" to every question):
//
//   - hasToken(tok) must return true when tok == Normalize(x) for some token
//     x that EachToken yields on the content of some line of the block, with
//     the query's tokenizer. False positives are allowed (a bloom filter).
//     Normalisation only lower-cases ASCII letters, so a filter that hashes
//     ASCII-lower-cased raw tokens answers it correctly in either case mode.
//   - hasLabel(key, value) must return true when some line of the block has
//     the label key and, unless value is "", that label's value is exactly
//     value. False positives are allowed. MayMatch asks only with value ""
//     (is the key present in the block?): field search matches a token
//     inside a label's value, which an exact value cannot rule out.
//
// Wildcards, NOT, content:"" and anything else it cannot decide from these
// answers count as "maybe".
func (q *Query) MayMatch(hasToken func(tok string) bool, hasLabel func(key, value string) bool) bool {
	if q.root == nil {
		return true
	}
	return q.may(q.root, hasToken, hasLabel)
}

func (q *Query) may(n *node, hasToken func(string) bool, hasLabel func(string, string) bool) bool {
	switch n.kind {
	case nodeAnd:
		for _, k := range n.kids {
			if !q.may(k, hasToken, hasLabel) {
				return false
			}
		}
		return true
	case nodeOr:
		for _, k := range n.kids {
			if q.may(k, hasToken, hasLabel) {
				return true
			}
		}
		return false
	case nodeContent:
		if hasToken == nil {
			return true
		}
		switch a := &q.atoms[n.idx]; a.kind {
		case atomExact:
			return hasToken(a.text)
		case atomPhrase:
			for _, m := range a.phrase {
				if !hasToken(m) {
					return false
				}
			}
		}
		return true
	case nodeLabel:
		return hasLabel == nil || hasLabel(n.lab.key, "")
	}
	return true
}

// Needles returns words that the content of every matching line holds as
// substrings, in ASCII lower case: the whole-word atoms and phrase words
// the query requires (through AND only). A line whose lower-cased content
// lacks one cannot match, which is cheaper to find out than tokenising it.
// Nil when the query requires no such word.
func (q *Query) Needles() []string {
	if q.root == nil {
		return nil
	}
	var out []string
	var walk func(n *node)
	walk = func(n *node) {
		switch n.kind {
		case nodeAnd:
			for _, k := range n.kids {
				walk(k)
			}
		case nodeContent:
			switch a := &q.atoms[n.idx]; a.kind {
			case atomExact:
				out = append(out, asciiLower(a.text))
			case atomPhrase:
				for _, w := range a.phrase {
					out = append(out, asciiLower(w))
				}
			}
		}
	}
	walk(q.root)
	return out
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if isUpper(b[j]) {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Keys returns the keys the query's field searches name (key:value,
// key>n, ...), each once.
func (q *Query) Keys() []string {
	var out []string
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.kind == nodeLabel && !slices.Contains(out, n.lab.key) {
			out = append(out, n.lab.key)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(q.root)
	return out
}
