package logstore

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// labelCountsByRows is what CountLabels must give: Rows' rows grouped by
// their labels, as sorted "labels=count" strings.
func labelCountsByRows(t *testing.T, s *Store, sc Scan) []string {
	t.Helper()
	counts := map[string]int64{}
	if err := s.Rows(context.Background(), sid, sc, func(r Row) bool {
		counts[fmt.Sprint(r.Labels)]++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	slices.Sort(out)
	return out
}

func labelCounts(t *testing.T, s *Store, sc Scan) []string {
	t.Helper()
	got, err := s.CountLabels(context.Background(), sid, sc)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range got {
		out = append(out, fmt.Sprintf("%s=%d", fmt.Sprint(c.Labels), c.Rows))
	}
	slices.Sort(out)
	return out
}

// checkLabelCounts compares CountLabels with the row scan over random time
// ranges (whole data, block edges, nothing), matchers (none, words with
// and without bitmaps) and sequence filters.
func checkLabelCounts(t *testing.T, s *Store, rng *rand.Rand, lo, hi int64, rounds int) {
	t.Helper()
	matchers := []Matcher{nil, wordMatcher("common"), bitmapWord{wordMatcher("common")}, bitmapWord{wordMatcher("rare")}, wordMatcher("absent")}
	for round := range rounds {
		sc := Scan{Start: math.MinInt64, End: math.MaxInt64, Matcher: matchers[round%len(matchers)]}
		if round >= len(matchers) {
			a, b := lo+rng.Int64N(hi-lo+1), lo+rng.Int64N(hi-lo+1)
			sc.Start, sc.End = min(a, b), max(a, b)
		}
		if round%7 == 6 {
			sc.SeqAfter, sc.SeqUpTo = 1, 1+uint64(rng.IntN(4))
		}
		want, got := labelCountsByRows(t, s, sc), labelCounts(t, s, sc)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("round %d, scan %+v:\n got %v\nwant %v", round, sc, got, want)
		}
	}
}

// appendMixed appends n rows one millisecond apart from at, in batches of
// random label sets (some empty), so that blocks hold several sets.
func appendMixed(t *testing.T, s *Store, rng *rand.Rand, n int, at int64) {
	t.Helper()
	sets := []Labels{nil, LabelsFromMap(map[string]string{"app": "x"}), LabelsFromMap(map[string]string{"app": "y", "host": "a"}), LabelsFromMap(map[string]string{"host": "b"})}
	for i := 0; i < n; {
		k := min(n-i, 1+rng.IntN(300))
		entries := make([]Entry, k)
		for j := range entries {
			word := "filler"
			switch r := rng.IntN(1000); {
			case r < 300:
				word = "common"
			case r < 303:
				word = "rare"
			}
			entries[j] = Entry{TimeNs: at + int64(i+j)*int64(time.Millisecond), Content: fmt.Sprintf("row %d %s", i+j, word)}
		}
		if _, err := s.Append(sid, sets[rng.IntN(len(sets))], entries); err != nil {
			t.Fatal(err)
		}
		i += k
	}
}

func TestCountLabelsAgreesWithRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	// Two flushed segments, then rows still in the memtable.
	appendMixed(t, s, rng, 5000, base)
	s.Flush()
	appendMixed(t, s, rng, 3000, base+int64(6*time.Second))
	s.Flush()
	appendMixed(t, s, rng, 700, base+int64(10*time.Second))
	checkLabelCounts(t, s, rng, base-int64(time.Second), base+int64(12*time.Second), 60)
}

func TestCountLabelsAfterRetention(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ttl := 7 * 24 * time.Hour
	s := openStore(t, t.TempDir(), Options{Retention: func(string) time.Duration { return ttl }})
	defer s.Close()
	old := time.Now().Add(-10 * 24 * time.Hour).UnixNano()
	recent := time.Now().Add(-time.Hour).UnixNano()
	appendMixed(t, s, rng, 2000, old)
	appendMixed(t, s, rng, 2000, recent)
	s.Flush()
	if err := s.ApplyRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	checkLabelCounts(t, s, rng, old, recent+int64(3*time.Second), 30)
	if got := labelCounts(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}); fmt.Sprint(got) == "[]" {
		t.Fatal("no rows after retention dropped only the old day")
	}
	if err := s.DeleteStream(sid); err != nil {
		t.Fatal(err)
	}
	if got := labelCounts(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}); len(got) != 0 {
		t.Fatalf("counts after the stream was deleted: %v", got)
	}
}

// testdata/v2.seg was written by the version 2 writer, without per-set row
// counts: 3,000 rows "row i word" one millisecond apart from base, row i
// with labels {app=x host=a}, {app=y host=a} or {host=b} by i mod 3, so
// each block holds three sets.
func TestCountLabelsReadsVersion2Segments(t *testing.T) {
	s := storeWithSegment(t, "testdata/v2.seg")
	defer s.Close()
	got := labelCounts(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64})
	if want := "[[{app x} {host a}]=1000 [{app y} {host a}]=1000 [{host b}]=1000]"; fmt.Sprint(got) != want {
		t.Fatalf("version 2 counts %v, want %s", got, want)
	}
	// Version 3 rows beside them, in a second segment.
	rng := rand.New(rand.NewPCG(11, 12))
	appendMixed(t, s, rng, 2500, base+int64(4*time.Second))
	s.Flush()
	checkLabelCounts(t, s, rng, base, base+int64(7*time.Second), 40)
}
