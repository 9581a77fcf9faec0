package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"logtank/internal/catalog"
)

// catalogPoll is how often a node sharing its catalog looks for other
// nodes' changes: a deleted key or a revoked token is refused everywhere
// within this plus one reload (well under a second), for one indexed
// single-row-per-scope query per node and period.
const catalogPoll = 200 * time.Millisecond

// watchCatalog keeps the services' caches of a shared catalog fresh (see
// catalog.Scope for why it polls) until the returned function is called;
// that function returns once the watch has stopped.
func watchCatalog(db *catalog.DB, log *slog.Logger, reload map[catalog.Scope]func(context.Context) error) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		db.Watch(ctx, catalogPoll, reload, func(err error) {
			log.Warn("catalog watch: caches may be stale until the next poll", "err", err)
		})
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
