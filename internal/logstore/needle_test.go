package logstore

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// needleWords is a NeedleMatcher naming its words as needles.
type needleWords []string

func (n needleWords) Match(string, func(string) (string, bool)) bool { return true }
func (n needleWords) MayMatch(func(string) bool, func(string, string) bool) bool {
	return true
}
func (n needleWords) Needles() []string { return n }

// The block-wide search marks exactly the rows whose lower-cased content
// holds every needle: matches across two rows' contents, empty rows, and
// upper-case letters included.
func TestNeedleCheckMarksRowsHoldingEveryNeedle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"ab", "b", "a", "AB", "c", "", " ", "abc", "Ca"}
	for round := range 300 {
		n := 1 + rng.IntN(12)
		d := &decodedBlock{contents: make([]string, n), offs: make([]int, n)}
		var all strings.Builder
		for i := range n {
			var c strings.Builder
			for range rng.IntN(4) {
				c.WriteString(pieces[rng.IntN(len(pieces))])
			}
			d.contents[i], d.offs[i] = c.String(), all.Len()
			all.WriteString(c.String())
		}
		d.all = all.String()
		needles := needleWords{[]string{"ab", "ca", "bc", "b", "abc"}[round%5]}
		if round%3 == 0 {
			needles = append(needles, "a")
		}
		nc := (&Scan{Matcher: needles}).needleCheck()
		anyRow := false
		got := nc.block(d)
		for i, content := range d.contents {
			want := true
			for _, nd := range needles {
				want = want && strings.Contains(strings.ToLower(content), nd)
			}
			anyRow = anyRow || want
			if got && nc.row(i) != want {
				t.Fatalf("round %d, needles %q, rows %q: row %d marked %v, want %v", round, needles, d.contents, i, nc.row(i), want)
			}
		}
		if got != anyRow {
			t.Fatalf("round %d, needles %q, rows %q: block says %v, want %v", round, needles, d.contents, got, anyRow)
		}
	}
}

// asciiLowerForTest lower-cases ASCII letters only, as the matcher folds.
func asciiLowerForTest(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// The same against a plain per-row search with needles whose anchors are
// rare letters, punctuation or UTF-8 bytes, in either case or mixed, at
// the start, middle or end of a row, spanning two rows, in blocks where
// few or most rows hold the first needle (the later needles are then
// searched row by row or through the block), and with needles in the
// query in any order.
func TestNeedleCheckAgreesWithPlainSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"user", "USER", "uSeR", "invalid", "Invalid ", "com.jcraft.jsch.", "JSchException", "jschexception",
		"x", "Q", "é", "É", ".", " ", "-", "42", "error", "ERR", "or", "zz", "qux", "", "j"}
	for round := range 2000 {
		n := rng.IntN(40)
		d := &decodedBlock{contents: make([]string, n), offs: make([]int, n)}
		var all strings.Builder
		for i := range n {
			var c strings.Builder
			// Mostly short rows, some long: the held rows are then a small
			// or a large part of the block.
			for range rng.IntN(3) + rng.IntN(2)*rng.IntN(20) {
				c.WriteString(pieces[rng.IntN(len(pieces))])
			}
			d.contents[i], d.offs[i] = c.String(), all.Len()
			all.WriteString(c.String())
		}
		d.all = all.String()
		var needles needleWords
		for range 1 + rng.IntN(3) {
			var nd string
			if len(d.all) > 0 && rng.IntN(3) > 0 {
				// A piece of the block's text, lower-cased: often a hit.
				i := rng.IntN(len(d.all))
				nd = asciiLowerForTest(d.all[i : i+min(len(d.all)-i, 1+rng.IntN(8))])
			} else {
				nd = asciiLowerForTest(pieces[rng.IntN(len(pieces))])
			}
			needles = append(needles, nd)
		}
		nc := (&Scan{Matcher: needles}).needleCheck()
		if nc == nil {
			continue // only empty needles
		}
		got := nc.block(d)
		anyRow := false
		for i, content := range d.contents {
			want := true
			for _, nd := range needles {
				want = want && strings.Contains(asciiLowerForTest(content), nd)
			}
			anyRow = anyRow || want
			if got && nc.row(i) != want {
				t.Fatalf("round %d, needles %q, rows %q: row %d marked %v, want %v", round, needles, d.contents, i, nc.row(i), want)
			}
		}
		if got != anyRow {
			t.Fatalf("round %d, needles %q, rows %q: block says %v, want %v", round, needles, d.contents, got, anyRow)
		}
	}
}

// foldNeedle.index finds the leftmost match at or after from, whatever
// the case of the text's ASCII letters, and nothing else.
func TestFoldNeedleIndex(t *testing.T) {
	f := func(text, needle string, from, want int) {
		t.Helper()
		nd := newFoldNeedle(needle)
		next := anchorsAhead()
		if got := nd.index(text, from, &next); got != want {
			t.Errorf("index(%q, %q, %d) = %d, want %d", text, needle, from, got, want)
		}
	}
	f("", "a", 0, -1)
	f("a", "a", 0, 0)
	f("A", "a", 0, 0)
	f("xJSchExceptionx", "jschexception", 0, 1)
	f("jsch jSCH JSCH", "jsch", 1, 5)
	f("jsch jSCH JSCH", "jsch", 6, 10)
	f("jsch", "jsch", 1, -1)
	f("Éé", "é", 0, 2) // bytes outside ASCII match exactly
	f("É", "é", 0, -1)
	f("user.name", "r.n", 0, 3)
	f("a.b", "a.b.", 0, -1)
	f("zzzq", "zq", 0, 2)
	f("ZQ zq", "zq", 1, 3)
}

// BenchmarkNeedleCheck searches decoded blocks of benchRows (capitals in
// every row) for a rare word, a word in every row written with capitals,
// a word in one row of ten, and two words.
func BenchmarkNeedleCheck(b *testing.B) {
	rows := benchRows(blockMaxRows * 8)
	var blocks []*decodedBlock
	for k := 0; k < len(rows); k += blockMaxRows {
		d := &decodedBlock{}
		var all strings.Builder
		for _, r := range rows[k : k+blockMaxRows] {
			d.offs = append(d.offs, all.Len())
			all.WriteString(r.content)
		}
		d.all = all.String()
		for i, off := range d.offs {
			d.contents = append(d.contents, d.all[off:off+len(rows[k+i].content)])
		}
		blocks = append(blocks, d)
	}
	for _, needles := range []needleWords{{"rare"}, {"orderservice"}, {"common"}, {"placed", "common"}} {
		b.Run(strings.Join(needles, "+"), func(b *testing.B) {
			nc := (&Scan{Matcher: needles}).needleCheck()
			b.SetBytes(int64(len(blocks[0].all)))
			for i := 0; b.Loop(); i++ {
				nc.block(blocks[i%len(blocks)])
			}
		})
	}
}
