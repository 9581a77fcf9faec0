package logstore

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrUnavailable is the error (under errors.Is) of a write the store
// cannot make durable for now: the disk is full or failing. Reads go on,
// and writes resume by themselves once the cause clears.
var ErrUnavailable = errors.New("logstore: writes are refused for now")

// The reasons WritesRefused gives.
const (
	RefusedDiskFull    = "disk_full"
	RefusedWriteFailed = "write_failed"
)

// WritesRefused reports whether writes are refused now, and why: reason
// is RefusedDiskFull or RefusedWriteFailed, err the failure behind it. It
// is ("", nil) while writes are taken.
func (s *Store) WritesRefused() (reason string, err error) {
	if err = s.wal.Err(); err == nil {
		if p := s.flushErr.Load(); p != nil && s.memBytes.Load() >= 2*s.opts.MemtableBytes {
			err = *p
		}
	}
	if err == nil {
		return "", nil
	}
	return RefusalReason(err), err
}

// RefusalReason says why err refused a write: RefusedDiskFull when the
// disk is full or over quota, RefusedWriteFailed otherwise.
func RefusalReason(err error) string {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return RefusedDiskFull
	}
	return RefusedWriteFailed
}

// unavailable marks err as a refusal the caller may retry later.
func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
