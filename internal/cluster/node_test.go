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

// shared returns a catalog on PostgreSQL and a bucket in a folder, as the
// nodes of one cluster share them.
func shared(t *testing.T) (*catalog.DB, objstore.Store) {
	t.Helper()
	db, err := catalog.Open(context.Background(), pgtest.URL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "segments"), 0o755); err != nil {
		t.Fatal(err)
	}
	objects, err := objstore.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	return db, objects
}

// testNode is a node whose background loop never runs: the test drives
// its rounds itself. tune changes its configuration.
func testNode(t *testing.T, db *catalog.DB, objects objstore.Store, name string, tune ...func(*Config)) *Node {
	t.Helper()
	return testNodeIn(t, db, objects, name, t.TempDir(), segcache.Config{Bytes: 64 << 20}, tune...)
}

// testNodeIn is testNode with its logs in dir and a cache of cc's bound
// and block size.
func testNodeIn(t *testing.T, db *catalog.DB, objects objstore.Store, name, dir string, cc segcache.Config, tune ...func(*Config)) *Node {
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
	cfg := Config{DB: db, Logs: logs, Cache: cache, Objects: objects, Bucket: "segments", Node: name, Poll: time.Hour,
		IndexAfter: time.Hour, IndexBatches: 1, MaxWaiting: 1000, LeaseTTL: time.Minute, Logger: slog.New(slog.DiscardHandler)}
	for _, f := range tune {
		f(&cfg)
	}
	n, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		logs.Close()
	})
	return n
}

// tendAsPreferred runs n's round of one stream as if n were the stream's
// preferred owner, for the tests that choose the owner rather than the
// hash.
func tendAsPreferred(t *testing.T, n *Node, h catalog.IngestHead) {
	t.Helper()
	n.pollMu.Lock()
	defer n.pollMu.Unlock()
	v, err := n.look(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v.members = []string{n.Name()}
	if err := n.tend(context.Background(), h, v); err != nil {
		t.Fatal(err)
	}
}

// preferredName returns the first of base0, base1, … that is the
// preferred owner of stream among others and itself.
func preferredName(others []string, stream, base string) string {
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s%d", base, i)
		if preferred(append(others[:len(others):len(others)], name), stream) == name {
			return name
		}
	}
}

func round(t *testing.T, nodes ...*Node) {
	t.Helper()
	for _, n := range nodes {
		if err := n.round(context.Background()); err != nil {
			t.Fatalf("%s's round: %v", n.Name(), err)
		}
	}
}

func appendLines(t *testing.T, n *Node, from, to int) {
	t.Helper()
	appendTo(t, n, sid, from, to)
}

// appendTo appends batches from to to (excluded) of three lines each.
func appendTo(t *testing.T, n *Node, stream string, from, to int) {
	t.Helper()
	base := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).UnixNano()
	for i := from; i < to; i++ {
		var es []logstore.Entry
		for j := range 3 {
			// Every line of a batch shares a time with lines of others.
			es = append(es, logstore.Entry{TimeNs: base + int64(i%4)*int64(time.Second), Content: fmt.Sprintf("b%d l%d", i, j)})
		}
		if err := n.Append(context.Background(), stream, []logstore.Batch{{Entries: es}}); err != nil {
			t.Fatal(err)
		}
	}
}

// rows catches the node up with the stream, as a query through it does,
// and returns the rows it holds.
func rows(t *testing.T, n *Node) []logstore.Row {
	t.Helper()
	return rowsOf(t, n, sid)
}

func rowsOf(t *testing.T, n *Node, stream string) []logstore.Row {
	t.Helper()
	if err := n.CatchUp(context.Background(), stream); err != nil {
		t.Fatal(err)
	}
	return held(t, n, stream)
}

// held returns the rows the node's store holds of the stream, without
// catching up.
func held(t *testing.T, n *Node, stream string) []logstore.Row {
	t.Helper()
	var out []logstore.Row
	err := n.cfg.Logs.Rows(context.Background(), stream, logstore.Scan{Start: math.MinInt64, End: math.MaxInt64}, func(r logstore.Row) bool {
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
	db, objects := shared(t)
	// a, alone, owns the stream; b, who joins, is its preferred owner.
	a := testNode(t, db, objects, "a")
	b := testNode(t, db, objects, preferredName([]string{"a"}, sid, "b"))

	appendLines(t, a, 0, 10)
	// a takes the stream while b is not yet a member, as when a node
	// joins: let b's membership lapse behind its back.
	// b's keeper takes its membership in the background as b starts.
	bm, ok := b.member.Held()
	for deadline := time.Now().Add(15 * time.Second); !ok; bm, ok = b.member.Held() {
		if time.Now().After(deadline) {
			t.Fatal("b never became a member")
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
	if err := b.leases.Release(ctx, bm); err != nil {
		t.Fatal(err)
	}
	round(t, a)
	if h := head(t, db); h.Indexed != 10 {
		t.Fatalf("after a's round: %+v", h)
	}
	if _, ok, err := b.leases.Acquire(ctx, nodePrefix+b.Name()); err != nil || !ok {
		t.Fatal(ok, err)
	}
	// b, preferred, cannot take a held lease.
	appendLines(t, b, 10, 20)
	round(t, b)
	if h := head(t, db); h.Indexed != 10 || b.stream(sid).owned {
		t.Fatalf("b indexed a's stream: %+v", h)
	}
	// The lease passes to b behind a's back (a paused past its expiry).
	sa := a.stream(sid)
	if err := a.leases.Release(ctx, sa.lease); err != nil {
		t.Fatal(err)
	}
	round(t, b)
	if h := head(t, db); h.Indexed != 20 || !b.stream(sid).owned {
		t.Fatalf("after b's round: %+v", h)
	}
	appendLines(t, a, 20, 25)
	if err := a.CatchUp(ctx, sid); err != nil {
		t.Fatal(err)
	}
	manifest, _ := db.SegmentsAfter(ctx, sid, 0)
	sa.mu.Lock()
	err := a.index(ctx, sid, sa)
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
