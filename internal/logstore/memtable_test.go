package logstore

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestNextDay(t *testing.T) {
	day := int64(24 * time.Hour)
	mid := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano()
	f := func(line, want int64) {
		t.Helper()
		if got := nextDay(line); got != want {
			t.Fatalf("nextDay(%d) = %d, want %d", line, got, want)
		}
	}
	f(mid, mid+day)
	f(mid-1, mid)
	f(mid+day-1, mid+day)
	f(0, day)
	f(-1, 0)
	f(-day, 0)
	f(-day-1, -day)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		line := rng.Int64N(1<<62) - 1<<61
		next := nextDay(line)
		if dayOf(next-1) != dayOf(line) || dayOf(next) == dayOf(line) || next-line > day || next <= line {
			t.Fatalf("nextDay(%d) = %d: days %s, %s, %s", line, next, dayOf(line), dayOf(next-1), dayOf(next))
		}
	}
}

func TestSortedRows(t *testing.T) {
	// Two senders' batches interleave: ascending runs out of order, spread
	// over two memtables.
	var a, b []int64
	for run := range 6 {
		for i := range 50 {
			l := int64((5-run)*1000 + i*3)
			if run%2 == 0 {
				a = append(a, l)
			} else {
				b = append(b, l)
			}
		}
	}
	mt := func(lines []int64) *memtable {
		m := newMemtable(len(lines) / 2)
		for _, l := range lines {
			m.add(row{line: l})
		}
		return m
	}
	ma, mb := mt(a), mt(b)
	if ma.inOrder || mb.inOrder {
		t.Fatal("memtables of out-of-order runs say they are in order")
	}
	got := sortedRows([]*memtable{ma, mb})
	if len(got) != len(a)+len(b) {
		t.Fatalf("%d rows, want %d", len(got), len(a)+len(b))
	}
	for i := 1; i < len(got); i++ {
		if got[i].line <= got[i-1].line {
			t.Fatalf("row %d: line %d after %d", i, got[i].line, got[i-1].line)
		}
	}
	// Scans may be reading the memtables: they are left as they were.
	for i, l := range a {
		if ma.rows[i].line != l {
			t.Fatalf("memtable row %d changed to %d, was %d", i, ma.rows[i].line, l)
		}
	}
	// One memtable in order is taken as it is.
	in := mt([]int64{1, 2, 3})
	if got := sortedRows([]*memtable{in}); &got[0] != &in.rows[0] {
		t.Fatal("an in-order memtable was copied")
	}
}

func TestAddRowsTracksOrder(t *testing.T) {
	rows := func(lines ...int64) []row {
		var rs []row
		for _, l := range lines {
			rs = append(rs, row{line: l})
		}
		return rs
	}
	f := func(want bool, batches ...[]int64) {
		t.Helper()
		m := newMemtable(0)
		n := 0
		for _, b := range batches {
			in := true
			for i := 1; i < len(b); i++ {
				in = in && b[i] > b[i-1]
			}
			m.addRows(rows(b...), in, int64(len(b)))
			n += len(b)
		}
		if m.inOrder != want || len(m.rows) != n || m.bytes != int64(n) {
			t.Fatalf("batches %v: inOrder %v, %d rows, %d bytes; want %v, %d, %d", batches, m.inOrder, len(m.rows), m.bytes, want, n, n)
		}
	}
	f(true, []int64{1, 2, 3}, []int64{4, 9})
	f(true, []int64{1}, nil, []int64{2})
	f(false, []int64{1, 3, 2})
	f(false, []int64{5, 6}, []int64{4, 7})
	f(false, []int64{5}, []int64{3})
}
