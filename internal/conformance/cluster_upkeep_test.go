package conformance

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/server"
)

// startUpkeepNode is a cluster node whose streams' owner merges and
// collects quickly.
func startUpkeepNode(t *testing.T, url string, objects objstore.Store) *env {
	t.Helper()
	return startWith(t, "", func(c *server.Config) {
		c.Catalog = url
		c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments", Poll: 50 * time.Millisecond,
			IndexAfter: 100 * time.Millisecond, LeaseTTL: 2 * time.Second, Upkeep: 200 * time.Millisecond, SegmentGrace: time.Second}
	})
}

// TestClusterCompactsAsEmbedded: three nodes write a stream's batches into
// eight rounds of small segments on two days; the owner merges each day
// into one segment, after which every node, and one joining later, answers
// the core questions (pages with line_num cursors, counts, histograms,
// SQL) exactly as an embedded server given the same batches, and the
// replaced objects leave the bucket after their grace.
func TestClusterCompactsAsEmbedded(t *testing.T) {
	pg := pgtest.URL(t)
	objects := clusterBucket(t)
	nodes, embedded, rr, group, stream, egroup, estream := besideEmbedded(t, func() *env { return startUpkeepNode(t, pg, objects) })
	now := time.Now()
	from, to := now.Add(-48*time.Hour), now.Add(time.Hour)
	db := openCatalog(t, pg)

	// Each batch holds lines of two days 29 hours apart (always two UTC
	// days), sharing their times with the other batches', and is indexed
	// on its own: a segment per day and batch.
	old, recent := now.Add(-30*time.Hour).Truncate(time.Second), now.Add(-time.Hour).Truncate(time.Second)
	batch := func(i int) clusterBatch {
		b := clusterBatch{labels: map[string]string{"host": fmt.Sprintf("h%d", i%3)}}
		for j := range 4 {
			word := "info"
			if (i+j)%3 == 0 {
				word = "error"
			}
			at := []time.Time{old, recent}[j%2].Add(time.Duration(j/2) * time.Minute)
			b.lines = append(b.lines, map[string]any{"log_time_ns": at.UnixNano(), "log": fmt.Sprintf("%s batch %d line %d", word, i, j)})
		}
		return b
	}
	const rounds = 8
	var replaced []string // every object the manifest named before the merge
	for i := range rounds {
		ingestBatch(t, nodes[i%3], group, stream, batch(i))
		ingestBatch(t, embedded, egroup, estream, batch(i))
		within(t, 30*time.Second, fmt.Sprintf("batch %d is indexed", i), func() bool {
			return headOf(t, db, stream).Indexed == int64(i+1)
		})
		segs, err := db.SegmentsAfter(context.Background(), stream, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			if !slices.Contains(replaced, s.Object) {
				replaced = append(replaced, s.Object)
			}
		}
	}
	var segs []catalog.SegmentRecord
	within(t, 30*time.Second, "the owner merges each day into one segment", func() bool {
		var err error
		segs, err = db.SegmentsAfter(context.Background(), stream, 0)
		return err == nil && len(segs) == 2 && segs[0].Day != segs[1].Day
	})
	replaced = slices.DeleteFunc(replaced, func(o string) bool {
		return slices.ContainsFunc(segs, func(s catalog.SegmentRecord) bool { return s.Object == o })
	})
	// The rounds before the last one wrote two segments each; the last
	// one's may have been merged before the test saw them.
	if len(replaced) < 2*(rounds-1) {
		t.Fatalf("%d segments were merged, want at least %d", len(replaced), 2*(rounds-1))
	}
	for _, s := range segs {
		if s.FromSeq != 0 || s.ToSeq != rounds || s.Rows != 2*rounds {
			t.Fatalf("merged segment %+v, want batches (0, %d] and %d rows", s, rounds, 2*rounds)
		}
	}
	want := clusterAnswers(t, embedded.lts(), egroup, estream, from, to)
	for i, n := range nodes {
		sameAnswers(t, fmt.Sprintf("node %d, from the merged segments", i), clusterAnswers(t, n.lts(), group, stream, from, to), want)
	}
	within(t, 30*time.Second, "the replaced objects leave the bucket", func() bool {
		keys, err := objects.List(context.Background(), "segments", "segments/"+stream+"/")
		return err == nil && !slices.ContainsFunc(keys, func(k string) bool { return slices.Contains(replaced, k) })
	})
	for _, s := range segs {
		if keys, _ := objects.List(context.Background(), "segments", "segments/"+stream+"/"); !slices.Contains(keys, s.Object) {
			t.Fatalf("merged object %s is not in the bucket", s.Object)
		}
	}

	// Later batches, indexed or not, follow the merged segments.
	for i := rounds; i < rounds+5; i++ {
		ingestBatch(t, nodes[i%3], group, stream, batch(i))
		ingestBatch(t, embedded, egroup, estream, batch(i))
	}
	want = clusterAnswers(t, embedded.lts(), egroup, estream, from, to)
	sameAnswers(t, "round robin, merged segments and log", clusterAnswers(t, rr, group, stream, from, to), want)
	late := startUpkeepNode(t, pg, objects)
	sameAnswers(t, "a node joining with an empty folder", clusterAnswers(t, late.lts(), group, stream, from, to), want)
}
