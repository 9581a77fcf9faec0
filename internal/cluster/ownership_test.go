package cluster

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"logtank/internal/catalog"
)

// owners returns, for each stream, the name of the node that owns it,
// checking that exactly one node believes it does and that the catalog's
// lease names that node.
func owners(t *testing.T, db *catalog.DB, streams []string, nodes ...*Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range streams {
		for _, n := range nodes {
			st := n.stream(id)
			st.mu.Lock()
			owned := st.owned
			st.mu.Unlock()
			if !owned {
				continue
			}
			if out[id] != "" {
				t.Fatalf("stream %s owned by %s and %s", id, out[id], n.Name())
			}
			out[id] = n.Name()
		}
		if out[id] == "" {
			t.Fatalf("stream %s has no owner", id)
		}
		l, err := db.Lease(context.Background(), streamPrefix+id)
		if err != nil || l.Owner != out[id] || l.ExpiryMS == 0 {
			t.Fatalf("stream %s: owned by %s, its lease %+v %v", id, out[id], l, err)
		}
	}
	return out
}

// allIndexed checks that every stream's owner indexed all its batches.
func allIndexed(t *testing.T, db *catalog.DB, streams []string) {
	t.Helper()
	for _, id := range streams {
		h, err := db.StreamIngestHead(context.Background(), id)
		if err != nil || h.Head == 0 || h.Indexed != h.Head {
			t.Fatalf("stream %s: %+v %v", id, h, err)
		}
	}
}

// holdsNothing checks that the node's store holds nothing of the stream.
func holdsNothing(t *testing.T, n *Node, id string) {
	t.Helper()
	if applied, covered := n.cfg.Logs.Applied(id); applied != 0 || covered != 0 {
		t.Fatalf("%s holds stream %s up to %d (segments up to %d)", n.Name(), id, applied, covered)
	}
	if r := held(t, n, id); len(r) != 0 {
		t.Fatalf("%s holds %d rows of stream %s", n.Name(), len(r), id)
	}
}

// Thirty streams written through three nodes are each owned by the live
// node of highest weight for it, about a third each, and only the owner
// holds a stream. A node that leaves hands its streams to the others (and
// only its streams move); when it comes back they are handed back to it.
// Through all of it no line is lost or stored twice, and every node gives
// every line the same number.
func TestStreamsSpreadOverTheLiveNodes(t *testing.T) {
	db, objects := shared(t)
	names := []string{"n1", "n2", "n3"}
	nodes := []*Node{testNode(t, db, objects, names[0]), testNode(t, db, objects, names[1]), testNode(t, db, objects, names[2])}
	streams := make([]string, 30)
	for i := range streams {
		streams[i] = fmt.Sprintf("6f1f3a52-8d0e-4f43-9a43-%012d", i)
	}
	part := 0
	write := func(through ...*Node) {
		for i, id := range streams {
			appendTo(t, through[i%len(through)], id, 2*part, 2*part+2)
		}
		part++
	}

	write(nodes...)
	round(t, nodes...)
	first := owners(t, db, streams, nodes...)
	count := map[string]int{}
	for _, id := range streams {
		if want := preferred(names, id); first[id] != want {
			t.Fatalf("stream %s owned by %s, preferred %s", id, first[id], want)
		}
		count[first[id]]++
		for _, n := range nodes {
			if n.Name() != first[id] {
				holdsNothing(t, n, id)
			}
		}
	}
	for _, name := range names {
		if count[name] < 5 || count[name] > 15 {
			t.Fatalf("streams per node: %v", count)
		}
	}
	allIndexed(t, db, streams)

	// n3 leaves: its streams go to the others, the others' stay.
	nodes[2].Close()
	write(nodes[:2]...)
	round(t, nodes[:2]...)
	second := owners(t, db, streams, nodes[:2]...)
	for _, id := range streams {
		if first[id] != "n3" && second[id] != first[id] {
			t.Fatalf("stream %s moved from %s to %s when n3 left", id, first[id], second[id])
		}
		if want := preferred(names[:2], id); second[id] != want {
			t.Fatalf("stream %s owned by %s, preferred %s", id, second[id], want)
		}
	}
	allIndexed(t, db, streams)

	// n3 comes back (empty): the others index what waits and let its
	// streams go, and n3 takes them as batches arrive.
	back := testNode(t, db, objects, "n3")
	nodes[2] = back
	write(nodes...)
	round(t, back, nodes[0], nodes[1])
	write(nodes...)
	round(t, nodes...)
	if third := owners(t, db, streams, nodes...); !reflect.DeepEqual(third, first) {
		t.Fatalf("after n3 came back: %v, first %v", third, first)
	}
	allIndexed(t, db, streams)
	for _, id := range streams {
		if first[id] == "n3" {
			holdsNothing(t, nodes[0], id)
			holdsNothing(t, nodes[1], id)
		}
	}

	var want []string
	for b := range 2 * part {
		for j := range 3 {
			want = append(want, fmt.Sprintf("b%d l%d", b, j))
		}
	}
	for _, id := range streams {
		ref := rowsOf(t, nodes[0], id)
		var got []string
		for _, r := range ref {
			got = append(got, r.Content)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("stream %s holds %v, want %v", id, got, want)
		}
		for _, n := range nodes[1:] {
			if other := rowsOf(t, n, id); !reflect.DeepEqual(other, ref) {
				t.Fatalf("stream %s: %s holds %d rows, %s %d, or their numbers differ", id, n.Name(), len(other), nodes[0].Name(), len(ref))
			}
		}
	}
}

// A node applies only the streams it owns or was asked about: writes
// through a node that never queries a stream leave nothing of it there,
// yet a query through that node finds every row with the numbers the
// owner gave them; the node then follows the stream until its follow
// window ends, and drops it afterwards.
func TestNodesFollowOnlyWhatTheyOwnOrAreAsked(t *testing.T) {
	db, objects := shared(t)
	names := []string{"p", "q", "r"}
	owner := preferred(names, sid)
	var own, x, y *Node
	for _, name := range names {
		switch {
		case name == owner:
			own = testNode(t, db, objects, name)
		case x == nil:
			x = testNode(t, db, objects, name)
		default:
			y = testNode(t, db, objects, name, func(c *Config) { c.FollowFor = time.Millisecond })
		}
	}

	appendLines(t, x, 0, 10)
	round(t, own, x, y)
	if h := head(t, db); h.Indexed != 10 {
		t.Fatalf("the owner did not index: %+v", h)
	}
	// A tail in the log beside the segments.
	appendLines(t, x, 10, 20)
	appendLines(t, y, 20, 25)
	round(t, x, y)
	holdsNothing(t, x, sid)
	holdsNothing(t, y, sid)

	want := rows(t, own)
	if len(want) != 75 {
		t.Fatalf("the owner holds %d rows, want 75", len(want))
	}
	if got := rows(t, x); !reflect.DeepEqual(got, want) {
		t.Fatalf("x answers %d rows, the owner %d, or their numbers differ", len(got), len(want))
	}
	// Asked once, x follows the stream: its poll applies new batches.
	appendLines(t, y, 25, 30)
	round(t, x)
	if applied, _ := x.cfg.Logs.Applied(sid); applied != uint64(head(t, db).Head) {
		t.Fatalf("x applied up to %d, the head is %+v", applied, head(t, db))
	}
	if got := held(t, x, sid); len(got) != 90 {
		t.Fatalf("x holds %d rows, want 90", len(got))
	}

	// y's window is a millisecond: once it is over, y drops the stream
	// and does not apply what is written through it.
	if got := rows(t, y); len(got) != 90 {
		t.Fatalf("y answers %d rows, want 90", len(got))
	}
	time.Sleep(2 * time.Millisecond)
	round(t, y)
	holdsNothing(t, y, sid)
	appendLines(t, y, 30, 31)
	holdsNothing(t, y, sid)
	want = rows(t, own)
	for _, n := range []*Node{x, y} {
		if got := rows(t, n); len(want) != 93 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s answers %d rows, the owner %d (want 93, the same)", n.Name(), len(got), len(want))
		}
	}
}

// A stream whose preferred owner lives but does not take it (its loop is
// stuck) is taken by another node once it has been free for a term: that
// node indexes what waits and lets it go again, so no stream is left
// unindexed.
func TestAStreamNobodyTakesIsTakenAfterATerm(t *testing.T) {
	db, objects := shared(t)
	ttl := func(c *Config) { c.LeaseTTL = 2 * time.Second }
	stuck := testNode(t, db, objects, preferredName([]string{"o"}, sid, "s"), ttl)
	other := testNode(t, db, objects, "o", ttl)

	appendLines(t, other, 0, 5)
	round(t, other)
	if h := head(t, db); h.Indexed != 0 || other.stream(sid).owned {
		t.Fatalf("the stream was taken from its preferred owner at once: %+v", h)
	}
	time.Sleep(2 * time.Second)
	round(t, other)
	if h := head(t, db); h.Indexed != 5 {
		t.Fatalf("after a term: %+v", h)
	}
	if other.stream(sid).owned {
		t.Fatal("the node kept a stream whose preferred owner lives")
	}
	if got := rows(t, stuck); len(got) != 15 {
		t.Fatalf("the preferred owner answers %d rows, want 15", len(got))
	}
}
