package conformance

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkIngestHTTPCluster3 is BenchmarkIngestHTTPCluster with three
// nodes in this process on one PostgreSQL and one bucket, the batches sent
// through a node that does not own the stream (with streams spread over
// the nodes, two batches in three arrive so). Besides lines/s it reports
// the CPU seconds per million lines of this process (the three nodes and
// the two senders) and of PostgreSQL (its postmaster and backends), from
// the first batch sent until a second after the last, so that the other
// nodes' applying is counted.
func BenchmarkIngestHTTPCluster3(b *testing.B) {
	t := &testing.T{}
	pg := pgtest.URL(b)
	objects := clusterBucket(b) // b stops the S3 server when the benchmark ends
	var nodes []*env
	for i := range 3 {
		nodes = append(nodes, startWith(t, b.TempDir(), func(c *server.Config) {
			c.Catalog = pg
			c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments", Node: fmt.Sprintf("bench-%d", i)}
		}))
		defer nodes[i].stop()
	}
	db := openCatalog(b, pg)
	group, stream := nodes[0].createStream(t, "bench", "ingest")
	var bodies [][]byte
	for i := range 16 {
		body, _ := json.Marshal(map[string]any{"contents": benchLines(uint64(i)), "labels": map[string]string{}})
		bodies = append(bodies, body[1:])
	}
	// One batch makes the stream's owner take its lease; the rest go
	// through another node.
	first, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": benchLines(0), "labels": map[string]string{}})
	if status, resp := nodes[0].post(t, "/v2/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/contents", first, nil); status != http.StatusOK {
		b.Fatalf("ingest: %d %s", status, resp)
	}
	var owner string
	for deadline := time.Now().Add(time.Minute); owner == ""; time.Sleep(20 * time.Millisecond) {
		if l, err := db.Lease(context.Background(), "stream:"+stream); err == nil && l.ExpiryMS > 0 {
			owner = l.Owner
		}
		if time.Now().After(deadline) {
			b.Fatal("nobody took the stream within a minute")
		}
	}
	sender := nodes[0]
	if owner == "bench-0" {
		sender = nodes[1]
	}
	pgPID := postmaster(b, pg)
	cpu, pgCPU := processCPU(b), treeCPU(b, pgPID)
	sendBatches(b, sender, group, stream, bodies)
	b.StopTimer()
	time.Sleep(time.Second)
	lines := float64(b.N) * 1000 / 1e6
	b.ReportMetric((processCPU(b)-cpu).Seconds()/lines, "cpu-s/Mline")
	b.ReportMetric((treeCPU(b, pgPID)-pgCPU).Seconds()/lines, "pg-cpu-s/Mline")
}

// postmaster returns the process id of the PostgreSQL server at url,
// read from its data folder's postmaster.pid.
func postmaster(b *testing.B, url string) int {
	raw, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var dir string
	if err := raw.QueryRow(`SHOW data_directory`).Scan(&dir); err != nil {
		b.Fatal(err)
	}
	pidFile, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		b.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		b.Fatal(err)
	}
	return pid
}

// treeCPU is the CPU time used by process pid, its children that ended
// and those still running, from /proc (in clock ticks of 10 ms, Linux's
// USER_HZ).
func treeCPU(b *testing.B, pid int) time.Duration {
	ticks := int64(0)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue // ended meanwhile
		}
		// The fields after the command's closing parenthesis: state,
		// ppid, …, utime and stime (14th and 15th of the line), cutime
		// and cstime.
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		ppid, _ := strconv.Atoi(f[1])
		if p != pid && ppid != pid {
			continue
		}
		last := 13
		if p == pid {
			last = 15
		}
		for _, v := range f[11 : last+1] {
			n, _ := strconv.ParseInt(v, 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
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
// (warm). The node is then restarted on the same folder and counts once
// more (restart): its cache kept the blocks, so the segments are attached
// and searched without a GET. Reports each in ms, with the GETs and bytes
// each sent.
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
	db := openCatalog(b, pg)
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
	var cold, warm, restart time.Duration
	var gets, got [3]int64
	counted := &countingStore{Store: objects}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		start := func() *env {
			return startWith(t, dir, func(c *server.Config) {
				c.Catalog = pg
				// Only the queries catch up: no background poll meanwhile.
				c.Cluster = &ltscore.Cluster{Objects: counted, Bucket: "segments", Poll: time.Hour}
			})
		}
		reader := start()
		b.StartTimer()
		for i, d := range []*time.Duration{&cold, &warm, &restart} {
			if d == &restart {
				b.StopTimer()
				reader.stop()
				reader = start()
				b.StartTimer()
			}
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
	b.ReportMetric(float64(restart.Microseconds())/1000/float64(b.N), "restart-ms")
	b.ReportMetric(float64(gets[2])/float64(b.N), "restart-GETs")
	b.ReportMetric(float64(got[2])/(1<<20)/float64(b.N), "restart-MiB")
	b.ReportMetric(float64(len(segs)), "segments")
	b.ReportMetric(float64(bytes)/(1<<20), "segment-MiB")
}
