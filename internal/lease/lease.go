// Package lease owns named, time-limited ownerships shared through the
// catalog: "this node, and no other, does job X" or "this node indexes
// stream Y". A lease has a holder (the owner string a Manager was made
// with, unique per process), an epoch that goes up by one each time the
// lease changes hands, and an expiry judged by the database's clock
// (PostgreSQL's now(); on SQLite the one machine's), never by comparing
// the clocks of nodes. A holder renews its lease well before it expires;
// a holder that stops renewing (it died, hung or lost the database) loses
// it once it expires, and the next Acquire by anyone takes it with the
// next epoch.
//
// Expiry alone cannot stop a holder that paused past it and then wrote:
// writes that must come from the current holder only are fenced. Fenced
// returns a context under which every catalog transaction checks, inside
// itself, that the lease is still held with that epoch and unexpired, and
// fails with ErrLost otherwise, writing nothing:
//
//	l, ok, err := m.Acquire(ctx, "job:transfers")
//	...
//	err = db.SetTransferProgress(lease.Fenced(ctx, l), id, stream, p) // ErrLost once another node took over
//
// The package keeps no state of its own beyond the Manager's settings and
// never decides anything by a node's clock; it must never delete a lease
// row, since the row carries the epoch forward.
package lease

import (
	"context"
	"time"

	"logtank/internal/catalog"
)

// ErrLost: the lease is no longer held by this holding (it expired and
// another owner took it, or it was released). It is catalog.ErrLeaseLost,
// so a fenced catalog write that was refused matches it too.
var ErrLost = catalog.ErrLeaseLost

// Lease is one holding of a named lease.
type Lease struct {
	Name, Owner string
	Epoch       int64
	// Expires is when the holding ends by the database's clock; it says
	// how long the lease was granted, and must not be compared with a
	// node's own clock.
	Expires time.Time
}

// Manager takes, renews and releases leases for one owner. It is safe for
// concurrent use.
type Manager struct {
	db    *catalog.DB
	owner string
	ttl   time.Duration
}

// New returns a Manager that holds leases as owner, each for ttl from its
// last acquisition or renewal. owner must differ between processes (a
// restarted node is a new holder).
func New(db *catalog.DB, owner string, ttl time.Duration) *Manager {
	return &Manager{db: db, owner: owner, ttl: ttl}
}

// Owner is the holder name of m's leases.
func (m *Manager) Owner() string { return m.owner }

// TTL is how long m's leases last without a renewal.
func (m *Manager) TTL() time.Duration { return m.ttl }

// Acquire takes the lease name if it is free, expired or already m's
// (then it is renewed with its epoch unchanged); a new holding gets the
// epoch after the last one. It reports false, with the current holding,
// when another owner holds it.
func (m *Manager) Acquire(ctx context.Context, name string) (Lease, bool, error) {
	r, ok, err := m.db.AcquireLease(ctx, name, m.owner, m.ttl)
	if err != nil {
		return Lease{}, false, err
	}
	return fromRecord(r), ok, nil
}

// Renew extends l for the Manager's ttl from now: ErrLost when it changed
// hands or was released meanwhile. A lease that expired but that nobody
// took is renewed.
func (m *Manager) Renew(ctx context.Context, l Lease) (Lease, error) {
	r, err := m.db.RenewLease(ctx, l.Name, m.owner, l.Epoch, m.ttl)
	if err != nil {
		return Lease{}, err
	}
	return fromRecord(r), nil
}

// Release gives l up at once, so that another owner can take it without
// waiting for it to expire. Releasing a lease already lost does nothing.
func (m *Manager) Release(ctx context.Context, l Lease) error {
	return m.db.ReleaseLease(ctx, l.Name, m.owner, l.Epoch)
}

// Fenced returns a context under which catalog writes commit only while l
// is still held with its epoch and unexpired; otherwise they fail with
// ErrLost and write nothing.
func Fenced(ctx context.Context, l Lease) context.Context {
	return catalog.WithFence(ctx, catalog.Fence{Name: l.Name, Owner: l.Owner, Epoch: l.Epoch})
}

func fromRecord(r catalog.LeaseRecord) Lease {
	return Lease{Name: r.Name, Owner: r.Owner, Epoch: r.Epoch, Expires: time.UnixMilli(r.ExpiryMS)}
}
