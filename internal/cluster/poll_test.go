package cluster

import (
	"context"
	"testing"
	"time"
)

// A node keeps its view from the rows that changed since its last poll:
// it sees another node take a stream, learns by the database's clock that
// the lease expired although no row changed, and drops a deleted stream's
// head, all without reading the catalog whole again.
func TestNodeViewFollowsChangesAndExpiry(t *testing.T) {
	ctx := context.Background()
	db, objects := shared(t)
	ttl := func(c *Config) { c.LeaseTTL = 2 * time.Second }
	holder := testNode(t, db, objects, "a", ttl)
	b := testNode(t, db, objects, preferredName([]string{"a"}, sid, "b"), ttl)

	round(t, b)
	whole := b.polled.lastWhole
	if whole.IsZero() {
		t.Fatal("the first poll did not read whole")
	}
	// The stream is taken by a node that is not its preferred owner, and
	// more batches wait.
	appendLines(t, holder, 0, 3)
	tendAsPreferred(t, holder, head(t, db))
	appendLines(t, holder, 3, 5)
	taken, err := db.Lease(ctx, streamPrefix+sid)
	if err != nil || taken.Owner != "a" {
		t.Fatalf("lease %+v %v", taken, err)
	}

	round(t, b)
	if l := b.polled.streams[sid]; l.Owner != "a" || l.Epoch != taken.Epoch {
		t.Fatalf("b's view of the stream's lease: %+v, want a's at epoch %d", l, taken.Epoch)
	}
	if h := b.polled.heads[sid]; h.Head != 5 || h.Indexed != 3 {
		t.Fatalf("b's view of the head: %+v", h)
	}
	if b.stream(sid).owned {
		t.Fatal("b took a stream another node holds")
	}

	// The holder stops renewing: its lease's row stays as it was.
	time.Sleep(2*time.Second + 100*time.Millisecond)
	round(t, b)
	l, err := db.Lease(ctx, streamPrefix+sid)
	if err != nil || l.Owner != b.Name() || l.Epoch != taken.Epoch+1 || !b.stream(sid).owned {
		t.Fatalf("after the lease expired: %+v %v, b owns it: %v", l, err, b.stream(sid).owned)
	}

	// A deleted stream's head leaves the view.
	if err := holder.Forget(ctx, sid); err != nil {
		t.Fatal(err)
	}
	round(t, b)
	if h, ok := b.polled.heads[sid]; ok {
		t.Fatalf("b's view keeps the deleted stream's head %+v", h)
	}
	if b.polled.lastWhole != whole {
		t.Fatal("b read the catalog whole again; this test is about its reads of changes")
	}
}
