package logstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"logtank/internal/vfs"
)

// memFiles numbers the files memFile makes.
var memFiles atomic.Int64

// memFile is data as a file of its own, as a published segment is read
// in place.
func memFile(t *testing.T, data []byte) vfs.File {
	t.Helper()
	fsys := vfs.NewMem()
	name := fmt.Sprintf("/bucket/segment-%d.seg", memFiles.Add(1))
	if err := vfs.MkdirAll(fsys, "/bucket"); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFile(fsys, name, data); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// flakyFile is a file read in place whose reads fail for now while down
// is set, as a segment of an unreachable bucket does.
type flakyFile struct {
	vfs.File
	down *atomic.Bool
}

func (f *flakyFile) ReadAt(p []byte, off int64) (int, error) {
	if f.down.Load() {
		return 0, fmt.Errorf("%w: the bucket is unreachable", vfs.ErrUnavailable)
	}
	return f.File.ReadAt(p, off)
}

func TestBatchCodecRoundTrip(t *testing.T) {
	in := []Batch{
		{Labels: Labels{{"app", "web"}}, Entries: []Entry{{TimeNs: 5, Content: "a"}, {TimeNs: -3, Content: "", Fields: []Field{{Name: "n", Type: FieldLong, Long: -7}, {Name: "s", Type: FieldString, Str: "x"}}}}},
		{Entries: []Entry{{TimeNs: 1 << 60, Content: "b", Fields: []Field{{Name: "f", Type: FieldFloat, Float: 1.5}}}}},
	}
	for _, batches := range [][]Batch{in[:1], in} {
		enc := EncodeBatches(nil, batches)
		got, err := DecodeBatches(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, batches) {
			t.Fatalf("got %+v, want %+v", got, batches)
		}
		for n := range len(enc) {
			if _, err := DecodeBatches(enc[:n]); err == nil {
				t.Fatalf("a payload cut at %d of %d bytes decoded", n, len(enc))
			}
		}
	}
}

// followerLog is a stream's log as followers see it: batches numbered
// from 1, with many lines sharing a time so that numbering them depends
// on the lines already taken.
func followerLog(n int) [][]Batch {
	rng := rand.New(rand.NewPCG(1, 2))
	const base = int64(1_700_000_000_000_000_000)
	var out [][]Batch
	for i := range n {
		var es []Entry
		for j := range 1 + rng.IntN(5) {
			es = append(es, Entry{TimeNs: base + rng.Int64N(20)*int64(24*3600*1e9)/10, Content: fmt.Sprintf("b%d l%d", i, j)})
		}
		out = append(out, []Batch{{Labels: Labels{{"n", fmt.Sprint(i % 3)}}, Entries: es}})
	}
	return out
}

func followerRows(t *testing.T, s *Store) []Row {
	return collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}, 1<<20)
}

// Followers that apply the same log, one of them writing segments and the
// others attaching them (one from the start, one joining late with the
// segments and the log's tail), hold the same rows with the same line
// numbers, each once.
func TestFollowersAgree(t *testing.T) {
	log := followerLog(300)
	owner := openStore(t, t.TempDir(), Options{Follower: true})
	other := openStore(t, t.TempDir(), Options{Follower: true})
	defer owner.Close()
	defer other.Close()
	type published struct {
		covered uint64
		segs    [][]byte
		days    []string
	}
	var pubs []published
	for i, b := range log {
		seq := uint64(i + 1)
		for _, s := range []*Store{owner, other} {
			if err := s.Apply(sid, seq, b); err != nil {
				t.Fatal(err)
			}
		}
		if err := other.Apply(sid, seq, b); err != nil { // again: ignored
			t.Fatal(err)
		}
		if seq%70 != 0 {
			continue
		}
		flushed, covered, err := owner.FlushStream(sid)
		if err != nil || covered != seq || len(flushed) == 0 {
			t.Fatalf("flush at %d: %d segments covering %d, %v", seq, len(flushed), covered, err)
		}
		p := published{covered: covered}
		var att []AttachedSegment
		for _, f := range flushed {
			data := flushedBytes(t, owner, f)
			p.segs, p.days = append(p.segs, data), append(p.days, f.Day)
			att = append(att, AttachedSegment{Day: f.Day, File: memFile(t, data)})
		}
		pubs = append(pubs, p)
		if err := other.Attach(sid, covered, att); err != nil {
			t.Fatal(err)
		}
		if a, c := other.Applied(sid); a != seq || c != covered {
			t.Fatalf("after attaching: applied %d covered %d, want %d %d", a, c, seq, covered)
		}
	}
	want := followerRows(t, owner)
	total := 0
	for _, b := range log {
		total += len(b[0].Entries)
	}
	if len(want) != total {
		t.Fatalf("owner holds %d rows, want %d", len(want), total)
	}
	seen := map[int64]bool{}
	for _, r := range want {
		if seen[r.Line] {
			t.Fatalf("line %d twice", r.Line)
		}
		seen[r.Line] = true
	}
	if got := followerRows(t, other); !reflect.DeepEqual(got, want) {
		t.Fatalf("the attaching follower differs: %d rows against %d", len(got), len(want))
	}
	late := openStore(t, t.TempDir(), Options{Follower: true})
	defer late.Close()
	for _, p := range pubs {
		var att []AttachedSegment
		for i := range p.segs {
			att = append(att, AttachedSegment{Day: p.days[i], File: memFile(t, p.segs[i])})
		}
		if err := late.Attach(sid, p.covered, att); err != nil {
			t.Fatal(err)
		}
	}
	for i := int(pubs[len(pubs)-1].covered); i < len(log); i++ {
		if err := late.Apply(sid, uint64(i+1), log[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got := followerRows(t, late); !reflect.DeepEqual(got, want) {
		t.Fatalf("the late follower differs: %d rows against %d", len(got), len(want))
	}
	if err := other.ResetStream(sid); err != nil {
		t.Fatal(err)
	}
	if got := followerRows(t, other); len(got) != 0 {
		t.Fatalf("%d rows after a reset", len(got))
	}
}

// segFiles lists the segment files under dir.
func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".seg") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// An owner that references its published segments keeps no segment file,
// and answers as before; a follower whose segments cannot be read for now
// fails its queries and its applies (without recording damage or giving
// other line numbers), and answers as the owner once they can.
func TestReadInPlace(t *testing.T) {
	log := followerLog(200)
	ownerDir := t.TempDir()
	owner := openStore(t, ownerDir, Options{Follower: true})
	other := openStore(t, t.TempDir(), Options{Follower: true})
	defer owner.Close()
	defer other.Close()
	var down atomic.Bool
	for i, b := range log[:150] {
		if err := owner.Apply(sid, uint64(i+1), b); err != nil {
			t.Fatal(err)
		}
		if err := other.Apply(sid, uint64(i+1), b); err != nil {
			t.Fatal(err)
		}
	}
	flushed, covered, err := owner.FlushStream(sid)
	if err != nil || len(flushed) == 0 {
		t.Fatalf("flush: %d segments, %v", len(flushed), err)
	}
	var att []AttachedSegment
	var refs []vfs.File
	for _, f := range flushed {
		data := flushedBytes(t, owner, f)
		att = append(att, AttachedSegment{Day: f.Day, File: &flakyFile{File: memFile(t, data), down: &down}})
		refs = append(refs, memFile(t, data))
	}
	if err := owner.Reference(sid, flushed, refs); err != nil {
		t.Fatal(err)
	}
	if files := segFiles(t, ownerDir); len(files) != 0 {
		t.Fatalf("the owner keeps %d segment files after referencing them: %v", len(files), files)
	}
	if err := other.Attach(sid, covered, att); err != nil {
		t.Fatal(err)
	}
	want := followerRows(t, owner)
	if got := followerRows(t, other); !reflect.DeepEqual(got, want) {
		t.Fatalf("the follower reading in place differs: %d rows against %d", len(got), len(want))
	}

	down.Store(true)
	err = other.Rows(context.Background(), sid, Scan{Start: math.MinInt64, End: math.MaxInt64}, func(Row) bool { return true })
	if !errors.Is(err, vfs.ErrUnavailable) || !strings.Contains(err.Error(), "/bucket/segment-") {
		t.Fatalf("a scan over unreachable segments: %v; want vfs.ErrUnavailable naming the segment", err)
	}
	if _, _, err := other.Count(context.Background(), sid, Scan{Start: math.MinInt64, End: math.MaxInt64, Matcher: wordMatcher("l1")}, 0, 0); !errors.Is(err, vfs.ErrUnavailable) {
		t.Fatalf("a count over unreachable segments: %v", err)
	}
	if other.Damaged(sid) {
		t.Fatal("unreachable segments were recorded as damage")
	}
	// The next batches' times fall among the segments' lines: numbering
	// them needs the segments, so they are not applied while down.
	applied := 150
	for i := 150; i < len(log); i++ {
		if err := other.Apply(sid, uint64(i+1), log[i]); err != nil {
			if !errors.Is(err, vfs.ErrUnavailable) {
				t.Fatalf("apply %d while down: %v", i+1, err)
			}
			break
		}
		applied = i + 1
	}
	if applied == len(log) {
		t.Fatal("every batch was applied without reading the unreachable segments: the test proves nothing")
	}
	down.Store(false)
	for i := range log[150:] {
		if err := owner.Apply(sid, uint64(150+i+1), log[150+i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := applied; i < len(log); i++ {
		if err := other.Apply(sid, uint64(i+1), log[i]); err != nil {
			t.Fatalf("apply %d once back: %v", i+1, err)
		}
	}
	if got, want := followerRows(t, other), followerRows(t, owner); !reflect.DeepEqual(got, want) {
		t.Fatalf("once back, the follower differs: %d rows against %d", len(got), len(want))
	}
	if other.Damaged(sid) {
		t.Fatal("damage recorded")
	}
}

// A follower that takes merged segments in place of the ones it attached
// (Rebase) holds the same rows with the same line numbers as the owner,
// those not yet written to segments included, and goes on numbering the
// rows of later batches as the owner does.
func TestFollowerRebasesOnMergedSegments(t *testing.T) {
	log := followerLog(340)
	owner := openStore(t, t.TempDir(), Options{Follower: true})
	other := openStore(t, t.TempDir(), Options{Follower: true})
	defer owner.Close()
	defer other.Close()
	byDay := map[string][][]byte{}
	apply := func(from, to int) {
		for i := from; i < to; i++ {
			for _, s := range []*Store{owner, other} {
				if err := s.Apply(sid, uint64(i+1), log[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for round := range 8 {
		apply(round*30, round*30+30)
		flushed, covered, err := owner.FlushStream(sid)
		if err != nil {
			t.Fatal(err)
		}
		var att []AttachedSegment
		for _, f := range flushed {
			data := flushedBytes(t, owner, f)
			byDay[f.Day] = append(byDay[f.Day], data)
			att = append(att, AttachedSegment{Day: f.Day, File: memFile(t, data)})
		}
		if err := other.Attach(sid, covered, att); err != nil {
			t.Fatal(err)
		}
	}
	apply(240, 300) // not written to segments
	var merged []AttachedSegment
	for day, segs := range byDay {
		var files []vfs.File
		for _, data := range segs {
			files = append(files, memFile(t, data))
		}
		f, err := owner.MergeSegments(day, files)
		if err != nil {
			t.Fatal(err)
		}
		data := flushedBytes(t, owner, f)
		if err := owner.DiscardMerged(f); err != nil {
			t.Fatal(err)
		}
		merged = append(merged, AttachedSegment{Day: day, File: memFile(t, data)})
	}
	if err := other.Rebase(sid, 240, merged); err != nil {
		t.Fatal(err)
	}
	if a, c := other.Applied(sid); a != 300 || c != 240 {
		t.Fatalf("after the rebase: applied %d covered %d, want 300 240", a, c)
	}
	if n := len(other.existing(sid).segs); n != len(byDay) {
		t.Fatalf("%d segments after the rebase, want one per day (%d)", n, len(byDay))
	}
	want := followerRows(t, owner)
	if got := followerRows(t, other); len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("the rebased follower differs: %d rows against %d", len(got), len(want))
	}
	apply(300, 340)
	if got, want := followerRows(t, other), followerRows(t, owner); !reflect.DeepEqual(got, want) {
		t.Fatalf("after later batches the rebased follower differs: %d rows against %d", len(got), len(want))
	}
}

// Compaction picks a day's small segments once there are enough of them,
// at most compactMaxInputs, leaving the big ones alone.
func TestCompactionInputs(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{Follower: true, MemtableBytes: 32 << 20})
	defer s.Close()
	small, big := int64(1<<20-1), int64(1<<20)
	sizes := []int64{big}
	for range compactMinSegments - 1 {
		sizes = append(sizes, small)
	}
	if got := s.CompactionInputs(sizes); got != nil {
		t.Fatalf("%d small segments picked %v", compactMinSegments-1, got)
	}
	sizes = append(sizes, small)
	if got := s.CompactionInputs(sizes); len(got) != compactMinSegments || got[0] != 1 {
		t.Fatalf("picked %v", got)
	}
	for len(sizes) < compactMaxInputs+10 {
		sizes = append(sizes, small)
	}
	if got := s.CompactionInputs(sizes); len(got) != compactMaxInputs {
		t.Fatalf("picked %d of %d", len(got), len(sizes)-1)
	}
}

// flushedBytes reads a segment FlushStream wrote, as an owner uploads it.
func flushedBytes(t *testing.T, s *Store, f FlushedSegment) []byte {
	t.Helper()
	r, err := s.OpenFlushed(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A merge that a crash left before its caller discarded it is gone at the
// next start: nothing in the merges' folder outlives a run.
func TestOpenRemovesInterruptedMerges(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{Follower: true})
	s.Close()
	left := filepath.Join(dir, mergingDir, "00000000000000000007.seg")
	if err := os.MkdirAll(filepath.Dir(left), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(left, []byte("half a merge"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{Follower: true})
	defer s.Close()
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatalf("the interrupted merge is still there: %v", err)
	}
}
