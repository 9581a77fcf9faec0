package logstore

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"logtank/internal/vfs"
)

// Compaction merges a stream's small segments of one day into one, so that
// a stream that receives little data, flushed every FlushInterval, does not
// pile up thousands of tiny files. Segments of busy streams, flushed when
// the memtables are full, are not small and are left alone: merging them
// would spend CPU that ingestion needs (decoding, tokenising and
// compressing every row a second time), for no gain in queries, which skip
// whole segments by their line ranges.
//
// What a full flush writes depends on the memtable budget, so "small" does
// too: a row costs its content plus rowOverhead in a memtable, and
// compresses 7× to 9× in a segment, so a full memtable of one stream
// becomes a segment of a tenth of the budget or less (3 MiB of the default
// 32 MiB). A fixed 4 MiB once made every full flush count as small, and
// ingestion paid twice for every row. A segment under a thirty-second of
// the budget came from a timed flush, or from a memtable shared by many
// streams.
const (
	compactMinSegments      = 8
	compactSmallBudgetShare = 32
	compactMaxInputs        = 64
)

// Compact merges small segments wherever a stream's day has enough of them.
func (s *Store) Compact() error {
	streams := s.streamList()
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
		// A segment with a damaged block stays as it is: merging it would
		// drop the block's rows for good.
		if !seg.damaged.Load() {
			byDay[seg.day] = append(byDay[seg.day], seg)
		}
	}
	deleted := st.deleted
	st.mu.RUnlock()
	if deleted {
		return nil
	}
	for day, segs := range byDay {
		sizes := make([]int64, len(segs))
		for i, seg := range segs {
			sizes[i] = seg.size
		}
		picked := s.CompactionInputs(sizes)
		if len(picked) == 0 {
			continue
		}
		inputs := make([]*segment, len(picked))
		for i, p := range picked {
			inputs[i] = segs[p]
		}
		if err := s.merge(st, day, inputs); err != nil {
			return err
		}
	}
	return nil
}

// CompactionInputs returns which of one stream's segments of one day,
// given by their sizes, compaction merges into one (their indexes, in the
// order given), or none. Compact decides by it, and so does the node that
// keeps a cluster's segments of a stream in a bucket.
func (s *Store) CompactionInputs(sizes []int64) []int {
	smallBytes := s.opts.MemtableBytes / compactSmallBudgetShare
	var picked []int
	for i, size := range sizes {
		if size < smallBytes {
			picked = append(picked, i)
		}
	}
	if len(picked) < compactMinSegments {
		return nil
	}
	return picked[:min(len(picked), compactMaxInputs)]
}

func (s *Store) merge(st *stream, day string, inputs []*segment) error {
	replaced := make([]uint64, len(inputs))
	for i, seg := range inputs {
		replaced[i] = seg.num
	}
	num := s.segNum.Add(1)
	path := filepath.Join(st.dir, day, fmt.Sprintf("%020d.seg", num))
	merged, err := s.writeMerged(path, inputs, replaced)
	if err != nil {
		return err
	}
	merged.day, merged.num = day, num
	merged.stream, merged.dmg = st.id, s.damage
	st.mu.Lock()
	st.segs = slices.DeleteFunc(st.segs, func(seg *segment) bool { return slices.Contains(inputs, seg) })
	st.segs = append(st.segs, merged)
	sortSegments(st.segs)
	st.mu.Unlock()
	for _, seg := range inputs {
		s.retire(seg)
	}
	return s.fs.SyncDir(filepath.Dir(path))
}

// writeMerged writes at path one segment holding every row of inputs, in
// line order, with their template dictionaries merged (or, when they have
// none and the store makes them, one sampled from the rows). replaced is
// what the segment records it replaces, for the crash recovery of
// dropReplaced.
func (s *Store) writeMerged(path string, inputs []*segment, replaced []uint64) (*segment, error) {
	dicts := make([][]byte, len(inputs))
	for i, seg := range inputs {
		d, err := seg.readDict()
		if err != nil {
			return nil, corruptPart(seg.path, -1, "template dictionary", err)
		}
		dicts[i] = d
	}
	dict, err := mergeDicts(dicts)
	if err != nil {
		return nil, err
	}
	rows := 0
	for _, seg := range inputs {
		for _, b := range seg.blocks {
			rows += int(b.rows)
		}
	}
	if s.opts.TemplateDictionary && len(dict) == 0 && rows >= dictMinRows {
		if dict, err = sampledDict(mergeSegments(inputs)); err != nil {
			return nil, err
		}
	}
	return writeSegmentFrom(s.fs, path, mergeSegments(inputs), replaced, s.opts.Tokenizer, dict)
}

// MergeSegments writes one segment holding every row of segs, segments
// of one stream and day that FlushStream wrote here or on another node,
// read in place (closed when done), as compaction merges a day's small
// segments: rows keep their line numbers. The segment is the caller's to
// copy elsewhere (OpenFlushed) and then to remove (DiscardMerged); the
// store does not hold it.
func (s *Store) MergeSegments(day string, segs []vfs.File) (FlushedSegment, error) {
	var inputs []*segment
	defer func() {
		for _, seg := range inputs {
			seg.close()
		}
	}()
	for i, f := range segs {
		seg, err := readSegmentIndex(f, f.Name())
		if err != nil {
			for _, f := range segs[i:] {
				f.Close()
			}
			return FlushedSegment{}, corruptPart(f.Name(), -1, "index", err)
		}
		seg.day, seg.inPlace, seg.dmg = day, true, s.damage
		inputs = append(inputs, seg)
	}
	dir := filepath.Join(s.dir, mergingDir)
	if err := vfs.MkdirAll(s.fs, dir); err != nil {
		return FlushedSegment{}, err
	}
	path := filepath.Join(dir, fmt.Sprintf("%020d.seg", s.segNum.Add(1)))
	merged, err := s.writeMerged(path, inputs, nil)
	if err != nil {
		return FlushedSegment{}, err
	}
	merged.close()
	return FlushedSegment{Day: day, MinLine: merged.minLine, MaxLine: merged.maxLine, Rows: merged.rows, Bytes: merged.size, path: path}, nil
}

// mergingDir is the folder under the store's where MergeSegments writes;
// Open empties it.
const mergingDir = "merging"

// DiscardMerged removes a segment MergeSegments wrote.
func (s *Store) DiscardMerged(f FlushedSegment) error { return s.fs.Remove(f.path) }

// retire removes a segment that left every list. Queries that took it
// before keep reading through the open descriptor (a removed file stays
// readable); the descriptor is closed when the last of them lets go of the
// segment and the garbage collector finalises its *os.File, however long
// the query runs. A segment read in place has no file of the store's to
// remove: its file is closed, which lets its source forget it (a cache
// drops its blocks) while such queries go on reading it.
func (s *Store) retire(seg *segment) {
	if seg.inPlace {
		seg.f.Close()
		return
	}
	s.fs.Remove(seg.path)
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
func dropReplaced(fsys vfs.FS, segs []*segment) ([]*segment, error) {
	replaced := map[string]bool{}
	for _, seg := range segs {
		for _, num := range seg.replaces {
			replaced[fmt.Sprintf("%s/%020d", seg.day, num)] = true
		}
	}
	if len(replaced) == 0 {
		return segs, nil
	}
	var keep []*segment
	for _, seg := range segs {
		if replaced[fmt.Sprintf("%s/%020d", seg.day, seg.num)] {
			seg.close()
			if err := fsys.Remove(seg.path); err != nil && !errors.Is(err, vfs.ErrNotExist) {
				return nil, err
			}
			continue
		}
		keep = append(keep, seg)
	}
	return keep, nil
}

// streamList is the store's streams at this moment, for the background
// jobs that visit each in turn without holding the store's lock.
func (s *Store) streamList() []*stream {
	s.mu.RLock()
	defer s.mu.RUnlock()
	streams := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		streams = append(streams, st)
	}
	return streams
}
