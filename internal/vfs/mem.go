package vfs

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// OpKind names a filesystem operation, for fault rules.
type OpKind int

// The operations a rule sees. Reads are OpRead; the rest change state.
const (
	OpCreate OpKind = iota
	OpOpen
	OpRead
	OpWrite
	OpSync
	OpTruncate
	OpRename
	OpRemove
	OpMkdir
	OpReadDir
	OpStat
	OpSyncDir
)

var opNames = [...]string{"create", "open", "read", "write", "sync", "truncate", "rename", "remove", "mkdir", "readdir", "stat", "syncdir"}

func (k OpKind) String() string { return opNames[k] }

// mutates reports whether the operation changes the filesystem: only those
// count toward a planned crash.
func (k OpKind) mutates() bool {
	switch k {
	case OpCreate, OpWrite, OpSync, OpTruncate, OpRename, OpRemove, OpMkdir, OpSyncDir:
		return true
	}
	return false
}

// Op is one operation as a fault rule sees it.
type Op struct {
	Kind OpKind
	Path string
}

// Rule decides whether an operation fails, and with which error. A write
// that fails writes half its bytes first, as a write cut by a full disk
// does; every other failed operation changes nothing.
type Rule func(Op) error

// ErrCrashed is what every operation returns after a planned crash: the
// process is as good as dead, and only the crash image matters.
var ErrCrashed = errors.New("vfs: the filesystem crashed")

// ENOSPC and EIO are the errors a full disk and a failing device give.
var (
	ENOSPC error = syscall.ENOSPC
	EIO    error = syscall.EIO
)

// MemFS is an in-memory filesystem for tests. It keeps, beside what reads
// see, what a power cut would leave: each file's data as of its last
// successful sync and each folder's entries as of its last SyncDir.
// CrashImage returns that state as a new MemFS.
//
// A failed sync behaves as Linux does after a write-back error: the bytes
// written since the previous good sync are dropped from what the disk will
// hold (they read back as zeros in a crash image), even if a later sync
// succeeds. Only rewriting them makes them durable.
//
// The zero value is not ready; use NewMem. A MemFS is safe for concurrent use.
type MemFS struct {
	mu       sync.Mutex
	root     *node
	rule     Rule
	capacity int64 // bytes of file data it holds at most; 0 is unlimited
	used     int64
	// crashIn counts the state-changing operations left before a planned
	// crash (0: none planned); crashed holds the image once it happened.
	crashIn int
	crashed *MemFS
}

type node struct {
	dir     bool
	modTime time.Time
	// files
	data   []byte
	synced []byte
	// lost marks [lostFrom, lostTo) of data as never reaching the disk: a
	// sync failed while those bytes were dirty.
	lostFrom, lostTo int
	// folders
	children       map[string]*node
	syncedChildren map[string]*node
}

func newDir() *node {
	return &node{dir: true, modTime: time.Now(), children: map[string]*node{}, syncedChildren: map[string]*node{}}
}

// NewMem returns an empty in-memory filesystem.
func NewMem() *MemFS { return &MemFS{root: newDir()} }

// SetRule makes every later operation ask rule whether it fails; nil
// removes it.
func (m *MemFS) SetRule(rule Rule) {
	m.mu.Lock()
	m.rule = rule
	m.mu.Unlock()
}

// SetCapacity bounds the bytes of file data the filesystem holds (0: no
// bound); a write past it writes what fits and fails with ENOSPC.
func (m *MemFS) SetCapacity(bytes int64) {
	m.mu.Lock()
	m.capacity = bytes
	m.mu.Unlock()
}

// Used returns the bytes of file data held.
func (m *MemFS) Used() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

// CrashAfter plans a power cut just before the n-th state-changing
// operation from now (n ≥ 1): that operation and every later one fail with
// ErrCrashed, and Crashed returns the image.
func (m *MemFS) CrashAfter(n int) {
	m.mu.Lock()
	m.crashIn = n
	m.mu.Unlock()
}

// Crashed returns the crash image of a planned crash that happened, or nil.
func (m *MemFS) Crashed() *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.crashed
}

// CrashImage returns what a power cut now would leave: synced data under
// synced folder entries.
func (m *MemFS) CrashImage() *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.image()
}

func (m *MemFS) image() *MemFS {
	c := &MemFS{capacity: m.capacity}
	c.root = c.cloneSynced(m.root)
	return c
}

func (c *MemFS) cloneSynced(n *node) *node {
	if !n.dir {
		data := slices.Clone(n.synced)
		c.used += int64(len(data))
		return &node{modTime: n.modTime, data: data, synced: slices.Clone(data)}
	}
	d := newDir()
	for name, child := range n.syncedChildren {
		cc := c.cloneSynced(child)
		d.children[name], d.syncedChildren[name] = cc, cc
	}
	return d
}

// check runs the crash plan and the rule for op; the caller holds m.mu.
func (m *MemFS) check(kind OpKind, path string) error {
	if m.crashed != nil {
		return ErrCrashed
	}
	if m.crashIn > 0 && kind.mutates() {
		m.crashIn--
		if m.crashIn == 0 {
			m.crashed = m.image()
			return ErrCrashed
		}
	}
	if m.rule != nil {
		return m.rule(Op{Kind: kind, Path: path})
	}
	return nil
}

func split(name string) []string {
	name = filepath.ToSlash(filepath.Clean(name))
	name = strings.Trim(name, "/")
	if name == "" || name == "." {
		return nil
	}
	return strings.Split(name, "/")
}

// lookup returns the node at name, or nil.
func (m *MemFS) lookup(name string) *node {
	n := m.root
	for _, part := range split(name) {
		if !n.dir {
			return nil
		}
		if n = n.children[part]; n == nil {
			return nil
		}
	}
	return n
}

// parent returns the folder that holds name and name's last element.
func (m *MemFS) parent(op, name string) (*node, string, error) {
	parts := split(name)
	if len(parts) == 0 {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	d := m.lookup(strings.Join(parts[:len(parts)-1], "/"))
	if d == nil || !d.dir {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return d, parts[len(parts)-1], nil
}

func perr(op, name string, err error) error {
	if err == nil || err == ErrCrashed {
		return err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

func (m *MemFS) create(name string, excl bool) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpCreate, name); err != nil {
		return nil, perr("create", name, err)
	}
	d, base, err := m.parent("create", name)
	if err != nil {
		return nil, err
	}
	n := d.children[base]
	switch {
	case n != nil && n.dir:
		return nil, perr("create", name, syscall.EISDIR)
	case n != nil && excl:
		return nil, perr("create", name, fs.ErrExist)
	case n != nil:
		m.used -= int64(len(n.data))
		n.data = n.data[:0]
		n.lostFrom, n.lostTo = 0, 0
	default:
		n = &node{modTime: time.Now()}
		d.children[base] = n
	}
	return &memFile{fs: m, n: n, name: name, write: true}, nil
}

func (m *MemFS) Create(name string) (File, error)      { return m.create(name, true) }
func (m *MemFS) CreateTrunc(name string) (File, error) { return m.create(name, false) }

func (m *MemFS) open(name string, read, write, appendOnly bool) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpOpen, name); err != nil {
		return nil, perr("open", name, err)
	}
	n := m.lookup(name)
	if n == nil {
		return nil, perr("open", name, fs.ErrNotExist)
	}
	if n.dir && write {
		return nil, perr("open", name, syscall.EISDIR)
	}
	f := &memFile{fs: m, n: n, name: name, read: read, write: write}
	if appendOnly {
		f.pos = int64(len(n.data))
		f.appendOnly = true
	}
	return f, nil
}

func (m *MemFS) Open(name string) (File, error)          { return m.open(name, true, false, false) }
func (m *MemFS) OpenReadWrite(name string) (File, error) { return m.open(name, true, true, false) }
func (m *MemFS) OpenAppend(name string) (File, error)    { return m.open(name, false, true, true) }

func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpRename, oldname); err != nil {
		return perr("rename", oldname, err)
	}
	od, obase, err := m.parent("rename", oldname)
	if err != nil {
		return err
	}
	n := od.children[obase]
	if n == nil {
		return perr("rename", oldname, fs.ErrNotExist)
	}
	nd, nbase, err := m.parent("rename", newname)
	if err != nil {
		return err
	}
	if old := nd.children[nbase]; old != nil && old != n {
		if old.dir != n.dir || (old.dir && len(old.children) > 0) {
			return perr("rename", newname, fs.ErrExist)
		}
		m.used -= int64(len(old.data))
	}
	delete(od.children, obase)
	nd.children[nbase] = n
	return nil
}

func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpRemove, name); err != nil {
		return perr("remove", name, err)
	}
	d, base, err := m.parent("remove", name)
	if err != nil {
		return err
	}
	n := d.children[base]
	if n == nil {
		return perr("remove", name, fs.ErrNotExist)
	}
	if n.dir && len(n.children) > 0 {
		return perr("remove", name, syscall.ENOTEMPTY)
	}
	m.used -= int64(len(n.data))
	delete(d.children, base)
	return nil
}

func (m *MemFS) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpRemove, name); err != nil {
		return perr("remove", name, err)
	}
	d, base, err := m.parent("remove", name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	n := d.children[base]
	if n == nil {
		return nil
	}
	m.used -= n.bytes()
	delete(d.children, base)
	return nil
}

func (n *node) bytes() int64 {
	if !n.dir {
		return int64(len(n.data))
	}
	var total int64
	for _, c := range n.children {
		total += c.bytes()
	}
	return total
}

func (m *MemFS) Mkdir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpMkdir, name); err != nil {
		return perr("mkdir", name, err)
	}
	d, base, err := m.parent("mkdir", name)
	if err != nil {
		return err
	}
	if d.children[base] != nil {
		return perr("mkdir", name, fs.ErrExist)
	}
	d.children[base] = newDir()
	return nil
}

func (m *MemFS) ReadDir(name string) ([]fs.DirEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpReadDir, name); err != nil {
		return nil, perr("readdir", name, err)
	}
	d := m.lookup(name)
	if d == nil {
		return nil, perr("readdir", name, fs.ErrNotExist)
	}
	if !d.dir {
		return nil, perr("readdir", name, syscall.ENOTDIR)
	}
	out := make([]fs.DirEntry, 0, len(d.children))
	for base, n := range d.children {
		out = append(out, fs.FileInfoToDirEntry(n.info(base)))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func (m *MemFS) Stat(name string) (fs.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpStat, name); err != nil {
		return nil, perr("stat", name, err)
	}
	n := m.lookup(name)
	if n == nil {
		return nil, perr("stat", name, fs.ErrNotExist)
	}
	return n.info(filepath.Base(name)), nil
}

func (m *MemFS) SyncDir(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(OpSyncDir, name); err != nil {
		return perr("sync", name, err)
	}
	d := m.lookup(name)
	if d == nil || !d.dir {
		return perr("sync", name, fs.ErrNotExist)
	}
	d.syncedChildren = make(map[string]*node, len(d.children))
	for k, v := range d.children {
		d.syncedChildren[k] = v
	}
	return nil
}

func (n *node) info(name string) fs.FileInfo {
	mode := fs.FileMode(0o600)
	if n.dir {
		mode = fs.ModeDir | 0o700
	}
	return &memInfo{name: name, size: int64(len(n.data)), mode: mode, modTime: n.modTime}
}

type memInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i *memInfo) Name() string       { return i.name }
func (i *memInfo) Size() int64        { return i.size }
func (i *memInfo) Mode() fs.FileMode  { return i.mode }
func (i *memInfo) ModTime() time.Time { return i.modTime }
func (i *memInfo) IsDir() bool        { return i.mode.IsDir() }
func (i *memInfo) Sys() any           { return nil }

// memFile is an open file of a MemFS. It keeps its node after the name is
// removed, as an open descriptor does.
type memFile struct {
	fs          *MemFS
	n           *node
	name        string
	pos         int64
	read, write bool
	appendOnly  bool
	closed      bool
}

var errClosed = errors.New("file already closed")

func (f *memFile) Name() string { return f.name }

func (f *memFile) Read(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	n, err := f.readAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	return f.readAt(p, off)
}

func (f *memFile) readAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, perr("read", f.name, errClosed)
	}
	if !f.read {
		return 0, perr("read", f.name, syscall.EBADF)
	}
	if err := f.fs.check(OpRead, f.name); err != nil {
		return 0, perr("read", f.name, err)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, perr("write", f.name, errClosed)
	}
	if !f.write {
		return 0, perr("write", f.name, syscall.EBADF)
	}
	if f.appendOnly {
		f.pos = int64(len(f.n.data))
	}
	want := p
	err := f.fs.check(OpWrite, f.name)
	if err == ErrCrashed {
		return 0, err
	}
	if err != nil {
		want = p[:len(p)/2]
	}
	if c := f.fs.capacity; c > 0 {
		if grow := f.pos + int64(len(want)) - int64(len(f.n.data)); grow > 0 && f.fs.used+grow > c {
			fit := max(0, int64(len(f.n.data))+(c-f.fs.used)-f.pos)
			want = want[:min(int64(len(want)), fit)]
			if err == nil {
				err = ENOSPC
			}
		}
	}
	end := f.pos + int64(len(want))
	if end > int64(len(f.n.data)) {
		f.fs.used += end - int64(len(f.n.data))
		f.n.data = append(f.n.data, make([]byte, end-int64(len(f.n.data)))...)
	}
	copy(f.n.data[f.pos:], want)
	// Bytes written again over a lost range can reach the disk.
	if n := f.n; f.pos <= int64(n.lostFrom) && end > int64(n.lostFrom) {
		n.lostFrom = int(min(end, int64(n.lostTo)))
	}
	f.pos = end
	f.n.modTime = time.Now()
	return len(want), perr("write", f.name, err)
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return perr("sync", f.name, errClosed)
	}
	n := f.n
	if err := f.fs.check(OpSync, f.name); err != nil {
		if err != ErrCrashed && !n.dir {
			// The bytes past the last good sync will never reach the disk.
			from := min(len(n.synced), len(n.data))
			if n.lostTo > n.lostFrom {
				from = min(from, n.lostFrom)
			}
			n.lostFrom, n.lostTo = from, len(n.data)
		}
		return perr("sync", f.name, err)
	}
	if n.dir {
		return nil
	}
	n.synced = append(n.synced[:0], n.data...)
	for i := n.lostFrom; i < min(n.lostTo, len(n.synced)); i++ {
		n.synced[i] = 0
	}
	return nil
}

func (f *memFile) Datasync() error { return f.Sync() }

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return perr("truncate", f.name, errClosed)
	}
	if !f.write || size < 0 {
		return perr("truncate", f.name, syscall.EINVAL)
	}
	if err := f.fs.check(OpTruncate, f.name); err != nil {
		return perr("truncate", f.name, err)
	}
	n := f.n
	cur := int64(len(n.data))
	if size > cur {
		if c := f.fs.capacity; c > 0 && f.fs.used+size-cur > c {
			return perr("truncate", f.name, ENOSPC)
		}
		n.data = append(n.data, make([]byte, size-cur)...)
	} else {
		n.data = n.data[:size]
	}
	f.fs.used += size - cur
	if int64(n.lostTo) > size {
		n.lostTo = int(size)
		n.lostFrom = min(n.lostFrom, n.lostTo)
	}
	return nil
}

func (f *memFile) Stat() (fs.FileInfo, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.fs.check(OpStat, f.name); err != nil {
		return nil, perr("stat", f.name, err)
	}
	return f.n.info(filepath.Base(f.name)), nil
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return perr("close", f.name, errClosed)
	}
	f.closed = true
	return nil
}
