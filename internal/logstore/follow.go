package logstore

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

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
		lines, _ := st.assign(batches)
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

// AttachedSegment is a segment written by another node's FlushStream.
type AttachedSegment struct {
	Day  string
	Body io.Reader
}

// Attach stores segments written elsewhere from the stream's rows up to
// batch covered, and drops the rows up to covered from its memtables: the
// segments hold them now. Segments covering nothing new are not stored.
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
	if covered <= have && !rebase {
		return nil
	}
	var opened []*segment
	fail := func(err error) error {
		for _, seg := range opened {
			seg.close()
			s.fs.Remove(seg.path)
		}
		return err
	}
	for _, a := range segs {
		if a.Day == "" || filepath.Base(a.Day) != a.Day {
			return fail(fmt.Errorf("logstore: attaching a segment of %s: bad day %q", streamID, a.Day))
		}
		dir := filepath.Join(st.dir, a.Day)
		if err := vfs.MkdirAll(s.fs, dir); err != nil {
			return fail(err)
		}
		num := s.segNum.Add(1)
		path := filepath.Join(dir, fmt.Sprintf("%020d.seg", num))
		if err := vfs.WriteAtomic(s.fs, path, func(w io.Writer) error {
			_, err := io.Copy(w, a.Body)
			return err
		}); err != nil {
			return fail(err)
		}
		seg, err := openSegment(s.fs, path)
		if err != nil {
			s.fs.Remove(path)
			return fail(err)
		}
		seg.day, seg.num = a.Day, num
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
