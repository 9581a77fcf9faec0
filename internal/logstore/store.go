package logstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
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
	// RetryInterval is how soon after a failed write the store tries to
	// write again; the default is one second.
	RetryInterval time.Duration
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
	segSeq   atomic.Uint64
	// seq is the last batch sequence number given; seqMarked is the value
	// last written to the seq file.
	seq       atomic.Uint64
	markMu    sync.Mutex
	seqMarked uint64
	flushReq  chan struct{}
	spaceMu   sync.Mutex
	space     *sync.Cond
	closing   chan struct{}
	wg        sync.WaitGroup
	closed    atomic.Bool
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
}

// Open opens the store in dir. exists tells which streams still exist:
// data of any other stream, on disk or in the WAL, is removed.
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
		flushReq: make(chan struct{}, 1), closing: make(chan struct{}), damage: newDamageLog(opts.Logger)}
	s.space = sync.NewCond(&s.spaceMu)
	if err := s.loadSegments(exists); err != nil {
		s.closeSegments()
		return nil, err
	}
	marked, err := readSeqMark(s.fs, s.seqMarkPath())
	if err != nil {
		s.closeSegments()
		return nil, err
	}
	s.seqMarked = marked
	if marked > s.seq.Load() {
		s.seq.Store(marked)
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
				seqText, ok := strings.CutSuffix(f.Name(), ".seg")
				if !ok {
					continue
				}
				seq, err := strconv.ParseUint(seqText, 10, 64)
				if err != nil {
					continue
				}
				if seq > s.segSeq.Load() {
					s.segSeq.Store(seq)
				}
				seg, err := openSegment(s.fs, p)
				if err != nil {
					if qerr := s.quarantineSegment(id, d.Name(), p, err); qerr != nil {
						return qerr
					}
					continue
				}
				seg.day, seg.seq = d.Name(), seq
				seg.stream, seg.dmg = id, s.damage
				st.segs = append(st.segs, seg)
				if seg.maxLine > st.lastLine {
					st.lastLine = seg.maxLine
				}
				if seg.maxSeq > s.seq.Load() {
					s.seq.Store(seg.maxSeq)
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
		st = &stream{id: id, dir: filepath.Join(s.streamsDir(), id), active: newMemtable()}
		s.streams[id] = st
	}
	return st
}

func (s *Store) existing(id string) *stream {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.streams[id]
}

// The WAL record types: rows without a batch sequence number and fields
// (written by earlier versions), rows of one label set, and groups of rows
// with their own label sets.
const (
	recordRows       = 1
	recordRowsV2     = 2
	recordRowsGroups = 3
)

func encodeRecord(dst []byte, id uuid.UUID, seq uint64, batches []Batch, groups [][]row) []byte {
	typ := byte(recordRowsV2)
	if len(groups) > 1 {
		typ = recordRowsGroups
	}
	dst = append(dst, typ)
	dst = append(dst, id[:]...)
	dst = binary.AppendUvarint(dst, seq)
	if typ == recordRowsGroups {
		dst = binary.AppendUvarint(dst, uint64(len(groups)))
	}
	for g, rows := range groups {
		dst = batches[g].Labels.appendTo(dst)
		dst = binary.AppendUvarint(dst, uint64(len(rows)))
		for _, r := range rows {
			dst = binary.AppendVarint(dst, r.line)
			dst = appendUvarintString(dst, r.content)
			dst = binary.AppendUvarint(dst, uint64(len(r.fields())))
			for _, f := range r.fields() {
				dst = appendField(dst, f)
			}
		}
	}
	return dst
}

func (s *Store) replay(rec []byte, exists func(string) bool) error {
	if len(rec) < 17 || rec[0] < recordRows || rec[0] > recordRowsGroups {
		return fmt.Errorf("logstore: unknown WAL record type %d", rec[0])
	}
	typ := rec[0]
	id, _ := uuid.FromBytes(rec[1:17])
	sid := id.String()
	r := &reader{b: rec[17:]}
	var seq uint64
	if typ >= recordRowsV2 {
		seq = r.uvarint()
		if seq > s.seq.Load() {
			s.seq.Store(seq)
		}
	}
	if !exists(sid) {
		return nil
	}
	groups := uint64(1)
	if typ == recordRowsGroups {
		if groups = r.uvarint(); groups > uint64(len(r.b)) {
			return fmt.Errorf("logstore: corrupt WAL record: %w", errCorrupt)
		}
	}
	st := s.stream(sid)
	shared := &rowExt{seq: seq}
	onDisk := lineChecker{unreadableFree: true}
	for range groups {
		labels := r.labels()
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			line := r.varint()
			content := r.string()
			var fields []Field
			if typ >= recordRowsV2 {
				nf := r.uvarint()
				if nf > uint64(len(r.b)) {
					return fmt.Errorf("logstore: corrupt WAL record: %w", errCorrupt)
				}
				for range nf {
					fields = append(fields, r.field())
				}
			}
			// A row already in a segment was flushed before the WAL file
			// that holds it could be removed: keep it once.
			if onDisk.has(st, line) {
				continue
			}
			if st.active.lines.has(line) {
				continue
			}
			st.active.lines.add(line)
			rw := row{line: line, labels: labels, content: content, ext: withExt(shared, seq, fields)}
			st.active.add(rw)
			st.active.noteLabels(labels)
			st.active.noteFields([]row{rw})
			s.memBytes.Add(rw.size())
			if line > st.lastLine {
				st.lastLine = line
			}
		}
		if r.err != nil {
			return fmt.Errorf("logstore: corrupt WAL record: %w", r.err)
		}
	}
	return nil
}

// lineChecker answers which line numbers a stream's segments hold,
// keeping the blocks it decoded for the rest of one append or replay.
type lineChecker struct {
	blocks map[blockRef][]int64
	// err is the first block that could not be read. Appends treat such a
	// block's numbers as taken, so that none is given twice; replay
	// (unreadableFree) treats them as free, or it would drop acknowledged
	// rows as if they were on disk, when queries skip the damaged block.
	err            error
	unreadableFree bool
}

type blockRef struct {
	seg   *segment
	block int
}

// lines returns the line numbers of the block of seg that may hold line,
// and the block's highest number.
func (c *lineChecker) lines(seg *segment, line int64) ([]int64, int64, bool) {
	i := sort.Search(len(seg.blocks), func(i int) bool { return seg.blocks[i].maxLine >= line })
	if i == len(seg.blocks) || seg.blocks[i].minLine > line {
		return nil, 0, false
	}
	maxLine := seg.blocks[i].maxLine
	ref := blockRef{seg, i}
	if lines, ok := c.blocks[ref]; ok {
		return lines, maxLine, true
	}
	lines, err := seg.readLines(i)
	if err != nil {
		seg.skipDamaged(i, err, false)
		if c.err == nil {
			c.err = err
		}
		return nil, maxLine, !c.unreadableFree
	}
	if c.blocks == nil {
		c.blocks = map[blockRef][]int64{}
	}
	c.blocks[ref] = lines
	return lines, maxLine, true
}

// skip returns the first line number at or after line that no segment of
// st holds, stepping over runs of consecutive numbers at once.
func (c *lineChecker) skip(st *stream, line int64) int64 {
	for {
		next := line
		for _, seg := range st.segs {
			if next < seg.minLine || next > seg.maxLine {
				continue
			}
			lines, maxLine, ok := c.lines(seg, next)
			if !ok {
				continue
			}
			if lines == nil {
				// Unreadable means unknown: the block's whole range is taken,
				// so that no number is given twice, and stepped over at once
				// rather than one number (and one failed read) at a time.
				next = maxLine + 1
				continue
			}
			j, found := slices.BinarySearch(lines, next)
			if !found {
				continue
			}
			for j+1 < len(lines) && lines[j+1] == lines[j]+1 {
				j++
			}
			next = lines[j] + 1
		}
		if next == line {
			return line
		}
		line = next
	}
}

func (c *lineChecker) has(st *stream, line int64) bool { return c.skip(st, line) != line }

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
	groups := make([][]row, len(batches))
	lines := make([][]int64, len(batches))
	var all []int64
	st.mu.Lock()
	if st.deleted {
		st.mu.Unlock()
		return nil, fmt.Errorf("logstore: stream %s was deleted", streamID)
	}
	// Batches take sequence numbers while holding ckpt shared, so Seq, which
	// holds it exclusively, sees every batch numbered so far in a memtable.
	seq := s.seq.Add(1)
	shared := &rowExt{seq: seq}
	var onDisk lineChecker
	for g, b := range batches {
		rows := make([]row, len(b.Entries))
		ls := make([]int64, len(b.Entries))
		for i, e := range b.Entries {
			line := e.TimeNs
			// Within a batch whose times do not go back, a line never goes
			// below the previous one: the batch keeps its order, and a batch
			// that overlaps another does not walk the same taken lines again.
			if i > 0 && e.TimeNs >= b.Entries[i-1].TimeNs && line <= ls[i-1] {
				line = ls[i-1] + 1
			}
			if line <= st.lastLine {
				line = st.nextFree(line, &onDisk)
			}
			if line > st.lastLine {
				st.lastLine = line
			}
			st.active.lines.add(line)
			rows[i] = row{line: line, labels: b.Labels, content: e.Content, ext: withExt(shared, seq, e.Fields)}
			ls[i] = line
		}
		groups[g], lines[g] = rows, ls
		all = append(all, ls...)
	}
	st.mu.Unlock()

	size := 64
	for _, b := range batches {
		size += 64 + len(b.Entries)*8 + contentBytes(b.Entries)
	}
	rec := encodeRecord(make([]byte, 0, size), id, seq, batches, groups)
	if len(rec) > wal.MaxRecord {
		st.mu.Lock()
		st.active.lines.removeAll(all)
		st.mu.Unlock()
		return nil, fmt.Errorf("%w: %d bytes in one write, at most %d", ErrTooLarge, len(rec), wal.MaxRecord)
	}
	if _, err := s.wal.Append(rec); err != nil {
		st.mu.Lock()
		st.active.lines.removeAll(all)
		st.mu.Unlock()
		if errors.Is(err, wal.ErrClosed) {
			return nil, ErrClosed
		}
		return nil, unavailable(err)
	}
	var added int64
	st.mu.Lock()
	// A stream deleted while the batch waited for the WAL keeps nothing:
	// its rows would sit in a memtable no flush sees.
	if !st.deleted {
		for g, rows := range groups {
			for _, r := range rows {
				st.active.add(r)
				added += r.size()
			}
			st.active.noteLabels(batches[g].Labels)
			st.active.noteFields(rows)
		}
	}
	st.mu.Unlock()
	if s.memBytes.Add(added) >= s.opts.MemtableBytes {
		s.requestFlush()
	}
	return lines, nil
}

func contentBytes(entries []Entry) int {
	n := 0
	for _, e := range entries {
		n += len(e.Content) + 4
	}
	return n
}

// nextFree returns the first line number at or after line that the
// stream does not use. The caller holds st.mu.
func (st *stream) nextFree(line int64, onDisk *lineChecker) int64 {
	for {
		next := st.active.lines.skip(line)
		for _, m := range st.frozen {
			next = m.lines.skip(next)
		}
		next = onDisk.skip(st, next)
		if next == line {
			return line
		}
		line = next
	}
}

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

func (s *Store) flushLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-s.flushReq:
		case <-t.C:
		}
		err := s.Flush()
		if err == nil {
			s.flushErr.Store(nil)
			continue
		}
		s.flushErr.Store(&err)
		// Writers waiting for memtable space must learn that none is coming.
		s.spaceMu.Lock()
		s.space.Broadcast()
		s.spaceMu.Unlock()
		s.log.Error("log store flush failed", "error", err)
		// Back off so that a persistent failure (disk full) does not spin,
		// then try again without waiting for the next trigger.
		select {
		case <-s.closing:
			return
		case <-time.After(s.opts.RetryInterval):
		}
		s.requestFlush()
	}
}

// Flush writes every memtable into segments and drops the WAL files that
// held them.
func (s *Store) Flush() error {
	s.ckpt.Lock()
	seq, err := s.wal.Rotate()
	if err != nil {
		s.ckpt.Unlock()
		return err
	}
	var work []*stream
	s.mu.RLock()
	for _, st := range s.streams {
		st.mu.Lock()
		if len(st.active.rows) > 0 {
			st.frozen = append(st.frozen, st.active)
			st.active = newMemtable()
		}
		if len(st.frozen) > 0 {
			work = append(work, st)
		}
		st.mu.Unlock()
	}
	s.mu.RUnlock()
	s.ckpt.Unlock()

	for _, st := range work {
		if err := s.flushStream(st); err != nil {
			return err
		}
	}
	// The WAL files about to go may hold the highest sequence number
	// given: keep it, so that numbers never go back after a restart.
	if err := s.markSeq(); err != nil {
		return err
	}
	return s.wal.RemoveBefore(seq)
}

// Seq returns a sequence number such that every batch numbered up to it
// is visible to scans, and every later batch will be numbered above it.
// Scans with SeqAfter set to a previous Seq find exactly the batches
// appended since.
func (s *Store) Seq() uint64 {
	s.ckpt.Lock()
	defer s.ckpt.Unlock()
	return s.seq.Load()
}

func (s *Store) seqMarkPath() string { return filepath.Join(s.dir, "seq") }

func readSeqMark(fsys vfs.FS, path string) (uint64, error) {
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

// markSeq durably records the last sequence number given, when it moved.
func (s *Store) markSeq() error {
	s.markMu.Lock()
	defer s.markMu.Unlock()
	v := s.seq.Load()
	if v == s.seqMarked {
		return nil
	}
	if err := vfs.WriteFile(s.fs, s.seqMarkPath(), []byte(strconv.FormatUint(v, 10)+"\n")); err != nil {
		return err
	}
	s.seqMarked = v
	return nil
}

func (s *Store) flushStream(st *stream) error {
	st.flushMu.Lock()
	defer st.flushMu.Unlock()
	st.mu.RLock()
	frozen := append([]*memtable(nil), st.frozen...)
	deleted := st.deleted
	st.mu.RUnlock()
	if len(frozen) == 0 {
		return nil
	}
	var bytes int64
	var rows []row
	inOrder := len(frozen) == 1 && frozen[0].inOrder
	for _, m := range frozen {
		rows = append(rows, m.rows...)
		bytes += m.bytes
	}
	var segs []*segment
	if !deleted {
		rows = sortedRows(rows, inOrder)
		for start := 0; start < len(rows); {
			day := dayOf(rows[start].line)
			end := start + 1
			for end < len(rows) && dayOf(rows[end].line) == day {
				end++
			}
			seg, err := s.writeDay(st, day, rows[start:end])
			if err != nil {
				for _, sg := range segs {
					sg.close()
					s.fs.Remove(sg.path)
				}
				return err
			}
			segs = append(segs, seg)
			start = end
		}
	}
	st.mu.Lock()
	st.segs = append(st.segs, segs...)
	sortSegments(st.segs)
	st.frozen = st.frozen[len(frozen):]
	st.mu.Unlock()
	s.release(bytes)
	return nil
}

func (s *Store) release(bytes int64) {
	s.memBytes.Add(-bytes)
	s.spaceMu.Lock()
	s.space.Broadcast()
	s.spaceMu.Unlock()
}

func dayOf(line int64) string { return time.Unix(0, line).UTC().Format("20060102") }

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
	seq := s.segSeq.Add(1)
	seg, err := writeSegment(s.fs, filepath.Join(dir, fmt.Sprintf("%020d.seg", seq)), rows, s.opts.Tokenizer)
	if err != nil {
		return nil, err
	}
	seg.day, seg.seq = day, seq
	seg.stream, seg.dmg = st.id, s.damage
	return seg, nil
}

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
	st.frozen, st.active = nil, newMemtable()
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

// every runs fn every interval until the store closes; fn's errors are
// logged, since the next round retries.
func (s *Store) every(interval time.Duration, what string, fn func() error) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if err := fn(); err != nil {
				s.log.Error(what+" failed", "error", err)
			}
		}
	}
}

// ApplyRetention removes every stored day that ended more than its
// stream's TTL before now.
func (s *Store) ApplyRetention(now time.Time) error {
	if s.opts.Retention == nil {
		return nil
	}
	s.mu.RLock()
	streams := make([]*stream, 0, len(s.streams))
	for _, st := range s.streams {
		streams = append(streams, st)
	}
	s.mu.RUnlock()
	for _, st := range streams {
		ttl := s.opts.Retention(st.id)
		if ttl <= 0 {
			continue
		}
		// A day is removed once its last instant is older than the TTL.
		cutoff := dayOf(now.Add(-ttl).Add(-24 * time.Hour).UnixNano())
		if err := s.dropDays(st, cutoff); err != nil {
			return err
		}
	}
	return nil
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
	err := s.Flush()
	if cerr := s.wal.Close(); err == nil {
		err = cerr
	}
	s.mu.Lock()
	s.closeSegments()
	s.mu.Unlock()
	return err
}
