package wal

import (
	"os"
	"syscall"
)

// fdatasync flushes the file's data (and the metadata needed to read it back,
// such as its size) without the other metadata a full fsync writes.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
