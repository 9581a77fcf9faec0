package logstore

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"logtank/internal/vfs"
)

// checkV3Rows checks that the store holds the rows of testdata/v3.seg, as
// they were written, fields and sequence numbers included.
func checkV3Rows(t *testing.T, s *Store) {
	t.Helper()
	want := v3Rows()
	got := collectRows(t, s, Scan{Start: base, End: base + int64(len(want))*1e6 - 1, Fields: true, SeqUpTo: math.MaxUint64}, 1<<30)
	if len(got) != len(want) {
		t.Fatalf("%d rows of the version 3 segment, want %d", len(got), len(want))
	}
	byName := func(a, b Field) int { return strings.Compare(a.Name, b.Name) }
	for i, w := range want {
		g := got[i]
		// A row's fields come in the order of its block's columns.
		slices.SortFunc(g.Fields, byName)
		wf := slices.SortedFunc(slices.Values(w.fields()), byName)
		if len(wf) == 0 {
			wf = nil
		}
		if g.Line != w.line || g.Content != w.content || !reflect.DeepEqual(g.Labels, w.labels) || g.Seq != w.seq() || !reflect.DeepEqual(g.Fields, wf) {
			t.Fatalf("row %d: got %+v, want line %d %q %v seq %d %v", i, g, w.line, w.content, w.labels, w.seq(), w.fields())
		}
	}
	n, _, err := s.Count(context.Background(), sid, Scan{Start: base, End: base + int64(len(want))*1e6 - 1, Matcher: wordMatcher("word")}, 0, 0)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("count of a word every row holds: %d %v", n, err)
	}
}

// testdata/v3.seg was written by the version 3 writer from v3Rows. It is
// read as it is, and compaction rewrites it, with newer rows, as a version
// 4 segment holding the same rows.
func TestReadsAndCompactsVersion3Segments(t *testing.T) {
	s := storeWithSegment(t, "testdata/v3.seg")
	if v := s.existing(sid).segs[0].version; v != 3 {
		t.Fatalf("testdata/v3.seg opened as version %d", v)
	}
	checkV3Rows(t, s)
	for k := range compactMinSegments - 1 {
		fill(t, s, 5, base+int64(10+5*k)*int64(time.Second))
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	segs := s.existing(sid).segs
	if len(segs) != 1 || segs[0].version != segmentVersion || segmentVersion != 4 {
		t.Fatalf("after compaction: %d segments, the first of version %d", len(segs), segs[0].version)
	}
	checkV3Rows(t, s)
	dir := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(segs[0].path))))
	s.Close()
	s = openStore(t, dir, Options{})
	defer s.Close()
	checkV3Rows(t, s)
	if n := len(collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}, 1<<30)); n != len(v3Rows())+5*(compactMinSegments-1) {
		t.Fatalf("%d rows after compaction and restart", n)
	}
}

// TestSegmentLoghubRoundTrip is the differential test of the whole
// segment: the lines of every loghub system, written as a version 4
// segment in blocks, come back byte for byte from every read path (the
// block decoder with and without scratch, and the line numbers alone).
func TestSegmentLoghubRoundTrip(t *testing.T) {
	systems := readLoghub(t)
	for name, lines := range systems {
		rows := make([]row, len(lines))
		for i, l := range lines {
			// Lines a millisecond apart, some a nanosecond, as a
			// store makes times unique.
			rows[i] = row{line: base + int64(i)*1e6 + int64(i%7/6), content: l}
		}
		seg, err := writeSegmentDict(vfs.OS, filepath.Join(t.TempDir(), name), rows, spaceTokenizer{}, templateDict(rows))
		if err != nil {
			t.Fatal(err)
		}
		var scratch blockScratch
		next := 0
		for bi := range seg.blocks {
			fresh, err := seg.readBlock(bi)
			if err != nil {
				t.Fatalf("%s block %d: %v", name, bi, err)
			}
			reused, err := seg.decodeBlock(bi, &scratch)
			if err != nil {
				t.Fatalf("%s block %d: %v", name, bi, err)
			}
			lines, err := seg.readLines(bi)
			if err != nil {
				t.Fatalf("%s block %d: %v", name, bi, err)
			}
			for j := range fresh.contents {
				w := rows[next+j]
				if fresh.contents[j] != w.content || reused.contents[j] != w.content || fresh.all[fresh.offs[j]:fresh.offs[j]+len(w.content)] != w.content {
					t.Fatalf("%s row %d: got %q, want %q", name, next+j, fresh.contents[j], w.content)
				}
				if fresh.lines[j] != w.line || lines[j] != w.line {
					t.Fatalf("%s row %d: line %d (alone %d), want %d", name, next+j, fresh.lines[j], lines[j], w.line)
				}
			}
			next += len(fresh.contents)
		}
		if next != len(rows) {
			t.Fatalf("%s: %d rows read back of %d", name, next, len(rows))
		}
		seg.close()
	}
}

// A flush writes a template dictionary; a damaged one makes blocks
// unreadable with an error naming the block and the part, never a crash,
// and the index refuses dictionary lengths that do not fit.
func TestTemplateDictionary(t *testing.T) {
	rows := v3Rows()
	path := filepath.Join(t.TempDir(), "s")
	seg, err := writeSegmentDict(vfs.OS, path, rows, spaceTokenizer{}, templateDict(rows))
	if err != nil {
		t.Fatal(err)
	}
	dict, err := seg.readDict()
	if err != nil || len(dict) == 0 || len(dict) != seg.dictRaw {
		t.Fatalf("dictionary of %d bytes (index: %d), %v", len(dict), seg.dictRaw, err)
	}
	if !strings.Contains(string(dict), "row \x00 user \x00 from \x00 took \x00 word") {
		t.Fatalf("the dictionary lacks the rows' template: %q", dict)
	}
	seg.close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[8+seg.dictLen/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	seg, err = openSegment(vfs.OS, path)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.close()
	if _, err := seg.readBlock(0); err == nil || !strings.Contains(err.Error(), "block 0 contents") {
		t.Fatalf("a block read through a damaged dictionary: %v", err)
	}
	for _, lens := range [][2]int{{1 << 20, 10}, {10, dictMaxBytes + 1}, {0, 10}, {10, 0}} {
		idx := appendIndex(nil, nil, 0, 100, lens[0], lens[1], nil)
		if _, err := decodeIndex(idx, segmentVersion, "f", 1000, 140); err == nil || !strings.Contains(err.Error(), "template dictionary") {
			t.Fatalf("dictionary lengths %v: %v", lens, err)
		}
	}
}

// TestSmallFlushesGetTheirDictionaryWhenCompacted: a flush of fewer than
// dictMinRows rows is written without a template dictionary (setting up
// an encoder with one costs more than such a segment's compression), and
// the compaction that merges such segments samples one from their rows.
func TestSmallFlushesGetTheirDictionaryWhenCompacted(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{FlushInterval: time.Hour, TemplateDictionary: true})
	defer s.Close()
	per := dictMinRows/compactMinSegments + 1
	var want []string
	for f := range compactMinSegments {
		entries := make([]Entry, per)
		for i := range entries {
			n := f*per + i
			entries[i] = Entry{TimeNs: base + int64(n)*1e6, Content: fmt.Sprintf("job %d of worker w%d finished in %dms", n, n%5, n*37%1000)}
			want = append(want, entries[i].Content)
		}
		if _, err := s.Append(sid, Labels{{Key: "app", Value: "jobs"}}, entries); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	segs := s.existing(sid).segs
	if len(segs) != compactMinSegments {
		t.Fatalf("%d segments after %d flushes", len(segs), compactMinSegments)
	}
	for _, seg := range segs {
		if seg.dictLen != 0 {
			t.Fatalf("a flush of %d rows wrote a dictionary of %d bytes", per, seg.dictRaw)
		}
	}
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	segs = s.existing(sid).segs
	if len(segs) != 1 {
		t.Fatalf("%d segments after compaction", len(segs))
	}
	dict, err := segs[0].readDict()
	if err != nil || !strings.Contains(string(dict), "job \x00 of worker \x00 finished in \x00") {
		t.Fatalf("the compacted segment's dictionary: %q, %v", dict, err)
	}
	rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}, 1<<30)
	if len(rows) != len(want) {
		t.Fatalf("%d rows after compaction, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if r.Content != want[i] {
			t.Fatalf("row %d: %q, want %q", i, r.Content, want[i])
		}
	}
}
