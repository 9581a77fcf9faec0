package logstore

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"logtank/internal/logstore/wal"
	"logtank/internal/vfs"
)

// Options tune a Store. Zero values take the defaults.
type Options struct {
	// MemtableBytes is the memory budget of all memtables; a flush starts
	// when it is reached, and writers wait while twice as much is held.
	MemtableBytes int64
	// FlushInterval bounds how long rows stay only in the WAL.
	FlushInterval time.Duration
	// Tokenizer fills the bloom filters; it must split text as queries do.
	Tokenizer Tokenizer
	// RetentionInterval is how often expired days are removed.
	RetentionInterval time.Duration
	// Retention returns a stream's TTL; zero keeps everything.
	Retention func(streamID string) time.Duration
	// NoSync skips fsync of the WAL; for benchmarks only.
	NoSync bool
	Logger *slog.Logger
	// FS is the filesystem every file of the store is read and written
	// through; nil is the operating system's.
	FS vfs.FS
	// Strict makes Open fail on damage it would otherwise route around: a
	// damaged record in a WAL file other than the newest, or a segment
	// whose index cannot be read.
	Strict bool
	// TemplateDictionary gives segments of dictMinRows rows or more a
	// template dictionary (docs/format/segment.md): about a tenth fewer
	// bytes on disk, for contents that take a third longer to decode
	// (zstd decodes a frame with a dictionary without its assembly path).
	TemplateDictionary bool
	// RetryInterval is how soon after a failed write the store tries to
	// write again; the default is one second.
	RetryInterval time.Duration
	// Follower makes the store a replica of a log kept elsewhere (see
	// follow.go): rows arrive by Apply, not Append, and are written into
	// segments only by FlushStream or brought by Attach. No background
	// flush, compaction or retention runs, and Close does not flush.
	Follower bool
}

// Entry is one log line to append.
type Entry struct {
	TimeNs  int64
	Content string
	// Fields are the entry's structured values, if its stream has a rule.
	Fields []Field
}

// Row is a stored log row.
type Row struct {
	// Line is the row's line number: its time in ns, made unique in its stream.
	Line    int64
	Labels  Labels
	Content string
	// Seq is the sequence number of the batch that brought the row.
	Seq uint64
	// Fields are filled when the scan asks for them.
	Fields []Field
}

// Store is the log engine. It is safe for concurrent use.
//
// Three kinds of numbers run through it, each with its own name: a batch's
// sequence number (batchSeq, Row.Seq, Seq: arrival order, persisted in the
// seq file), a segment's file number (segNum, segment.num: its file name),
// and a WAL file's number (the wal package's; walFile where a checkpoint
// holds one).
//
// Its work is spread over files by activity: appends and opening here,
// wal_record.go (the WAL payload and its replay), lines.go (line numbers),
// flush.go (memtables into segments, checkpoints, the seq file),
// compact.go, retention.go (TTLs and deletion), loops.go (the background
// goroutines), scan.go and columns.go (reads), damage.go and health.go
// (what it routes around, and when it refuses writes).
//
// Lock order: ckpt, then mu, then a stream's mu; or a stream's flushMu,
// then mu, then that stream's mu. ckpt and a flushMu are never held
// together. spaceMu, markMu and the damage log's lock are leaves: nothing
// is taken while one is held. The WAL's lock is taken under ckpt (shared
// by appends, exclusive by a checkpoint's rotation).
type Store struct {
	dir    string
	opts   Options
	fs     vfs.FS
	log    *slog.Logger
	wal    *wal.WAL
	damage *damageLog
	// flushErr is the last flush's failure (nil after a good one): while
	// it lasts, writers that would wait for memtable space are refused.
	flushErr atomic.Pointer[error]

	// ckpt orders appends against checkpoints: an append holds it shared
	// from its WAL write to its memtable insert, so a checkpoint never
	// separates the two.
	ckpt sync.RWMutex

	mu      sync.RWMutex
	streams map[string]*stream

	memBytes atomic.Int64
	segNum   atomic.Uint64
	// batchSeq is the last batch sequence number given; batchSeqMarked is
	// the value last written to the seq file.
	batchSeq       atomic.Uint64
	markMu         sync.Mutex
	batchSeqMarked uint64
	flushReq       chan struct{}
	// writeSlots bounds the segments flushes write at once: one a core.
	writeSlots chan struct{}
	spaceMu    sync.Mutex
	space      *sync.Cond
	closing    chan struct{}
	wg         sync.WaitGroup
	closed     atomic.Bool
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("logstore: closed")

// ErrTooLarge: one append holds more than a WAL record can.
var ErrTooLarge = errors.New("logstore: too much for one write")

type stream struct {
	id  string
	dir string

	flushMu sync.Mutex // serialises flushes and deletion of the stream's files

	mu       sync.RWMutex
	active   *memtable
	frozen   []*memtable
	segs     []*segment // sorted by minLine
	lastLine int64      // the highest line number ever given in this stream
	deleted  bool
	// applied and covered are a follower's numbers (follow.go).
	applied, covered uint64
}

// Open opens the store in dir. exists tells which streams' data to keep:
// data of any other stream, on disk or in the WAL, is removed. What it
// means is the caller's decision, taken from the catalog: the embedded
// server keeps the streams its catalog lists (any other was deleted while
// it was down), a node sharing its catalog keeps every stream but those
// the catalog records as deleted, since a stream it does not know yet may
// be another node's new one.
func Open(dir string, opts Options, exists func(streamID string) bool) (*Store, error) {
	if opts.MemtableBytes <= 0 {
		opts.MemtableBytes = 32 << 20
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 30 * time.Second
	}
	if opts.RetentionInterval <= 0 {
		opts.RetentionInterval = 10 * time.Minute
	}
	if opts.Tokenizer == nil {
		return nil, errors.New("logstore: a tokenizer is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.FS == nil {
		opts.FS = vfs.OS
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = time.Second
	}
	s := &Store{dir: dir, opts: opts, fs: opts.FS, log: opts.Logger, streams: map[string]*stream{},
		flushReq: make(chan struct{}, 1), closing: make(chan struct{}), damage: newDamageLog(opts.Logger),
		writeSlots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	s.space = sync.NewCond(&s.spaceMu)
	if err := s.loadSegments(exists); err != nil {
		s.closeSegments()
		return nil, err
	}
	// A crash in the middle of writing the seq file leaves its temporary copy.
	if entries, err := s.fs.ReadDir(dir); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "seq.") && strings.HasSuffix(e.Name(), ".tmp") {
				s.fs.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	// Merges written for a cluster's bucket are the caller's until it
	// discards them; one a crash interrupted is never needed again.
	if err := s.fs.RemoveAll(filepath.Join(dir, mergingDir)); err != nil {
		s.log.Warn("logstore: an interrupted merge's files could not be removed", "dir", filepath.Join(dir, mergingDir), "error", err)
	}
	marked, err := readBatchSeqMark(s.fs, s.batchSeqPath())
	if err != nil {
		s.closeSegments()
		return nil, err
	}
	s.batchSeqMarked = marked
	if marked > s.batchSeq.Load() {
		s.batchSeq.Store(marked)
	}
	w, err := wal.Open(filepath.Join(dir, "wal"), wal.Options{NoSync: opts.NoSync, FS: s.fs, Strict: opts.Strict,
		QuarantineDir: filepath.Join(s.quarantineDir(), "wal"), RetryInterval: opts.RetryInterval}, func(rec []byte) error {
		return s.replay(rec, exists)
	})
	if err != nil {
		s.closeSegments()
		return nil, err
	}
	s.wal = w
	for _, d := range w.Damage() {
		if d.Newest {
			s.log.Warn("log store: cut the torn tail of the write-ahead log (an interrupted write)", "error", d.Err)
			continue
		}
		s.damage.walQuarantined.Add(1)
		s.log.Error("log store: a damaged write-ahead log file was quarantined; the records after the damage are lost",
			"error", d.Err, "copy", d.Quarantined)
	}
	if opts.Follower {
		return s, nil
	}
	s.wg.Add(3)
	go s.flushLoop()
	go s.every(s.opts.RetentionInterval, "log retention", func() error { return s.ApplyRetention(time.Now()) })
	go s.every(s.opts.FlushInterval, "log compaction", s.Compact)
	return s, nil
}

func (s *Store) streamsDir() string { return filepath.Join(s.dir, "streams") }

// quarantineDir holds the damaged files the store moved out of its way.
func (s *Store) quarantineDir() string { return filepath.Join(s.dir, "quarantine") }

func (s *Store) loadSegments(exists func(string) bool) error {
	root := s.streamsDir()
	if err := vfs.MkdirAll(s.fs, root); err != nil {
		return err
	}
	ids, err := s.fs.ReadDir(root)
	if err != nil {
		return err
	}
	for _, idEntry := range ids {
		id := idEntry.Name()
		sdir := filepath.Join(root, id)
		if !exists(id) {
			if err := s.fs.RemoveAll(sdir); err != nil {
				return err
			}
			continue
		}
		st := s.stream(id)
		days, err := s.fs.ReadDir(sdir)
		if err != nil {
			return err
		}
		for _, d := range days {
			files, err := s.fs.ReadDir(filepath.Join(sdir, d.Name()))
			if err != nil {
				return err
			}
			for _, f := range files {
				p := filepath.Join(sdir, d.Name(), f.Name())
				if strings.HasSuffix(f.Name(), ".tmp") {
					s.fs.Remove(p)
					continue
				}
				numText, ok := strings.CutSuffix(f.Name(), ".seg")
				if !ok {
					continue
				}
				num, err := strconv.ParseUint(numText, 10, 64)
				if err != nil {
					continue
				}
				if num > s.segNum.Load() {
					s.segNum.Store(num)
				}
				seg, err := openSegment(s.fs, p)
				if err != nil {
					if qerr := s.quarantineSegment(id, d.Name(), p, err); qerr != nil {
						return qerr
					}
					continue
				}
				seg.day, seg.num = d.Name(), num
				seg.stream, seg.dmg = id, s.damage
				st.segs = append(st.segs, seg)
				if seg.maxLine > st.lastLine {
					st.lastLine = seg.maxLine
				}
				if seg.maxSeq > s.batchSeq.Load() {
					s.batchSeq.Store(seg.maxSeq)
				}
			}
		}
		if st.segs, err = dropReplaced(s.fs, st.segs); err != nil {
			return err
		}
		sortSegments(st.segs)
	}
	return nil
}

func sortSegments(segs []*segment) {
	sort.Slice(segs, func(i, j int) bool { return segs[i].minLine < segs[j].minLine })
}

// stream returns the stream's state, creating it empty.
func (s *Store) stream(id string) *stream {
	s.mu.RLock()
	st := s.streams[id]
	s.mu.RUnlock()
	if st != nil {
		return st
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st = s.streams[id]; st == nil {
		st = &stream{id: id, dir: filepath.Join(s.streamsDir(), id), active: newMemtable(0)}
		s.streams[id] = st
	}
	return st
}

func (s *Store) existing(id string) *stream {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.streams[id]
}

// Append makes entries durable in the stream with the given labels and
// returns their line numbers. Each entry's line number is its time, moved
// up to the first number free in the stream (and, within a batch whose
// times do not go back, above the previous entry's, so the batch keeps its
// order).
func (s *Store) Append(streamID string, labels Labels, entries []Entry) ([]int64, error) {
	lines, err := s.AppendBatches(streamID, []Batch{{Labels: labels, Entries: entries}})
	if err != nil || lines == nil {
		return nil, err
	}
	return lines[0], nil
}

// Batch is entries that share labels.
type Batch struct {
	Labels  Labels
	Entries []Entry
}

// AppendBatches is Append for several batches of one stream, made durable
// together in one WAL record: all of them, or none.
func (s *Store) AppendBatches(streamID string, batches []Batch) ([][]int64, error) {
	id, err := uuid.Parse(streamID)
	if err != nil {
		return nil, fmt.Errorf("logstore: stream id %q: %w", streamID, err)
	}
	total := 0
	for _, b := range batches {
		total += len(b.Entries)
	}
	if total == 0 {
		return nil, nil
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := s.waitForSpace(); err != nil {
		return nil, err
	}
	s.ckpt.RLock()
	defer s.ckpt.RUnlock()
	st := s.stream(streamID)
	st.mu.Lock()
	if st.deleted {
		st.mu.Unlock()
		return nil, fmt.Errorf("logstore: stream %s was deleted", streamID)
	}
	// Batches take sequence numbers while holding ckpt shared, so Seq, which
	// holds it exclusively, sees every batch numbered so far in a memtable.
	seq := s.batchSeq.Add(1)
	// A damaged block's numbers count as used (see lineChecker): no
	// number is given twice.
	lines, all, _ := st.assign(batches)
	st.mu.Unlock()

	size := 64
	for _, b := range batches {
		size += 64 + len(b.Entries)*8 + contentBytes(b.Entries)
	}
	buf := recordBufs.Get().(*[]byte)
	rec := encodeRecord(slices.Grow((*buf)[:0], size), id, seq, batches, lines)
	*buf = rec
	if len(rec) > wal.MaxRecord {
		recordBufs.Put(buf)
		st.mu.Lock()
		st.active.lines.removeAll(all)
		st.mu.Unlock()
		return nil, fmt.Errorf("%w: %d bytes in one write, at most %d", ErrTooLarge, len(rec), wal.MaxRecord)
	}
	_, err = s.wal.Append(rec)
	// The WAL copied the record before Append returned.
	recordBufs.Put(buf)
	if err != nil {
		st.mu.Lock()
		st.active.lines.removeAll(all)
		st.mu.Unlock()
		if errors.Is(err, wal.ErrClosed) {
			return nil, ErrClosed
		}
		return nil, unavailable(err)
	}
	// The rows are built before the stream's lock is taken, which then
	// only copies them in: appenders of one stream wait less for each
	// other (the lock was their main wait at 8 senders).
	rb := rowBufs.Get().(*[]row)
	rows, inOrder, added := appendRows((*rb)[:0], batches, lines, seq)
	st.mu.Lock()
	// A stream deleted while the batch waited for the WAL keeps nothing:
	// its rows would sit in a memtable no flush sees.
	if st.deleted {
		added = 0
	} else {
		st.addBatches(rows, batches, inOrder, added)
	}
	st.mu.Unlock()
	clear(rows)
	*rb = rows[:0]
	rowBufs.Put(rb)
	if s.memBytes.Add(added) >= s.opts.MemtableBytes {
		s.requestFlush()
	}
	return lines, nil
}

// rowBufs hold an append's rows until they are copied into the memtable.
var rowBufs = sync.Pool{New: func() any { return new([]row) }}

// recordBufs hold encoded WAL records between appends: a record is as big
// as its batch, and a fresh one per append was garbage of that size.
var recordBufs = sync.Pool{New: func() any { return new([]byte) }}

func contentBytes(entries []Entry) int {
	n := 0
	for _, e := range entries {
		n += len(e.Content) + 4
	}
	return n
}

func (s *Store) closeSegments() {
	for _, st := range s.streams {
		for _, seg := range st.segs {
			seg.close()
		}
	}
}

// Close flushes the memtables and closes every file.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.closing)
	s.wg.Wait()
	s.spaceMu.Lock()
	s.space.Broadcast()
	s.spaceMu.Unlock()
	var err error
	if !s.opts.Follower {
		err = s.Flush()
	}
	if cerr := s.wal.Close(); err == nil {
		err = cerr
	}
	s.mu.Lock()
	s.closeSegments()
	s.mu.Unlock()
	return err
}
