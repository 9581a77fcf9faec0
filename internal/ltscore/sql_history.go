package ltscore

import (
	"context"
	"sync"

	"logtank/internal/catalog"
)

// sqlNotes writes the SQL history (ListHistorySql) off the queries' path.
// Noting a statement is a catalog write transaction, synced to disk: it
// took longer than the query itself when that was a count from block
// metadata, and no answer depends on it. Notes wait in memory for one
// writer goroutine; listing the history first writes what waits, so a
// client that lists its history after a query sees the query. A note
// still in memory when the process dies is lost: that loses history, not
// logs.
type sqlNotes struct {
	db      *catalog.DB
	kick    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	closing sync.Once
	// write is held while notes are written, so that they reach the
	// catalog one writer at a time and in the order they were taken.
	write sync.Mutex
	mu    struct {
		sync.Mutex
		pending []sqlNote
	}
}

type sqlNote struct {
	ref       catalog.StreamRef
	statement string
	ms        int64
}

// maxPendingNotes bounds the notes waiting when the catalog is slower
// than the queries: the oldest are dropped (a later use of the same
// statement would have replaced them anyway).
const maxPendingNotes = 4096

func newSQLNotes(db *catalog.DB) *sqlNotes {
	n := &sqlNotes{db: db, kick: make(chan struct{}, 1), done: make(chan struct{})}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			select {
			case <-n.kick:
				n.flush(context.Background())
			case <-n.done:
				n.flush(context.Background())
				return
			}
		}
	}()
	return n
}

// add queues a note and wakes the writer.
func (n *sqlNotes) add(note sqlNote) {
	n.mu.Lock()
	if len(n.mu.pending) == maxPendingNotes {
		n.mu.pending = n.mu.pending[1:]
	}
	n.mu.pending = append(n.mu.pending, note)
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// flush writes every note queued before it was called; a failure loses
// history only, so it is not reported.
func (n *sqlNotes) flush(ctx context.Context) {
	n.write.Lock()
	defer n.write.Unlock()
	n.mu.Lock()
	notes := n.mu.pending
	n.mu.pending = nil
	n.mu.Unlock()
	// A statement used again since the last write is written once, with
	// its latest time.
	last := make(map[sqlNote]int, len(notes))
	for i, x := range notes {
		key := x
		key.ms = 0
		last[key] = i
	}
	for i, x := range notes {
		key := x
		key.ms = 0
		if last[key] != i {
			continue
		}
		_ = n.db.RecordSQL(ctx, x.ref.ProjectID, x.ref.GroupID, x.ref.ID, x.statement, x.ms, SQLHistoryKept)
	}
}

// close writes what waits and stops the writer.
func (n *sqlNotes) close() {
	n.closing.Do(func() { close(n.done) })
	n.wg.Wait()
}
