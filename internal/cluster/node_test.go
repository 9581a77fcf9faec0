package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/lease"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
	"logtank/internal/segcache"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

const sid = "6f1f3a52-8d0e-4f43-9a43-0c1f6e6c2b11"

type words struct{}

func (words) EachToken(s string, fn func(string)) {
	for _, f := range strings.Fields(s) {
		fn(f)
	}
}

// testNode is a node whose background loop never runs: the test drives
// its rounds itself.
func testNode(t *testing.T, db *catalog.DB, objects objstore.Store, name string) *Node {
	t.Helper()
	return testNodeIn(t, db, objects, name, t.TempDir(), segcache.Config{Bytes: 64 << 20})
}

// testNodeIn is testNode with its logs in dir and a cache of cc's bound
// and block size.
func testNodeIn(t *testing.T, db *catalog.DB, objects objstore.Store, name, dir string, cc segcache.Config) *Node {
	t.Helper()
	logs, err := logstore.Open(dir, logstore.Options{Tokenizer: words{}, Follower: true, Logger: slog.New(slog.DiscardHandler)},
		func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	cc.Dir, cc.Logger = filepath.Join(t.TempDir(), "cache"), slog.New(slog.DiscardHandler)
	cache, err := segcache.Open(cc)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Start(Config{DB: db, Logs: logs, Cache: cache, Objects: objects, Bucket: "segments", Node: name, Poll: time.Hour,
		IndexAfter: time.Hour, IndexBatches: 1, MaxWaiting: 1000, LeaseTTL: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		logs.Close()
	})
	return n
}

func appendLines(t *testing.T, n *Node, from, to int) {
	t.Helper()
	base := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).UnixNano()
	for i := from; i < to; i++ {
		var es []logstore.Entry
		for j := range 3 {
			// Every line of a batch shares a time with lines of others.
			es = append(es, logstore.Entry{TimeNs: base + int64(i%4)*int64(time.Second), Content: fmt.Sprintf("b%d l%d", i, j)})
		}
		if err := n.Append(context.Background(), sid, []logstore.Batch{{Entries: es}}); err != nil {
			t.Fatal(err)
		}
	}
}

func rows(t *testing.T, n *Node) []logstore.Row {
	t.Helper()
	if err := n.CatchUp(context.Background(), sid); err != nil {
		t.Fatal(err)
	}
	var out []logstore.Row
	err := n.cfg.Logs.Rows(context.Background(), sid, logstore.Scan{Start: math.MinInt64, End: math.MaxInt64}, func(r logstore.Row) bool {
		out = append(out, r)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func head(t *testing.T, db *catalog.DB) catalog.IngestHead {
	t.Helper()
	h, err := db.StreamIngestHead(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// A node whose lease was taken over cannot record the segments it wrote:
// its round fails without changing the manifest, and the node rebuilds
// the stream from the new owner's segments and the log, holding the same
// rows with the same line numbers, each once.
func TestStaleOwnerRebuildsFromTheManifest(t *testing.T) {
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
	objects, err := objstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Close()
	a, b := testNode(t, db, objects, "a"), testNode(t, db, objects, "b")

	appendLines(t, a, 0, 10)
	if err := a.tend(ctx, head(t, db)); err != nil {
		t.Fatal(err)
	}
	if h := head(t, db); h.Indexed != 10 {
		t.Fatalf("after a's round: %+v", h)
	}
	// b cannot take a held lease.
	appendLines(t, b, 10, 20)
	if err := b.tend(ctx, head(t, db)); err != nil {
		t.Fatal(err)
	}
	if h := head(t, db); h.Indexed != 10 || b.stream(sid).owned {
		t.Fatalf("b indexed a's stream: %+v", h)
	}
	// The lease passes to b behind a's back (a paused past its expiry).
	sa := a.stream(sid)
	if err := a.leases.Release(ctx, sa.lease); err != nil {
		t.Fatal(err)
	}
	if err := b.tend(ctx, head(t, db)); err != nil {
		t.Fatal(err)
	}
	if h := head(t, db); h.Indexed != 20 || !b.stream(sid).owned {
		t.Fatalf("after b's round: %+v", h)
	}
	appendLines(t, a, 20, 25)
	if err := a.CatchUp(ctx, sid); err != nil {
		t.Fatal(err)
	}
	manifest, _ := db.SegmentsAfter(ctx, sid, 0)
	sa.mu.Lock()
	err = a.index(ctx, sid, sa)
	sa.mu.Unlock()
	if !errors.Is(err, lease.ErrLost) && !errors.Is(err, catalog.ErrIndexedMoved) {
		t.Fatalf("the stale owner's round: %v", err)
	}
	if after, _ := db.SegmentsAfter(ctx, sid, 0); !reflect.DeepEqual(after, manifest) {
		t.Fatalf("the stale owner changed the manifest: %+v, was %+v", after, manifest)
	}
	got, want := rows(t, a), rows(t, b)
	if len(want) != 75 || !reflect.DeepEqual(got, want) {
		t.Fatalf("a holds %d rows, b %d (want 75, the same)", len(got), len(want))
	}
	fresh := testNode(t, db, objects, "c")
	if got := rows(t, fresh); !reflect.DeepEqual(got, want) {
		t.Fatalf("a fresh node holds %d rows, b %d", len(got), len(want))
	}
}
