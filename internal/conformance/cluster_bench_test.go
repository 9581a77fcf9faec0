package conformance

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/ltscore"
	"logtank/internal/server"
)

// BenchmarkIngestHTTPCluster is BenchmarkIngestHTTP through one node of a
// cluster (PostgreSQL from pgtest, segments in a versitygw bucket, all on
// this machine): each acknowledged batch is one commit in PostgreSQL.
func BenchmarkIngestHTTPCluster(b *testing.B) {
	t := &testing.T{}
	pg := pgtest.URL(b)
	objects := clusterBucket(b) // b stops the S3 server when the benchmark ends
	e := startWith(t, b.TempDir(), func(c *server.Config) {
		c.Catalog = pg
		c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments"}
	})
	defer e.stop()
	benchIngest(b, t, e)
}

// BenchmarkClusterSearchFromBucket: one node ingests 200 batches of 1,000
// lines and indexes them into segments in the bucket; then, per round, a
// node that starts with an empty folder counts a rare word over the
// stream twice: the first answer brings the segments from the bucket
// (cold), the second reads them locally (warm). Reports both in ms.
func BenchmarkClusterSearchFromBucket(b *testing.B) {
	t := &testing.T{}
	pg := pgtest.URL(b)
	objects := clusterBucket(b) // b stops the S3 server when the benchmark ends
	writer := startWith(t, b.TempDir(), func(c *server.Config) {
		c.Catalog = pg
		c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments", IndexAfter: 200 * time.Millisecond}
	})
	defer writer.stop()
	group, stream := writer.createStream(t, "bench", "search")
	from := time.Now().Add(-time.Minute)
	for i := range 200 {
		body, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": benchLines(uint64(i)), "labels": map[string]string{}})
		status, resp := writer.post(t, "/v2/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/contents", body, nil)
		if status != http.StatusOK {
			b.Fatalf("ingest: %d %s", status, resp)
		}
	}
	db, err := catalog.Open(context.Background(), pg, "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if h, err := db.StreamIngestHead(context.Background(), stream); err == nil && h.Indexed == h.Head {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the stream was not indexed within a minute")
		}
	}
	segs, _ := db.SegmentsAfter(context.Background(), stream, 0)
	var bytes int64
	for _, s := range segs {
		bytes += s.Bytes
	}
	q, _ := json.Marshal(map[string]any{"start_time": from.UnixMilli(), "end_time": time.Now().Add(time.Minute).UnixMilli(),
		"keywords": "user AND 123456", "limit": 10, "is_count": true})
	path := "/v2/" + testProject + "/groups/" + group + "/streams/" + stream + "/content/query"
	var cold, warm time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		reader := startWith(t, b.TempDir(), func(c *server.Config) {
			c.Catalog = pg
			// Only the queries catch up: no background poll meanwhile.
			c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments", Poll: time.Hour}
		})
		b.StartTimer()
		for i, d := range []*time.Duration{&cold, &warm} {
			began := time.Now()
			status, resp := reader.post(t, path, q, nil)
			*d += time.Since(began)
			if status != http.StatusOK {
				b.Fatalf("query %d: %d %s", i, status, resp)
			}
		}
		b.StopTimer()
		reader.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "cold-ms")
	b.ReportMetric(float64(warm.Microseconds())/1000/float64(b.N), "warm-ms")
	b.ReportMetric(float64(len(segs)), "segments")
	b.ReportMetric(float64(bytes)/(1<<20), "segment-MiB")
}
