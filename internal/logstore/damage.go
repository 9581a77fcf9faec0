package logstore

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"logtank/internal/vfs"
)

// CorruptError names the part of a stored file that could not be read.
type CorruptError struct {
	File string
	// Block is the block's index in a segment, -1 for the file as a whole.
	Block int
	// Part is what failed: "header", "trailer", "index", "lines", "labels",
	// "contents", "postings", "sequence numbers", or a field column's name.
	Part string
	Err  error
}

func (e *CorruptError) Error() string {
	if e.Block < 0 {
		return fmt.Sprintf("segment %s %s: %v", e.File, e.Part, e.Err)
	}
	return fmt.Sprintf("segment %s block %d %s: %v", e.File, e.Block, e.Part, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// corruptf returns a CorruptError whose cause says what is wrong.
func corruptf(file string, block int, part, format string, args ...any) error {
	return &CorruptError{File: file, Block: block, Part: part, Err: fmt.Errorf(format, args...)}
}

// corruptPart wraps err, unless it already names its place. A read that
// failed for now (vfs.ErrUnavailable: a segment read in place whose bytes
// could not be fetched) is no damage: it is returned naming the file, so
// that queries fail instead of recording damage and skipping the block.
func corruptPart(file string, block int, part string, err error) error {
	var ce *CorruptError
	if errors.As(err, &ce) {
		return err
	}
	var ue *unavailableError
	if errors.As(err, &ue) {
		return err
	}
	if errors.Is(err, vfs.ErrUnavailable) {
		return &unavailableError{file: file, part: part, err: err}
	}
	return &CorruptError{File: file, Block: block, Part: part, Err: err}
}

// unavailableError names the segment whose part could not be read for now.
type unavailableError struct {
	file, part string
	err        error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("segment %s %s: %v", e.file, e.part, e.err)
}

func (e *unavailableError) Unwrap() error { return e.err }

// damageLog is what the store knows of damaged files while it runs: each
// damaged block or file is logged once, counted for /metrics, and marks
// its stream, so that queries over it report they are incomplete.
type damageLog struct {
	log *slog.Logger

	mu      sync.Mutex
	seen    map[string]bool // "path#block" already logged
	streams map[string]bool // streams with known damage

	blocksSkipped       atomic.Int64
	segmentsQuarantined atomic.Int64
	walQuarantined      atomic.Int64
}

func newDamageLog(log *slog.Logger) *damageLog {
	return &damageLog{log: log, seen: map[string]bool{}, streams: map[string]bool{}}
}

// block records that block of seg could not be read.
func (d *damageLog) block(seg *segment, block int, err error) {
	key := fmt.Sprintf("%s#%d", seg.path, block)
	d.mu.Lock()
	d.streams[seg.stream] = true
	first := !d.seen[key]
	d.seen[key] = true
	d.mu.Unlock()
	seg.damaged.Store(true)
	if first {
		d.blocksSkipped.Add(1)
		d.log.Error("log store: a damaged segment block is skipped by queries", "stream", seg.stream, "file", seg.path, "block", block, "error", err)
	}
}

// stream records damage in a stream that no block names (a quarantined file).
func (d *damageLog) stream(id string) {
	d.mu.Lock()
	d.streams[id] = true
	d.mu.Unlock()
}

func (d *damageLog) has(streamID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.streams[streamID]
}

// skipDamaged decides what a scan does with a block of s that failed to
// read: a query skips it (nil) and the damage is recorded, so the answer
// says it is incomplete; compaction (strict) fails instead, since merging
// without the block would drop its rows for good.
func (s *segment) skipDamaged(block int, err error, strict bool) error {
	var ce *CorruptError
	if s.dmg == nil || !errors.As(err, &ce) {
		// Not a read of the block that failed: a cancelled query, say.
		return err
	}
	s.dmg.block(s, block, err)
	if strict {
		return err
	}
	return nil
}

// Damaged reports whether some stored data of the stream is known to be
// unreadable: queries over it cannot be complete.
func (s *Store) Damaged(streamID string) bool { return s.damage.has(streamID) }

// DamageCounts returns how many damaged segment blocks queries skipped,
// and how many segment and WAL files were quarantined, since Open.
func (s *Store) DamageCounts() (blocksSkipped, segmentsQuarantined, walQuarantined int64) {
	return s.damage.blocksSkipped.Load(), s.damage.segmentsQuarantined.Load(), s.damage.walQuarantined.Load()
}

// quarantineSegment moves a segment that cannot be opened out of the
// stream's folder, so that the store starts without it: its rows are
// missing from queries (which say so) until someone restores them. With
// Options.Strict it returns err instead.
func (s *Store) quarantineSegment(streamID, day, path string, err error) error {
	if s.opts.Strict {
		return err
	}
	s.damage.stream(streamID)
	s.damage.segmentsQuarantined.Add(1)
	dir := filepath.Join(s.quarantineDir(), "segments")
	dst := filepath.Join(dir, streamID+"-"+day+"-"+filepath.Base(path))
	moveErr := vfs.MkdirAll(s.fs, dir)
	if moveErr == nil {
		moveErr = s.fs.Rename(path, dst)
	}
	if moveErr == nil {
		moveErr = errors.Join(s.fs.SyncDir(dir), s.fs.SyncDir(filepath.Dir(path)))
	}
	if moveErr != nil {
		// Left in place it is skipped again at the next start.
		s.log.Error("log store: a damaged segment is skipped; moving it to the quarantine folder failed",
			"stream", streamID, "file", path, "error", err, "move_error", moveErr)
		return nil
	}
	s.log.Error("log store: a damaged segment was quarantined; its rows are missing from queries",
		"stream", streamID, "file", path, "moved_to", dst, "error", err)
	return nil
}
