package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"logtank/internal/catalog/pgtest"
)

// Concurrent appends to one stream from two catalog handles take every
// number once with no gap, and each batch is stored under the number it was
// given.
func TestIngestLogNumbersInCommitOrder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		dbs := []*DB{open(), open()}
		const writers, each = 4, 25
		var mu sync.Mutex
		given := map[int64]string{}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					body := fmt.Sprintf("w%d-%d", w, i)
					seq, err := dbs[w%2].AppendIngest(ctx, "s1", []byte(body), 1000)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if prev, ok := given[seq]; ok {
						errs <- fmt.Errorf("number %d given to %s and %s", seq, prev, body)
					}
					given[seq] = body
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if _, err := dbs[0].AppendIngest(ctx, "s2", []byte("other"), 1000); err != nil {
			t.Fatal(err)
		}
		got, err := dbs[1].IngestAfter(ctx, "s1", 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != writers*each {
			t.Fatalf("%d batches, want %d", len(got), writers*each)
		}
		for i, b := range got {
			if b.Seq != int64(i+1) || string(b.Batch) != given[b.Seq] {
				t.Fatalf("batch %d: number %d holding %q, want %d holding %q", i, b.Seq, b.Batch, i+1, given[int64(i+1)])
			}
		}
		h, err := dbs[0].StreamIngestHead(ctx, "s1")
		if err != nil || h.Head != writers*each || h.Indexed != 0 {
			t.Fatalf("head %+v, %v", h, err)
		}
		heads, err := dbs[0].IngestHeads(ctx)
		if err != nil || len(heads) != 2 {
			t.Fatalf("heads %+v, %v", heads, err)
		}
	})
}

// Recording segments advances the indexed number only from where the
// round started, deletes the batches they hold, and is refused by its
// fence without changing anything.
func TestRecordSegments(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		for i := range 5 {
			if _, err := db.AppendIngest(ctx, "s", []byte{byte(i)}, 1000); err != nil {
				t.Fatal(err)
			}
		}
		seg := SegmentRecord{Object: "a.seg", Day: "20260101", MinLine: 1, MaxLine: 9, Rows: 3, Bytes: 100}
		l, ok, err := db.AcquireLease(ctx, "stream:s", "node-a", time.Hour)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		stale := WithFence(ctx, Fence{Name: l.Name, Owner: l.Owner, Epoch: l.Epoch + 1})
		if err := db.RecordSegments(stale, "s", 0, 3, []SegmentRecord{seg}); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("fenced: %v", err)
		}
		ctx = WithFence(ctx, Fence{Name: l.Name, Owner: l.Owner, Epoch: l.Epoch})
		if err := db.RecordSegments(ctx, "s", 1, 3, []SegmentRecord{seg}); !errors.Is(err, ErrIndexedMoved) {
			t.Fatalf("from a wrong number: %v", err)
		}
		if err := db.RecordSegments(ctx, "s", 0, 6, []SegmentRecord{seg}); !errors.Is(err, ErrIndexedMoved) {
			t.Fatalf("beyond the head: %v", err)
		}
		if err := db.RecordSegments(ctx, "s", 0, 3, []SegmentRecord{seg}); err != nil {
			t.Fatal(err)
		}
		left, err := db.IngestAfter(ctx, "s", 0, 10)
		if err != nil || len(left) != 2 || left[0].Seq != 4 {
			t.Fatalf("left %+v, %v", left, err)
		}
		segs, err := db.SegmentsAfter(ctx, "s", 0)
		if err != nil || len(segs) != 1 || segs[0].FromSeq != 0 || segs[0].ToSeq != 3 || segs[0].Object != "a.seg" {
			t.Fatalf("segments %+v, %v", segs, err)
		}
		if segs, err := db.SegmentsAfter(ctx, "s", 3); err != nil || len(segs) != 0 {
			t.Fatalf("segments after 3: %+v, %v", segs, err)
		}
		h, _ := db.StreamIngestHead(ctx, "s")
		if h.Head != 5 || h.Indexed != 3 {
			t.Fatalf("head %+v", h)
		}
	})
}

// Forgetting a stream's log deletes its batches, head and manifest, names
// the objects to delete, and leaves other streams alone.
func TestForgetStreamLog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		for _, s := range []string{"s", "s", "other"} {
			if _, err := db.AppendIngest(ctx, s, []byte(s), 1000); err != nil {
				t.Fatal(err)
			}
		}
		segs := []SegmentRecord{{Object: "b.seg", Day: "20260101"}, {Object: "a.seg", Day: "20260102"}}
		if err := db.RecordSegments(ctx, "s", 0, 1, segs); err != nil {
			t.Fatal(err)
		}
		objects, err := db.ForgetStreamLog(ctx, "s")
		if err != nil || len(objects) != 2 || objects[0] != "a.seg" || objects[1] != "b.seg" {
			t.Fatalf("objects %v, %v", objects, err)
		}
		heads, err := db.IngestHeads(ctx)
		if err != nil || len(heads) != 1 || heads[0].StreamID != "other" {
			t.Fatalf("heads %+v, %v", heads, err)
		}
		if left, _ := db.IngestAfter(ctx, "s", 0, 10); len(left) != 0 {
			t.Fatalf("batches left: %+v", left)
		}
		if left, _ := db.SegmentsAfter(ctx, "s", 0); len(left) != 0 {
			t.Fatalf("segments left: %+v", left)
		}
		if left, _ := db.IngestAfter(ctx, "other", 0, 10); len(left) != 1 {
			t.Fatalf("the other stream's batches: %+v", left)
		}
	})
}

// A stream whose writer allows 3 waiting batches takes no fourth until
// some are indexed, and refuses without storing anything or using a number.
func TestIngestBacklogRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		for i := range 3 {
			if seq, err := db.AppendIngest(ctx, "s", []byte{byte(i)}, 3); err != nil || seq != int64(i+1) {
				t.Fatalf("append %d: %d, %v", i, seq, err)
			}
		}
		if _, err := db.AppendIngest(ctx, "s", []byte{9}, 3); !errors.Is(err, ErrIngestBacklog) {
			t.Fatalf("a fourth waiting batch: %v", err)
		}
		if h, _ := db.StreamIngestHead(ctx, "s"); h.Head != 3 {
			t.Fatalf("head after a refusal: %+v", h)
		}
		if err := db.RecordSegments(ctx, "s", 0, 2, nil); err != nil {
			t.Fatal(err)
		}
		if seq, err := db.AppendIngest(ctx, "s", []byte{4}, 3); err != nil || seq != 4 {
			t.Fatalf("after indexing: %d, %v", seq, err)
		}
		if got, _ := db.IngestAfter(ctx, "s", 0, 10); len(got) != 2 || got[0].Seq != 3 || got[1].Seq != 4 {
			t.Fatalf("batches %+v", got)
		}
	})
}

// BenchmarkAppendIngestPostgres measures one acknowledged batch's
// statement and commit on PostgreSQL, the tombstone lookup included.
func BenchmarkAppendIngestPostgres(b *testing.B) {
	db, err := Open(context.Background(), pgtest.URL(b), "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	batch := make([]byte, 2048)
	b.ResetTimer()
	for i := range b.N {
		if _, err := db.AppendIngest(ctx, "s", batch, int64(b.N)+1); err != nil {
			b.Fatal(i, err)
		}
	}
}
