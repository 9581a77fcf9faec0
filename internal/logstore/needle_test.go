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
