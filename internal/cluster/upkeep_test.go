package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
)

// upkeepNode is a testNode with the stream's TTL given, whose upkeep the
// test runs itself.
func upkeepNode(t *testing.T, db *catalog.DB, objects objstore.Store, name string, ttl time.Duration) *Node {
	t.Helper()
	return configuredNode(t, db, objects, name, func(c *Config) { c.TTL = func(string) time.Duration { return ttl } })
}

// configuredNode is a testNode whose upkeep the test runs itself and whose
// configuration configure changes.
func configuredNode(t *testing.T, db *catalog.DB, objects objstore.Store, name string, configure func(*Config)) *Node {
	t.Helper()
	return testNode(t, db, objects, name, func(c *Config) {
		c.Upkeep, c.Grace = time.Hour, time.Hour
		configure(c)
	})
}

// indexRounds appends, through n, rounds of one batch holding a line of
// each of times (several sharing each time across rounds), each round
// indexed by owner.
func indexRounds(t *testing.T, n, owner *Node, db *catalog.DB, rounds int, times ...int64) {
	t.Helper()
	for r := range rounds {
		var es []logstore.Entry
		for i, ts := range times {
			es = append(es, logstore.Entry{TimeNs: ts, Content: fmt.Sprintf("r%d t%d", r, i)})
		}
		if err := n.Append(context.Background(), sid, []logstore.Batch{{Entries: es}}); err != nil {
			t.Fatal(err)
		}
		tendAsPreferred(t, owner, head(t, db))
	}
}

func upkeep(t *testing.T, n *Node) {
	t.Helper()
	st := n.stream(sid)
	st.mu.Lock()
	owned, l := st.owned, st.lease
	st.mu.Unlock()
	if !owned {
		t.Fatalf("%s does not own the stream", n.Name())
	}
	if err := n.upkeep(context.Background(), sid, l); err != nil {
		t.Fatal(err)
	}
}

// localSegments counts the segments a node's store holds of the stream,
// by day.
func localSegments(n *Node) map[string]int { return n.cfg.Logs.SegmentsPerDay(sid) }

func bucketKeys(t *testing.T, objects objstore.Store) []string {
	t.Helper()
	keys, err := objects.List(context.Background(), "segments", "segments/"+sid+"/")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func manifestObjects(t *testing.T, db *catalog.DB) (catalog.Manifest, map[string][]string) {
	t.Helper()
	m, err := db.ManifestAfter(context.Background(), sid, 0)
	if err != nil {
		t.Fatal(err)
	}
	byDay := map[string][]string{}
	for _, s := range m.Segments {
		byDay[s.Day] = append(byDay[s.Day], s.Object)
	}
	return m, byDay
}

// The owner merges each day's small segments into one, recorded in their
// place: both nodes then hold the same rows with the same line numbers as
// before (those still waiting to be indexed too) and one segment per day,
// a node joining later too; the replaced objects stay in the bucket until
// their grace has passed.
func TestOwnerCompactsSharedSegments(t *testing.T) {
	db, objects := shared(t)
	a := upkeepNode(t, db, objects, "a", 0)
	b := upkeepNode(t, db, objects, "b", 0)
	day1 := time.Date(2026, 1, 2, 23, 59, 59, 0, time.UTC).UnixNano()
	day2 := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC).UnixNano()
	indexRounds(t, b, a, db, 12, day1, day1, day2)
	// Rows that wait to be indexed, on the days being merged.
	indexRounds(t, b, b, db, 2, day1, day2)
	before := rows(t, a)
	if len(before) != 12*3+2*2 || !reflect.DeepEqual(rows(t, b), before) {
		t.Fatalf("before: a holds %d rows, b %d", len(before), len(rows(t, b)))
	}
	if got := localSegments(b); got["20260102"] != 12 || got["20260103"] != 12 {
		t.Fatalf("b's segments before: %v", got)
	}
	_, old := manifestObjects(t, db)

	upkeep(t, a)
	m, byDay := manifestObjects(t, db)
	if m.Gen != 2 || m.Indexed != 12 || len(byDay["20260102"]) != 1 || len(byDay["20260103"]) != 1 {
		t.Fatalf("manifest after compaction: gen %d, indexed %d, %v", m.Gen, m.Indexed, byDay)
	}
	for _, s := range m.Segments {
		if s.FromSeq != 0 || s.ToSeq != 12 {
			t.Fatalf("a merged segment covers (%d, %d], want (0, 12]", s.FromSeq, s.ToSeq)
		}
	}
	for _, n := range []*Node{a, b} {
		if got := rows(t, n); !reflect.DeepEqual(got, before) {
			t.Fatalf("%s after compaction holds %d rows, differing from the %d before", n.Name(), len(got), len(before))
		}
	}
	for _, n := range []*Node{a, b} {
		if got := localSegments(n); !reflect.DeepEqual(got, map[string]int{"20260102": 1, "20260103": 1}) {
			t.Fatalf("%s's segments after compaction: %v", n.Name(), got)
		}
	}
	fresh := upkeepNode(t, db, objects, "c", 0)
	if got := rows(t, fresh); !reflect.DeepEqual(got, before) {
		t.Fatalf("a fresh node holds %d rows, want the %d before", len(got), len(before))
	}
	// The replaced objects wait for their grace.
	keys := bucketKeys(t, objects)
	for _, o := range append(old["20260102"], old["20260103"]...) {
		if !slices.Contains(keys, o) {
			t.Fatalf("replaced object %s deleted before its grace", o)
		}
	}
	// Indexing goes on after the merged segments.
	indexRounds(t, a, a, db, 1, day2)
	if got, want := rows(t, b), rows(t, a); len(want) != len(before)+1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("after another round: b holds %d rows, a %d", len(got), len(want))
	}
}

// The owner drops the days the stream's TTL expired from the manifest;
// every node drops their rows, and their objects leave the bucket once
// their grace passed, while recent days stay.
func TestOwnerExpiresSharedDays(t *testing.T) {
	db, objects := shared(t)
	const ttl = 30 * 24 * time.Hour
	a := upkeepNode(t, db, objects, "a", ttl)
	b := upkeepNode(t, db, objects, "b", 0)
	now := time.Now()
	old, recent := now.Add(-ttl-48*time.Hour).UnixNano(), now.Add(-time.Hour).UnixNano()
	indexRounds(t, b, a, db, 3, old, recent, recent)
	all := rows(t, b)
	if len(all) != 9 || !reflect.DeepEqual(rows(t, a), all) {
		t.Fatalf("before: %d rows", len(all))
	}
	var kept []logstore.Row
	for _, r := range all {
		if r.Line >= recent {
			kept = append(kept, r)
		}
	}
	oldDay, recentDay := time.Unix(0, old).UTC().Format("20060102"), time.Unix(0, recent).UTC().Format("20060102")
	_, before := manifestObjects(t, db)
	a.cfg.Grace = time.Millisecond
	upkeep(t, a)
	m, after := manifestObjects(t, db)
	if m.Gen != 1 || len(after[oldDay]) != 0 || !reflect.DeepEqual(after[recentDay], before[recentDay]) {
		t.Fatalf("manifest after expiry: gen %d, %v (was %v)", m.Gen, after, before)
	}
	for _, n := range []*Node{a, b} {
		if got := rows(t, n); !reflect.DeepEqual(got, kept) {
			t.Fatalf("%s holds %d rows after expiry, want the %d recent ones", n.Name(), len(got), len(kept))
		}
	}
	for _, n := range []*Node{a, b} {
		if got := localSegments(n); got[oldDay] != 0 || got[recentDay] != 3 {
			t.Fatalf("%s's segments after expiry: %v", n.Name(), got)
		}
	}
	// Once the grace passed, an upkeep deletes the expired objects (the
	// catalog's tests check that none is due before).
	for slices.ContainsFunc(before[oldDay], func(o string) bool { return slices.Contains(bucketKeys(t, objects), o) }) {
		time.Sleep(5 * time.Millisecond)
		upkeep(t, a)
	}
	keys := bucketKeys(t, objects)
	for _, o := range before[recentDay] {
		if !slices.Contains(keys, o) {
			t.Fatalf("recent object %s left the bucket", o)
		}
	}
	if due, _ := db.DueGarbage(context.Background(), sid, 10); len(due) != 0 {
		t.Fatalf("garbage left listed: %v", due)
	}
}

// A stream that receives nothing more after its owner went away still has
// its expired days dropped: its preferred owner among the live nodes takes
// its lease for the upkeep, though no batch waits to be indexed.
func TestIdleStreamExpiresWithoutItsOwner(t *testing.T) {
	db, objects := shared(t)
	const ttl = 30 * 24 * time.Hour
	first := upkeepNode(t, db, objects, "first", ttl)
	now := time.Now()
	old, recent := now.Add(-ttl-48*time.Hour).UnixNano(), now.Add(-time.Hour).UnixNano()
	indexRounds(t, first, first, db, 2, old, recent)
	oldDay := time.Unix(0, old).UTC().Format("20060102")
	if _, byDay := manifestObjects(t, db); len(byDay[oldDay]) != 2 {
		t.Fatalf("manifest before: %v", byDay)
	}
	first.Close()
	if h := head(t, db); h.Head != h.Indexed {
		t.Fatalf("batches wait: head %d, indexed %d", h.Head, h.Indexed)
	}
	heir := configuredNode(t, db, objects, "heir", func(c *Config) {
		c.TTL = func(string) time.Duration { return ttl }
		c.Upkeep = time.Millisecond
	})
	round(t, heir)
	m, byDay := manifestObjects(t, db)
	if len(byDay[oldDay]) != 0 || m.Gen != 1 {
		t.Fatalf("manifest after the heir's round: gen %d, %v", m.Gen, byDay)
	}
	if l, err := db.Lease(context.Background(), streamPrefix+sid); err != nil || l.Owner != "heir" {
		t.Fatalf("the stream's lease: %+v, %v", l, err)
	}
}

// A batch appended through a node that has not seen its stream's deletion
// is refused; the head a batch left when it raced the deletion is
// forgotten, with its segments, by the next poll of a node that no longer
// knows the stream.
func TestDeletedStreamLeavesNoLog(t *testing.T) {
	db, objects := shared(t)
	ctx := context.Background()
	catalogStream(t, db)
	deleted := false
	a := configuredNode(t, db, objects, "a", func(*Config) {})
	b := configuredNode(t, db, objects, "b", func(c *Config) { c.Known = func(id string) bool { return id != sid || !deleted } })
	indexRounds(t, a, a, db, 2, time.Now().UnixNano())
	appendLines(t, a, 0, 1)
	objectsBefore := bucketKeys(t, objects)
	if len(objectsBefore) == 0 {
		t.Fatal("no segment was uploaded")
	}
	// The deletion commits its tombstone; its log is not forgotten, as
	// when a batch's statement began before the deletion committed.
	if err := db.DeleteLogGroup(ctx, "p", "g"); err != nil {
		t.Fatal(err)
	}
	err := a.Append(ctx, sid, []logstore.Batch{{Entries: []logstore.Entry{{TimeNs: 1, Content: "late"}}}})
	if !errors.Is(err, catalog.ErrStreamDeleted) {
		t.Fatalf("appending through a node that has not seen the deletion: %v", err)
	}
	deleted = true
	if err := b.round(ctx); err != nil {
		t.Fatal(err)
	}
	heads, err := db.IngestHeads(ctx)
	if err != nil || len(heads) != 0 {
		t.Fatalf("heads left: %+v, %v", heads, err)
	}
	if left, _ := db.IngestAfter(ctx, sid, 0, 10); len(left) != 0 {
		t.Fatalf("batches left: %d", len(left))
	}
	if keys := bucketKeys(t, objects); len(keys) != 0 {
		t.Fatalf("objects left: %v", keys)
	}
}

// catalogStream records the stream in the catalog, in group "g" of
// project "p", so that deleting the group gives it a tombstone.
func catalogStream(t *testing.T, db *catalog.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateLogGroup(ctx, catalog.LogGroup{ID: "g", ProjectID: "p", Name: "g", TTLDays: 7}, 100); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLogStream(ctx, catalog.LogStream{ID: sid, ProjectID: "p", GroupID: "g", Name: "s"}, 100); err != nil {
		t.Fatal(err)
	}
}

// hungPuts is a bucket whose uploads store their object and then never
// return, as a node that dies or hangs right after an upload: nothing it
// would do after the upload happens.
type hungPuts struct {
	objstore.Store
	release chan struct{}
}

func (h hungPuts) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if err := h.Store.Put(ctx, bucket, key, r, size); err != nil {
		return err
	}
	<-h.release
	return errors.New("the node was gone")
}

// An upload whose node never recorded it (it died or hung between the
// upload and the commit) is deleted after the grace by the node that takes
// the stream over, which indexes the same rows under its own name.
func TestAnUploadNoCommitRecordedIsDeleted(t *testing.T) {
	db, objects := shared(t)
	const term = 300 * time.Millisecond
	release := make(chan struct{})
	gone := configuredNode(t, db, hungPuts{objects, release}, "gone", func(c *Config) { c.Grace, c.LeaseTTL = time.Millisecond, term })
	heir := configuredNode(t, db, objects, "heir", func(c *Config) { c.Grace = time.Millisecond })
	appendLines(t, gone, 0, 2)
	h := head(t, db)
	stuck := make(chan struct{})
	go func() {
		defer close(stuck)
		gone.pollMu.Lock()
		defer gone.pollMu.Unlock()
		if v, err := gone.look(context.Background()); err == nil {
			v.members = []string{gone.Name()}
			_ = gone.tend(context.Background(), h, v) // hangs in the upload until released
		}
	}()
	t.Cleanup(func() {
		close(release)
		<-stuck
	})
	deadline := time.Now().Add(15 * time.Second)
	for len(bucketKeys(t, objects)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hung node uploaded nothing")
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	orphan := bucketKeys(t, objects)[0]
	time.Sleep(2 * term) // the hung node's lease expires by the database's clock
	tendAsPreferred(t, heir, head(t, db))
	if got := rows(t, heir); len(got) != 6 {
		t.Fatalf("the heir holds %d rows, want 6", len(got))
	}
	upkeep(t, heir)
	m, _ := manifestObjects(t, db)
	keys := bucketKeys(t, objects)
	if len(m.Segments) != 1 || !reflect.DeepEqual(keys, []string{m.Segments[0].Object}) || slices.Contains(keys, orphan) {
		t.Fatalf("the bucket holds %v; the manifest names %+v; the unrecorded upload was %s", keys, m.Segments, orphan)
	}
}

// gatedPuts is a bucket whose uploads, once armed, wait until released.
type gatedPuts struct {
	objstore.Store
	armed    atomic.Bool
	waiting  chan string
	release  chan struct{}
	released sync.Once
}

func newGate(objects objstore.Store) *gatedPuts {
	return &gatedPuts{Store: objects, waiting: make(chan string, 1), release: make(chan struct{})}
}

func (g *gatedPuts) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if g.armed.Load() {
		g.waiting <- key
		<-g.release
	}
	return g.Store.Put(ctx, bucket, key, r, size)
}

// heldRound arms the gate and starts n's round of the stream at head h as
// its preferred owner, returns once the round's first upload is held, and
// gives what the round ends with after open.
func (g *gatedPuts) heldRound(t *testing.T, n *Node, h catalog.IngestHead) <-chan error {
	t.Helper()
	g.armed.Store(true)
	t.Cleanup(g.open)
	ended := make(chan error, 1)
	go func() {
		n.pollMu.Lock()
		defer n.pollMu.Unlock()
		v, err := n.look(context.Background())
		if err == nil {
			v.members = []string{n.Name()}
			err = n.tend(context.Background(), h, v)
		}
		ended <- err
	}()
	select {
	case <-g.waiting:
	case <-time.After(15 * time.Second):
		t.Fatal("the round uploaded nothing")
	}
	return ended
}

// open lets the held upload go, and every later one through.
func (g *gatedPuts) open() {
	g.released.Do(func() {
		g.armed.Store(false)
		close(g.release)
	})
}

// The owner's upkeep runs without the stream's lock: while its merge's
// upload hangs, a query's catch-up of the stream on the same node and a
// read of its rows go on; the merge is recorded once the upload ends.
func TestQueriesDoNotWaitForTheUpkeep(t *testing.T) {
	db, objects := shared(t)
	gate := newGate(objects)
	a := upkeepNode(t, db, gate, "a", 0)
	day := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC).UnixNano()
	indexRounds(t, a, a, db, 12, day, day)
	before := rows(t, a)
	if _, byDay := manifestObjects(t, db); len(byDay["20260102"]) != 12 {
		t.Fatalf("manifest before: %v", byDay)
	}
	st := a.stream(sid)
	st.mu.Lock()
	st.upkept = time.Time{} // due now
	st.mu.Unlock()
	tended := gate.heldRound(t, a, head(t, db))
	caught := make(chan error, 1)
	go func() { caught <- a.CatchUp(context.Background(), sid) }()
	select {
	case err := <-caught:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a query's catch-up waited for the upkeep's upload")
	}
	if got := rows(t, a); !reflect.DeepEqual(got, before) {
		t.Fatalf("during the upkeep a holds %d rows, want the %d before", len(got), len(before))
	}
	gate.open()
	if err := <-tended; err != nil {
		t.Fatal(err)
	}
	if _, byDay := manifestObjects(t, db); len(byDay["20260102"]) != 1 {
		t.Fatalf("manifest after the upkeep: %v", byDay)
	}
	if got := rows(t, a); !reflect.DeepEqual(got, before) {
		t.Fatalf("after the upkeep a holds %d rows, want the %d before", len(got), len(before))
	}
}

// A stream deleted through another node while its owner uploads a
// segment: the deletion forgets the stream's log and garbage list before
// the upload lands, the commit then fails, and the owner deletes the
// upload itself; the deleted stream's garbage list takes no more.
func TestAnUploadOfADeletedStreamIsDeleted(t *testing.T) {
	db, objects := shared(t)
	ctx := context.Background()
	catalogStream(t, db)
	gate := newGate(objects)
	a := configuredNode(t, db, gate, "a", func(*Config) {})
	b := configuredNode(t, db, objects, "b", func(*Config) {})
	appendLines(t, a, 0, 2)
	tended := gate.heldRound(t, a, head(t, db))
	if err := db.DeleteLogGroup(ctx, "p", "g"); err != nil {
		t.Fatal(err)
	}
	// Through another node: a's own deletion would wait for its upload.
	if err := b.Forget(ctx, sid); err != nil {
		t.Fatal(err)
	}
	gate.open()
	if err := <-tended; err == nil {
		t.Fatal("the deleted stream's segment was recorded")
	}
	if keys := bucketKeys(t, objects); len(keys) != 0 {
		t.Fatalf("objects left: %v", keys)
	}
	if err := db.AddGarbage(ctx, sid, []string{"late.seg"}, time.Minute); !errors.Is(err, catalog.ErrStreamDeleted) {
		t.Fatalf("listing an upload of the deleted stream: %v", err)
	}
}
