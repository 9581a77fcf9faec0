package catalog

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ErrLeaseLost: the lease named by a renewal, a release or a fence is no
// longer held by that owner with that epoch (it expired and another node
// took it, or it was released).
var ErrLeaseLost = errors.New("lease lost")

// LeaseRecord is a lease as the catalog stores it: its holder, the epoch
// of that holding and its end in milliseconds of the database's clock.
type LeaseRecord struct {
	Name, Owner string
	Epoch       int64
	ExpiryMS    int64
}

// AcquireLease takes the lease name for owner for ttl if it is free,
// expired or already owner's, and reports whether it did. An unexpired
// lease of the same owner is extended with its epoch unchanged; any other
// taking (a new name, another owner's expired lease, or the owner's own
// after it expired or was released) starts a new epoch, one above the
// last, so that writes fenced by an earlier holding are refused. When
// another owner holds the lease, the record returned is that holding.
func (c *DB) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (LeaseRecord, bool, error) {
	now := c.nowMS()
	var r LeaseRecord
	got := false
	err := c.tx(ctx, func(tx *sql.Tx) error {
		got = false
		err := tx.QueryRowContext(ctx, `INSERT INTO leases (name, owner, epoch, expiry, changed) VALUES ($1, $2, 1, `+now+` + $3, `+c.changeNo()+`)
			ON CONFLICT (name) DO UPDATE SET changed = excluded.changed,
				epoch = CASE WHEN leases.owner = excluded.owner AND leases.expiry > `+now+` THEN leases.epoch ELSE leases.epoch + 1 END,
				owner = excluded.owner, expiry = excluded.expiry
			WHERE leases.owner = excluded.owner OR leases.expiry <= `+now+`
			RETURNING name, owner, epoch, expiry`, name, owner, ttl.Milliseconds()).
			Scan(&r.Name, &r.Owner, &r.Epoch, &r.ExpiryMS)
		if err == nil {
			got = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT name, owner, epoch, expiry FROM leases WHERE name = $1`, name).
			Scan(&r.Name, &r.Owner, &r.Epoch, &r.ExpiryMS)
	})
	return r, got && err == nil, err
}

// RenewLease extends owner's holding of name at epoch to ttl from now:
// ErrLeaseLost when the lease has changed hands or was released since. A
// holding that expired but that nobody took is extended: no other writer
// can have come in between.
func (c *DB) RenewLease(ctx context.Context, name, owner string, epoch int64, ttl time.Duration) (LeaseRecord, error) {
	r := LeaseRecord{Name: name, Owner: owner, Epoch: epoch}
	err := c.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE leases SET expiry = `+c.nowMS()+` + $1, changed = `+c.changeNo()+`
			WHERE name = $2 AND owner = $3 AND epoch = $4 AND expiry > 0 RETURNING expiry`, ttl.Milliseconds(), name, owner, epoch).Scan(&r.ExpiryMS)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLeaseLost
		}
		return err
	})
	return r, err
}

// ReleaseLease ends owner's holding of name at epoch at once, so that
// another node may take it without waiting for it to expire. Releasing a
// lease already lost does nothing.
func (c *DB) ReleaseLease(ctx context.Context, name, owner string, epoch int64) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE leases SET expiry = 0, changed = `+c.changeNo()+`
			WHERE name = $1 AND owner = $2 AND epoch = $3`, name, owner, epoch)
		return err
	})
}

// Lease returns the stored holding of name (expired or released ones
// too: an expiry in the past, or 0), or ErrNotFound when nobody ever took
// it.
func (c *DB) Lease(ctx context.Context, name string) (LeaseRecord, error) {
	var r LeaseRecord
	err := c.sql.QueryRowContext(ctx, `SELECT name, owner, epoch, expiry FROM leases WHERE name = $1`, name).
		Scan(&r.Name, &r.Owner, &r.Epoch, &r.ExpiryMS)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// Fence names a holding of a lease that catalog writes may be made
// conditional on. WithFence attaches it to a context; every catalog
// transaction run with that context first checks, in the same
// transaction, that the lease is still held by Owner at Epoch and not
// expired by the database's clock, and fails with ErrLeaseLost otherwise,
// writing nothing. On PostgreSQL the check is a read in the same
// serializable transaction, so a takeover that commits concurrently
// either comes after the write in the serial order or makes the write's
// transaction fail; on SQLite transactions run one at a time.
type Fence struct {
	Name, Owner string
	Epoch       int64
}

type fenceKey struct{}

// WithFence returns a context under which catalog writes commit only
// while f holds (see Fence).
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// CheckFence fails with ErrLeaseLost when ctx carries a fence that no
// longer holds: for a job that should not even start a round of work on a
// holding it may have lost without noticing yet.
func (c *DB) CheckFence(ctx context.Context) error {
	return c.tx(ctx, func(*sql.Tx) error { return nil })
}

// checkFence fails with ErrLeaseLost when ctx carries a fence that no
// longer holds, seen from inside tx.
func (c *DB) checkFence(ctx context.Context, tx *sql.Tx) error {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	if !ok {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM leases WHERE name = $1 AND owner = $2 AND epoch = $3 AND expiry > `+c.nowMS(),
		f.Name, f.Owner, f.Epoch).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}
