package ltscore

import (
	"context"
	"errors"
	"sync"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/vfs"
)

// Query limits keep one tenant from taking the service away from the
// others: every search, count, histogram, context and SQL query runs under
// a deadline, and a project runs at most a few at once.
const (
	// DefaultQueryTimeout bounds one query: long enough for SQL over a
	// month of a busy stream on two cores, short enough that a runaway
	// query gives its CPU back within a minute.
	DefaultQueryTimeout = 60 * time.Second
	// DefaultProjectQueries is how many queries one project may run at
	// once: a console with a few panels refreshing, not a flood.
	DefaultProjectQueries = 8
	// queryRetryAfter is what a refused query is told to wait, in seconds.
	queryRetryAfter = 1
)

// queryGate counts the queries each project runs and gives each its
// deadline.
type queryGate struct {
	timeout time.Duration
	max     int
	mu      sync.Mutex
	running map[string]int // by project id
}

func newQueryGate(timeout time.Duration, max int) *queryGate {
	if timeout <= 0 {
		timeout = DefaultQueryTimeout
	}
	if max <= 0 {
		max = DefaultProjectQueries
	}
	return &queryGate{timeout: timeout, max: max, running: map[string]int{}}
}

// query runs one query of project: it holds one of the project's slots
// while run runs, under the query deadline, and says why the query stopped
// when the deadline passed. A caller that gave up gets its own context's
// error.
func (g *queryGate) query(ctx context.Context, project string, run func(ctx context.Context) error) error {
	g.mu.Lock()
	if g.running[project] >= g.max {
		g.mu.Unlock()
		return ErrTooManyQueries.WithMsg("The throttling threshold has been reached: this project already runs %d queries; retry when one has finished", g.max)
	}
	g.running[project]++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.running[project]--; g.running[project] <= 0 {
			delete(g.running, project)
		}
	}()
	qctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	err := run(qctx)
	if err != nil && ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
		return ErrQueryTimeout.WithMsg("The query did not finish within the limit of %s; narrow its time range or its search", g.timeout)
	}
	return unreachable(err)
}

// unreachable maps a failure to read segments from the cluster's object
// store onto ErrSegmentsUnreachable, keeping the cause for the log; any
// other error is returned as it is.
func unreachable(err error) error {
	if errors.Is(err, vfs.ErrUnavailable) {
		return &apierr.Internal{Err: ErrSegmentsUnreachable, Cause: err}
	}
	return err
}
