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
