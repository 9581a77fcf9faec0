package segcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"logtank/internal/objstore"
	"logtank/internal/vfs"
)

// store is a directory store whose ranged reads can be made to fail, to
// wait, and are counted.
type store struct {
	objstore.Store
	gets atomic.Int64
	// fail, while positive, fails that many more GETs.
	fail atomic.Int64
	// gate, when set, holds every GET until it is closed.
	gate chan struct{}
}

var errDown = errors.New("the store is down")

func (s *store) GetRange(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error) {
	s.gets.Add(1)
	if s.gate != nil {
		<-s.gate
	}
	if s.fail.Add(-1) >= 0 {
		return nil, errDown
	}
	return s.Store.GetRange(ctx, bucket, key, off, n)
}

// newStore is a store with one bucket "bkt" holding objects of the given
// sizes, named o0, o1..., filled with random bytes, which it returns.
func newStore(t *testing.T, sizes ...int) (*store, [][]byte) {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := objstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	var objects [][]byte
	for i, n := range sizes {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		if err := d.Put(context.Background(), "bkt", fmt.Sprintf("o%d", i), bytes.NewReader(data), int64(n)); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, data)
	}
	return &store{Store: d}, objects
}

func openCache(t *testing.T, fsys vfs.FS, bound, block int64) *Cache {
	t.Helper()
	c, err := Open(Config{FS: fsys, Dir: "/cache", Bytes: bound, BlockSize: block, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readAt(t *testing.T, f *File, off int64, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	k, err := f.ReadAt(p, off)
	if err != nil && !(err == io.EOF && off+int64(n) > f.size) {
		t.Fatalf("ReadAt(%d, %d): %v", off, n, err)
	}
	return p[:k]
}

// Reads spread over objects several times the bound return the objects'
// bytes, and the cache never holds more than the bound on disk.
func TestBoundedAndExact(t *testing.T) {
	const block = 4 << 10
	s, objects := newStore(t, 50_000, 33_333, 4096, 1, 70_001)
	fsys := vfs.NewMem()
	c := openCache(t, fsys, 5*block, block)
	var files []*File
	for i, data := range objects {
		files = append(files, c.Open(s, "bkt", fmt.Sprintf("o%d", i), int64(len(data))))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		i := rng.IntN(len(files))
		size := int64(len(objects[i]))
		off := rng.Int64N(size)
		n := 1 + rng.IntN(3*block)
		got := readAt(t, files[i], off, n)
		if want := objects[i][off:min(size, off+int64(n))]; !bytes.Equal(got, want) {
			t.Fatalf("object %d at %d: %d bytes differ from the %d wanted", i, off, len(got), len(want))
		}
		if st := c.Stats(); st.Bytes > 5*block || fsys.Used() > 5*block {
			t.Fatalf("the cache holds %d bytes (%d on disk), bound %d", st.Bytes, fsys.Used(), 5*block)
		}
	}
	st := c.Stats()
	if st.Evictions == 0 || st.Hits == 0 || st.Fetches == 0 {
		t.Fatalf("stats %+v: want hits, fetches and evictions", st)
	}
	if got, want := fsys.Used(), st.Bytes; got != want {
		t.Fatalf("%d bytes on disk, the cache counts %d", got, want)
	}
	// Reading past the end is io.EOF, as for a file.
	if n, err := files[3].ReadAt(make([]byte, 2), 0); n != 1 || err != io.EOF {
		t.Fatalf("ReadAt past the end: %d, %v; want 1, io.EOF", n, err)
	}
	whole, err := io.ReadAll(c.Open(s, "bkt", "o1", int64(len(objects[1]))))
	if err != nil || !bytes.Equal(whole, objects[1]) {
		t.Fatalf("Read to the end: %d bytes, %v", len(whole), err)
	}
}

// Readers of a block being fetched wait for that fetch: one GET for all.
func TestConcurrentReadersFetchOnce(t *testing.T) {
	const readers = 8
	s, objects := newStore(t, 10_000)
	s.gate = make(chan struct{})
	c := openCache(t, vfs.NewMem(), HeaderSize+1<<20, 1<<20)
	f := c.Open(s, "bkt", "o0", int64(len(objects[0])))
	var wg sync.WaitGroup
	got := make([][]byte, readers)
	errs := make([]error, readers)
	for i := range readers {
		wg.Go(func() {
			p := make([]byte, 100)
			_, errs[i] = f.ReadAt(p, int64(i*1000))
			got[i] = p
		})
	}
	// The first reader's GET is held; the others must come to wait for it.
	for c.waits.Load() < readers-1 {
		runtime.Gosched()
	}
	close(s.gate)
	wg.Wait()
	for i := range readers {
		if errs[i] != nil || !bytes.Equal(got[i], objects[0][i*1000:i*1000+100]) {
			t.Fatalf("reader %d: %v, or the bytes differ", i, errs[i])
		}
	}
	if n := s.gets.Load(); n != 1 {
		t.Fatalf("%d GETs for one block read by %d readers at once, want 1", n, readers)
	}
	readAt(t, f, 5000, 10)
	if n := s.gets.Load(); n != 1 {
		t.Fatalf("%d GETs after reading the cached block again, want 1", n)
	}
}

// A failing store gives errors that say the bytes are unavailable, keeps
// nothing, and the reads succeed once it is back.
func TestFailingStoreThenBack(t *testing.T) {
	s, objects := newStore(t, 3000)
	fsys := vfs.NewMem()
	c := openCache(t, fsys, 4096, 1024)
	f := c.Open(s, "bkt", "o0", 3000)
	s.fail.Store(2)
	for range 2 {
		_, err := f.ReadAt(make([]byte, 10), 1500)
		if !errors.Is(err, vfs.ErrUnavailable) || !errors.Is(err, errDown) || !strings.Contains(err.Error(), "bkt/o0") {
			t.Fatalf("ReadAt from a failing store: %v; want vfs.ErrUnavailable naming bkt/o0", err)
		}
	}
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 || st.Failures != 2 || fsys.Used() != 0 {
		t.Fatalf("after failed fetches: %+v, %d bytes on disk; want nothing kept", st, fsys.Used())
	}
	if got := readAt(t, f, 1500, 10); !bytes.Equal(got, objects[0][1500:1510]) {
		t.Fatal("the bytes differ once the store is back")
	}
	if st := c.Stats(); st.Blocks != 1 || st.Fetches != 3 {
		t.Fatalf("once back: %+v; want the block kept after a third GET", st)
	}
}

// An object shorter than its recorded size gives an error that names it
// and is not a transient one: the bytes are wrong, not unreachable.
func TestShortObject(t *testing.T) {
	s, _ := newStore(t, 3000)
	c := openCache(t, vfs.NewMem(), 4096, 1024)
	f := c.Open(s, "bkt", "o0", 3500)
	if got := readAt(t, f, 0, 100); len(got) != 100 {
		t.Fatalf("the whole first block: %d bytes", len(got))
	}
	_, err := f.ReadAt(make([]byte, 10), 3400)
	if err == nil || errors.Is(err, vfs.ErrUnavailable) || !strings.Contains(err.Error(), "bkt/o0") {
		t.Fatalf("ReadAt of a short object: %v; want an error naming bkt/o0, not vfs.ErrUnavailable", err)
	}
	if st := c.Stats(); st.Blocks != 1 {
		t.Fatalf("%d blocks kept, want only the good one", st.Blocks)
	}
}

// An evicted block is fetched again when read again.
func TestEvictedFetchedAgain(t *testing.T) {
	s, objects := newStore(t, 3*1024)
	c := openCache(t, vfs.NewMem(), 2*(HeaderSize+1024), 1024)
	f := c.Open(s, "bkt", "o0", 3*1024)
	for _, off := range []int64{0, 1024, 2048} {
		readAt(t, f, off, 10)
	}
	if n := s.gets.Load(); n != 3 {
		t.Fatalf("%d GETs for three blocks", n)
	}
	readAt(t, f, 2048, 10) // the most recent: still there
	if n := s.gets.Load(); n != 3 {
		t.Fatalf("%d GETs after reading a cached block", n)
	}
	if got := readAt(t, f, 5, 10); !bytes.Equal(got, objects[0][5:15]) || s.gets.Load() != 4 {
		t.Fatalf("the evicted first block: %d GETs, want 4", s.gets.Load())
	}
	if st := c.Stats(); st.Evictions != 2 || st.Blocks != 2 {
		t.Fatalf("%+v: want 2 evictions and 2 blocks", st)
	}
}

// A block that cannot be written to disk (a full disk) is still served.
func TestFullDiskServesWithoutKeeping(t *testing.T) {
	s, objects := newStore(t, 2048)
	fsys := vfs.NewMem()
	c := openCache(t, fsys, 4096, 1024)
	fsys.SetRule(func(op vfs.Op) error {
		if op.Kind == vfs.OpWrite {
			return vfs.ENOSPC
		}
		return nil
	})
	f := c.Open(s, "bkt", "o0", 2048)
	if got := readAt(t, f, 1000, 48); !bytes.Equal(got, objects[0][1000:1048]) {
		t.Fatal("the bytes differ")
	}
	fsys.SetRule(nil)
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 || fsys.Used() != 0 {
		t.Fatalf("after failed writes: %+v, %d bytes on disk", st, fsys.Used())
	}
	readAt(t, f, 1000, 48)
	if st := c.Stats(); st.Blocks != 2 {
		t.Fatalf("once the disk has room: %d blocks kept, want 2", st.Blocks)
	}
}

// Closing a File drops its object's blocks, and leaves the others; a
// closed File still reads, fetching again.
func TestCloseDropsTheObjectsBlocks(t *testing.T) {
	s, objects := newStore(t, 2048, 1024)
	fsys := vfs.NewMem()
	c := openCache(t, fsys, 8192, 1024)
	f0, f1 := c.Open(s, "bkt", "o0", 2048), c.Open(s, "bkt", "o1", 1024)
	readAt(t, f0, 0, 2048)
	readAt(t, f1, 0, 10)
	if err := f0.Close(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Blocks != 1 || st.Bytes != HeaderSize+1024 || fsys.Used() != HeaderSize+1024 {
		t.Fatalf("after closing o0: %+v, %d bytes on disk; want o1's block alone", st, fsys.Used())
	}
	if got := readAt(t, f0, 1000, 100); !bytes.Equal(got, objects[0][1000:1100]) || s.gets.Load() != 5 {
		t.Fatalf("reading the closed o0: %d GETs, want 5 (two blocks again)", s.gets.Load())
	}
	readAt(t, f1, 0, 10)
	if n := s.gets.Load(); n != 5 {
		t.Fatalf("o1's block was dropped too: %d GETs", n)
	}
}

// Two Files of one object (a store's segment and a merge reading it):
// closing one keeps the blocks the other reads, closing it twice changes
// nothing, and closing the last drops them.
func TestBlocksStayWhileAFileOfTheObjectIsOpen(t *testing.T) {
	s, _ := newStore(t, 2048)
	fsys := vfs.NewMem()
	c := openCache(t, fsys, 8192, 1024)
	a, b := c.Open(s, "bkt", "o0", 2048), c.Open(s, "bkt", "o0", 2048)
	readAt(t, a, 0, 2048)
	a.Close()
	a.Close()
	if st := c.Stats(); st.Blocks != 2 {
		t.Fatalf("after closing one of two Files: %d blocks, want 2", st.Blocks)
	}
	readAt(t, b, 0, 2048)
	if n := s.gets.Load(); n != 2 {
		t.Fatalf("the other File fetched again: %d GETs, want 2", n)
	}
	b.Close()
	if st := c.Stats(); st.Blocks != 0 || fsys.Used() != 0 {
		t.Fatalf("after closing both: %+v, %d bytes on disk", st, fsys.Used())
	}
}

// A fetch that ends after its object's last File closed serves its reader
// and keeps nothing: the closing evicted the object's blocks, and a block
// kept after it would stay with no File to serve until evicted for room.
func TestFetchEndingAfterTheLastCloseKeepsNothing(t *testing.T) {
	s, objects := newStore(t, 10_000)
	s.gate = make(chan struct{})
	fsys := vfs.NewMem()
	c := openCache(t, fsys, HeaderSize+1<<20, 1<<20)
	f := c.Open(s, "bkt", "o0", int64(len(objects[0])))
	read := make(chan error, 1)
	p := make([]byte, 100)
	go func() {
		_, err := f.ReadAt(p, 0)
		read <- err
	}()
	for s.gets.Load() == 0 {
		runtime.Gosched()
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	close(s.gate)
	if err := <-read; err != nil || !bytes.Equal(p, objects[0][:100]) {
		t.Fatalf("the read in flight: %v, or the bytes differ", err)
	}
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 {
		t.Fatalf("after the last close and the fetch: %d blocks, %d bytes kept", st.Blocks, st.Bytes)
	}
	if names, _ := fsys.ReadDir("/cache"); len(names) != 0 {
		t.Fatalf("files left in the cache's folder: %v", names)
	}
}
