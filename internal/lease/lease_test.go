package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// forEachEngine runs fn on SQLite and on PostgreSQL; open opens another
// handle on the same catalog, as a second node would (on SQLite, a second
// process on the same machine).
func forEachEngine(t *testing.T, fn func(t *testing.T, open func() *catalog.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, opener(t, func(ctx context.Context) (*catalog.DB, error) { return catalog.OpenSQLite(ctx, dir) }))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		fn(t, opener(t, func(ctx context.Context) (*catalog.DB, error) { return catalog.Open(ctx, url, "") }))
	})
}

func opener(t *testing.T, open func(context.Context) (*catalog.DB, error)) func() *catalog.DB {
	return func() *catalog.DB {
		db, err := open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// fencedWrite creates a log group under l's fence and reports the error;
// exists says whether the group is in the catalog afterwards.
func fencedWrite(t *testing.T, db *catalog.DB, l Lease, id string) (err error, exists bool) {
	t.Helper()
	ctx := context.Background()
	err = db.CreateLogGroup(Fenced(ctx, l), catalog.LogGroup{ID: id, ProjectID: "p", Name: id, TTLDays: 7}, 100)
	_, lerr := db.LogGroup(ctx, "p", id)
	if lerr != nil && !errors.Is(lerr, catalog.ErrNotFound) {
		t.Fatal(lerr)
	}
	return err, lerr == nil
}

func TestTwoNodesCompete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *catalog.DB) {
		ctx := context.Background()
		dbA, dbB := open(), open()
		a, b := New(dbA, "node-a", time.Hour), New(dbB, "node-b", time.Hour)

		la, ok, err := a.Acquire(ctx, "job:x")
		if err != nil || !ok || la.Epoch != 1 || la.Owner != "node-a" {
			t.Fatalf("first acquire: %+v %v %v", la, ok, err)
		}
		held, ok, err := b.Acquire(ctx, "job:x")
		if err != nil || ok || held.Owner != "node-a" || held.Epoch != 1 {
			t.Fatalf("acquire of a held lease: %+v %v %v", held, ok, err)
		}
		again, ok, err := a.Acquire(ctx, "job:x")
		if err != nil || !ok || again.Epoch != 1 {
			t.Fatalf("holder acquires again: %+v %v %v", again, ok, err)
		}
		if _, err := a.Renew(ctx, la); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if err, exists := fencedWrite(t, dbA, la, "g1"); err != nil || !exists {
			t.Fatalf("holder's fenced write: %v, stored %v", err, exists)
		}

		if err := a.Release(ctx, la); err != nil {
			t.Fatal(err)
		}
		lb, ok, err := b.Acquire(ctx, "job:x")
		if err != nil || !ok || lb.Epoch != 2 || lb.Owner != "node-b" {
			t.Fatalf("acquire after release: %+v %v %v", lb, ok, err)
		}
		if _, err := a.Renew(ctx, la); !errors.Is(err, ErrLost) {
			t.Fatalf("former holder's renew: %v", err)
		}
		if err, exists := fencedWrite(t, dbA, la, "g2"); !errors.Is(err, ErrLost) || exists {
			t.Fatalf("former holder's fenced write: %v, stored %v", err, exists)
		}
		if err, exists := fencedWrite(t, dbB, lb, "g3"); err != nil || !exists {
			t.Fatalf("new holder's fenced write: %v, stored %v", err, exists)
		}
		if _, ok, err := a.Acquire(ctx, "job:x"); err != nil || ok {
			t.Fatalf("former holder acquires a held lease: %v %v", ok, err)
		}
		// Leases are independent by name.
		if other, ok, err := a.Acquire(ctx, "job:y"); err != nil || !ok || other.Epoch != 1 {
			t.Fatalf("another name: %+v %v %v", other, ok, err)
		}
	})
}

func TestExpiryHandsOverWithTheNextEpoch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *catalog.DB) {
		ctx := context.Background()
		dbA, dbB := open(), open()
		a, b := New(dbA, "node-a", 50*time.Millisecond), New(dbB, "node-b", time.Hour)
		la, ok, err := a.Acquire(ctx, "job:x")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		lb := waitAcquire(t, b, "job:x")
		if lb.Epoch != la.Epoch+1 {
			t.Fatalf("epoch after expiry %d, was %d", lb.Epoch, la.Epoch)
		}
		if _, err := a.Renew(ctx, la); !errors.Is(err, ErrLost) {
			t.Fatalf("stale holder's renew: %v", err)
		}
		if err, exists := fencedWrite(t, dbA, la, "stale"); !errors.Is(err, ErrLost) || exists {
			t.Fatalf("stale holder's fenced write: %v, stored %v", err, exists)
		}
		if err, exists := fencedWrite(t, dbB, lb, "fresh"); err != nil || !exists {
			t.Fatalf("new holder's fenced write: %v, stored %v", err, exists)
		}
	})
}

// A holding that expired refuses fenced writes even when nobody took it;
// renewing it (nobody can have written in between) makes them pass again
// with the same epoch, while acquiring it anew starts a new epoch.
func TestExpiredHoldingIsFencedUntilRenewed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *catalog.DB) {
		ctx := context.Background()
		db := open()
		a := New(db, "node-a", 50*time.Millisecond)
		la, ok, err := a.Acquire(ctx, "job:x")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		for i := 0; ; i++ {
			err, _ := fencedWrite(t, db, la, fmt.Sprintf("g%d", i))
			if errors.Is(err, ErrLost) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		renewed, err := a.Renew(ctx, la)
		if err != nil || renewed.Epoch != la.Epoch {
			t.Fatalf("renew of an expired, untaken lease: %+v %v", renewed, err)
		}
		// Long enough for one write, whatever the machine's load: the
		// test needs the lease held, not a deadline met.
		long := New(db, "node-a", time.Hour)
		renewed, err = long.Renew(ctx, la)
		if err != nil {
			t.Fatal(err)
		}
		if err, exists := fencedWrite(t, db, renewed, "after-renew"); err != nil || !exists {
			t.Fatalf("fenced write after renewal: %v, stored %v", err, exists)
		}
		if err := long.Release(ctx, renewed); err != nil {
			t.Fatal(err)
		}
		if _, err := long.Renew(ctx, renewed); !errors.Is(err, ErrLost) {
			t.Fatalf("renew after release: %v", err)
		}
		again, ok, err := long.Acquire(ctx, "job:x")
		if err != nil || !ok || again.Epoch != la.Epoch+1 {
			t.Fatalf("owner acquires its released lease: %+v %v %v", again, ok, err)
		}
		if err, exists := fencedWrite(t, db, renewed, "old-epoch"); !errors.Is(err, ErrLost) || exists {
			t.Fatalf("write fenced by the released epoch: %v, stored %v", err, exists)
		}
	})
}

// waitAcquire tries to take name until it is free.
func waitAcquire(t *testing.T, m *Manager, name string) Lease {
	t.Helper()
	for {
		l, ok, err := m.Acquire(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return l
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Many nodes acquiring at once on PostgreSQL: exactly one wins each name,
// and the others are told who did.
func TestConcurrentAcquireHasOneWinner(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	const nodes = 12
	dbs := make([]*catalog.DB, 3)
	for i := range dbs {
		db, err := catalog.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	for round := range 5 {
		name := fmt.Sprintf("job:%d", round)
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]Lease, nodes)
		wins := make([]bool, nodes)
		errs := make([]error, nodes)
		for i := range nodes {
			m := New(dbs[i%len(dbs)], fmt.Sprintf("node-%d", i), time.Hour)
			wg.Go(func() {
				<-start
				results[i], wins[i], errs[i] = m.Acquire(ctx, name)
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			if wins[i] {
				if winner >= 0 {
					t.Fatalf("%s: nodes %d and %d both won", name, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("%s: nobody won", name)
		}
		for i := range nodes {
			if results[i].Owner != fmt.Sprintf("node-%d", winner) || results[i].Epoch != 1 {
				t.Fatalf("%s: node %d sees %+v, winner node-%d", name, i, results[i], winner)
			}
		}
	}
}
