package logstore

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"logtank/internal/vfs"
)

// A follower store (Options.Follower) is one node's replica of streams
// whose log is kept elsewhere, numbered per stream: every node applies the
// same batches in the same order (Apply), so every node gives each row the
// same line number. One node at a time writes a stream's applied rows into
// segments (FlushStream) and publishes them; the others bring those
// segments in (Attach) and drop the rows they hold. A stream's applied
// number is the last batch applied; its covered number the last batch its
// segments hold. The store keeps neither across restarts: a follower
// starts empty and is filled again from the log and the published
// segments.

// Apply adds a batch of the stream's log, numbered seq, to its memtable.
// Batches must come in increasing order; one at or below the stream's
// applied number (already applied, or held by an attached segment) is
// ignored, so a caller may apply again what it is unsure of.
func (s *Store) Apply(streamID string, seq uint64, batches []Batch) error {
	if s.closed.Load() {
		return ErrClosed
	}
	for {
		st := s.stream(streamID)
		st.mu.Lock()
		if st.deleted {
			// Reset meanwhile: the next lookup makes the stream afresh.
			st.mu.Unlock()
			continue
		}
		if seq <= st.applied {
			st.mu.Unlock()
			return nil
		}
		last := st.lastLine
		lines, all, unread := st.assign(batches)
		if errors.Is(unread, vfs.ErrUnavailable) {
			// Numbers given as if the unread block used its whole range
			// could differ from another node's: apply nothing for now.
			st.active.lines.removeAll(all)
			st.lastLine = last
			st.mu.Unlock()
			return unread
		}
		rows, inOrder, added := appendRows(nil, batches, lines, seq)
		st.addBatches(rows, batches, inOrder, added)
		st.applied = seq
		st.mu.Unlock()
		s.memBytes.Add(added)
		return nil
	}
}

// Applied returns the stream's applied and covered numbers.
func (s *Store) Applied(streamID string) (applied, covered uint64) {
	st := s.existing(streamID)
	if st == nil {
		return 0, 0
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.applied, st.covered
}

// FlushedSegment is a segment FlushStream wrote.
type FlushedSegment struct {
	Day              string
	MinLine, MaxLine int64
	Rows             int
	Bytes            int64
	path             string
}

// FlushStream writes every row the stream holds in memory into segments,
// one per day, and returns them with the stream's number they cover (the
// applied number when it started; zero segments when there was nothing to
// write). The stream's covered number moves to it.
func (s *Store) FlushStream(streamID string) ([]FlushedSegment, uint64, error) {
	st := s.existing(streamID)
	if st == nil {
		return nil, 0, nil
	}
	st.mu.Lock()
	covered := st.applied
	if len(st.active.rows) > 0 {
		st.frozen = append(st.frozen, st.active)
		st.active = newMemtable(len(st.active.rows))
	}
	st.mu.Unlock()
	segs, err := s.flushStream(st)
	if err != nil {
		return nil, 0, err
	}
	st.mu.Lock()
	if covered > st.covered {
		st.covered = covered
	}
	st.mu.Unlock()
	out := make([]FlushedSegment, len(segs))
	for i, seg := range segs {
		out[i] = FlushedSegment{Day: seg.day, MinLine: seg.minLine, MaxLine: seg.maxLine, Rows: seg.rows, Bytes: seg.size, path: seg.path}
	}
	return out, covered, nil
}

// OpenFlushed opens a segment FlushStream wrote, to copy it elsewhere.
func (s *Store) OpenFlushed(f FlushedSegment) (io.ReadCloser, error) { return s.fs.Open(f.path) }

// Reference has the stream read segments FlushStream wrote where they were
// published: flushed[i] is read from files[i] (the same bytes, read in
// place as an attached segment is) and its file leaves the store's folder,
// so that a node's disk holds only what it has not published yet. Its
// index is read again from the local file, not from files[i]. A segment
// the stream no longer holds (reset meanwhile) is skipped; files are
// closed when not used.
func (s *Store) Reference(streamID string, flushed []FlushedSegment, files []vfs.File) error {
	st := s.existing(streamID)
	if st == nil {
		for _, f := range files {
			f.Close()
		}
		return nil
	}
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	for i, f := range flushed {
		seg, err := s.reread(f.path, files[i])
		if err != nil {
			for _, f := range files[i:] {
				f.Close()
			}
			if errors.Is(err, vfs.ErrNotExist) {
				return nil // removed with its stream
			}
			return err
		}
		st.mu.Lock()
		j := slices.IndexFunc(st.segs, func(old *segment) bool { return old.path == f.path })
		if j < 0 {
			st.mu.Unlock()
			files[i].Close()
			continue
		}
		old := st.segs[j]
		seg.day, seg.num, seg.stream, seg.dmg = old.day, old.num, old.stream, old.dmg
		// The same rows: the list stays sorted.
		st.segs[j] = seg
		st.mu.Unlock()
		s.retire(old)
	}
	return nil
}

// reread reads the index of the segment file at path and returns the
// segment reading its blocks from in, in place.
func (s *Store) reread(path string, in vfs.File) (*segment, error) {
	local, err := s.fs.Open(path)
	if err != nil {
		return nil, err
	}
	defer local.Close()
	seg, err := readSegmentIndex(local, in.Name())
	if err != nil {
		return nil, corruptPart(path, -1, "index", err)
	}
	seg.f, seg.inPlace = in, true
	return seg, nil
}

// SegmentsPerDay counts the segments the store holds of a stream, by day,
// wherever their bytes are (a replica reads most in place): what a
// replica's operator, and its tests, check after a merge or an expiry.
func (s *Store) SegmentsPerDay(streamID string) map[string]int {
	out := map[string]int{}
	st := s.existing(streamID)
	if st == nil {
		return out
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, seg := range st.segs {
		out[seg.day]++
	}
	return out
}

// AttachedSegment is a segment written by another node's FlushStream.
type AttachedSegment struct {
	Day string
	// File holds the segment's bytes, read in place (a segment of a
	// bucket read through a node's cache): the store copies nothing, keeps
	// the segment's index in memory and reads its blocks from File while
	// the segment is in the store, then closes it. Its Name names the
	// segment in errors and damage reports.
	File vfs.File
}

// Attach adds segments written elsewhere from the stream's rows up to
// batch covered, and drops the rows up to covered from its memtables: the
// segments hold them now. Segments covering nothing new are closed, not
// added. A read that fails for now (vfs.ErrUnavailable) fails the whole
// Attach and may be tried again.
func (s *Store) Attach(streamID string, covered uint64, segs []AttachedSegment) error {
	return s.attach(streamID, covered, segs, false)
}

// Rebase replaces every segment the stream holds by segs, written
// elsewhere from the stream's rows up to batch covered, and drops the rows
// up to covered from its memtables; the rows of later batches stay as they
// are, with their line numbers. It is how a follower takes a manifest
// whose segments were merged or expired: the lines the replaced segments
// held are the merged ones', or, for an expired day, numbers nobody gives
// again (its rows are older than the stream's TTL, which ingestion
// refuses).
func (s *Store) Rebase(streamID string, covered uint64, segs []AttachedSegment) error {
	return s.attach(streamID, covered, segs, true)
}

func (s *Store) attach(streamID string, covered uint64, segs []AttachedSegment, rebase bool) error {
	var st *stream
	var have uint64
	for st = s.stream(streamID); ; st = s.stream(streamID) {
		st.flushMu.Lock()
		st.mu.RLock()
		deleted := st.deleted
		have = st.covered
		st.mu.RUnlock()
		if !deleted {
			break
		}
		st.flushMu.Unlock()
	}
	defer st.flushMu.Unlock()
	closeAll := func() {
		for _, a := range segs {
			a.File.Close()
		}
	}
	if covered <= have && !rebase {
		closeAll()
		return nil
	}
	var opened []*segment
	for _, a := range segs {
		if a.Day == "" || filepath.Base(a.Day) != a.Day {
			closeAll()
			return fmt.Errorf("logstore: attaching a segment of %s: bad day %q", streamID, a.Day)
		}
		seg, err := readSegmentIndex(a.File, a.File.Name())
		if err != nil {
			closeAll()
			return corruptPart(a.File.Name(), -1, "index", err)
		}
		seg.day, seg.num, seg.inPlace = a.Day, s.segNum.Add(1), true
		seg.stream, seg.dmg = st.id, s.damage
		opened = append(opened, seg)
	}
	st.mu.Lock()
	var replaced []*segment
	if rebase {
		replaced, st.segs = st.segs, nil
	}
	st.segs = append(st.segs, opened...)
	sortSegments(st.segs)
	for _, seg := range opened {
		st.lastLine = max(st.lastLine, seg.maxLine)
	}
	var dropped int64
	st.active, dropped = st.active.without(covered)
	frozen := st.frozen[:0]
	for _, m := range st.frozen {
		var d int64
		if m, d = m.without(covered); len(m.rows) > 0 {
			frozen = append(frozen, m)
		}
		dropped += d
	}
	st.frozen = frozen
	st.covered = covered
	st.applied = max(st.applied, covered)
	st.mu.Unlock()
	s.release(dropped)
	for _, seg := range replaced {
		s.retire(seg)
	}
	return nil
}

// without returns a memtable of m's rows brought by batches after seq, and
// the bytes of those it left out; m itself is unchanged, for the readers
// that hold its rows.
func (m *memtable) without(seq uint64) (*memtable, int64) {
	out := newMemtable(len(m.rows))
	for i := range m.rows {
		r := m.rows[i]
		if r.seq() <= seq {
			continue
		}
		out.lines.add(r.line)
		out.add(r)
		out.noteLabels(r.labels)
		out.noteFields([]row{r})
	}
	return out, m.bytes - out.bytes
}

// ResetStream forgets everything the store holds of a stream, in memory
// and on disk; it may be applied to again from the start.
func (s *Store) ResetStream(streamID string) error {
	err := s.DeleteStream(streamID)
	if errors.Is(err, vfs.ErrNotExist) {
		return nil
	}
	return err
}
