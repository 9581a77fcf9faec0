// Package wal is the log store's write-ahead log: checksummed records in
// numbered segment files, appended with group commit (one write and one
// fdatasync for all records that arrive while the previous sync runs), and
// replayed on open with a torn or corrupt tail cut off. The format is
// docs/format/wal.md.
//
// It knows nothing about what the records mean.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// MaxRecord is the largest record the WAL takes.
const MaxRecord = 64 << 20

const (
	headerSize  = 8
	recordHdr   = 8
	fileSuffix  = ".wal"
	formatMagic = "LTWAL\x00"
	version     = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("wal: closed")

// Options tune a WAL.
type Options struct {
	// SegmentSize is the size past which the WAL moves to a new file.
	SegmentSize int64
	// NoSync skips fdatasync; only for benchmarks that measure everything else.
	NoSync bool
}

// WAL is a write-ahead log. Append and Rotate are safe for concurrent use.
type WAL struct {
	dir  string
	opts Options

	mu       sync.Mutex
	cond     *sync.Cond // signals the flusher that pending has records
	pending  *batch
	f        *os.File
	seq      uint64
	size     int64
	closed   bool
	failed   error // a write or sync failed: the WAL refuses further appends
	rotateTo bool
	done     chan struct{}
}

type batch struct {
	buf  []byte
	n    int
	done chan struct{}
	err  error
	seq  uint64 // the file the batch was written to
	// rotatedTo is the file a rotation requested with this batch opened.
	rotatedTo uint64
}

// Open opens the WAL in dir, calling replay for every intact record in
// order, and cutting a torn tail. New records go to a new file.
func Open(dir string, opts Options, replay func(rec []byte) error) (*WAL, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = 128 << 20
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	seqs, err := segments(dir)
	if err != nil {
		return nil, err
	}
	for i, seq := range seqs {
		torn, err := replayFile(filepath.Join(dir, name(seq)), replay)
		if err != nil {
			return nil, err
		}
		if torn && i != len(seqs)-1 {
			return nil, fmt.Errorf("wal: %s has a corrupt record but is not the newest file", name(seq))
		}
	}
	w := &WAL{dir: dir, opts: opts, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
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

func name(seq uint64) string { return fmt.Sprintf("%016x%s", seq, fileSuffix) }

func segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
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

// replayFile feeds every intact record of path to fn and truncates the file
// after the last one. It reports whether a tail was cut.
func replayFile(path string, fn func([]byte) error) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(r, hdr); err != nil || string(hdr[:6]) != formatMagic {
		// A file cut before its header was complete holds no record: it is
		// removed, so that it is not mistaken later for a torn older file.
		f.Close()
		return false, os.Remove(path)
	}
	if hdr[6] != version {
		return false, fmt.Errorf("wal: %s has format version %d, this server reads %d", path, hdr[6], version)
	}
	good := int64(headerSize)
	var rh [recordHdr]byte
	var payload []byte
	torn := false
	for {
		if _, err := io.ReadFull(r, rh[:]); err != nil {
			torn = err != io.EOF
			break
		}
		n := binary.LittleEndian.Uint32(rh[0:4])
		sum := binary.LittleEndian.Uint32(rh[4:8])
		if n == 0 || n > MaxRecord {
			torn = true
			break
		}
		if cap(payload) < int(n) {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			torn = true
			break
		}
		if crc32.Checksum(payload, castagnoli) != sum {
			torn = true
			break
		}
		if err := fn(payload); err != nil {
			return false, err
		}
		good += recordHdr + int64(n)
	}
	if torn {
		if err := f.Truncate(good); err != nil {
			return true, err
		}
		return true, f.Sync()
	}
	return false, nil
}

func (w *WAL) openFile(seq uint64) error {
	f, err := os.OpenFile(filepath.Join(w.dir, name(seq)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	hdr := []byte(formatMagic + string([]byte{version, 0}))
	if _, err := f.Write(hdr); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := syncDir(w.dir); err != nil {
		f.Close()
		return err
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.seq, w.size = f, seq, headerSize
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Append writes rec and returns once it is durable. It returns the sequence
// number of the file that holds it.
func (w *WAL) Append(rec []byte) (uint64, error) {
	if len(rec) == 0 || len(rec) > MaxRecord {
		return 0, fmt.Errorf("wal: record of %d bytes (want 1..%d)", len(rec), MaxRecord)
	}
	var hdr [recordHdr]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(hdr[4:8], crc32.Checksum(rec, castagnoli))
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
	b.buf = append(b.buf, hdr[:]...)
	b.buf = append(b.buf, rec...)
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
	w.rotateTo = true
	b := w.pending
	w.cond.Signal()
	w.mu.Unlock()
	<-b.done
	return b.rotatedTo, b.err
}

// RemoveBefore deletes the files whose sequence number is below seq.
func (w *WAL) RemoveBefore(seq uint64) error {
	seqs, err := segments(w.dir)
	if err != nil {
		return err
	}
	for _, s := range seqs {
		if s >= seq {
			break
		}
		if err := os.Remove(filepath.Join(w.dir, name(s))); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return syncDir(w.dir)
}

func (w *WAL) flusher() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for w.pending.n == 0 && !w.rotateTo && !w.closed {
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
		rotate := w.rotateTo
		w.rotateTo = false
		w.pending = &batch{done: make(chan struct{}), buf: make([]byte, 0, cap(b.buf))}
		w.mu.Unlock()

		err := w.write(b.buf)
		written := w.seq
		if err == nil && (rotate || w.size >= w.opts.SegmentSize) {
			err = w.openFile(w.seq + 1)
		}
		w.mu.Lock()
		if err != nil && w.failed == nil {
			w.failed = fmt.Errorf("wal: %w", err)
		}
		b.err, b.seq, b.rotatedTo = w.failed, written, w.seq
		w.mu.Unlock()
		close(b.done)
	}
}

func (w *WAL) write(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(buf); err != nil {
		return err
	}
	w.size += int64(len(buf))
	if w.opts.NoSync {
		return nil
	}
	return fdatasync(w.f)
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
