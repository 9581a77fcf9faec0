package logstore

import (
	"container/heap"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Compaction merges a stream's small segments of one day into one, so that
// a stream that receives little data, flushed every FlushInterval, does not
// pile up thousands of tiny files. Segments of busy streams, flushed when
// the memtables are full, are not small and are left alone: merging them
// would spend CPU that ingestion needs, for no gain in queries, which skip
// whole segments by their line ranges.
const (
	compactMinSegments = 8
	compactSmallBytes  = 4 << 20
	compactMaxInputs   = 64
)

// Compact merges small segments wherever a stream's day has enough of them.
func (s *Store) Compact() error {
	s.mu.RLock()
	streams := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		streams = append(streams, st)
	}
	s.mu.RUnlock()
	for _, st := range streams {
		if s.closed.Load() {
			return nil
		}
		if err := s.compactStream(st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) compactStream(st *stream) error {
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	st.mu.RLock()
	byDay := map[string][]*segment{}
	for _, seg := range st.segs {
		if seg.size < compactSmallBytes {
			byDay[seg.day] = append(byDay[seg.day], seg)
		}
	}
	deleted := st.deleted
	st.mu.RUnlock()
	if deleted {
		return nil
	}
	for day, small := range byDay {
		if len(small) < compactMinSegments {
			continue
		}
		if len(small) > compactMaxInputs {
			small = small[:compactMaxInputs]
		}
		if err := s.merge(st, day, small); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) merge(st *stream, day string, inputs []*segment) error {
	seqs := make([]uint64, len(inputs))
	for i, seg := range inputs {
		seqs[i] = seg.seq
	}
	seq := s.segSeq.Add(1)
	path := filepath.Join(st.dir, day, fmt.Sprintf("%020d.seg", seq))
	merged, err := writeSegmentFrom(path, mergeSegments(inputs), seqs, s.opts.Tokenizer)
	if err != nil {
		return err
	}
	merged.day, merged.seq = day, seq
	st.mu.Lock()
	st.segs = slices.DeleteFunc(st.segs, func(seg *segment) bool { return slices.Contains(inputs, seg) })
	st.segs = append(st.segs, merged)
	sortSegments(st.segs)
	st.mu.Unlock()
	for _, seg := range inputs {
		retire(seg)
	}
	return syncDir(filepath.Dir(path))
}

// retire removes a segment that left every list. Queries that took it
// before keep reading through the open descriptor (a removed file stays
// readable); the descriptor is closed when the last of them lets go of the
// segment and the garbage collector finalises its *os.File, however long
// the query runs.
func retire(seg *segment) {
	os.Remove(seg.path)
}

// mergeSegments yields the rows of segments, each sorted, in line order.
func mergeSegments(segs []*segment) func() (row, bool, error) {
	sc := Scan{Start: math.MinInt64, End: math.MaxInt64, wholeRows: true}
	lf := labelFuncs{}
	h := &cursorHeap{}
	for _, seg := range segs {
		blocks := make([]int, len(seg.blocks))
		for i := range blocks {
			blocks[i] = i
		}
		if len(blocks) > 0 {
			heap.Push(h, &cursor{seg: seg, blocks: blocks})
		}
	}
	return func() (row, bool, error) { return h.next(&sc, lf) }
}

// dropReplaced removes segments that a compacted segment replaced but a
// crash left behind. It runs on a stream's segments as loaded at start.
func dropReplaced(segs []*segment) ([]*segment, error) {
	replaced := map[string]bool{}
	for _, seg := range segs {
		for _, seq := range seg.replaces {
			replaced[fmt.Sprintf("%s/%020d", seg.day, seq)] = true
		}
	}
	if len(replaced) == 0 {
		return segs, nil
	}
	var keep []*segment
	for _, seg := range segs {
		if replaced[fmt.Sprintf("%s/%020d", seg.day, seg.seq)] {
			seg.close()
			if err := os.Remove(seg.path); err != nil && !os.IsNotExist(err) {
				return nil, err
			}
			continue
		}
		keep = append(keep, seg)
	}
	return keep, nil
}
