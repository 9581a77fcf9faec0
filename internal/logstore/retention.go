package logstore

import (
	"path/filepath"
	"slices"
	"time"
)

// DeleteStream removes a stream's rows, in memory and on disk.
func (s *Store) DeleteStream(streamID string) error {
	st := s.existing(streamID)
	if st == nil {
		return s.fs.RemoveAll(filepath.Join(s.streamsDir(), streamID))
	}
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	s.mu.Lock()
	delete(s.streams, streamID)
	s.mu.Unlock()
	st.mu.Lock()
	st.deleted = true
	var bytes int64
	for _, m := range append(st.frozen, st.active) {
		bytes += m.bytes
	}
	st.frozen, st.active = nil, newMemtable(0)
	segs := st.segs
	st.segs = nil
	st.mu.Unlock()
	// A frozen memtable's bytes are released by the flush that holds it;
	// this stream's flushes are excluded by flushMu and will find nothing.
	s.release(bytes)
	for _, seg := range segs {
		s.retire(seg)
	}
	return s.fs.RemoveAll(st.dir)
}

// DeleteStreams deletes the logs of every stream of the store that gone
// names, and returns how many it deleted: how a node applies the
// deletions the catalog records, whichever node took them.
func (s *Store) DeleteStreams(gone func(streamID string) bool) (int, error) {
	n := 0
	for _, st := range s.streamList() {
		if !gone(st.id) {
			continue
		}
		if err := s.DeleteStream(st.id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ApplyRetention removes every stored day that ended more than its
// stream's TTL before now.
func (s *Store) ApplyRetention(now time.Time) error {
	if s.opts.Retention == nil {
		return nil
	}
	streams := s.streamList()
	for _, st := range streams {
		ttl := s.opts.Retention(st.id)
		if ttl <= 0 {
			continue
		}
		if err := s.dropDays(st, ExpiredThrough(now, ttl)); err != nil {
			return err
		}
	}
	return nil
}

// ExpiredThrough returns the last day (YYYYMMDD, as segments' days) that a
// TTL of ttl expired at now: a day expires once its last instant is older
// than the TTL.
func ExpiredThrough(now time.Time, ttl time.Duration) string {
	return dayOf(now.Add(-ttl).Add(-24 * time.Hour).UnixNano())
}

// dropDays removes the days up to and including last.
func (s *Store) dropDays(st *stream, last string) error {
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	st.mu.RLock()
	var drop []*segment
	days := map[string]bool{}
	for _, seg := range st.segs {
		if seg.day <= last {
			drop = append(drop, seg)
			days[seg.day] = true
		}
	}
	st.mu.RUnlock()
	if len(drop) == 0 {
		return nil
	}
	// The files go, durably, before the segments leave the stream's list:
	// until then appends treat the days' line numbers as taken. Were a
	// number given again while a crash could still bring its old segment
	// back, replay would take the new row for one already on disk.
	for day := range days {
		if err := s.fs.RemoveAll(filepath.Join(st.dir, day)); err != nil {
			return err
		}
	}
	if err := s.fs.SyncDir(st.dir); err != nil {
		return err
	}
	st.mu.Lock()
	st.segs = slices.DeleteFunc(st.segs, func(seg *segment) bool { return slices.Contains(drop, seg) })
	st.mu.Unlock()
	for _, seg := range drop {
		s.retire(seg)
	}
	return nil
}
