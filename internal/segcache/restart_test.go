package segcache

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"logtank/internal/vfs"
)

// logBuffer collects a cache's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func openLogged(t *testing.T, fsys vfs.FS, bound, block int64) (*Cache, *logBuffer) {
	t.Helper()
	var logs logBuffer
	c, err := Open(Config{FS: fsys, Dir: "/cache", Bytes: bound, BlockSize: block, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c, &logs
}

// blockFiles lists the cache folder's files.
func blockFiles(t *testing.T, fsys vfs.FS) []string {
	t.Helper()
	list, err := fsys.ReadDir("/cache")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range list {
		names = append(names, filepath.Join("/cache", de.Name()))
	}
	return names
}

// fileOf returns the path of the file of block index of object name.
func fileOf(t *testing.T, fsys vfs.FS, name string, index int64) string {
	t.Helper()
	sum := objectSum(name)
	prefix := fmt.Sprintf("/cache/%x-%d-", sum, index)
	for _, p := range blockFiles(t, fsys) {
		if strings.HasPrefix(p, prefix) && strings.HasSuffix(p, ".blk") {
			return p
		}
	}
	t.Fatalf("no file for block %d of %s", index, name)
	return ""
}

// warm reads every byte of each object through a first cache on fsys,
// then ends that cache's run and closes its Files, as a node's shutdown
// does.
func warm(t *testing.T, s *store, objects [][]byte, fsys vfs.FS, bound, block int64) {
	t.Helper()
	c := openCache(t, fsys, bound, block)
	files := readAll(t, c, s, objects)
	c.Close()
	for _, f := range files {
		f.Close()
	}
}

// readAll reads every object through c, checks its bytes, and returns
// the Files it opened, one per object.
func readAll(t *testing.T, c *Cache, s *store, objects [][]byte) []*File {
	t.Helper()
	var files []*File
	for i, data := range objects {
		f := c.Open(s, "bkt", fmt.Sprintf("o%d", i), int64(len(data)))
		if got := readAt(t, f, 0, len(data)); !bytes.Equal(got, data) {
			t.Fatalf("o%d: the bytes differ", i)
		}
		files = append(files, f)
	}
	return files
}

// Blocks written by one cache are served by the next on the same folder
// without a GET; its Files closing after Close kept them. An adopted
// object's blocks still leave when its last File closes in the new run.
func TestRestartServesWithoutGETs(t *testing.T) {
	const block = 1024
	s, objects := newStore(t, 3000, 1024, 10)
	fsys := vfs.NewMem()
	warm(t, s, objects, fsys, 16*block, block)
	gets := s.gets.Load()
	if gets != 5 {
		t.Fatalf("%d GETs to warm five blocks", gets)
	}
	c, logs := openLogged(t, fsys, 16*block, block)
	if st := c.Stats(); st.Adopted != 5 || st.Blocks != 5 || st.Dropped != 0 || st.Bytes != fsys.Used() {
		t.Fatalf("after reopening: %+v, %d bytes on disk; want the five blocks adopted", st, fsys.Used())
	}
	first := readAll(t, c, s, objects)
	second := readAll(t, c, s, objects) // checked at the first read, trusted after
	if n := s.gets.Load() - gets; n != 0 {
		t.Fatalf("%d GETs after a restart, want 0", n)
	}
	if st := c.Stats(); st.Hits != 10 || st.Dropped != 0 {
		t.Fatalf("%+v: want 10 hits and nothing dropped", st)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("warnings while adopting valid blocks:\n%s", logs)
	}
	first[0].Close()
	second[0].Close()
	if st := c.Stats(); st.Blocks != 2 || st.Bytes != fsys.Used() || st.Bytes != 2*HeaderSize+1024+10 {
		t.Fatalf("after closing o0's File: %+v, %d bytes on disk; want o1's and o2's blocks alone", st, fsys.Used())
	}
}

// Each kind of damage a crash, a failing disk or a hand can leave is
// dropped, logged by its file's name, and the block fetched again; the
// other blocks are served as they were.
func TestDamagedBlockFilesDropped(t *testing.T) {
	const block = 1024
	for _, tc := range []struct {
		name string
		// damage spoils o0's block 1 (o0 is three blocks, o1 one) and
		// returns the file the log must name.
		damage func(t *testing.T, fsys *vfs.MemFS) string
		// atRead: the header is sound, so the damage is found at the
		// block's first read rather than at open.
		atRead bool
	}{
		{name: "truncated", damage: func(t *testing.T, fsys *vfs.MemFS) string {
			p := fileOf(t, fsys, "bkt/o0", 1)
			rewrite(t, fsys, p, func(b []byte) []byte { return b[:HeaderSize+block/2] })
			return p
		}},
		{name: "shorter than a header", damage: func(t *testing.T, fsys *vfs.MemFS) string {
			p := fileOf(t, fsys, "bkt/o0", 1)
			rewrite(t, fsys, p, func(b []byte) []byte { return b[:HeaderSize/2] })
			return p
		}},
		{name: "flipped header byte", damage: func(t *testing.T, fsys *vfs.MemFS) string {
			p := fileOf(t, fsys, "bkt/o0", 1)
			rewrite(t, fsys, p, func(b []byte) []byte { b[37] ^= 1; return b })
			return p
		}},
		{name: "flipped data byte", atRead: true, damage: func(t *testing.T, fsys *vfs.MemFS) string {
			p := fileOf(t, fsys, "bkt/o0", 1)
			rewrite(t, fsys, p, func(b []byte) []byte { b[HeaderSize+500] ^= 0x40; return b })
			return p
		}},
		{name: "data never written (zeros)", atRead: true, damage: func(t *testing.T, fsys *vfs.MemFS) string {
			p := fileOf(t, fsys, "bkt/o0", 1)
			rewrite(t, fsys, p, func(b []byte) []byte { clear(b[HeaderSize:]); return b })
			return p
		}},
		{name: "header of another index", damage: func(t *testing.T, fsys *vfs.MemFS) string {
			// Block 2's file under block 1's name (block 2 is 952 bytes).
			return copyOver(t, fsys, fileOf(t, fsys, "bkt/o0", 2), fileOf(t, fsys, "bkt/o0", 1))
		}},
		{name: "header of another object", damage: func(t *testing.T, fsys *vfs.MemFS) string {
			// A whole block of o1 under o0's block 1's name.
			return copyOver(t, fsys, fileOf(t, fsys, "bkt/o1", 0), fileOf(t, fsys, "bkt/o0", 1))
		}},
		{name: "leftover temporary file", damage: func(t *testing.T, fsys *vfs.MemFS) string {
			// A write that never got renamed, whole as it may be.
			p := fileOf(t, fsys, "bkt/o0", 1)
			if err := fsys.Rename(p, p+".tmp"); err != nil {
				t.Fatal(err)
			}
			return p + ".tmp"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, objects := newStore(t, 3000, 1024)
			fsys := vfs.NewMem()
			warm(t, s, objects, fsys, 16*block, block)
			bad := tc.damage(t, fsys)
			gets := s.gets.Load()
			c, logs := openLogged(t, fsys, 16*block, block)
			want := Stats{Adopted: 3, Dropped: 1}
			if tc.atRead {
				want = Stats{Adopted: 4, Dropped: 0}
			}
			if st := c.Stats(); st.Adopted != want.Adopted || st.Dropped != want.Dropped || st.Bytes != fsys.Used() {
				t.Fatalf("at open: %+v, %d bytes on disk; want %d adopted, %d dropped", st, fsys.Used(), want.Adopted, want.Dropped)
			}
			if !tc.atRead {
				if ok, _ := vfs.Exists(fsys, bad); ok || !strings.Contains(logs.String(), bad) {
					t.Fatalf("the damaged %s: still there %v, or the log does not name it:\n%s", bad, ok, logs)
				}
			}
			readAll(t, c, s, objects)
			if n := s.gets.Load() - gets; n != 1 {
				t.Fatalf("%d GETs after the restart, want 1 (the damaged block again)", n)
			}
			if ok, _ := vfs.Exists(fsys, bad); ok || !strings.Contains(logs.String(), bad) {
				t.Fatalf("the damaged %s: still there %v, or the log does not name it:\n%s", bad, ok, logs)
			}
			if st := c.Stats(); st.Dropped != 1 || st.Blocks != 4 || st.Bytes != fsys.Used() {
				t.Fatalf("after reading: %+v, %d bytes on disk; want one dropped and the four blocks held", st, fsys.Used())
			}
		})
	}
}

// rewrite replaces the file at p with what change makes of its bytes.
// copyOver writes the bytes of the block file from over the one at to,
// which keeps its name, and returns to.
func copyOver(t *testing.T, fsys *vfs.MemFS, from, to string) string {
	t.Helper()
	data, err := vfs.ReadFile(fsys, from)
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, fsys, to, func([]byte) []byte { return data })
	return to
}

func rewrite(t *testing.T, fsys *vfs.MemFS, p string, change func([]byte) []byte) {
	t.Helper()
	data, err := vfs.ReadFile(fsys, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFile(fsys, p, change(data)); err != nil {
		t.Fatal(err)
	}
}

// Files that are not a block's (a folder, a stranger's file, a block of
// another block size) and files that cannot be read are removed at open
// too, and an unreadable folder fails Open.
func TestOpenRemovesWhatIsNotABlock(t *testing.T) {
	const block = 1024
	s, objects := newStore(t, 2048)
	fsys := vfs.NewMem()
	warm(t, s, objects, fsys, 16*block, block)
	if err := vfs.MkdirAll(fsys, "/cache/sub"); err != nil {
		t.Fatal(err)
	}
	if err := vfs.WriteFile(fsys, "/cache/7.blk", []byte("a block file of an older format")); err != nil {
		t.Fatal(err)
	}
	// A file that cannot be read goes too, and does not fail the open.
	unreadable := fileOf(t, fsys, "bkt/o0", 0)
	fsys.SetRule(func(op vfs.Op) error {
		if op.Kind == vfs.OpRead && op.Path == unreadable {
			return vfs.EIO
		}
		return nil
	})
	// The same folder under another block size: the other block goes.
	c, logs := openLogged(t, fsys, 16*512, 512)
	fsys.SetRule(nil)
	if st := c.Stats(); st.Adopted != 0 || st.Dropped != 4 || fsys.Used() != 0 {
		t.Fatalf("%+v, %d bytes on disk; want all four files dropped", st, fsys.Used())
	}
	for _, name := range []string{"/cache/sub", "/cache/7.blk", "blocks of 1024 bytes, not 512", unreadable + " error=\"read " + unreadable} {
		if !strings.Contains(logs.String(), name) {
			t.Fatalf("the log does not say %q:\n%s", name, logs)
		}
	}
	if left := blockFiles(t, fsys); len(left) != 0 {
		t.Fatalf("left in the folder: %v", left)
	}
	fsys.SetRule(func(op vfs.Op) error {
		if op.Kind == vfs.OpReadDir {
			return vfs.EIO
		}
		return nil
	})
	if _, err := Open(Config{FS: fsys, Dir: "/cache", Bytes: 16 * block, BlockSize: block}); !errors.Is(err, vfs.EIO) {
		t.Fatalf("Open of an unreadable folder: %v, want EIO", err)
	}
	if _, err := Open(Config{FS: vfs.NewMem(), Dir: "/cache", Bytes: block, BlockSize: block}); err == nil {
		t.Fatal("a bound that holds no block file was accepted")
	}
}

// A folder holding more than the bound (the bound was lowered) is cut
// down to it at open, keeping the most recently written blocks.
func TestBoundHoldsAtOpen(t *testing.T) {
	const block = 1024
	s, objects := newStore(t, 8*block)
	fsys := vfs.NewMem()
	warm(t, s, objects, fsys, 8*(HeaderSize+block), block)
	if st := len(blockFiles(t, fsys)); st != 8 {
		t.Fatalf("%d block files after warming, want 8", st)
	}
	bound := int64(3*(HeaderSize+block) + 100)
	c, logs := openLogged(t, fsys, bound, block)
	if st := c.Stats(); st.Adopted != 3 || st.Bytes > bound || fsys.Used() != st.Bytes {
		t.Fatalf("at open: %+v, %d bytes on disk; want 3 blocks within %d", st, fsys.Used(), bound)
	}
	if !strings.Contains(logs.String(), "files=5") {
		t.Fatalf("the log does not count the five files removed:\n%s", logs)
	}
	gets := s.gets.Load()
	f := c.Open(s, "bkt", "o0", 8*block)
	if got := readAt(t, f, 5*block, 3*block); !bytes.Equal(got, objects[0][5*block:]) || s.gets.Load() != gets {
		t.Fatalf("the three last written blocks: %d GETs, want 0", s.gets.Load()-gets)
	}
	if got := readAt(t, f, 0, 10); !bytes.Equal(got, objects[0][:10]) || s.gets.Load() != gets+1 {
		t.Fatalf("a block removed at open: %d GETs, want 1", s.gets.Load()-gets)
	}
	if st := c.Stats(); st.Bytes > bound || fsys.Used() != st.Bytes {
		t.Fatalf("%+v, %d bytes on disk, bound %d", st, fsys.Used(), bound)
	}
}

// A process that dies at any point of its writes (every operation failing
// from there on, a write cutting its bytes in half) leaves nothing that
// the next cache serves wrong: whatever it adopts is whole, leftovers go,
// and the on-disk bytes are what it counts.
func TestDeathMidWrite(t *testing.T) {
	const block = 1024
	s, objects := newStore(t, 3*block+100, 700)
	for at := 1; ; at++ {
		fsys := vfs.NewMem()
		var (
			mu   sync.Mutex
			ops  int
			dead bool
		)
		c := openCache(t, fsys, 16*block, block)
		fsys.SetRule(func(op vfs.Op) error {
			mu.Lock()
			defer mu.Unlock()
			if op.Kind == vfs.OpCreate || op.Kind == vfs.OpWrite || op.Kind == vfs.OpRename || op.Kind == vfs.OpRemove {
				if ops++; ops == at {
					dead = true
				}
			}
			if dead {
				return vfs.EIO
			}
			return nil
		})
		readAll(t, c, s, objects) // served from the fetched bytes whatever the disk does
		mu.Lock()
		finished := !dead
		mu.Unlock()
		fsys.SetRule(nil)

		gets := s.gets.Load()
		next, _ := openLogged(t, fsys, 16*block, block)
		st := next.Stats()
		for _, p := range blockFiles(t, fsys) {
			if strings.HasSuffix(p, ".tmp") {
				t.Fatalf("death at operation %d: %s left after the next open", at, p)
			}
		}
		readAll(t, next, s, objects)
		if n := s.gets.Load() - gets; n != 5-st.Adopted {
			t.Fatalf("death at operation %d: %d GETs with %d blocks adopted, want %d", at, n, st.Adopted, 5-st.Adopted)
		}
		if after := next.Stats(); after.Dropped != st.Dropped || after.Blocks != 5 || after.Bytes != fsys.Used() {
			t.Fatalf("death at operation %d: %+v, %d bytes on disk; want every adopted block whole and all five held", at, after, fsys.Used())
		}
		if finished {
			if st.Adopted != 5 {
				t.Fatalf("with no death, %d blocks adopted, want 5", st.Adopted)
			}
			break
		}
	}
}

// A failed rename keeps nothing: the block is served, its temporary file
// removed, and the next read fetches it again.
func TestFailedRenameKeepsNothing(t *testing.T) {
	s, objects := newStore(t, 1000)
	fsys := vfs.NewMem()
	c := openCache(t, fsys, 4096, 1024)
	fsys.SetRule(func(op vfs.Op) error {
		if op.Kind == vfs.OpRename {
			return &fs.PathError{Op: "rename", Path: op.Path, Err: vfs.EIO}
		}
		return nil
	})
	f := c.Open(s, "bkt", "o0", 1000)
	if got := readAt(t, f, 0, 1000); !bytes.Equal(got, objects[0]) {
		t.Fatal("the bytes differ")
	}
	if st := c.Stats(); st.Blocks != 0 || st.Bytes != 0 || fsys.Used() != 0 || len(blockFiles(t, fsys)) != 0 {
		t.Fatalf("after a failed rename: %+v, %d bytes on disk, files %v", st, fsys.Used(), blockFiles(t, fsys))
	}
}
