package segcache

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/objstore"
	"logtank/internal/vfs"
)

// genStore serves ranges of any object from bytes it makes up, so that a
// benchmark fills a large cache without a large object on disk.
type genStore struct {
	objstore.Store
	gets atomic.Int64
}

func (g *genStore) GetRange(_ context.Context, _, _ string, off, n int64) (io.ReadCloser, error) {
	g.gets.Add(1)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((off + int64(i)) * 2654435761 >> 13)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// countingFS counts the bytes read through the files it opens.
type countingFS struct {
	vfs.FS
	read atomic.Int64
}

func (c *countingFS) Open(name string) (vfs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return countingFile{f, &c.read}, nil
}

type countingFile struct {
	vfs.File
	read *atomic.Int64
}

func (f countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.read.Add(int64(n))
	return n, err
}

func (f countingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	f.read.Add(int64(n))
	return n, err
}

// dropPages, where the system has it, makes the kernel forget the cached
// pages of a file, so that its next read comes from the disk.
var dropPages func(path string) error

// BenchmarkReopenFull: a cache of 1 GiB of 1 MiB blocks on the operating
// system's disk, left full by a first run, is opened again; "open" only
// opens it (the scan reads each file's header), "open+first-reads" then
// reads a byte of every block, which checks every block's CRC-32C (what
// checking them all at open would cost). "cold" drops the files' pages
// from the page cache before each open (a start after a reboot); the
// others find them cached (a process restart). Reports the bytes read
// from block files and the GETs sent (0: every block served from disk).
func BenchmarkReopenFull(b *testing.B) {
	const block, blocks = 1 << 20, 1024
	dir := filepath.Join(b.TempDir(), "cache")
	cfg := Config{Dir: dir, Bytes: blocks * (HeaderSize + block), BlockSize: block, Logger: slog.New(slog.DiscardHandler)}
	objects := &genStore{}
	first, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	f := first.Open(objects, "bkt", "segment", blocks*block)
	p := make([]byte, 1)
	for i := range int64(blocks) {
		if _, err := f.ReadAt(p, i*block); err != nil {
			b.Fatal(err)
		}
	}
	first.Close()
	f.Close()
	if st := first.Stats(); st.Blocks != blocks {
		b.Fatalf("the first run keeps %d blocks, want %d", st.Blocks, blocks)
	}
	files, err := vfs.OS.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, de := range files {
		fl, err := vfs.OS.Open(filepath.Join(dir, de.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if err := fl.Sync(); err != nil { // dirty pages cannot be dropped
			b.Fatal(err)
		}
		fl.Close()
	}
	for _, cold := range []bool{false, true} {
		for _, readAll := range []bool{false, true} {
			name := map[bool]string{false: "open", true: "open+first-reads"}[readAll] + map[bool]string{false: "", true: "/cold"}[cold]
			b.Run(name, func(b *testing.B) {
				if cold && dropPages == nil {
					b.Skip("this system cannot drop a file's cached pages")
				}
				var read, gets int64
				var took time.Duration
				for range b.N {
					if cold {
						for _, de := range files {
							if err := dropPages(filepath.Join(dir, de.Name())); err != nil {
								b.Fatal(err)
							}
						}
					}
					fsys := &countingFS{FS: vfs.OS}
					cfg := cfg
					cfg.FS = fsys
					g := objects.gets.Load()
					began := time.Now()
					c, err := Open(cfg)
					if err != nil {
						b.Fatal(err)
					}
					if st := c.Stats(); st.Adopted != blocks {
						b.Fatalf("%d blocks adopted, want %d", st.Adopted, blocks)
					}
					f := c.Open(objects, "bkt", "segment", blocks*block)
					if readAll {
						for i := range int64(blocks) {
							if _, err := f.ReadAt(p, i*block); err != nil {
								b.Fatal(err)
							}
						}
					}
					took += time.Since(began)
					c.Close()
					f.Close()
					read += fsys.read.Load()
					gets += objects.gets.Load() - g
				}
				b.ReportMetric(float64(took.Microseconds())/1000/float64(b.N), "ms/open")
				b.ReportMetric(float64(read)/float64(b.N)/(1<<10), "KiB-read/open")
				b.ReportMetric(float64(gets)/float64(b.N), "GETs/open")
			})
		}
	}
}
