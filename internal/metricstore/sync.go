package metricstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"sync"
)

// groupSync makes the TSDB's write-ahead logs durable. The TSDB writes every
// committed record to its log files before Commit returns, but fsyncs a
// segment only when it is complete; groupSync fsyncs the open segments
// itself. fsync covers the file, whichever descriptor wrote to it, so a
// separate read-only descriptor is enough.
//
// Concurrent callers share syncs (group commit): a caller that arrives while
// a sync runs waits for the next one, which then covers every caller that
// arrived meanwhile. A failed sync is sticky, because after one the log's
// state on disk is unknown.
type groupSync struct {
	dirs []string

	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64 // tickets handed out
	done      uint64 // every ticket up to done is durable
	running   bool
	err       error
	// newest is the newest segment seen per directory; when it changes the
	// directory itself is synced, so that the new file's entry is durable.
	newest map[string]string
}

func newGroupSync(dirs ...string) *groupSync {
	g := &groupSync{dirs: dirs, newest: map[string]string{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// Sync returns once everything the caller wrote before calling it is on disk.
func (g *groupSync) Sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requested++
	ticket := g.requested
	for g.done < ticket && g.err == nil {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		target := g.requested
		g.mu.Unlock()
		err := g.syncAll()
		g.mu.Lock()
		g.running = false
		if err != nil && g.err == nil {
			g.err = err
		}
		g.done = target
		g.cond.Broadcast()
	}
	return g.err
}

func (g *groupSync) syncAll() error {
	for _, dir := range g.dirs {
		if err := g.syncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs the two newest segments of a log directory: the open one,
// and the one before it, whose fsync the TSDB queues in the background when
// it moves on. Older ones the TSDB synced long ago: a 128 MiB segment takes
// minutes to fill, and its background syncs run in order.
func (g *groupSync) syncDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no log of this kind yet
	}
	if err != nil {
		return err
	}
	var segs []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && e.Type().IsRegular() {
			segs = append(segs, n)
		}
	}
	if len(segs) == 0 {
		return nil
	}
	slices.Sort(segs)
	for _, n := range segs[max(0, len(segs)-2):] {
		if err := syncFile(fmt.Sprintf("%s/%08d", dir, n)); err != nil {
			return err
		}
	}
	newest := strconv.Itoa(segs[len(segs)-1])
	if g.newest[dir] != newest {
		if err := syncFile(dir); err != nil {
			return err
		}
		g.newest[dir] = newest
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Removed after a checkpoint: its records are in a synced block.
		return nil
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
