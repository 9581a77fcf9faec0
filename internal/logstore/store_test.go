package logstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spaceTokenizer splits at spaces; enough to exercise the bloom filters.
type spaceTokenizer struct{}

func (spaceTokenizer) EachToken(s string, fn func(string)) {
	for _, f := range strings.Fields(s) {
		fn(f)
	}
}

// wordMatcher matches rows containing a word (case-insensitive).
type wordMatcher string

func (w wordMatcher) Match(content string, _ func(string) (string, bool)) bool {
	for _, f := range strings.Fields(content) {
		if strings.EqualFold(f, string(w)) {
			return true
		}
	}
	return false
}

func (w wordMatcher) MayMatch(hasToken func(string) bool, _ func(string, string) bool) bool {
	return hasToken(strings.ToLower(string(w)))
}

const sid = "c54dbc58-0fd8-48ed-b007-6d54981427a7"

func openStore(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	opts.Tokenizer = spaceTokenizer{}
	s, err := Open(dir, opts, func(id string) bool { return id == sid })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func collectRows(t *testing.T, s *Store, sc Scan, limit int) []Row {
	t.Helper()
	var out []Row
	err := s.Rows(context.Background(), sid, sc, func(r Row) bool {
		out = append(out, r)
		return len(out) < limit
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var base = time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC).UnixNano()

func fill(t *testing.T, s *Store, n int, at int64) {
	t.Helper()
	entries := make([]Entry, n)
	for i := range entries {
		word := "common"
		if i%100 == 7 {
			word = "rare"
		}
		entries[i] = Entry{TimeNs: at + int64(i)*int64(time.Second), Content: fmt.Sprintf("line %d %s", i, word)}
	}
	if _, err := s.Append(sid, LabelsFromMap(map[string]string{"host": "a"}), entries); err != nil {
		t.Fatal(err)
	}
}

func checkAll(t *testing.T, s *Store, n int) {
	t.Helper()
	all := Scan{Start: 0, End: 1 << 62}
	rows := collectRows(t, s, all, 1<<30)
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Line <= rows[i-1].Line {
			t.Fatalf("rows out of order at %d", i)
		}
	}
	desc := collectRows(t, s, Scan{Start: 0, End: 1 << 62, Desc: true}, 5)
	if len(desc) != 5 || desc[0].Line != rows[len(rows)-1].Line {
		t.Fatalf("descending scan starts at %d, want %d", desc[0].Line, rows[len(rows)-1].Line)
	}
	total, _, err := s.Count(context.Background(), sid, all, 0, 0)
	if err != nil || total != int64(n) {
		t.Fatalf("count %d %v, want %d", total, err, n)
	}
	rare, _, _ := s.Count(context.Background(), sid, Scan{Start: 0, End: 1 << 62, Matcher: wordMatcher("RARE")}, 0, 0)
	if want := int64((n + 92) / 100); rare != want {
		t.Fatalf("rare count %d, want %d", rare, want)
	}
	if rows[0].Labels.Map()["host"] != "a" {
		t.Fatalf("labels %v", rows[0].Labels)
	}
}

func TestAppendFlushReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	fill(t, s, 5000, base)
	checkAll(t, s, 5000)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	checkAll(t, s, 5000)
	// The rows straddle midnight: two day folders.
	days, _ := os.ReadDir(filepath.Join(dir, "streams", sid))
	if len(days) != 2 {
		t.Fatalf("%d day folders, want 2", len(days))
	}
	fill(t, s, 300, base+int64(time.Hour)*10)
	checkAll(t, s, 5300)
	s.Close()
	s = openStore(t, dir, Options{})
	defer s.Close()
	checkAll(t, s, 5300)
}

func TestReplayWithoutClose(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	fill(t, s, 1000, base)
	// Abandon s without closing, as a crash would: its WAL holds the rows.
	s2 := openStore(t, dir, Options{})
	defer s2.Close()
	checkAll(t, s2, 1000)
}

func TestReplayAfterFlushKeepsRowsOnce(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	fill(t, s, 1000, base)
	// Keep a copy of the WAL as it was before the flush removed it, as if the
	// process died between writing the segment and removing the WAL file.
	walDir := filepath.Join(dir, "wal")
	saved := t.TempDir()
	entries, _ := os.ReadDir(walDir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(walDir, e.Name()))
		os.WriteFile(filepath.Join(saved, e.Name()), b, 0o600)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s.wal.Close()
	os.RemoveAll(walDir)
	os.Rename(saved, walDir)
	s2 := openStore(t, dir, Options{})
	defer s2.Close()
	checkAll(t, s2, 1000)
}

func TestLineNumbersAreUnique(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	same := []Entry{{TimeNs: base, Content: "a"}, {TimeNs: base, Content: "b"}}
	l1, _ := s.Append(sid, nil, same)
	s.Flush()
	l2, _ := s.Append(sid, nil, same)
	// Back-filled into a range on disk.
	l3, _ := s.Append(sid, nil, []Entry{{TimeNs: base + 1, Content: "c"}})
	seen := map[int64]bool{}
	for _, l := range append(append(l1, l2...), l3...) {
		if seen[l] {
			t.Fatalf("line %d given twice: %v %v %v", l, l1, l2, l3)
		}
		seen[l] = true
	}
	if l1[0] != base || l1[1] != base+1 || l2[0] != base+2 || l3[0] != base+4 {
		t.Fatalf("lines %v %v %v", l1, l2, l3)
	}
}

func TestRetentionAndDelete(t *testing.T) {
	dir := t.TempDir()
	ttl := 7 * 24 * time.Hour
	s := openStore(t, dir, Options{Retention: func(string) time.Duration { return ttl }})
	defer s.Close()
	old := time.Now().Add(-10 * 24 * time.Hour).UnixNano()
	fill(t, s, 10, old)
	fill(t, s, 10, time.Now().Add(-time.Hour).UnixNano())
	s.Flush()
	if err := s.ApplyRetention(time.Now()); err != nil {
		t.Fatal(err)
	}
	checkAll(t, s, 10)
	days, _ := os.ReadDir(filepath.Join(dir, "streams", sid))
	if len(days) != 1 {
		t.Fatalf("%d day folders after retention", len(days))
	}
	if err := s.DeleteStream(sid); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "streams", sid)); !os.IsNotExist(err) {
		t.Fatalf("stream folder left: %v", err)
	}
	if n, _, _ := s.Count(context.Background(), sid, Scan{End: 1 << 62}, 0, 0); n != 0 {
		t.Fatalf("%d rows after delete", n)
	}
}

func TestBloomSkipsBlocks(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	entries := make([]Entry, 50000)
	for i := range entries {
		entries[i] = Entry{TimeNs: base + int64(i), Content: fmt.Sprintf("row %d filler", i)}
	}
	entries[40000].Content = "needle here"
	s.Append(sid, nil, entries)
	s.Flush()
	st := s.existing(sid)
	sc := Scan{Start: 0, End: 1 << 62, Matcher: wordMatcher("needle")}
	n := 0
	for _, seg := range st.segs {
		c, err := sc.candidates(seg)
		if err != nil {
			t.Fatal(err)
		}
		n += len(c)
	}
	// 49 blocks; the filters' false-positive rate is about 2%.
	if n < 1 || n > 4 {
		t.Fatalf("%d candidate blocks for a word in one block", n)
	}
	rows := collectRows(t, s, sc, 10)
	if len(rows) != 1 || rows[0].Content != "needle here" {
		t.Fatalf("rows %v", rows)
	}
}

func TestCompactionMergesSmallSegments(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for i := range 10 {
		fill(t, s, 100, base-int64(time.Hour)+int64(i)*int64(time.Minute)*2)
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.existing(sid).segs); n != 10 {
		t.Fatalf("%d segments before compaction", n)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.existing(sid).segs); n != 1 {
		t.Fatalf("%d segments after compaction", n)
	}
	checkAll(t, s, 1000)
	s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "streams", sid, "*", "*.seg"))
	if len(files) != 1 {
		t.Fatalf("%d segment files left: %v", len(files), files)
	}
	s = openStore(t, dir, Options{})
	defer s.Close()
	checkAll(t, s, 1000)
}

// Segments as big as full flushes of the memtable budget are not merged:
// that would decode, tokenise and compress every row a second time.
func TestCompactionLeavesFullFlushesAlone(t *testing.T) {
	opts := Options{MemtableBytes: 12 << 10}
	s := openStore(t, t.TempDir(), opts)
	defer s.Close()
	for i := range compactMinSegments {
		fill(t, s, 100, base-int64(time.Hour)+int64(i)*int64(2*time.Minute))
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for _, seg := range s.existing(sid).segs {
		if seg.size < opts.MemtableBytes/compactSmallBudgetShare {
			t.Fatalf("segment of %d bytes: the test needs segments that are not small", seg.size)
		}
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.existing(sid).segs); n != compactMinSegments {
		t.Fatalf("%d segments after compaction, want %d", n, compactMinSegments)
	}
	checkAll(t, s, 100*compactMinSegments)
}

func TestCrashAfterCompactionKeepsRowsOnce(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for i := range 8 {
		fill(t, s, 100, base-int64(time.Hour)+int64(i)*int64(time.Minute)*2)
		s.Flush()
	}
	// Save the inputs, compact, then put them back: as if the process died
	// after the merged segment was renamed into place but before the inputs
	// were removed.
	files, _ := filepath.Glob(filepath.Join(dir, "streams", sid, "*", "*.seg"))
	saved := map[string][]byte{}
	for _, f := range files {
		saved[f], _ = os.ReadFile(f)
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for f, b := range saved {
		os.WriteFile(f, b, 0o600)
	}
	s = openStore(t, dir, Options{})
	defer s.Close()
	checkAll(t, s, 800)
}

// bitmapWord is wordMatcher that can also count from token bitmaps.
type bitmapWord struct{ wordMatcher }

func (w bitmapWord) Rows(rows func(string) ([]uint64, bool), n int) ([]uint64, bool) {
	return rows(strings.ToLower(string(w.wordMatcher)))
}

func TestCountFromBitmapsAgreesWithRows(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	entries := make([]Entry, 20000)
	for i := range entries {
		word := "filler"
		if i%10 == 3 {
			word = "common"
		}
		if i%5000 == 7 {
			word = "rare"
		}
		entries[i] = Entry{TimeNs: base + int64(i)*int64(time.Millisecond), Content: fmt.Sprintf("row %d %s", i, word)}
	}
	s.Append(sid, nil, entries)
	s.Flush()
	for _, word := range []string{"common", "rare", "absent", "row"} {
		for _, window := range [][2]int64{{0, 1 << 62}, {base + 1234*int64(time.Millisecond), base + 17777*int64(time.Millisecond)}} {
			step := (window[1] - window[0]) / 7
			if window[1] > 1<<61 {
				step = int64(time.Second)
				window[0] = base
			}
			sc := Scan{Start: window[0], End: window[1], Matcher: bitmapWord{wordMatcher(word)}}
			total, buckets, err := s.Count(context.Background(), sid, sc, step, 7)
			if err != nil {
				t.Fatal(err)
			}
			sc.Matcher = wordMatcher(word)
			want, wantBuckets, _ := s.Count(context.Background(), sid, sc, step, 7)
			if total != want || fmt.Sprint(buckets) != fmt.Sprint(wantBuckets) {
				t.Fatalf("%s %v: bitmaps %d %v, rows %d %v", word, window, total, buckets, want, wantBuckets)
			}
		}
	}
}

func TestOutOfOrderRowsScanInOrder(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	times := []int64{50, 10, 40, 20, 30}
	for _, tm := range times {
		s.Append(sid, nil, []Entry{{TimeNs: base + tm, Content: fmt.Sprintf("t%d common", tm)}})
	}
	want := "t10 t20 t30 t40 t50"
	for round := range 2 {
		var got []string
		s.Rows(context.Background(), sid, Scan{Start: base + 15, End: base + 45, Matcher: wordMatcher("common")}, func(r Row) bool {
			got = append(got, strings.Fields(r.Content)[0])
			return true
		})
		if strings.Join(got, " ") != "t20 t30 t40" {
			t.Fatalf("round %d: %v", round, got)
		}
		got = got[:0]
		s.Rows(context.Background(), sid, Scan{Start: 0, End: 1 << 62, Desc: true}, func(r Row) bool {
			got = append(got, strings.Fields(r.Content)[0])
			return true
		})
		if strings.Join(got, " ") != "t50 t40 t30 t20 t10" {
			t.Fatalf("round %d desc: %v (want the reverse of %s)", round, got, want)
		}
		s.Flush()
	}
}
