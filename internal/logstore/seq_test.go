package logstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fieldEntry(i int) Entry {
	return Entry{
		TimeNs:  base + int64(i)*int64(time.Second),
		Content: "row",
		Fields: []Field{
			{Name: "status", Type: FieldLong, Long: int64(200 + i%3)},
			{Name: "took", Type: FieldFloat, Float: float64(i) / 4},
			{Name: "path", Type: FieldString, Str: "/p" + string(rune('a'+i%26))},
		},
	}
}

// checkFields reads every row with its fields and compares them with
// what fieldEntry gave, in line order.
func checkFields(t *testing.T, s *Store, n int) {
	t.Helper()
	rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64, Fields: true}, n+1)
	if len(rows) != n {
		t.Fatalf("got %d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		if want := fieldEntry(i).Fields; !reflect.DeepEqual(r.Fields, want) {
			t.Fatalf("row %d fields %+v, want %+v", i, r.Fields, want)
		}
	}
}

func TestFieldsSurviveFlushCompactionAndRestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	const n = 3000
	for start := 0; start < n; start += 300 {
		var entries []Entry
		for i := start; i < start+300; i++ {
			entries = append(entries, fieldEntry(i))
		}
		if _, err := s.Append(sid, nil, entries); err != nil {
			t.Fatal(err)
		}
		if start < n-300 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkFields(t, s, n) // memtable and segments together
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	checkFields(t, s, n)
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	// The rows span two UTC days: one segment each.
	if segs := len(s.existing(sid).segs); segs != 2 {
		t.Fatalf("%d segments after compaction, want 2", segs)
	}
	checkFields(t, s, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	defer s.Close()
	checkFields(t, s, n)
	// Rows without fields read back without them.
	rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}, 1)
	if rows[0].Fields != nil {
		t.Fatalf("fields returned unasked: %+v", rows[0].Fields)
	}
}

func TestFieldsReplayFromWAL(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	if _, err := s.Append(sid, nil, []Entry{fieldEntry(0), fieldEntry(1)}); err != nil {
		t.Fatal(err)
	}
	// Leave without flushing: the rows are only in the WAL.
	s.wal.Close()
	s2 := openStore(t, dir, Options{})
	defer s2.Close()
	checkFields(t, s2, 2)
}

func TestSeqSelectsBatchesAppendedSince(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	batch := func(at int64, content string) {
		t.Helper()
		if _, err := s.Append(sid, nil, []Entry{{TimeNs: at, Content: content}}); err != nil {
			t.Fatal(err)
		}
	}
	batch(base, "first")
	batch(base+2e9, "second")
	mark := s.Seq()
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	// A late row: older than everything, appended after the mark.
	batch(base-5e9, "late")
	batch(base+3e9, "third")
	now := s.Seq()
	batch(base+4e9, "after")

	contents := func(sc Scan) []string {
		var out []string
		for _, r := range collectRows(t, s, sc, 100) {
			out = append(out, r.Content)
		}
		return out
	}
	all := Scan{Start: math.MinInt64, End: math.MaxInt64, SeqAfter: mark, SeqUpTo: now}
	if got := contents(all); !reflect.DeepEqual(got, []string{"late", "third"}) {
		t.Fatalf("since the mark: %v", got)
	}
	if got := contents(Scan{Start: math.MinInt64, End: math.MaxInt64, SeqUpTo: mark}); !reflect.DeepEqual(got, []string{"first", "second"}) {
		t.Fatalf("up to the mark: %v", got)
	}
	if got := contents(Scan{Start: math.MinInt64, End: base, SeqAfter: mark, SeqUpTo: now}); !reflect.DeepEqual(got, []string{"late"}) {
		t.Fatalf("late rows: %v", got)
	}
	if total, _, err := s.Count(context.Background(), sid, all, 0, 0); err != nil || total != 2 {
		t.Fatalf("count since the mark: %d, %v", total, err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := contents(all); !reflect.DeepEqual(got, []string{"late", "third"}) {
		t.Fatalf("since the mark, after a flush: %v", got)
	}
	if total, _, err := s.Count(context.Background(), sid, all, 0, 0); err != nil || total != 2 {
		t.Fatalf("count since the mark, after a flush: %d, %v", total, err)
	}
	last := s.Seq()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	defer s.Close()
	if got := s.Seq(); got != last {
		t.Fatalf("after a restart Seq is %d, was %d", got, last)
	}
	if got := contents(all); !reflect.DeepEqual(got, []string{"late", "third"}) {
		t.Fatalf("since the mark, after a restart: %v", got)
	}
}

func TestSeqNeverGoesBackWhenTheNewestRowsAreDeleted(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	for i := range 5 {
		if _, err := s.Append(sid, nil, []Entry{{TimeNs: base + int64(i), Content: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	last := s.Seq()
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStream(sid); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	defer s.Close()
	if got := s.Seq(); got < last {
		t.Fatalf("Seq went back from %d to %d", last, got)
	}
}

// storeWithSegment opens a store on a new folder holding the segment file
// of testdata named, as the stream's first segment of base's day.
func storeWithSegment(t *testing.T, file string) *Store {
	t.Helper()
	dir := t.TempDir()
	day := dayOf(base)
	if err := os.MkdirAll(filepath.Join(dir, "streams", sid, day), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "streams", sid, day, "00000000000000000001.seg"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return openStore(t, dir, Options{})
}

// testdata/v1.seg was written by the version 1 writer: 2,000 rows "line i
// common", one a second from base, label host=a.
func TestReadsVersion1Segments(t *testing.T) {
	s := storeWithSegment(t, "testdata/v1.seg")
	defer s.Close()
	rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64, Fields: true, Matcher: wordMatcher("common")}, 5000)
	if len(rows) != 2000 {
		t.Fatalf("read %d rows of the version 1 segment, want 2000", len(rows))
	}
	for i, r := range rows {
		want := fmt.Sprintf("line %d common", i)
		if r.Content != want || r.Line != base+int64(i)*1e9 || r.Seq != 0 || r.Fields != nil {
			t.Fatalf("row %d: %+v", i, r)
		}
	}
	// New rows get sequence numbers above the old rows' zero.
	if _, err := s.Append(sid, nil, []Entry{fieldEntry(0)}); err != nil {
		t.Fatal(err)
	}
	if s.Seq() == 0 {
		t.Fatal("Seq stayed 0 after an append")
	}
}

func TestStringColumnsPlainAndDictionary(t *testing.T) {
	for name, value := range map[string]func(i int) string{
		"plain":      func(i int) string { return fmt.Sprintf("unique-%d", i) },
		"dictionary": func(i int) string { return []string{"GET", "POST", ""}[i%3] },
	} {
		var rows []row
		for i := range 100 {
			r := row{line: int64(i)}
			if i%7 != 0 {
				r.ext = &rowExt{fields: []Field{{Name: "f", Type: FieldString, Str: value(i)}}}
			}
			rows = append(rows, r)
		}
		raw := encodeColumn(nil, colKey{"f", FieldString}, rows)
		var col Column
		if err := decodeColumn(raw, FieldString, len(rows), &col); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, r := range rows {
			if present := r.fields() != nil; present != col.present(i) || (present && col.Str[i] != value(i)) {
				t.Fatalf("%s: row %d: %q present %v", name, i, col.Str[i], col.present(i))
			}
		}
		if mode := raw[(len(rows)+7)/8]; (mode == stringsDict) != (name == "dictionary") {
			t.Fatalf("%s: stored in mode %d", name, mode)
		}
	}
}

// A field whose type changed (its rule changed) reads in the type asked
// for, whether its rows are in a memtable or share a block.
func TestBlocksConvertFieldsOfChangedType(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	for i, f := range []Field{{Name: "f", Type: FieldLong, Long: 7}, {Name: "f", Type: FieldString, Str: "x"}, {Name: "f", Type: FieldString, Str: "12"}} {
		if _, err := s.Append(sid, nil, []Entry{{TimeNs: base + int64(i), Content: "r", Fields: []Field{f}}}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(typ FieldType) []string {
		t.Helper()
		var out []string
		err := s.Blocks(context.Background(), sid, Scan{Start: math.MinInt64, End: math.MaxInt64}, Parts{Lines: true, Fields: []string{"f"}, Types: map[string]FieldType{"f": typ}}, 1, func(_ int, b *Block) error {
			c := b.Fields["f"]
			for i := range b.Len {
				if !c.present(i) {
					out = append(out, "null")
					continue
				}
				out = append(out, Field{Type: c.Type, Str: at(c.Str, i), Long: at(c.Long, i), Float: at(c.Float, i)}.As(FieldString).Str)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, phase := range []string{"memtable", "segment"} {
		if got := strings.Join(read(FieldString), ","); got != "7,x,12" {
			t.Errorf("%s, as strings: %s", phase, got)
		}
		if got := strings.Join(read(FieldLong), ","); got != "7,0,12" {
			t.Errorf("%s, as longs: %s", phase, got)
		}
		if fields, _ := s.Schema(sid); fields["f"] != FieldString {
			t.Errorf("%s: schema type %d, want the newest (string)", phase, fields["f"])
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// Rows with and without fields in one batch keep their own fields through
// a flush (rows without fields share their batch's number).
func TestRowsWithAndWithoutFields(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	var entries []Entry
	for i := range 6 {
		e := Entry{TimeNs: base + int64(i), Content: "r"}
		if i%3 == 0 {
			e.Fields = []Field{{Name: "n", Type: FieldLong, Long: int64(i)}}
		}
		entries = append(entries, e)
	}
	if _, err := s.Append(sid, nil, entries); err != nil {
		t.Fatal(err)
	}
	for _, phase := range []string{"memtable", "segment"} {
		rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64, Fields: true}, 10)
		for i, r := range rows {
			if !reflect.DeepEqual(r.Fields, entries[i].Fields) {
				t.Fatalf("%s: row %d fields %+v, want %+v", phase, i, r.Fields, entries[i].Fields)
			}
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTokenTable(t *testing.T) {
	var tt tokenTable
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 6 {
		// Few keys after many: reset walks the keys rather than clearing all.
		n := []int{5000, 10, 3000, 1, 700, 2}[round]
		var stats []tokenStat
		want := map[uint64]int32{}
		for len(stats) < n {
			h := rng.Uint64() & 0xffff_ffff // clustered keys make long probe runs
			if _, ok := want[h]; ok {
				continue
			}
			if _, ok := tt.get(h); ok {
				t.Fatalf("round %d: %x found before it was put", round, h)
			}
			tt.put(h, int32(len(stats)), stats)
			want[h] = int32(len(stats))
			stats = append(stats, tokenStat{h: h})
		}
		for h, i := range want {
			if got, ok := tt.get(h); !ok || got != i {
				t.Fatalf("round %d: get(%x) = %d %v, want %d", round, h, got, ok, i)
			}
		}
		tt.reset(stats)
		for h := range want {
			if _, ok := tt.get(h); ok {
				t.Fatalf("round %d: %x still there after reset", round, h)
			}
		}
		for _, v := range tt.vals {
			if v != 0 {
				t.Fatalf("round %d: a slot survived the reset", round)
			}
		}
	}
}

// Batches with their own labels go into one WAL record and come back from
// it, each row with its labels.
func TestAppendBatchesTogether(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	a, b := LabelsFromMap(map[string]string{"host": "a"}), LabelsFromMap(map[string]string{"host": "b"})
	lines, err := s.AppendBatches(sid, []Batch{
		{Labels: a, Entries: []Entry{{TimeNs: base, Content: "one"}, {TimeNs: base, Content: "two"}}},
		{Labels: b, Entries: []Entry{{TimeNs: base, Content: "three", Fields: []Field{{Name: "n", Type: FieldLong, Long: 3}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || len(lines[0]) != 2 || len(lines[1]) != 1 || lines[1][0] <= lines[0][1] {
		t.Fatalf("lines %v", lines)
	}
	check := func(s *Store, phase string) {
		t.Helper()
		rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64, Fields: true}, 10)
		var got []string
		for _, r := range rows {
			host, _ := r.Labels.Get("host")
			got = append(got, fmt.Sprintf("%s/%s/%d/%d", r.Content, host, len(r.Fields), r.Seq))
		}
		seq := rows[0].Seq
		want := []string{fmt.Sprintf("one/a/0/%d", seq), fmt.Sprintf("two/a/0/%d", seq), fmt.Sprintf("three/b/1/%d", seq)}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %q, want %q", phase, got, want)
		}
	}
	check(s, "memtable")
	s.wal.Close() // leave without flushing: the rows are only in the WAL
	s2 := openStore(t, dir, Options{})
	defer s2.Close()
	check(s2, "replayed")
}

// An append larger than a WAL record is refused whole, and its line
// numbers are free again.
func TestAppendTooLargeForOneWrite(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	big := strings.Repeat("x", 1<<20)
	var batches []Batch
	for i := range 70 {
		batches = append(batches, Batch{Entries: []Entry{{TimeNs: base + int64(i), Content: big}}})
	}
	if _, err := s.AppendBatches(sid, batches); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	lines, err := s.Append(sid, nil, []Entry{{TimeNs: base, Content: "fits"}})
	if err != nil || lines[0] != base {
		t.Fatalf("after the refusal: %v %v", lines, err)
	}
	if rows := collectRows(t, s, Scan{Start: math.MinInt64, End: math.MaxInt64}, 10); len(rows) != 1 {
		t.Fatalf("%d rows stored", len(rows))
	}
}
