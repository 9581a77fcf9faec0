// Package wal is the log store's write-ahead log: checksummed records in
// numbered segment files, appended with group commit (one write and one
// fdatasync for all records that arrive while the previous sync runs), and
// replayed on open with a torn or corrupt tail cut off. The format is
// docs/format/wal.md.
//
// A failed write or sync fails its batch and makes the WAL refuse appends
// until it has cut the failed bytes off and moved to a fresh file, which it
// retries by itself; damage found on open is routed around (see Open).
//
// It knows nothing about what the records mean, and does all its file
// I/O through a vfs.FS.
package wal

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"logtank/internal/vfs"
)

// MaxRecord is the largest record the WAL takes.
const MaxRecord = 64 << 20

const fileSuffix = ".wal"

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("wal: closed")

// Options tune a WAL.
type Options struct {
	// SegmentSize is the size past which the WAL moves to a new file.
	SegmentSize int64
	// NoSync skips fdatasync; only for benchmarks that measure everything else.
	NoSync bool
	// FS is the filesystem; nil is the operating system's.
	FS vfs.FS
	// Strict makes Open fail on a damaged record in a file other than the
	// newest, instead of quarantining the file.
	Strict bool
	// QuarantineDir receives a copy of each damaged file; the default is
	// the folder "quarantine" beside the WAL's.
	QuarantineDir string
	// RetryInterval is how long after a failed write the WAL tries again
	// to recover; the default is one second.
	RetryInterval time.Duration
}

// WriteError is a failed write or sync: the batch in it was not made
// durable, and the WAL refuses appends until it has recovered.
type WriteError struct {
	Op   string // "write", "sync", "recover"
	File string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("wal: %s %s: %v", e.Op, e.File, e.Err) }
func (e *WriteError) Unwrap() error { return e.Err }

// WAL is a write-ahead log. Append and Rotate are safe for concurrent use.
//
// Appends gather in the pending batch; one flusher goroutine owns the
// current file and writes each batch with one write and one sync. After a
// failure it keeps failed set (Append refuses at once) until a retry has
// truncated the file back to its last synced record, synced that, and
// opened a new file: bytes written before a failed sync are never trusted
// to be on disk, and no torn record is ever followed by a newer file.
type WAL struct {
	dir    string
	fs     vfs.FS
	opts   Options
	damage []Damage

	mu       sync.Mutex
	cond     *sync.Cond // wakes the flusher: records, a rotation, a retry or Close
	pending  *batch
	closed   bool
	rotateTo bool
	failed   error // the failure appends are refused for, until recovery
	retry    bool  // the retry timer fired
	done     chan struct{}

	// Owned by the flusher (and by Open and Close, when it does not run).
	f    vfs.File
	seq  uint64
	size int64 // bytes of f known to be synced
	// spare is the buffer of the batch written last, which the next
	// pending batch gathers its records in: two buffers take turns,
	// rather than a fresh one (to allocate and clear) for every sync.
	spare []byte
}

type batch struct {
	buf  []byte
	n    int
	done chan struct{}
	err  error
	seq  uint64 // the file the batch was written to
	// rotatedTo is the file a rotation requested with this batch opened,
	// and rotateErr why it could not.
	rotatedTo uint64
	rotateErr error
}

// Open opens the WAL in dir, calling replay for every intact record in
// order. A torn or corrupt tail of the newest file (a crash mid-write) is
// cut. A damaged record in an older file ends that file's replay: unless
// Options.Strict is set, the file is copied into the quarantine folder and
// cut after its last good record, and replay goes on with the next file;
// Damage lists what was found. New records go to a new file.
func Open(dir string, opts Options, replay func(rec []byte) error) (*WAL, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 128 << 20
	}
	if opts.FS == nil {
		opts.FS = vfs.OS
	}
	if opts.QuarantineDir == "" {
		opts.QuarantineDir = filepath.Join(filepath.Dir(dir), "quarantine")
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = time.Second
	}
	if err := vfs.MkdirAll(opts.FS, dir); err != nil {
		return nil, err
	}
	w := &WAL{dir: dir, fs: opts.FS, opts: opts, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	seqs, err := listFiles(w.fs, dir)
	if err != nil {
		return nil, err
	}
	w.damage, err = recoverFiles(w.fs, dir, seqs, opts, true, replay)
	if err != nil {
		return nil, err
	}
	next := uint64(1)
	if len(seqs) > 0 {
		next = seqs[len(seqs)-1] + 1
	}
	if err := w.openFile(next); err != nil {
		return nil, err
	}
	w.pending = &batch{done: make(chan struct{})}
	go w.flusher()
	return w, nil
}

// Damage returns the damage Open found and routed around.
func (w *WAL) Damage() []Damage { return w.damage }

// Err returns why appends are refused, or nil when they are taken.
func (w *WAL) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

func name(seq uint64) string { return fmt.Sprintf("%016x%s", seq, fileSuffix) }

// listFiles returns the sequence numbers of the WAL files in dir, in order.
func listFiles(fsys vfs.FS, dir string) ([]uint64, error) {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), fileSuffix)
		if !ok {
			continue
		}
		seq, err := strconv.ParseUint(n, 16, 64)
		if err != nil {
			continue
		}
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

// openFile starts file seq with its header, synced with its folder entry,
// and makes it the current file.
func (w *WAL) openFile(seq uint64) error {
	path := filepath.Join(w.dir, name(seq))
	f, err := w.fs.CreateTrunc(path)
	if err != nil {
		return err
	}
	_, err = f.Write(appendFileHeader(nil))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = w.fs.SyncDir(w.dir)
	}
	if err != nil {
		f.Close()
		// A file left here holds at most a header: replay skips or removes it.
		w.fs.Remove(path)
		return err
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.seq, w.size = f, seq, fileHeaderSize
	return nil
}

// Append writes rec and returns once it is durable. It returns the sequence
// number of the file that holds it. While the WAL is recovering from a
// failed write it returns that failure at once. rec is copied into the
// pending batch: the caller may reuse it once Append returns.
func (w *WAL) Append(rec []byte) (uint64, error) {
	if len(rec) == 0 || len(rec) > MaxRecord {
		return 0, fmt.Errorf("wal: record of %d bytes (want 1..%d)", len(rec), MaxRecord)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, ErrClosed
	}
	if w.failed != nil {
		err := w.failed
		w.mu.Unlock()
		return 0, err
	}
	b := w.pending
	b.buf = appendRecord(b.buf, rec)
	b.n++
	w.cond.Signal()
	w.mu.Unlock()
	<-b.done
	return b.seq, b.err
}

// Rotate makes the next batch start a new file and returns that file's
// sequence number: every record appended before Rotate returned is in a file
// with a smaller number.
func (w *WAL) Rotate() (uint64, error) {
	// An empty record-less batch is enough to hand the rotation to the
	// flusher, which owns the file.
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, ErrClosed
	}
	if w.failed != nil {
		err := w.failed
		w.mu.Unlock()
		return 0, err
	}
	w.rotateTo = true
	b := w.pending
	w.cond.Signal()
	w.mu.Unlock()
	<-b.done
	if b.err != nil {
		return 0, b.err
	}
	return b.rotatedTo, b.rotateErr
}

// RemoveBefore deletes the files whose sequence number is below seq.
func (w *WAL) RemoveBefore(seq uint64) error {
	seqs, err := listFiles(w.fs, w.dir)
	if err != nil {
		return err
	}
	for _, s := range seqs {
		if s >= seq {
			break
		}
		if err := w.fs.Remove(filepath.Join(w.dir, name(s))); err != nil && !errors.Is(err, vfs.ErrNotExist) {
			return err
		}
	}
	return w.fs.SyncDir(w.dir)
}

func (w *WAL) flusher() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for w.pending.n == 0 && !w.rotateTo && !w.closed && !w.retry {
			w.cond.Wait()
		}
		if w.closed && w.pending.n == 0 {
			b := w.pending
			w.mu.Unlock()
			b.err = ErrClosed
			close(b.done)
			return
		}
		b := w.pending
		rotate, retry, failed := w.rotateTo, w.retry, w.failed
		w.rotateTo, w.retry = false, false
		w.pending = &batch{done: make(chan struct{}), buf: w.spare}
		w.spare = nil
		w.mu.Unlock()

		if failed != nil && retry {
			failed = w.recover()
			w.setFailed(failed)
		}
		if failed != nil {
			// Records that were queued before the failure was known.
			b.err = failed
			w.spare = b.buf[:0]
			close(b.done)
			continue
		}
		err := w.write(b.buf)
		b.seq = w.seq
		if err != nil {
			w.setFailed(err)
			b.err = err
		} else if rotate || w.size >= w.opts.SegmentSize {
			// A file that cannot be opened leaves the records in the
			// current one, which stays good; a requested rotation says why.
			if rerr := w.openFile(w.seq + 1); rerr != nil && rotate {
				b.rotateErr = fmt.Errorf("wal: rotating: %w", rerr)
			}
		}
		b.rotatedTo = w.seq
		// Appenders copied their records in under mu and never look at the
		// buffer again: it is free once written.
		w.spare = b.buf[:0]
		close(b.done)
	}
}

// setFailed records the failure appends are refused for (nil: none) and
// plans the next recovery attempt.
func (w *WAL) setFailed(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failed = err
	if err != nil && !w.closed {
		time.AfterFunc(w.opts.RetryInterval, func() {
			w.mu.Lock()
			w.retry = true
			w.cond.Signal()
			w.mu.Unlock()
		})
	}
}

// write appends buf to the current file and syncs it.
func (w *WAL) write(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(buf); err != nil {
		return &WriteError{Op: "write", File: name(w.seq), Err: err}
	}
	if !w.opts.NoSync {
		if err := w.f.Datasync(); err != nil {
			return &WriteError{Op: "sync", File: name(w.seq), Err: err}
		}
	}
	w.size += int64(len(buf))
	return nil
}

// recover cuts the current file back to its last synced record, syncs that,
// and moves to a new file. The cut bytes belong to batches that were
// refused: were they left, a replay could bring back lines their senders
// will send again. It returns the failure that remains, or nil.
func (w *WAL) recover() error {
	if err := w.f.Truncate(w.size); err != nil {
		return &WriteError{Op: "recover", File: name(w.seq), Err: err}
	}
	if err := w.f.Sync(); err != nil {
		return &WriteError{Op: "recover", File: name(w.seq), Err: err}
	}
	if err := w.openFile(w.seq + 1); err != nil {
		return &WriteError{Op: "recover", File: name(w.seq + 1), Err: err}
	}
	return nil
}

// Close waits for pending records to be written and closes the file.
func (w *WAL) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.cond.Signal()
	w.mu.Unlock()
	<-w.done
	return w.f.Close()
}
