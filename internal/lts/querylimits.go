package lts

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"logtank/internal/wire"
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

var (
	ErrQueryTimeout   = &wire.Error{Status: http.StatusRequestTimeout, Code: "LTS.0009", Msg: "The query did not finish in time"}
	ErrTooManyQueries = &wire.Error{Status: http.StatusTooManyRequests, Code: "APIGW.0308", Msg: "The throttling threshold has been reached", RetryAfter: queryRetryAfter}
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

// enter takes one of project's query slots, false when all are taken.
func (g *queryGate) enter(project string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[project] >= g.max {
		return false
	}
	g.running[project]++
	return true
}

func (g *queryGate) leave(project string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[project]--; g.running[project] <= 0 {
		delete(g.running, project)
	}
}

// query wraps a query handler: it holds one of the path project's slots
// while h runs, under the query deadline, and says why a query stopped
// when its deadline passed.
func (s *Service) query(h wire.HandlerFunc) wire.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		project := r.PathValue("project_id")
		if !s.gate.enter(project) {
			return ErrTooManyQueries.WithMsg("The throttling threshold has been reached: this project already runs %d queries; retry when one has finished", s.gate.max)
		}
		defer s.gate.leave(project)
		ctx, cancel := context.WithTimeout(r.Context(), s.gate.timeout)
		defer cancel()
		err := h(w, r.WithContext(ctx))
		if err != nil && r.Context().Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ErrQueryTimeout.WithMsg("The query did not finish within the limit of %s; narrow its time range or its search", s.gate.timeout)
		}
		return err
	}
}
