package logquery

import "strings"

// The tags LTS wraps around highlighted words.
const (
	highlightOpen  = "<HighLightTag>"
	highlightClose = "</HighLightTag>"
)

// Highlight returns content with every token that satisfied a full-text
// term of q reached outside NOT (an exact word, a wildcard, or a token of
// a phrase occurrence) wrapped in <HighLightTag>...</HighLightTag>; all
// other bytes are unchanged. Label field searches highlight nothing. It
// returns content itself when nothing is highlighted.
func (q *Query) Highlight(content string) string { return q.HighlightStop(content, nil) }

// HighlightStop is Highlight for a caller that may stop wanting the
// answer (wildcards over a long line take long): once stop says true, the
// words not yet matched stay unmarked.
func (q *Query) HighlightStop(content string, stop func() bool) string {
	if q.root == nil || !q.anyPositive() {
		return content
	}
	t := q.tok
	type span struct{ start, end int }
	var spans []span
	for i := 0; ; {
		start, end := t.span(content, i)
		if start == end {
			break
		}
		spans = append(spans, span{start, end})
		i = end
	}
	marked := make([]bool, len(spans))
	count := 0
	mark := func(k int) {
		if !marked[k] {
			marked[k] = true
			count++
		}
	}
	for k, sp := range spans {
		tok := content[sp.start:sp.end]
		for a := range q.atoms {
			if q.positive[a] && q.atoms[a].kind != atomPhrase && q.atoms[a].matchToken(t, tok, stop) {
				mark(k)
				break
			}
		}
	}
	for _, a := range q.phrases {
		if !q.positive[a] {
			continue
		}
		ph := &q.atoms[a]
		var state uint64
		for k, sp := range spans {
			if state = ph.step(t, state, content[sp.start:sp.end]); ph.complete(state) {
				for j := k - len(ph.phrase) + 1; j <= k; j++ {
					mark(j)
				}
			}
		}
	}
	if count == 0 {
		return content
	}
	var b strings.Builder
	b.Grow(len(content) + count*(len(highlightOpen)+len(highlightClose)))
	last := 0
	for k, sp := range spans {
		if !marked[k] {
			continue
		}
		b.WriteString(content[last:sp.start])
		b.WriteString(highlightOpen)
		b.WriteString(content[sp.start:sp.end])
		b.WriteString(highlightClose)
		last = sp.end
	}
	b.WriteString(content[last:])
	return b.String()
}

func (q *Query) anyPositive() bool {
	for _, p := range q.positive {
		if p {
			return true
		}
	}
	return false
}
