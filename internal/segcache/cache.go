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
// It never writes to the object store, never holds more bytes on disk
// than its bound (a block file that cannot be removed stays counted),
// never keeps a block it could not fetch whole (a failed
// fetch is returned to the readers waiting for it, and the next read tries
// again), and never interprets the bytes. Its folder is its own: it is
// emptied when the cache opens, because block files are not synced and a
// crash could leave any of them torn.
package segcache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"logtank/internal/objstore"
	"logtank/internal/vfs"
)

// Config says where a cache keeps its blocks and how many bytes of them.
type Config struct {
	// FS and Dir are the folder of block files (FS nil: the operating
	// system's); the folder is emptied when the cache opens.
	FS  vfs.FS
	Dir string
	// Bytes bounds the bytes of block files on disk.
	Bytes int64
	// BlockSize is the size of a block, and of a GET (default 1 MiB): a
	// segment's blocks, bloom filters and index are read by offset in
	// pieces of a few KiB to a few hundred, and a GET costs the same for
	// a few bytes as for a MiB.
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
	fileSeq uint64
	// open counts the Files of each object not yet closed: its blocks
	// leave with the last one (several readers may hold one object, as a
	// store's segment and an owner's merge of it).
	open map[string]int

	hits, fetches, fetched, failures, evictions atomic.Int64
	// waits counts reads that waited for another's fetch (for tests).
	waits atomic.Int64
}

// blockID names a block: its object (bucket and key) and its index.
type blockID struct {
	object string
	index  int64
}

// entry is a block on disk. readers counts the reads of its file under
// way: its file is removed only once none is, so an evicted entry's bytes
// stay counted until then.
type entry struct {
	id      blockID
	path    string
	size    int64
	elem    *list.Element
	readers int
	evicted bool
}

// fetch is a GET of a block under way; data and err are set before done
// is closed.
type fetch struct {
	done chan struct{}
	data []byte
	err  error
}

// Open empties cfg.Dir and opens a cache in it.
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
	if cfg.Bytes < cfg.BlockSize {
		return nil, fmt.Errorf("segcache: a bound of %d bytes holds no block of %d", cfg.Bytes, cfg.BlockSize)
	}
	if err := cfg.FS.RemoveAll(cfg.Dir); err != nil {
		return nil, fmt.Errorf("segcache: emptying %s: %w", cfg.Dir, err)
	}
	if err := vfs.MkdirAll(cfg.FS, cfg.Dir); err != nil {
		return nil, fmt.Errorf("segcache: %w", err)
	}
	return &Cache{cfg: cfg, fs: cfg.FS, blocks: map[blockID]*entry{}, pending: map[blockID]*fetch{}, open: map[string]int{}}, nil
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
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Bytes: c.used, Blocks: len(c.blocks), Hits: c.hits.Load(), Fetches: c.fetches.Load(),
		FetchedBytes: c.fetched.Load(), Failures: c.failures.Load(), Evictions: c.evictions.Load()}
}

// Open returns a File reading the object key of bucket in objects through
// the cache. size is the object's length as its writer recorded it: the
// file has that size, and a GET that brings fewer bytes than the block
// should have is an error that names the object.
func (c *Cache) Open(objects objstore.Store, bucket, key string, size int64) *File {
	name := bucket + "/" + key
	c.mu.Lock()
	c.open[name]++
	c.mu.Unlock()
	return &File{c: c, objects: objects, bucket: bucket, key: key, name: name, size: size}
}

// readBlock copies the bytes of f's block index from offset within into
// dst, and returns how many it copied.
func (c *Cache) readBlock(f *File, index, within int64, dst []byte) (int, error) {
	id := blockID{f.name, index}
	length := min(c.cfg.BlockSize, f.size-index*c.cfg.BlockSize)
	dst = dst[:min(int64(len(dst)), length-within)]
	for {
		c.mu.Lock()
		if e := c.blocks[id]; e != nil {
			c.lru.MoveToFront(e.elem)
			e.readers++
			c.mu.Unlock()
			n, err := c.readFile(e, dst, within)
			if err == nil {
				c.hits.Add(1)
				return n, nil
			}
			// The local copy could not be read: drop it, fetch the block again.
			c.cfg.Logger.Warn("segment cache: a cached block could not be read; fetching it again", "object", f.name, "block", index, "error", err)
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
		p.data, p.err = c.fetch(f, index, length)
		if p.err == nil {
			c.keep(id, p.data)
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
// object's blocks once no File of it is open.
func (c *Cache) closed(object string, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[object]--; c.open[object] > 0 {
		return
	}
	delete(c.open, object)
	for i := range (size + c.cfg.BlockSize - 1) / c.cfg.BlockSize {
		if e := c.blocks[blockID{object, i}]; e != nil {
			c.evict(e)
		}
	}
}

// readFile reads from e's file and lets go of it.
func (c *Cache) readFile(e *entry, dst []byte, within int64) (int, error) {
	n, err := func() (int, error) {
		fl, err := c.fs.Open(e.path)
		if err != nil {
			return 0, err
		}
		defer fl.Close()
		return fl.ReadAt(dst, within)
	}()
	if err == io.EOF && n == len(dst) {
		err = nil
	}
	c.mu.Lock()
	e.readers--
	if e.evicted && e.readers == 0 {
		c.removeFile(e)
	}
	c.mu.Unlock()
	return n, err
}

// fetch GETs the block of length bytes at index.
func (c *Cache) fetch(f *File, index, length int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	defer cancel()
	off := index * c.cfg.BlockSize
	c.fetches.Add(1)
	data, err := func() ([]byte, error) {
		body, err := f.objects.GetRange(ctx, f.bucket, f.key, off, length)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		// One byte more than asked tells a longer answer from an exact one.
		data := make([]byte, length+1)
		n, err := io.ReadFull(body, data)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		return data[:n], err
	}()
	c.fetched.Add(int64(len(data)))
	switch {
	case err != nil:
		c.failures.Add(1)
		return nil, fmt.Errorf("%w: %s bytes %d to %d: %w", vfs.ErrUnavailable, f.name, off, off+length, err)
	case int64(len(data)) != length:
		c.failures.Add(1)
		return nil, fmt.Errorf("%s bytes %d to %d: the store sent %d bytes, want %d (is the object %d bytes long?)",
			f.name, off, off+length, len(data), length, f.size)
	}
	return data, nil
}

// keep writes a fetched block to disk if room can be made for it: when
// every block that would have to go is being read, or the write fails
// (a full disk), the block is served to its readers and not kept.
func (c *Cache) keep(id blockID, data []byte) {
	size := int64(len(data))
	c.mu.Lock()
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
	c.fileSeq++
	e := &entry{id: id, size: size, path: filepath.Join(c.cfg.Dir, strconv.FormatUint(c.fileSeq, 10)+".blk")}
	c.mu.Unlock()
	if err := c.writeFile(e.path, data); err != nil {
		c.fs.Remove(e.path)
		c.mu.Lock()
		c.used -= size
		c.mu.Unlock()
		c.cfg.Logger.Warn("segment cache: a block could not be kept on disk; it is served without", "object", id.object, "error", err)
		return
	}
	c.mu.Lock()
	e.elem = c.lru.PushFront(e)
	c.blocks[id] = e
	c.mu.Unlock()
}

func (c *Cache) writeFile(path string, data []byte) error {
	f, err := c.fs.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
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
// cache holds less until it is emptied at the next start.
func (c *Cache) removeFile(e *entry) {
	if err := c.fs.Remove(e.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.cfg.Logger.Warn("segment cache: an evicted block's file could not be removed; its bytes stay counted", "file", e.path, "error", err)
		return
	}
	c.used -= e.size
}
