package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkIngestHTTP posts 1,000-line batches of ~150-byte lines over HTTP
// to an in-process server, durably acknowledged, from 2 senders.
func BenchmarkIngestHTTP(b *testing.B) {
	t := &testing.T{}
	e := start(t, b.TempDir())
	defer e.stop()
	group, stream := e.createStream(t, "bench", "ingest")
	rng := rand.New(rand.NewPCG(1, 1))
	var bodies [][]byte
	for range 16 {
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = fmt.Sprintf("2026-11-22 10:%02d:%02d,%03d INFO [worker-%d] com.example.OrderService: order %d placed by user %d from 10.%d.%d.%d in %d ms",
				rng.IntN(60), rng.IntN(60), rng.IntN(1000), rng.IntN(64), rng.Int64N(1e9), rng.IntN(1e6), rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(500))
		}
		body, _ := json.Marshal(map[string]any{"contents": lines, "labels": map[string]string{}})
		bodies = append(bodies, body[1:])
	}
	sendBatches(b, e, group, stream, bodies)
}

// sendBatches posts the prepared batches (JSON bodies without their
// opening brace) from the benchmark's parallel senders, each stamped with
// the current time as clients do, and reports lines per second (1,000
// lines a batch).
func sendBatches(b *testing.B, e *env, group, stream string, bodies [][]byte) {
	path := e.URL + "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	var n atomic.Int64
	b.SetBytes(int64(len(bodies[0])))
	b.SetParallelism(1)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := append(fmt.Appendf(nil, `{"log_time_ns":%d,`, time.Now().UnixNano()), bodies[n.Add(1)%int64(len(bodies))]...)
			req, _ := http.NewRequest("POST", path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			signer(testAK, testSK, testProject, time.Now())(req, body)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Errorf("ingest: %v %v", resp, err)
				return
			}
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "lines/s")
}
