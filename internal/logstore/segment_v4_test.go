package logstore

import (
	"context"
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
		seg, err := writeSegment(vfs.OS, filepath.Join(t.TempDir(), name), rows, spaceTokenizer{})
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
	seg, err := writeSegment(vfs.OS, path, rows, spaceTokenizer{})
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
