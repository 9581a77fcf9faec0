package vfs

import (
	"os"
	"syscall"
)

// datasync flushes the file's data (and the metadata needed to read it
// back, such as its size) without the other metadata a full fsync writes.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
