package catalog

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// upkeepStream appends six batches to stream s and records three rounds:
// (0,2] with a.seg of day 20260101 and x.seg of 20260102, (2,4] with
// b.seg, (4,6] with c.seg, both of 20260101. It returns the owner's fenced
// context and a stale one.
func upkeepStream(t *testing.T, db *DB) (owner, stale context.Context) {
	t.Helper()
	ctx := context.Background()
	for i := range 6 {
		if _, err := db.AppendIngest(ctx, "s", []byte{byte(i)}, 1000); err != nil {
			t.Fatal(err)
		}
	}
	l, ok, err := db.AcquireLease(ctx, "stream:s", "node-a", time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	owner = WithFence(ctx, Fence{Name: l.Name, Owner: l.Owner, Epoch: l.Epoch})
	stale = WithFence(ctx, Fence{Name: l.Name, Owner: l.Owner, Epoch: l.Epoch + 1})
	rounds := []struct {
		from, to int64
		segs     []SegmentRecord
	}{
		{0, 2, []SegmentRecord{{Object: "a.seg", Day: "20260101", MinLine: 1, MaxLine: 2, Rows: 2, Bytes: 10},
			{Object: "x.seg", Day: "20260102", MinLine: 100, MaxLine: 100, Rows: 1, Bytes: 10}}},
		{2, 4, []SegmentRecord{{Object: "b.seg", Day: "20260101", MinLine: 3, MaxLine: 4, Rows: 2, Bytes: 10}}},
		{4, 6, []SegmentRecord{{Object: "c.seg", Day: "20260101", MinLine: 2, MaxLine: 5, Rows: 2, Bytes: 10}}},
	}
	for _, r := range rounds {
		if err := db.RecordSegments(owner, "s", r.from, r.to, r.segs); err != nil {
			t.Fatal(err)
		}
	}
	return owner, stale
}

func objectsOf(segs []SegmentRecord) []string {
	var out []string
	for _, s := range segs {
		out = append(out, s.Object)
	}
	return out
}

// A merged segment replaces a day's segments in one fenced transaction:
// a stale owner's replacement, one naming a segment no longer there and
// one mixing days change nothing; a good one covers the batches the
// replaced segments covered, bumps the generation and lists the replaced
// objects as garbage, not due before their grace.
func TestReplaceSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		db := open()
		owner, stale := upkeepStream(t, db)
		ctx := context.Background()
		before, err := db.ManifestAfter(ctx, "s", 0)
		if err != nil || before.Gen != 0 || before.Indexed != 6 || len(before.Segments) != 4 {
			t.Fatalf("manifest %+v, %v", before, err)
		}
		merged := SegmentRecord{Object: "m.seg", Day: "20260101", MinLine: 1, MaxLine: 5, Rows: 6, Bytes: 20}
		day := []string{"a.seg", "b.seg", "c.seg"}
		if err := db.ReplaceSegments(stale, "s", day, merged, time.Hour); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale: %v", err)
		}
		if err := db.ReplaceSegments(owner, "s", []string{"a.seg", "x.seg"}, merged, time.Hour); !errors.Is(err, ErrManifestMoved) {
			t.Fatalf("two days: %v", err)
		}
		if err := db.ReplaceSegments(owner, "s", []string{"a.seg", "gone.seg"}, merged, time.Hour); !errors.Is(err, ErrManifestMoved) {
			t.Fatalf("a missing segment: %v", err)
		}
		if after, _ := db.ManifestAfter(ctx, "s", 0); !reflect.DeepEqual(after, before) {
			t.Fatalf("refused replacements changed the manifest: %+v", after)
		}
		if due, err := db.DueGarbage(ctx, "s", 10); err != nil || len(due) != 0 {
			t.Fatalf("garbage after refusals: %v, %v", due, err)
		}
		if err := db.ReplaceSegments(owner, "s", day, merged, time.Hour); err != nil {
			t.Fatal(err)
		}
		after, err := db.ManifestAfter(ctx, "s", 0)
		if err != nil || after.Gen != 1 || after.Indexed != 6 {
			t.Fatalf("manifest %+v, %v", after, err)
		}
		if got := objectsOf(after.Segments); !reflect.DeepEqual(got, []string{"x.seg", "m.seg"}) {
			t.Fatalf("segments %v", got)
		}
		if m := after.Segments[1]; m.FromSeq != 0 || m.ToSeq != 6 || m.Rows != 6 || m.MinLine != 1 || m.MaxLine != 5 {
			t.Fatalf("merged %+v", m)
		}
		if h, _ := db.StreamIngestHead(ctx, "s"); h.Gen != 1 {
			t.Fatalf("head %+v", h)
		}
		if err := db.ReplaceSegments(owner, "s", day, SegmentRecord{Object: "m2.seg", Day: "20260101"}, time.Hour); !errors.Is(err, ErrManifestMoved) {
			t.Fatalf("replaced twice: %v", err)
		}
		if due, err := db.DueGarbage(ctx, "s", 10); err != nil || len(due) != 0 {
			t.Fatalf("garbage due before its grace: %v, %v", due, err)
		}
		objects, err := db.ForgetStreamLog(ctx, "s")
		if want := []string{"a.seg", "b.seg", "c.seg", "m.seg", "x.seg"}; err != nil || !reflect.DeepEqual(objects, want) {
			t.Fatalf("a forgotten stream's objects %v, %v; want %v", objects, err, want)
		}
	})
}

// Expired days leave the manifest by a fenced transaction; their objects
// are due once their grace passed, an object the manifest names never is,
// and forgotten garbage is not returned again.
func TestDropSegmentDaysAndGarbage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		db := open()
		owner, stale := upkeepStream(t, db)
		ctx := context.Background()
		if _, err := db.DropSegmentDays(stale, "s", "20260101", 0); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale: %v", err)
		}
		if n, err := db.DropSegmentDays(owner, "s", "20251231", 0); err != nil || n != 0 {
			t.Fatalf("nothing to drop: %d, %v", n, err)
		}
		if h, _ := db.StreamIngestHead(ctx, "s"); h.Gen != 0 {
			t.Fatalf("a drop of nothing moved the generation: %+v", h)
		}
		if n, err := db.DropSegmentDays(owner, "s", "20260101", 0); err != nil || n != 3 {
			t.Fatalf("drop: %d, %v", n, err)
		}
		m, _ := db.ManifestAfter(ctx, "s", 0)
		if got := objectsOf(m.Segments); m.Gen != 1 || m.Indexed != 6 || !reflect.DeepEqual(got, []string{"x.seg"}) {
			t.Fatalf("manifest %+v", m)
		}
		// An upload recorded after all, and another listed for later.
		if err := db.AddGarbage(ctx, "s", []string{"x.seg"}, 0); err != nil {
			t.Fatal(err)
		}
		if err := db.AddGarbage(ctx, "s", []string{"later.seg"}, time.Hour); err != nil {
			t.Fatal(err)
		}
		due, err := db.DueGarbage(ctx, "s", 10)
		if err != nil || !reflect.DeepEqual(due, []string{"a.seg", "b.seg", "c.seg"}) {
			t.Fatalf("due %v, %v", due, err)
		}
		first, _ := db.DueGarbage(ctx, "s", 2)
		if !reflect.DeepEqual(first, due[:2]) {
			t.Fatalf("limited to 2: %v", first)
		}
		if err := db.ForgetGarbage(ctx, first); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.DueGarbage(ctx, "s", 10); !reflect.DeepEqual(again, []string{"c.seg"}) {
			t.Fatalf("after forgetting %v: %v", first, again)
		}
		if objects, _ := db.ForgetStreamLog(ctx, "s"); !reflect.DeepEqual(objects, []string{"c.seg", "later.seg", "x.seg"}) {
			t.Fatalf("a forgotten stream's objects %v", objects)
		}
	})
}

// A deleted stream's log takes no batch, and the head a batch left when
// it raced the deletion is forgotten; a stream without a tombstone is
// left alone.
func TestDeletedStreamsTakeNoBatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		db := open()
		ctx := context.Background()
		if err := db.CreateLogGroup(ctx, LogGroup{ID: "g", ProjectID: "p", Name: "g", TTLDays: 7}, 100); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateLogStream(ctx, LogStream{ID: "s", ProjectID: "p", GroupID: "g", Name: "s"}, 100); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"s", "other"} {
			if _, err := db.AppendIngest(ctx, s, []byte(s), 1000); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RecordSegments(ctx, "s", 0, 1, []SegmentRecord{{Object: "s.seg", Day: "20260101"}}); err != nil {
			t.Fatal(err)
		}
		// The deletion's tombstone commits; the log is not forgotten yet,
		// as when a batch raced it.
		if err := db.DeleteLogGroup(ctx, "p", "g"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AppendIngest(ctx, "s", []byte("late"), 1000); !errors.Is(err, ErrStreamDeleted) {
			t.Fatalf("appending to a deleted stream: %v", err)
		}
		if h, _ := db.StreamIngestHead(ctx, "s"); h.Head != 1 {
			t.Fatalf("a refused append moved the head: %+v", h)
		}
		objects, err := db.ForgetDeletedStreamLogs(ctx, []string{"s", "other"})
		if err != nil || !reflect.DeepEqual(objects, []string{"s.seg"}) {
			t.Fatalf("objects %v, %v", objects, err)
		}
		heads, err := db.IngestHeads(ctx)
		if err != nil || len(heads) != 1 || heads[0].StreamID != "other" || heads[0].Head != 1 {
			t.Fatalf("heads %+v, %v", heads, err)
		}
		if _, err := db.AppendIngest(ctx, "s", []byte("later"), 1000); !errors.Is(err, ErrStreamDeleted) {
			t.Fatalf("appending to a forgotten deleted stream: %v", err)
		}
	})
}
