// Package segcache owns a node's bounded local copy of parts of immutable
// objects of an object store: the blocks of log segments that a cluster
// node reads in place instead of downloading whole. An object is read
// through a File (a read-only vfs.File) whose ReadAt is served from
// fixed-size, aligned blocks kept in files of the cache's folder; a block
// that is not there is fetched with one ranged GET, once however many
// readers want it meanwhile, and the least recently used blocks go when
// the bytes on disk would pass the bound.
//
// Blocks live on disk, not in memory: the bound is meant to be large (a
// good part of a node's data set), memory is what a node's memtables
// need, and the operating system's page cache already keeps the hot
// blocks in memory.
//
// Blocks outlive the process, so that a restarted node (a rolling
// deploy) does not fetch its hot blocks again. Objects are immutable and
// their keys never reused, so a block never goes stale; what can go wrong
// is the file. Each block file carries a header naming its object (a
// hash of the name), its index, the block size, its length, a sequence
// number and a CRC-32C of its bytes, and is written under a temporary
// name and renamed when whole. Block files are not synced: a cache needs
// no durability, and a power cut that leaves a file torn or holed is
// caught by the checks instead. Open scans the folder and reads only the
// headers: a file whose header is damaged, names another block than its
// file name, has another block size than the cache, or whose size is not
// the header's is removed, as is every
// leftover temporary file, each logged by name; the valid ones are
// adopted, the most recently written first, as far as the bound allows,
// and the older ones removed. An adopted block's bytes are checked
// against the CRC at its first read, which reads the whole file: checking
// all of them at open would read the whole cache (a GiB or more) before
// the node could start, for blocks that may never be read again. A block
// that fails that check is removed, logged, and fetched again.
//
// Blocks of an object leave the cache when its last open File closes: a
// store closes a segment's File when the segment is deleted or replaced
// by a merge, after which its blocks are never read, and a merge has just
// read them all, which would make them the most recently used. A block
// adopted at start belongs to no File until its object is opened; until
// it is read it is older than every block the new run has read, so one
// whose object is never opened again (deleted while the node was down)
// goes before those when room is needed. Close ends a
// run: the Files that close after it (a node's shutdown closes every
// segment) keep their blocks for the next one.
//
// It never writes to the object store, never holds more bytes on disk
// than its bound (headers, and a file that cannot be removed, included),
// never keeps a block it could not fetch whole (a failed fetch is
// returned to the readers waiting for it, and the next read tries
// again), never serves a block file it has not checked, and never
// interprets the bytes. Its folder is its own: anything in it that is not
// a valid block file is removed at open.
package segcache

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"logtank/internal/objstore"
	"logtank/internal/vfs"
)

// Config says where a cache keeps its blocks and how many bytes of them.
type Config struct {
	// FS and Dir are the folder of block files (FS nil: the operating
	// system's); the valid blocks a previous cache left there are kept.
	FS  vfs.FS
	Dir string
	// Bytes bounds the bytes of block files on disk, headers included.
	Bytes int64
	// BlockSize is the size of a block, and of a GET (default 1 MiB): a
	// segment's blocks, bloom filters and index are read by offset in
	// pieces of a few KiB to a few hundred, and a GET costs the same for
	// a few bytes as for a MiB. Blocks left by a cache of another block
	// size are removed at open.
	BlockSize int64
	// FetchTimeout bounds one GET (default 30 s). A fetch serves every
	// reader waiting for its block, so no one reader's context ends it.
	FetchTimeout time.Duration
	Logger       *slog.Logger
}

// DefaultBlockSize is the block size when Config.BlockSize is zero.
const DefaultBlockSize = 1 << 20

// Cache is a bounded cache of object blocks. It is safe for concurrent use.
type Cache struct {
	cfg Config
	fs  vfs.FS

	mu      sync.Mutex
	blocks  map[blockID]*entry
	lru     list.List // of *entry, most recently used first
	used    int64     // bytes of block files on disk, evicted ones still read included
	pending map[blockID]*fetch
	// seq numbers block files, on from the highest found at open.
	seq uint64
	// open counts the Files of each object not yet closed: its blocks
	// leave with the last one (several readers may hold one object, as a
	// store's segment and an owner's merge of it).
	open map[[16]byte]int
	// ended is set by Close: Files closing after it keep their blocks.
	ended bool

	hits, fetches, fetched, failures, evictions, adopted, dropped atomic.Int64
	// waits counts reads that waited for another's fetch (for tests).
	waits atomic.Int64
}

// blockID names a block: its object (the sum of bucket and key) and its
// index.
type blockID struct {
	object [16]byte
	index  int64
}

// entry is a block file on disk. readers counts the reads of its file
// under way: its file is removed only once none is, so an evicted entry's
// bytes stay counted until then. checked is false for a block adopted at
// open until its first read has checked its bytes.
type entry struct {
	id      blockID
	path    string
	size    int64 // of the file: HeaderSize and the block's length
	elem    *list.Element
	readers int
	evicted bool
	checked bool
}

// fetch is a GET of a block under way; data and err are set before done
// is closed.
type fetch struct {
	done chan struct{}
	data []byte
	err  error
}

// Open opens a cache in cfg.Dir, making the folder if it is missing and
// adopting the valid blocks a previous cache left in it.
func Open(cfg Config) (*Cache, error) {
	if cfg.FS == nil {
		cfg.FS = vfs.OS
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = DefaultBlockSize
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BlockSize > 1<<31 {
		return nil, fmt.Errorf("segcache: a block of %d bytes is too large", cfg.BlockSize)
	}
	if cfg.Bytes < HeaderSize+cfg.BlockSize {
		return nil, fmt.Errorf("segcache: a bound of %d bytes holds no block of %d (and its %d-byte header)", cfg.Bytes, cfg.BlockSize, HeaderSize)
	}
	if err := vfs.MkdirAll(cfg.FS, cfg.Dir); err != nil {
		return nil, fmt.Errorf("segcache: %w", err)
	}
	c := &Cache{cfg: cfg, fs: cfg.FS, blocks: map[blockID]*entry{}, pending: map[blockID]*fetch{}, open: map[[16]byte]int{}}
	if err := c.adopt(); err != nil {
		return nil, fmt.Errorf("segcache: %w", err)
	}
	return c, nil
}

// adopt scans the folder: it removes what is not a valid block file,
// and takes the valid ones, the most recently written first, as far as
// the bound allows, removing the rest. It reads only headers.
func (c *Cache) adopt() error {
	list, err := c.fs.ReadDir(c.cfg.Dir)
	if err != nil {
		return err
	}
	type found struct {
		entry
		seq uint64
	}
	var valid []found
	for _, de := range list {
		path := filepath.Join(c.cfg.Dir, de.Name())
		if de.IsDir() {
			c.discard(path, 0, "a folder", nil, c.fs.RemoveAll)
			continue
		}
		if strings.HasSuffix(de.Name(), ".tmp") {
			c.discard(path, fileSize(de), "a block left half-written", nil, c.fs.Remove)
			continue
		}
		h, size, err := c.readHeader(path, de.Name())
		if err != nil {
			c.discard(path, max(size, fileSize(de)), "not a valid block file", err, c.fs.Remove)
			continue
		}
		valid = append(valid, found{entry{id: blockID{h.object, h.index}, path: path, size: size}, h.seq})
	}
	slices.SortFunc(valid, func(a, b found) int { return -cmp.Compare(a.seq, b.seq) })
	over := 0
	for _, f := range valid {
		c.seq = max(c.seq, f.seq)
		if c.blocks[f.id] != nil {
			c.discard(f.path, f.size, "an older copy of a block", nil, c.fs.Remove)
			continue
		}
		// Once one does not fit, every older one goes, however small.
		if over > 0 || c.used+f.size > c.cfg.Bytes {
			over++
			c.discard(f.path, f.size, "", nil, c.fs.Remove)
			continue
		}
		e := f.entry
		e.elem = c.lru.PushBack(&e)
		c.blocks[e.id] = &e
		c.used += e.size
		c.adopted.Add(1)
	}
	if over > 0 {
		c.cfg.Logger.Info("segment cache: block files over the bound removed at open, the least recently written first", "files", over, "bound", c.cfg.Bytes)
	}
	return nil
}

// readHeader reads and checks the header of the block file at path, named
// name, and returns it with the file's size.
func (c *Cache) readHeader(path, name string) (header, int64, error) {
	f, err := c.fs.Open(path)
	if err != nil {
		return header{}, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return header{}, 0, err
	}
	var b [HeaderSize]byte
	n, err := f.ReadAt(b[:], 0)
	if err != nil && !(err == io.EOF && n < HeaderSize) {
		return header{}, info.Size(), err
	}
	h, err := parseHeader(b[:n])
	if err == nil {
		err = h.checkName(name)
	}
	switch {
	case err != nil:
	case h.blockSize != c.cfg.BlockSize:
		err = damaged("written with blocks of %d bytes, not %d", h.blockSize, c.cfg.BlockSize)
	case h.length <= 0 || h.length > h.blockSize:
		err = damaged("a block of %d bytes", h.length)
	case info.Size() != HeaderSize+h.length:
		err = damaged("%d bytes, its header says %d", info.Size(), HeaderSize+h.length)
	}
	return h, info.Size(), err
}

// discard removes a file found at open that the cache does not keep,
// logging why (reason empty: not logged). A file that cannot be removed
// stays counted.
func (c *Cache) discard(path string, size int64, reason string, cause error, remove func(string) error) {
	if reason != "" {
		c.dropped.Add(1)
		attrs := []any{"file", path}
		if cause != nil {
			attrs = append(attrs, "error", cause)
		}
		c.cfg.Logger.Warn("segment cache: removed "+reason, attrs...)
	}
	if err := remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.cfg.Logger.Warn("segment cache: a file could not be removed; its bytes stay counted", "file", path, "error", err)
		c.used += size
	}
}

func fileSize(de fs.DirEntry) int64 {
	if info, err := de.Info(); err == nil {
		return info.Size()
	}
	return 0
}

// Close ends the cache's run: Files closed after it keep their blocks on
// disk for the next Open (a node's shutdown closes every segment, which
// would otherwise drop them all). Reads still work.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
	return nil
}

// Stats is what a cache did since it opened, and what it holds.
type Stats struct {
	// Bytes and Blocks are what is on disk now.
	Bytes  int64
	Blocks int
	// Hits counts block reads served from disk; Fetches the GETs sent,
	// FetchedBytes their bytes, and Failures those that failed or came
	// back short; Evictions the blocks removed to make room.
	Hits, Fetches, FetchedBytes, Failures, Evictions int64
	// Adopted counts the blocks taken at open from a previous run;
	// Dropped the files removed as not valid, at open or at the first
	// read of an adopted block.
	Adopted, Dropped int64
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Bytes: c.used, Blocks: len(c.blocks), Hits: c.hits.Load(), Fetches: c.fetches.Load(),
		FetchedBytes: c.fetched.Load(), Failures: c.failures.Load(), Evictions: c.evictions.Load(),
		Adopted: c.adopted.Load(), Dropped: c.dropped.Load()}
}

// Open returns a File reading the object key of bucket in objects through
// the cache. size is the object's length as its writer recorded it: the
// file has that size, and a GET that brings fewer bytes than the block
// should have is an error that names the object.
func (c *Cache) Open(objects objstore.Store, bucket, key string, size int64) *File {
	name := bucket + "/" + key
	sum := objectSum(name)
	c.mu.Lock()
	c.open[sum]++
	c.mu.Unlock()
	return &File{c: c, objects: objects, bucket: bucket, key: key, name: name, sum: sum, size: size}
}

// readBlock copies the bytes of f's block index from offset within into
// dst, and returns how many it copied.
func (c *Cache) readBlock(f *File, index, within int64, dst []byte) (int, error) {
	id := blockID{f.sum, index}
	length := min(c.cfg.BlockSize, f.size-index*c.cfg.BlockSize)
	dst = dst[:min(int64(len(dst)), length-within)]
	for {
		c.mu.Lock()
		if e := c.blocks[id]; e != nil {
			if e.size != HeaderSize+length {
				// Not the block this File's size implies: fetch it again.
				c.cfg.Logger.Warn("segment cache: a cached block has another length than its object's size implies; fetching it again",
					"object", f.name, "block", index, "file", e.path, "bytes", e.size-HeaderSize, "want", length)
				c.evict(e)
				c.mu.Unlock()
				continue
			}
			c.lru.MoveToFront(e.elem)
			e.readers++
			c.mu.Unlock()
			n, err := c.readFile(e, dst, within)
			if err == nil {
				c.hits.Add(1)
				return n, nil
			}
			// The local copy could not be read: drop it, fetch the block again.
			if errors.Is(err, errDamaged) {
				c.dropped.Add(1)
			}
			c.cfg.Logger.Warn("segment cache: a cached block could not be read; fetching it again", "object", f.name, "block", index, "file", e.path, "error", err)
			c.mu.Lock()
			c.evict(e)
			c.mu.Unlock()
			continue
		}
		if p := c.pending[id]; p != nil {
			c.mu.Unlock()
			c.waits.Add(1)
			<-p.done
			if p.err != nil {
				return 0, p.err
			}
			return copy(dst, p.data[within:]), nil
		}
		p := &fetch{done: make(chan struct{})}
		c.pending[id] = p
		c.mu.Unlock()
		file, err := c.fetch(f, index, length)
		p.err = err
		if err == nil {
			p.data = file[HeaderSize:]
			c.keep(id, file)
		}
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		close(p.done)
		if p.err != nil {
			return 0, p.err
		}
		return copy(dst, p.data[within:]), nil
	}
}

// closed lets go of one File of an object of size bytes, and evicts the
// object's blocks once no File of it is open, unless the cache's run has
// ended.
func (c *Cache) closed(object [16]byte, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[object]--; c.open[object] > 0 {
		return
	}
	delete(c.open, object)
	if c.ended {
		return
	}
	for i := range (size + c.cfg.BlockSize - 1) / c.cfg.BlockSize {
		if e := c.blocks[blockID{object, i}]; e != nil {
			c.evict(e)
		}
	}
}

// readFile reads from e's file and lets go of it. The first read of a
// block adopted at open reads and checks the whole file first, in pieces
// (the pages it reads are then those the read wants).
func (c *Cache) readFile(e *entry, dst []byte, within int64) (int, error) {
	c.mu.Lock()
	checked := e.checked
	c.mu.Unlock()
	n, err := func() (int, error) {
		fl, err := c.fs.Open(e.path)
		if err != nil {
			return 0, err
		}
		defer fl.Close()
		if !checked {
			if err := checkFile(fl, e.size, e.id, c.cfg.BlockSize); err != nil {
				return 0, err
			}
		}
		return fl.ReadAt(dst, HeaderSize+within)
	}()
	if err == io.EOF && n == len(dst) {
		err = nil
	}
	c.mu.Lock()
	if err == nil {
		e.checked = true
	}
	e.readers--
	if e.evicted && e.readers == 0 {
		c.removeFile(e)
	}
	c.mu.Unlock()
	return n, err
}

// fetch GETs the block of length bytes at index, into a buffer that
// leaves room for the header before it.
func (c *Cache) fetch(f *File, index, length int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	defer cancel()
	off := index * c.cfg.BlockSize
	c.fetches.Add(1)
	file, err := func() ([]byte, error) {
		body, err := f.objects.GetRange(ctx, f.bucket, f.key, off, length)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		// One byte more than asked tells a longer answer from an exact one.
		file := make([]byte, HeaderSize+length+1)
		n, err := io.ReadFull(body, file[HeaderSize:])
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		return file[:HeaderSize+n], err
	}()
	got := int64(max(0, len(file)-HeaderSize))
	c.fetched.Add(got)
	switch {
	case err != nil:
		c.failures.Add(1)
		return nil, fmt.Errorf("%w: %s bytes %d to %d: %w", vfs.ErrUnavailable, f.name, off, off+length, err)
	case got != length:
		c.failures.Add(1)
		return nil, fmt.Errorf("%s bytes %d to %d: the store sent %d bytes, want %d (is the object %d bytes long?)",
			f.name, off, off+length, got, length, f.size)
	}
	return file, nil
}

// keep writes a fetched block to disk if room can be made for it: when
// every block that would have to go is being read, or the write fails
// (a full disk), the block is served to its readers and not kept. file is
// the block's bytes after HeaderSize bytes for its header.
func (c *Cache) keep(id blockID, file []byte) {
	size := int64(len(file))
	c.mu.Lock()
	if c.orphan(id.object) {
		c.mu.Unlock()
		return
	}
	for e := c.lru.Back(); e != nil && c.used+size > c.cfg.Bytes; {
		prev := e.Prev()
		if old := e.Value.(*entry); old.readers == 0 {
			c.evict(old)
			c.evictions.Add(1)
		}
		e = prev
	}
	if c.used+size > c.cfg.Bytes {
		c.mu.Unlock()
		return
	}
	c.used += size
	c.seq++
	seq := c.seq
	c.mu.Unlock()
	header{object: id.object, index: id.index, blockSize: c.cfg.BlockSize, length: size - HeaderSize, seq: seq,
		crc: crc32c(file[HeaderSize:])}.put(file)
	e := &entry{id: id, size: size, checked: true, path: filepath.Join(c.cfg.Dir, fileName(id.object, id.index, seq))}
	if err := c.writeFile(e.path, file); err != nil {
		c.cfg.Logger.Warn("segment cache: a block could not be kept on disk; it is served without", "file", e.path, "error", err)
		// What the failed write left goes; if it cannot, its bytes stay counted.
		if rerr := c.fs.Remove(e.path + ".tmp"); rerr == nil || errors.Is(rerr, fs.ErrNotExist) {
			c.mu.Lock()
			c.used -= size
			c.mu.Unlock()
		}
		return
	}
	c.mu.Lock()
	e.elem = c.lru.PushFront(e)
	c.blocks[id] = e
	if c.orphan(id.object) {
		// The object's last File closed while the block was written.
		c.evict(e)
	}
	c.mu.Unlock()
}

// orphan tells whether the blocks of object have no File to serve, now
// that its last one closed: a fetch that ends after that keeps nothing,
// as the closing evicted the object's blocks. c.mu is held.
func (c *Cache) orphan(object [16]byte) bool {
	return c.open[object] == 0 && !c.ended
}

// writeFile writes a block file under a temporary name and renames it
// into place, so that a file under a block's name was written whole by
// this process. It is not synced: see the package's doc. A failure leaves
// at most the temporary file.
func (c *Cache) writeFile(path string, data []byte) error {
	f, err := c.fs.CreateTrunc(path + ".tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	return c.fs.Rename(path+".tmp", path)
}

// evict takes e out of the cache; its file goes now, or when its last
// reader is done. c.mu is held.
func (c *Cache) evict(e *entry) {
	if e.evicted {
		return
	}
	e.evicted = true
	delete(c.blocks, e.id)
	c.lru.Remove(e.elem)
	if e.readers == 0 {
		c.removeFile(e)
	}
}

// removeFile removes an evicted entry's file. c.mu is held. A file that
// cannot be removed stays counted, since its bytes are still on disk: the
// cache holds less until the next open removes it.
func (c *Cache) removeFile(e *entry) {
	if err := c.fs.Remove(e.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.cfg.Logger.Warn("segment cache: an evicted block's file could not be removed; its bytes stay counted", "file", e.path, "error", err)
		return
	}
	c.used -= e.size
}
