package logquery

// Rows evaluates the query on a block of n lines from per-token row
// bitmaps alone, so the engine can count matches without reading the
// lines. rows(tok) returns the bitmap of the lines whose content has the
// normalised token tok (bit i of word i/64 for line i), or ok false when
// it does not know. Rows returns the bitmap of matching lines, or ok false
// when the query needs more than token bitmaps: wildcards, phrases, label
// conditions, empty-content tests, a case-sensitive tokenizer (the bitmaps
// hold lower-cased tokens), or a token rows does not know.
func (q *Query) Rows(rows func(tok string) ([]uint64, bool), n int) ([]uint64, bool) {
	if q.tok.caseSensitive {
		return nil, false
	}
	words := (n + 63) / 64
	if q.root == nil {
		return allRows(n, words), true
	}
	return q.rows(q.root, rows, n, words)
}

func allRows(n, words int) []uint64 {
	out := make([]uint64, words)
	for i := range out {
		out[i] = ^uint64(0)
	}
	if r := n % 64; r != 0 {
		out[words-1] = 1<<r - 1
	}
	return out
}

func (q *Query) rows(nd *node, rows func(string) ([]uint64, bool), n, words int) ([]uint64, bool) {
	switch nd.kind {
	case nodeAll:
		return allRows(n, words), true
	case nodeAnd, nodeOr:
		var acc []uint64
		for i, k := range nd.kids {
			b, ok := q.rows(k, rows, n, words)
			if !ok || len(b) != words {
				return nil, false
			}
			if i == 0 {
				acc = append([]uint64(nil), b...)
				continue
			}
			for w := range acc {
				if nd.kind == nodeAnd {
					acc[w] &= b[w]
				} else {
					acc[w] |= b[w]
				}
			}
		}
		return acc, acc != nil
	case nodeNot:
		b, ok := q.rows(nd.kids[0], rows, n, words)
		if !ok || len(b) != words {
			return nil, false
		}
		all := allRows(n, words)
		for w := range all {
			all[w] &^= b[w]
		}
		return all, true
	case nodeContent:
		if a := &q.atoms[nd.idx]; a.kind == atomExact {
			return rows(a.text)
		}
	}
	return nil, false
}
