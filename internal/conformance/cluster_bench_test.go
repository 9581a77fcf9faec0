package conformance

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
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

// countingStore counts the GETs sent to a store and the bytes they
// brought, whole-object and ranged alike.
type countingStore struct {
	objstore.Store
	gets, bytes atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	c.gets.Add(1)
	rc, err := c.Store.Get(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return countingBody{rc, &c.bytes}, nil
}

func (c *countingStore) GetRange(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error) {
	c.gets.Add(1)
	rc, err := c.Store.GetRange(ctx, bucket, key, off, n)
	if err != nil {
		return nil, err
	}
	return countingBody{rc, &c.bytes}, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// BenchmarkClusterSearchFromBucket: one node ingests batches of 1,000
// lines and indexes them into segments in the bucket; then, per round, a
// node that starts with an empty folder counts a rare word over the
// stream twice: the first answer reads the segments' indexes, filters
// and candidate blocks from the bucket (cold), the second from its cache
// (warm). Reports both in ms, with the GETs and bytes each sent.
// "rounds": 200 batches indexed every 200 ms, so into several segments
// of a MiB or so; "one-segment": 256 batches indexed in one round (the
// owner's count of waiting batches), into one segment of about 6 MiB.
func BenchmarkClusterSearchFromBucket(b *testing.B) {
	b.Run("rounds", func(b *testing.B) { benchSearchFromBucket(b, 200, 200*time.Millisecond) })
	b.Run("one-segment", func(b *testing.B) { benchSearchFromBucket(b, 256, time.Hour) })
}

func benchSearchFromBucket(b *testing.B, batches int, indexAfter time.Duration) {
	t := &testing.T{}
	pg := pgtest.URL(b)
	objects := clusterBucket(b) // b stops the S3 server when the benchmark ends
	writer := startWith(t, b.TempDir(), func(c *server.Config) {
		c.Catalog = pg
		c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments", IndexAfter: indexAfter}
	})
	defer writer.stop()
	group, stream := writer.createStream(t, "bench", "search")
	from := time.Now().Add(-time.Minute)
	for i := range batches {
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
	var gets, got [2]int64
	counted := &countingStore{Store: objects}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		reader := startWith(t, b.TempDir(), func(c *server.Config) {
			c.Catalog = pg
			// Only the queries catch up: no background poll meanwhile.
			c.Cluster = &ltscore.Cluster{Objects: counted, Bucket: "segments", Poll: time.Hour}
		})
		b.StartTimer()
		for i, d := range []*time.Duration{&cold, &warm} {
			g, n := counted.gets.Load(), counted.bytes.Load()
			began := time.Now()
			status, resp := reader.post(t, path, q, nil)
			*d += time.Since(began)
			gets[i] += counted.gets.Load() - g
			got[i] += counted.bytes.Load() - n
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
	b.ReportMetric(float64(gets[0])/float64(b.N), "cold-GETs")
	b.ReportMetric(float64(got[0])/(1<<20)/float64(b.N), "cold-MiB")
	b.ReportMetric(float64(gets[1])/float64(b.N), "warm-GETs")
	b.ReportMetric(float64(got[1])/(1<<20)/float64(b.N), "warm-MiB")
	b.ReportMetric(float64(len(segs)), "segments")
	b.ReportMetric(float64(bytes)/(1<<20), "segment-MiB")
}
