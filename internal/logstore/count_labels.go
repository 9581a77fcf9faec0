package logstore

import (
	"context"
	"math/bits"
	"runtime"

	"logtank/internal/workpool"
)

// LabelCount is how many of the rows a count selected carry one label set.
type LabelCount struct {
	Labels Labels
	Rows   int64
}

// CountLabels returns how many rows the scan selects per label set, in no
// particular order. It gives what grouping the rows of Rows by their
// labels would, reading as little as it can: a block wholly inside the
// scan's range without a matcher is counted from the index (the per-set
// row counts of version 3 segments), a block a RowsMatcher decides from
// its token bitmaps reads only those and its labels chunk, and only the
// others are decoded and matched, by one worker per CPU.
func (s *Store) CountLabels(ctx context.Context, streamID string, sc Scan) ([]LabelCount, error) {
	sc.withContext(ctx)
	snap := s.snapshot(streamID, sc)
	main := newLabelTally()
	lf := labelFuncs{}
	for _, rows := range snap.mem {
		for _, r := range rows {
			if sc.match(lf, r) {
				main.add(r.labels, 1)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	rm := sc.bitmapMatcher()
	var jobs []blockJob
	var loans bloomLoans
	defer loans.release()
	for _, seg := range snap.segs {
		if sc.Matcher == nil && !sc.seqs() && seg.minLine >= sc.Start && seg.maxLine <= sc.End && seg.labelRows != nil {
			for _, c := range seg.labelRows {
				main.add(c.Labels, c.Rows)
			}
			continue
		}
		blocks, blooms, err := loans.candidatesAndBlooms(&sc, seg)
		if err != nil {
			return nil, err
		}
		for _, bi := range blocks {
			m := &seg.blocks[bi]
			if sc.Matcher == nil && !sc.seqs() && m.minLine >= sc.Start && m.maxLine <= sc.End && m.labelRows != nil {
				for k, ls := range m.labelSets {
					main.add(ls, int64(m.labelRows[k]))
				}
				continue
			}
			jobs = append(jobs, blockJob{seg, bi, blooms})
		}
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(jobs), 1))
	tallies := make([]*labelTally, workers)
	scratches := make([]blockScratch, workers)
	needles := make([]*needleCheck, workers)
	lfs := make([]labelFuncs, workers)
	for w := range workers {
		tallies[w], needles[w], lfs[w] = newLabelTally(), sc.needleCheck(), labelFuncs{}
	}
	err := workpool.Run(ctx, workers, len(jobs), func(w, ji int) error {
		t, j := tallies[w], jobs[ji]
		m := &j.seg.blocks[j.block]
		inside := m.minLine >= sc.Start && m.maxLine <= sc.End
		var set []uint64
		switch {
		case sc.Matcher == nil && !sc.seqs():
			// Every row in the range counts: its line and labels tell.
		case rm != nil:
			var ok bool
			var err error
			if set, ok, err = j.seg.matchBitmap(j.block, j.blooms, rm, &scratches[w]); err != nil {
				return j.seg.skipDamaged(j.block, err, false)
			}
			if !ok {
				return t.decoded(j.seg, j.block, &sc, lfs[w], needles[w], &scratches[w])
			}
		default:
			return t.decoded(j.seg, j.block, &sc, lfs[w], needles[w], &scratches[w])
		}
		var lines []int64
		if !inside {
			var err error
			if lines, err = j.seg.readLines(j.block); err != nil {
				return j.seg.skipDamaged(j.block, err, false)
			}
		}
		// keep reports whether row i is one the scan selects.
		keep := func(i int) bool {
			return (set == nil || set[i/64]&(1<<(i%64)) != 0) && (lines == nil || lines[i] >= sc.Start && lines[i] <= sc.End)
		}
		if len(m.labelSets) == 1 && lines == nil {
			n := m.rows
			if set != nil {
				n = 0
				for _, w := range set {
					n += bits.OnesCount64(w)
				}
			}
			t.add(m.labelSets[0], int64(n))
			return ctx.Err()
		}
		idx, err := j.seg.readLabelIndexes(j.block)
		if err != nil {
			return j.seg.skipDamaged(j.block, err, false)
		}
		perSet := make([]int64, len(m.labelSets))
		for i, li := range idx {
			if keep(i) {
				perSet[li]++
			}
		}
		for k, n := range perSet {
			if n > 0 {
				t.add(m.labelSets[k], n)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	for _, t := range tallies {
		for _, c := range t.byKey {
			main.add(c.Labels, c.Rows)
		}
	}
	out := make([]LabelCount, 0, len(main.byKey))
	for _, c := range main.byKey {
		out = append(out, *c)
	}
	return out, nil
}

// labelTally counts rows per label set, keyed by the set's canonical
// form; sets are shared between the blocks of a segment and the rows of a
// batch, so each one's entry is also found by the address of its first
// label without building the key again.
type labelTally struct {
	byKey map[string]*LabelCount
	byPtr map[*Label]*LabelCount
}

func newLabelTally() *labelTally {
	return &labelTally{byKey: map[string]*LabelCount{}, byPtr: map[*Label]*LabelCount{}}
}

func (t *labelTally) add(ls Labels, n int64) {
	if len(ls) > 0 {
		if c := t.byPtr[&ls[0]]; c != nil {
			c.Rows += n
			return
		}
	}
	key := ls.key()
	c := t.byKey[key]
	if c == nil {
		c = &LabelCount{Labels: ls}
		t.byKey[key] = c
	}
	if len(ls) > 0 {
		t.byPtr[&ls[0]] = c
	}
	c.Rows += n
}

// decoded counts the rows of block i that the scan selects by decoding and
// matching them, one label set at a time.
func (t *labelTally) decoded(seg *segment, i int, sc *Scan, lf labelFuncs, nc *needleCheck, scratch *blockScratch) error {
	d, err := seg.decodeBlock(i, scratch)
	if err != nil {
		return seg.skipDamaged(i, err, false)
	}
	m := &seg.blocks[i]
	perSet := make(map[*Label]int64, len(m.labelSets))
	var empty int64
	if err := seg.selectRows(i, d, sc, lf, nc, false, func(_ int, r row) {
		if len(r.labels) == 0 {
			empty++
		} else {
			perSet[&r.labels[0]]++
		}
	}); err != nil {
		return seg.skipDamaged(i, err, false)
	}
	for _, ls := range m.labelSets {
		if len(ls) == 0 {
			if empty > 0 {
				t.add(ls, empty)
			}
		} else if n := perSet[&ls[0]]; n > 0 {
			t.add(ls, n)
		}
	}
	return sc.ctx.Err()
}
