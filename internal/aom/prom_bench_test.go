package aom

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

// promHandler serves the Prometheus API of s without authentication, for
// benchmarks of the query path.
func promHandler(tb testing.TB, s *Service) http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.PromAPI().Routes {
		mux.HandleFunc(r.Method+" "+r.Pattern, func(w http.ResponseWriter, req *http.Request) {
			if err := r.Handle(w, req.WithContext(wire.WithBody(req.Context(), nil))); err != nil {
				tb.Error(err)
			}
		})
	}
	return mux
}

// BenchmarkPromQueryRange evaluates range queries over 1,000 series with a
// point a minute for 24 hours, answered in the Prometheus JSON format.
func BenchmarkPromQueryRange(b *testing.B) {
	dir := b.TempDir()
	db, err := catalog.OpenSQLite(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store, err := metricstore.Open(dir+"/metrics", metricstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	s := New(db, store, Options{})
	const series, steps = 1000, 24 * 60
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-steps * time.Minute)
	batch := make([]metricstore.Sample, 0, 10*series)
	for k := 0; k <= steps; k++ {
		at := start.Add(time.Duration(k) * time.Minute).UnixMilli()
		for i := range series {
			batch = append(batch, metricstore.Sample{Series: metricstore.Series{Namespace: "BENCH.APP", Metric: "bench_metric",
				Dimensions: []metricstore.Dimension{{Name: "host", Value: fmt.Sprintf("host-%04d", i)}}}, T: at, V: float64(k*i) / 7})
		}
		if len(batch) == cap(batch) || k == steps {
			if _, err := store.Append(context.Background(), "p", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	h := promHandler(b, s)
	for _, q := range []string{"bench_metric", "sum(rate(bench_metric[5m]))", "avg_over_time(bench_metric[10m])"} {
		params := url.Values{"query": {q}, "start": {strconv.FormatInt(start.Unix(), 10)},
			"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"60"}}
		target := "/v1/p/aom/api/v1/query_range?" + params.Encode()
		b.Run(q, func(b *testing.B) {
			var size int64
			for b.Loop() {
				w := &countingWriter{header: http.Header{}}
				h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
				size = w.n
			}
			b.ReportMetric(float64(size)/1e6, "MB/answer")
		})
	}
}

// countingWriter is a ResponseWriter that counts and drops the body.
type countingWriter struct {
	header http.Header
	status int
	n      int64
}

func (w *countingWriter) Header() http.Header { return w.header }

func (w *countingWriter) WriteHeader(status int) { w.status = status }

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += int64(len(b))
	return io.Discard.Write(b)
}
