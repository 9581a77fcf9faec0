package logstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// needleWord is wordMatcher naming its word as a needle, so that scans
// search decoded blocks for it before matching rows.
type needleWord struct{ wordMatcher }

func (w needleWord) Needles() []string { return []string{strings.ToLower(string(w.wordMatcher))} }

// A row scan over many segments, decoding blocks ahead on every core with
// one depth for the whole scan, returns what matching every row one by
// one returns: the same rows in the same order, ascending and descending,
// for whole and partial windows, stopped after a few rows or not, with
// the word in any case, at the first and last row of blocks, and in the
// memtable.
func TestRowScanAheadAgreesWithPlainMatching(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	spell := []string{"needle", "NEEDLE", "Needle", "nEeDlE"}
	i := 0
	for seg := range 13 {
		n := 1 + rng.IntN(3*blockMaxRows)
		entries := make([]Entry, n)
		for k := range entries {
			content := fmt.Sprintf("row %d filler text", i)
			// Rare, and at the edges of the blocks the flush will cut.
			if rng.IntN(400) == 0 || k%blockMaxRows == 0 || k%blockMaxRows == blockMaxRows-1 && seg%2 == 0 {
				content = fmt.Sprintf("row %d %s here", i, spell[rng.IntN(len(spell))])
			}
			if rng.IntN(50) == 0 {
				content = fmt.Sprintf("row %d needles and aneedle are other words", i)
			}
			entries[k] = Entry{TimeNs: base + int64(i)*int64(time.Millisecond), Content: content}
			i++
		}
		if _, err := s.Append(sid, nil, entries); err != nil {
			t.Fatal(err)
		}
		if seg < 12 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := collectRows(t, s, Scan{Start: 0, End: 1 << 62}, 1<<30)
	if len(all) != i {
		t.Fatalf("%d rows, want %d", len(all), i)
	}
	at := func(k int) int64 { return base + int64(k)*int64(time.Millisecond) }
	for _, w := range [][2]int64{{0, 1 << 62}, {at(1), at(i - 2)}, {at(i / 3), at(i/3 + 2*blockMaxRows)}, {at(i), 1 << 62}} {
		for _, desc := range []bool{false, true} {
			var want []Row
			for _, r := range all {
				if r.Line >= w[0] && r.Line <= w[1] && (wordMatcher("needle")).Match(r.Content, nil) {
					want = append(want, r)
				}
			}
			if desc {
				slices.Reverse(want)
			}
			for _, limit := range []int{1, 3, 40, 1 << 30} {
				got := collectRows(t, s, Scan{Start: w[0], End: w[1], Desc: desc, Matcher: needleWord{"Needle"}}, limit)
				exp := want[:min(limit, len(want))]
				if len(got) != len(exp) {
					t.Fatalf("window %v desc %v limit %d: %d rows, want %d", w, desc, limit, len(got), len(exp))
				}
				for k := range got {
					if got[k].Line != exp[k].Line || got[k].Content != exp[k].Content {
						t.Fatalf("window %v desc %v limit %d: row %d is %d %q, want %d %q", w, desc, limit, k, got[k].Line, got[k].Content, exp[k].Line, exp[k].Content)
					}
				}
			}
		}
	}
}
