package logquery

import (
	"math/bits"
	"testing"
)

func TestRowsAgreesWithMatch(t *testing.T) {
	lines := []string{"error disk full", "info started", "error network down", "warn disk slow", "Error again"}
	tok := DefaultTokenizer()
	bitmap := map[string][]uint64{}
	for i, l := range lines {
		for _, x := range tok.AppendTokens(nil, l) {
			if bitmap[x] == nil {
				bitmap[x] = make([]uint64, 1)
			}
			bitmap[x][0] |= 1 << i
		}
	}
	known := func(tok string) ([]uint64, bool) {
		if b, ok := bitmap[tok]; ok {
			return b, true
		}
		return []uint64{0}, true
	}
	for _, kw := range []string{"error", "ERROR and disk", "error or warn", "not error", "disk not full", "(info or warn) and not slow", "missing", "error && !"} {
		q, err := Parse(kw, tok)
		if err != nil {
			continue
		}
		got, ok := q.Rows(known, len(lines))
		if !ok {
			t.Fatalf("%q: not evaluated", kw)
		}
		var want uint64
		for i, l := range lines {
			if q.Match(l, nil) {
				want |= 1 << i
			}
		}
		if got[0] != want {
			t.Errorf("%q: rows %05b, Match %05b", kw, got[0], want)
		}
		if bits.OnesCount64(got[0]) > len(lines) {
			t.Errorf("%q: bits beyond the block", kw)
		}
	}
	for _, kw := range []string{"err*", `#"disk full"`, "host:a", "content:\"\""} {
		q, err := Parse(kw, tok)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := q.Rows(known, len(lines)); ok {
			t.Errorf("%q: evaluated from bitmaps, but it needs the lines", kw)
		}
	}
	q, _ := Parse("error", NewTokenizer(" ", true))
	if _, ok := q.Rows(known, len(lines)); ok {
		t.Error("case-sensitive query evaluated on lower-cased bitmaps")
	}
}
