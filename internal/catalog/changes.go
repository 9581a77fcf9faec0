package catalog

import (
	"context"
	"database/sql"
	"time"
)

// Scope names a part of the catalog that services cache in memory. Each
// has a version in the catalog_versions table that every write to the part
// increments in its own transaction, so that nodes sharing a PostgreSQL
// catalog notice another node's change by polling one small table (Watch).
//
// A polled version was preferred over LISTEN/NOTIFY: it needs no
// connection held open per node, works the same on SQLite (where it is
// never polled, one process making every change), and a node that was
// disconnected still sees every change on its next poll instead of
// missing the notifications sent meanwhile.
type Scope string

const (
	// ScopeAccounts: domains, projects, users, access keys, revoked tokens.
	ScopeAccounts Scope = "accounts"
	// ScopeStreams: log groups and streams, their structuring rules and
	// index configurations.
	ScopeStreams Scope = "streams"
)

// change runs fn in a transaction that also marks scope as changed.
func (c *DB) change(ctx context.Context, scope Scope, fn func(*sql.Tx) error) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE catalog_versions SET version = version + 1 WHERE scope = $1`, string(scope))
		return err
	})
}

// Shared reports whether other nodes may change the catalog: true for
// PostgreSQL, whose users must Watch it to keep their caches fresh.
func (c *DB) Shared() bool { return c.engine == enginePostgres }

// Versions returns the current version of every scope.
func (c *DB) Versions(ctx context.Context) (map[Scope]int64, error) {
	out := map[Scope]int64{}
	err := c.each(ctx, `SELECT scope, version FROM catalog_versions`, func(r *sql.Rows) error {
		var s string
		var v int64
		err := r.Scan(&s, &v)
		out[Scope(s)] = v
		return err
	})
	return out, err
}

// Watch polls the scopes' versions every interval until ctx ends, and
// calls reload[scope] when that scope's version differs from the one it
// last reloaded at (so once at the start). A failed poll or reload is
// passed to failed and tried again at the next poll. A version read before
// the reload and recorded only once it succeeded means that a change made
// during a reload triggers another one: no change is missed.
func (c *DB) Watch(ctx context.Context, interval time.Duration, reload map[Scope]func(context.Context) error, failed func(error)) {
	seen := map[Scope]int64{}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		versions, err := c.Versions(ctx)
		if err != nil && ctx.Err() == nil {
			failed(err)
		}
		for scope, fn := range reload {
			v, ok := versions[scope]
			if last, done := seen[scope]; !ok || (done && last == v) {
				continue
			}
			if err := fn(ctx); err != nil {
				if ctx.Err() == nil {
					failed(err)
				}
				continue
			}
			seen[scope] = v
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
