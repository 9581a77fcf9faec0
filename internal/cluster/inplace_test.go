package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
	"logtank/internal/segcache"
	"logtank/internal/vfs"
)

// bucket is a directory store that counts whole and ranged GETs, and
// fails ranged ones while down is set.
type bucket struct {
	objstore.Store
	gets, ranges atomic.Int64
	down         atomic.Bool
}

func (b *bucket) Get(ctx context.Context, bkt, key string) (io.ReadCloser, error) {
	b.gets.Add(1)
	return b.Store.Get(ctx, bkt, key)
}

func (b *bucket) GetRange(ctx context.Context, bkt, key string, off, n int64) (io.ReadCloser, error) {
	b.ranges.Add(1)
	if b.down.Load() {
		return nil, errors.New("connection refused")
	}
	return b.Store.GetRange(ctx, bkt, key, off, n)
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".seg") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Nodes read the bucket's segments in place through a cache far smaller
// than them: no segment is downloaded whole, the owner keeps none of the
// segments it published, a follower holds the same rows with the same
// line numbers as the owner while its cache stays within its bound, and a
// bucket that cannot be reached fails catch-ups and scans with
// vfs.ErrUnavailable until it is back.
func TestNodesReadSegmentsInPlace(t *testing.T) {
	ctx := context.Background()
	db, err := catalog.Open(ctx, pgtest.URL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "segments"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := objstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	objects := &bucket{Store: dir}
	const bound, block = 16 << 10, 4 << 10
	small := segcache.Config{Bytes: bound, BlockSize: block}
	ownerDir := t.TempDir()
	a := testNodeIn(t, db, objects, "a", ownerDir, small)
	b := testNodeIn(t, db, objects, "b", t.TempDir(), small)

	// Random words, so that the segments do not compress to nothing.
	rng := rand.New(rand.NewPCG(5, 6))
	base := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).UnixNano()
	for round := range 6 {
		for i := range 40 {
			var es []logstore.Entry
			for j := range 25 {
				es = append(es, logstore.Entry{TimeNs: base + int64((round*40+i)%7)*int64(time.Second),
					Content: fmt.Sprintf("round %d batch %d line %d %x %x", round, i, j, rng.Uint64(), rng.Uint64())})
			}
			if err := a.Append(ctx, sid, []logstore.Batch{{Entries: es}}); err != nil {
				t.Fatal(err)
			}
		}
		tendAsPreferred(t, a, head(t, db))
	}
	segs, _ := db.SegmentsAfter(ctx, sid, 0)
	var total int64
	for _, s := range segs {
		total += s.Bytes
	}
	if h := head(t, db); h.Indexed != 240 || total < 4*bound {
		t.Fatalf("indexed %d of 240 batches into %d bytes of segments; the test wants more than %d", h.Indexed, total, 4*bound)
	}
	if files := segmentFiles(t, ownerDir); len(files) != 0 {
		t.Fatalf("the owner keeps %d published segment files: %v", len(files), files)
	}
	want := rows(t, a)
	if len(want) != 240*25 {
		t.Fatalf("the owner holds %d rows, want %d", len(want), 240*25)
	}
	if got := rows(t, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("the follower holds %d rows, different from the owner's %d", len(got), len(want))
	}
	if st := b.cfg.Cache.Stats(); st.Bytes > bound || st.FetchedBytes < total {
		t.Fatalf("the follower's cache: %+v; want at most %d bytes held and the %d segment bytes fetched", st, bound, total)
	}
	if n := objects.gets.Load(); n != 0 {
		t.Fatalf("%d whole-object GETs; segments are read by range", n)
	}

	objects.down.Store(true)
	c := testNodeIn(t, db, objects, "c", t.TempDir(), small)
	if err := c.CatchUp(ctx, sid); !errors.Is(err, vfs.ErrUnavailable) {
		t.Fatalf("a catch-up with the bucket down: %v, want vfs.ErrUnavailable", err)
	}
	err = b.cfg.Logs.Rows(ctx, sid, logstore.Scan{Start: 0, End: 1 << 62}, func(logstore.Row) bool { return true })
	if !errors.Is(err, vfs.ErrUnavailable) || !strings.Contains(err.Error(), "segments/") {
		t.Fatalf("a scan with the bucket down: %v, want vfs.ErrUnavailable naming the segment", err)
	}
	if b.cfg.Logs.Damaged(sid) {
		t.Fatal("an unreachable bucket was recorded as damage")
	}
	objects.down.Store(false)
	if got := rows(t, c); !reflect.DeepEqual(got, want) {
		t.Fatalf("once the bucket is back, a new node holds %d rows, different from the owner's %d", len(got), len(want))
	}
	if got := rows(t, b); !reflect.DeepEqual(got, want) {
		t.Fatal("once the bucket is back, the follower's rows differ")
	}
}
