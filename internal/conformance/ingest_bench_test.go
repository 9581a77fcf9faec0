package conformance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"logtank/internal/server"
)

// BenchmarkIngestHTTP posts 1,000-line batches of ~150-byte lines over HTTP
// to an in-process server, durably acknowledged, from 2 senders.
func BenchmarkIngestHTTP(b *testing.B) {
	t := &testing.T{}
	e := start(t, b.TempDir())
	defer e.stop()
	benchIngest(b, t, e)
}

// benchIngest sends 1,000-line batches to a new stream of e from 2 senders.
func benchIngest(b *testing.B, t *testing.T, e *env) {
	group, stream := e.createStream(t, "bench", "ingest")
	var bodies [][]byte
	for i := range 16 {
		body, _ := json.Marshal(map[string]any{"contents": benchLines(uint64(i)), "labels": map[string]string{}})
		bodies = append(bodies, body[1:])
	}
	sendBatches(b, e, group, stream, bodies)
}

// sendBatches posts the prepared batches (JSON bodies without their
// opening brace) to the LTS report API, each stamped with the current
// time as clients do.
func sendBatches(b *testing.B, e *env, group, stream string, bodies [][]byte) {
	b.SetBytes(int64(len(bodies[0])))
	path := e.URL + "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	benchPost(b, path, http.Header{"Content-Type": {"application/json"}}, true, func(i int64, now time.Time) []byte {
		return append(fmt.Appendf(nil, `{"log_time_ns":%d,`, now.UnixNano()), bodies[i%int64(len(bodies))]...)
	})
}

// benchLines are BenchmarkIngestHTTP's kind of lines: 1,000 a batch.
func benchLines(seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 1))
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = fmt.Sprintf("2026-11-22 10:%02d:%02d,%03d INFO [worker-%d] com.example.OrderService: order %d placed by user %d from 10.%d.%d.%d in %d ms",
			rng.IntN(60), rng.IntN(60), rng.IntN(1000), rng.IntN(64), rng.Int64N(1e9), rng.IntN(1e6), rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(500))
	}
	return lines
}

// benchPost posts bodies (made for the current time by body) from 2
// senders and reports lines per second, 1,000 lines a request.
func benchPost(b *testing.B, url string, header http.Header, sign bool, body func(i int64, now time.Time) []byte) {
	var n atomic.Int64
	b.SetParallelism(1)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			data := body(n.Add(1), time.Now())
			req, _ := http.NewRequest("POST", url, bytes.NewReader(data))
			req.Header = header.Clone()
			if sign {
				signer(testAK, testSK, testProject, time.Now())(req, data)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode/100 != 2 {
				b.Errorf("ingest: %v %v", resp, err)
				return
			}
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkIngestDoors sends the same 1,000-line batches, each line with
// its own time, through the LTS high-accuracy API (signed) and through the
// shippers' doors (OTLP protobuf, Elasticsearch bulk, Loki protobuf in a
// snappy block; basic auth): each door's lines/s against the API's.
//
// Each door gets a server of its own: on a shared one, the later doors
// would pay for merging what the earlier ones stored.
func BenchmarkIngestDoors(b *testing.B) {
	fresh := func(b *testing.B) (e *env, group, stream string) {
		t := &testing.T{}
		e = start(t, b.TempDir())
		group, stream = e.createStream(t, "bench", "ingest")
		return e, group, stream
	}
	batches := make([][]string, 16)
	for i := range batches {
		batches[i] = benchLines(uint64(i))
	}
	// The lines quoted once, so that the senders spend their time on
	// stamping and sending, not on encoding.
	quoted := make([][][]byte, len(batches))
	for i, batch := range batches {
		for _, l := range batch {
			q, _ := json.Marshal(l)
			quoted[i] = append(quoted[i], q)
		}
	}
	b.Run("high-accuracy", func(b *testing.B) {
		e, group, stream := fresh(b)
		defer e.stop()
		url := e.URL + "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents/high-accuracy"
		benchPost(b, url, http.Header{"Content-Type": {"application/json"}}, true, func(i int64, now time.Time) []byte {
			body := []byte(`{"contents":[`)
			for k, q := range quoted[i%16] {
				if k > 0 {
					body = append(body, ',')
				}
				body = append(strconv.AppendInt(append(body, `{"log_time_ns":`...), now.UnixNano()+int64(k), 10), `,"log":`...)
				body = append(append(body, q...), '}')
			}
			return append(body, `],"labels":{"app":"orders"}}`...)
		})
	})
	b.Run("otlp", func(b *testing.B) {
		e, group, stream := fresh(b)
		defer e.stop()
		url := e.URL + "/v2/" + testProject + "/otlp/v1/logs?group=" + group + "&stream=" + stream
		header := http.Header{"Content-Type": {"application/x-protobuf"}, "Authorization": {basicAuth(testAK, testSK)}}
		benchPost(b, url, header, false, func(i int64, now time.Time) []byte {
			logs := plog.NewLogs()
			rl := logs.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr("app", "orders")
			records := rl.ScopeLogs().AppendEmpty().LogRecords()
			for k, l := range batches[i%16] {
				lr := records.AppendEmpty()
				lr.Body().SetStr(l)
				lr.SetTimestamp(pcommon.Timestamp(now.UnixNano() + int64(k)))
			}
			body, _ := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
			return body
		})
	})
	b.Run("loki", func(b *testing.B) {
		e, group, stream := fresh(b)
		defer e.stop()
		url := e.URL + "/v2/" + testProject + "/loki/api/v1/push?group=" + group + "&stream=" + stream
		header := http.Header{"Content-Type": {"application/x-protobuf"}, "Authorization": {basicAuth(testAK, testSK)}}
		benchPost(b, url, header, false, func(i int64, now time.Time) []byte {
			s := lokiStream{labels: `{app="orders"}`}
			for k, l := range batches[i%16] {
				s.entries = append(s.entries, lokiEntry{at: now.Add(time.Duration(k)), line: l})
			}
			return snappy.Encode(nil, lokiProto([]lokiStream{s}))
		})
	})
	b.Run("es-bulk", func(b *testing.B) {
		e, group, stream := fresh(b)
		defer e.stop()
		url := e.URL + "/v2/" + testProject + "/es/_bulk?group=" + group + "&stream=" + stream
		header := http.Header{"Content-Type": {"application/x-ndjson"}, "Authorization": {basicAuth(testAK, testSK)}}
		benchPost(b, url, header, false, func(i int64, now time.Time) []byte {
			var body []byte
			ms := strconv.FormatInt(now.UnixMilli(), 10)
			for k, q := range quoted[i%16] {
				body = append(body, "{\"create\":{}}\n{\"@timestamp\":"...)
				body = fmt.Appendf(append(body, ms...), ".%06d", k)
				body = append(append(append(body, `,"message":`...), q...), ",\"app\":\"orders\"}\n"...)
			}
			return body
		})
	})
	b.Run("syslog-tcp", func(b *testing.B) {
		// Syslog has no acknowledgement: the time is until every message
		// sent is stored (counted through SQL).
		t := &testing.T{}
		dir := b.TempDir()
		e := start(t, dir)
		_, stream := e.createStream(t, "bench", "ingest")
		e.stop()
		e = startWith(t, dir, func(c *server.Config) { c.Syslog = []string{"tcp://127.0.0.1:0?group=bench&stream=ingest"} })
		defer e.stop()
		addr := e.app.SyslogAddrs()[0].String()
		count := func() int64 {
			status, body := e.post(t, "/v2/"+testProject+"/streams/"+stream+"/struct-content/query", map[string]any{
				"query": "select count(*) as n", "format": "k-v",
				"time_range": map[string]any{"start_time": time.Now().Add(-time.Hour).UnixMilli(), "end_time": time.Now().Add(time.Minute).UnixMilli()},
			}, nil)
			var out struct{ Result []map[string]string }
			if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Result) != 1 {
				b.Fatalf("count: %d %s", status, body)
			}
			n, _ := strconv.ParseInt(out.Result[0]["n"], 10, 64)
			return n
		}
		var n atomic.Int64
		b.SetParallelism(1)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close()
			w := bufio.NewWriterSize(conn, 256<<10)
			for pb.Next() {
				i := n.Add(1)
				stamp := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
				for _, l := range batches[i%16] {
					fmt.Fprintf(w, "<134>1 %s web-1 orders - - - %s\n", stamp, l)
				}
			}
			if err := w.Flush(); err != nil {
				b.Error(err)
			}
		})
		want := int64(b.N) * 1000
		for deadline := time.Now().Add(time.Minute); count() < want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d messages stored after a minute", count(), want)
			}
		}
		b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "lines/s")
	})

}
