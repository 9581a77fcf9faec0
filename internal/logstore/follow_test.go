package logstore

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

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
			r, err := owner.OpenFlushed(f)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(r)
			r.Close()
			p.segs, p.days = append(p.segs, data), append(p.days, f.Day)
			att = append(att, AttachedSegment{Day: f.Day, Body: bytes.NewReader(data)})
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
			att = append(att, AttachedSegment{Day: p.days[i], Body: bytes.NewReader(p.segs[i])})
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
			r, err := owner.OpenFlushed(f)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(r)
			r.Close()
			byDay[f.Day] = append(byDay[f.Day], data)
			att = append(att, AttachedSegment{Day: f.Day, Body: bytes.NewReader(data)})
		}
		if err := other.Attach(sid, covered, att); err != nil {
			t.Fatal(err)
		}
	}
	apply(240, 300) // not written to segments
	var merged []AttachedSegment
	for day, segs := range byDay {
		var bodies []io.Reader
		for _, data := range segs {
			bodies = append(bodies, bytes.NewReader(data))
		}
		f, err := owner.MergeSegments(day, bodies)
		if err != nil {
			t.Fatal(err)
		}
		r, err := owner.OpenFlushed(f)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r)
		r.Close()
		if err := owner.DiscardMerged(f); err != nil {
			t.Fatal(err)
		}
		merged = append(merged, AttachedSegment{Day: day, Body: bytes.NewReader(data)})
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
