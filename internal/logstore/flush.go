package logstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"logtank/internal/vfs"
)

func (s *Store) requestFlush() {
	select {
	case s.flushReq <- struct{}{}:
	default:
	}
}

// waitForSpace holds writers back while the memtables hold twice their
// budget, so memory stays bounded when flushing falls behind. While
// flushes fail (a full disk), waiting would not end: it refuses instead.
func (s *Store) waitForSpace() error {
	if s.memBytes.Load() < 2*s.opts.MemtableBytes {
		return nil
	}
	s.requestFlush()
	s.spaceMu.Lock()
	defer s.spaceMu.Unlock()
	for s.memBytes.Load() >= 2*s.opts.MemtableBytes && !s.closed.Load() {
		if p := s.flushErr.Load(); p != nil {
			return unavailable(fmt.Errorf("the memtables are full and flushing them fails: %w", *p))
		}
		s.space.Wait()
	}
	return nil
}

// Flush writes every memtable into segments and drops the WAL files that
// held them.
func (s *Store) Flush() error {
	s.ckpt.Lock()
	walFile, err := s.wal.Rotate()
	if err != nil {
		s.ckpt.Unlock()
		return err
	}
	var work []*stream
	s.mu.RLock()
	for _, st := range s.streams {
		st.mu.Lock()
		if n := len(st.active.rows); n > 0 {
			st.frozen = append(st.frozen, st.active)
			st.active = newMemtable(n)
		}
		if len(st.frozen) > 0 {
			work = append(work, st)
		}
		st.mu.Unlock()
	}
	s.mu.RUnlock()
	s.ckpt.Unlock()

	// Streams are flushed side by side; their segments are written on as
	// many cores as Go runs on (writeSlots), no more.
	errs := make([]error, len(work))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(work), cap(s.writeSlots)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(work)); i = next.Add(1) - 1 {
				_, errs[i] = s.flushStream(work[i])
			}
		}()
	}
	wg.Wait()
	if i := slices.IndexFunc(errs, func(err error) bool { return err != nil }); i >= 0 {
		return errs[i]
	}
	// The WAL files about to go may hold the highest sequence number
	// given: keep it, so that numbers never go back after a restart.
	if err := s.markBatchSeq(); err != nil {
		return err
	}
	return s.wal.RemoveBefore(walFile)
}

// Seq returns a sequence number such that every batch numbered up to it
// is visible to scans, and every later batch will be numbered above it.
// Scans with SeqAfter set to a previous Seq find exactly the batches
// appended since.
func (s *Store) Seq() uint64 {
	s.ckpt.Lock()
	defer s.ckpt.Unlock()
	return s.batchSeq.Load()
}

func (s *Store) batchSeqPath() string { return filepath.Join(s.dir, "seq") }

func readBatchSeqMark(fsys vfs.FS, path string) (uint64, error) {
	b, err := vfs.ReadFile(fsys, path)
	if errors.Is(err, vfs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("logstore: %s: %w", path, err)
	}
	return v, nil
}

// markBatchSeq durably records the last sequence number given, when it moved.
func (s *Store) markBatchSeq() error {
	s.markMu.Lock()
	defer s.markMu.Unlock()
	v := s.batchSeq.Load()
	if v == s.batchSeqMarked {
		return nil
	}
	if err := vfs.WriteFile(s.fs, s.batchSeqPath(), []byte(strconv.FormatUint(v, 10)+"\n")); err != nil {
		return err
	}
	s.batchSeqMarked = v
	return nil
}

// flushStream writes the stream's frozen memtables into segments and
// returns them.
func (s *Store) flushStream(st *stream) ([]*segment, error) {
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	st.mu.RLock()
	frozen := append([]*memtable(nil), st.frozen...)
	deleted := st.deleted
	st.mu.RUnlock()
	if len(frozen) == 0 {
		return nil, nil
	}
	var bytes int64
	for _, m := range frozen {
		bytes += m.bytes
	}
	var segs []*segment
	if !deleted {
		var err error
		if segs, err = s.writeRows(st, sortedRows(frozen), bytes); err != nil {
			return nil, err
		}
	}
	st.mu.Lock()
	st.segs = append(st.segs, segs...)
	sortSegments(st.segs)
	st.frozen = st.frozen[len(frozen):]
	st.mu.Unlock()
	s.release(bytes)
	return segs, nil
}

// flushPartShare: a day of a flush holding more than a memtable budget's
// worth of rows is written as several segments at once, each at least
// this share of the budget (by default 16 MiB of rows, about 2 MiB on
// disk: far above what compaction calls small, so no row is written twice).
const flushPartShare = 2

// writeRows writes rows, sorted by line and costing bytes in memory, into
// one segment per day, or, for a day too big for one core to write while
// appends fill the next memtable, into several parts written in parallel.
// Either every segment is written or none stays.
func (s *Store) writeRows(st *stream, rows []row, bytes int64) ([]*segment, error) {
	type piece struct {
		day  string
		rows []row
	}
	var pieces []piece
	for start := 0; start < len(rows); {
		day, next := dayOf(rows[start].line), nextDay(rows[start].line)
		end := start + 1
		for end < len(rows) && rows[end].line < next {
			end++
		}
		dayBytes := bytes * int64(end-start) / int64(len(rows))
		parts := int(min(int64(cap(s.writeSlots)), dayBytes/max(1, s.opts.MemtableBytes/flushPartShare)))
		parts = max(parts, 1)
		for p := range parts {
			from, to := start+(end-start)*p/parts, start+(end-start)*(p+1)/parts
			pieces = append(pieces, piece{day, rows[from:to]})
		}
		start = end
	}
	segs := make([]*segment, len(pieces))
	errs := make([]error, len(pieces))
	var wg sync.WaitGroup
	write := func(i int) {
		s.writeSlots <- struct{}{}
		segs[i], errs[i] = s.writeDay(st, pieces[i].day, pieces[i].rows)
		<-s.writeSlots
	}
	for i := range pieces {
		if len(pieces) == 1 {
			write(i)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			write(i)
		}()
	}
	wg.Wait()
	if i := slices.IndexFunc(errs, func(err error) bool { return err != nil }); i >= 0 {
		// The memtables keep every row until the whole flush works, so the
		// segments already written go. A removal that fails (a failing
		// device, not a full disk) leaves rows that the retry writes again,
		// and a restart would show them twice.
		for _, sg := range segs {
			if sg != nil {
				sg.close()
				s.fs.Remove(sg.path)
			}
		}
		return nil, errs[i]
	}
	return segs, nil
}

func (s *Store) release(bytes int64) {
	s.memBytes.Add(-bytes)
	s.spaceMu.Lock()
	s.space.Broadcast()
	s.spaceMu.Unlock()
}

func dayOf(line int64) string { return time.Unix(0, line).UTC().Format("20060102") }

// nextDay returns the first line number of the UTC day after line's, so
// that rows sorted by line are split into days by comparing numbers.
func nextDay(line int64) int64 {
	const dayNs = int64(24 * time.Hour)
	d := line / dayNs
	if line < 0 && line%dayNs != 0 {
		d-- // division truncates toward zero; days start at their floor
	}
	return (d + 1) * dayNs
}

func (s *Store) writeDay(st *stream, day string, rows []row) (*segment, error) {
	dir := filepath.Join(st.dir, day)
	if err := vfs.MkdirAll(s.fs, dir); err != nil {
		return nil, err
	}
	// The folders may be new: their entries must be on disk before the WAL
	// that holds the rows is removed. They are synced every time, because
	// a sync that failed after a folder was made would not be retried.
	for _, d := range []string{st.dir, s.streamsDir()} {
		if err := s.fs.SyncDir(d); err != nil {
			return nil, err
		}
	}
	num := s.segNum.Add(1)
	seg, err := writeSegment(s.fs, filepath.Join(dir, fmt.Sprintf("%020d.seg", num)), rows, s.opts.Tokenizer, s.opts.TemplateDictionary)
	if err != nil {
		return nil, err
	}
	seg.day, seg.num = day, num
	seg.stream, seg.dmg = st.id, s.damage
	return seg, nil
}
