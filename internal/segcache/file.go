package segcache

import (
	"errors"
	"io"
	"io/fs"
	"sync"
	"time"

	"logtank/internal/objstore"
	"logtank/internal/vfs"
)

// File is an object read through a Cache: a read-only vfs.File. Its reads
// at an offset are safe for concurrent use; Read keeps a position as a
// file does.
type File struct {
	c           *Cache
	objects     objstore.Store
	bucket, key string
	name        string
	sum         [16]byte
	size        int64
	posMu       sync.Mutex
	pos         int64
	closeOnce   sync.Once
}

var _ vfs.File = (*File)(nil)

// errReadOnly is what the writing methods return.
var errReadOnly = errors.New("segcache: the file is read-only")

// ReadAt reads from the blocks that hold [off, off+len(p)), fetching the
// missing ones. Past the object's size it returns io.EOF, as a file does.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: fs.ErrInvalid}
	}
	n := 0
	for n < len(p) && off+int64(n) < f.size {
		at := off + int64(n)
		k, err := f.c.readBlock(f, at/f.c.cfg.BlockSize, at%f.c.cfg.BlockSize, p[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *File) Read(p []byte) (int, error) {
	f.posMu.Lock()
	defer f.posMu.Unlock()
	n, err := f.ReadAt(p, f.pos)
	f.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Close drops the object's blocks from the cache once no other File of
// it is open, unless the cache was closed first: its readers are done
// with it (a segment deleted or replaced), so they would only wait for
// eviction. Reads through a closed
// File still work, fetching again, as a query that took the segment
// before may still be reading it. A second Close does nothing.
func (f *File) Close() error {
	f.closeOnce.Do(func() { f.c.closed(f.sum, f.size) })
	return nil
}

func (f *File) Name() string { return f.name }

func (f *File) Stat() (fs.FileInfo, error) { return fileInfo{f}, nil }

func (f *File) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: f.name, Err: errReadOnly}
}

func (f *File) Truncate(int64) error {
	return &fs.PathError{Op: "truncate", Path: f.name, Err: errReadOnly}
}

// Sync and Datasync have nothing to make durable.
func (f *File) Sync() error     { return nil }
func (f *File) Datasync() error { return nil }

type fileInfo struct{ f *File }

func (i fileInfo) Name() string       { return i.f.name }
func (i fileInfo) Size() int64        { return i.f.size }
func (i fileInfo) Mode() fs.FileMode  { return 0o444 }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }
