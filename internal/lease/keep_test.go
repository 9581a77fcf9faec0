package lease

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"logtank/internal/catalog"
)

// waitHeld waits until one of the keepers holds its lease, and returns
// its index and holding.
func waitHeld(t *testing.T, keepers ...*Keeper) (int, Lease) {
	t.Helper()
	for {
		for i, k := range keepers {
			if l, ok := k.Held(); ok {
				return i, l
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestKeepersHandOverOnClose(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *catalog.DB) {
		ctx := context.Background()
		quiet := slog.New(slog.DiscardHandler)
		dbs := []*catalog.DB{open(), open(), open()}
		keepers := make([]*Keeper, len(dbs))
		for i, db := range dbs {
			// A term long enough that a loaded machine does not let a
			// holding lapse: the handover here is by closing.
			keepers[i] = New(db, string(rune('a'+i)), 5*time.Second).Keep("job:x", quiet)
		}
		defer func() {
			for _, k := range keepers {
				if k != nil {
					k.Close()
				}
			}
		}()
		first, l := waitHeld(t, keepers...)
		for i, k := range keepers {
			if _, _, ok := k.Hold(ctx); ok != (i == first) {
				t.Fatalf("keeper %d holds: %v (holder %d)", i, ok, first)
			}
		}
		held, done, _ := keepers[first].Hold(ctx)
		defer done()
		if err, exists := fencedWrite(t, dbs[first], l, "by-first"); err != nil || !exists {
			t.Fatalf("holder's fenced write: %v %v", err, exists)
		}
		keepers[first].Close()
		keepers[first] = nil
		<-held.Done() // the holding ends with the keeper
		rest := append(append([]*Keeper{}, keepers[:first]...), keepers[first+1:]...)
		_, next := waitHeld(t, rest...)
		if next.Epoch <= l.Epoch || next.Owner == l.Owner {
			t.Fatalf("after close: %+v, before %+v", next, l)
		}
		if err, exists := fencedWrite(t, dbs[first], l, "late"); !errors.Is(err, ErrLost) || exists {
			t.Fatalf("write fenced by the closed holding: %v %v", err, exists)
		}
	})
}

// A holder whose lease passes to another without its knowing (as after a
// pause past the expiry) has its fenced writes refused at once, and its
// holding ends at its next renewal.
func TestKeeperLearnsItLostTheLease(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *catalog.DB) {
		ctx := context.Background()
		dbA, dbB := open(), open()
		a := New(dbA, "a", 3*time.Second).Keep("job:x", slog.New(slog.DiscardHandler))
		defer a.Close()
		_, la := waitHeld(t, a)
		held, done, ok := a.Hold(ctx)
		if !ok {
			t.Fatal("not held")
		}
		defer done()
		if err := dbB.ReleaseLease(ctx, la.Name, la.Owner, la.Epoch); err != nil {
			t.Fatal(err)
		}
		lb, ok, err := New(dbB, "b", time.Hour).Acquire(ctx, "job:x")
		if err != nil || !ok || lb.Epoch != la.Epoch+1 {
			t.Fatalf("takeover: %+v %v %v", lb, ok, err)
		}
		if err, exists := fencedWrite(t, dbA, la, "stale"); !errors.Is(err, ErrLost) || exists {
			t.Fatalf("stale holder's write: %v %v", err, exists)
		}
		<-held.Done()
		if _, ok := a.Held(); ok {
			t.Fatal("still holding after the lease was lost")
		}
	})
}

func TestNilKeeperAlwaysHolds(t *testing.T) {
	var k *Keeper
	parent := context.Background()
	ctx, done, ok := k.Hold(parent)
	if !ok || ctx != parent {
		t.Fatalf("nil keeper: %v %v", ctx, ok)
	}
	done()
	k.Close()
}
