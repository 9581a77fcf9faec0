package conformance

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/apisign"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/iam"
	"logtank/internal/server"
)

// reportBody appends to dst a report body of at most 40 KB: items for
// consecutive hosts from host up to end (exclusive; hosts wrap at 1000),
// valuesPer metrics each, all at time at. It returns the body, the number
// of points and the next host.
func reportBody(dst []byte, host, end, valuesPer int, at int64) ([]byte, int, int) {
	dst = append(dst[:0], '[')
	points := 0
	for host < end {
		mark := len(dst)
		if points > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"collect_time":`...)
		dst = strconv.AppendInt(dst, at, 10)
		dst = append(dst, `,"metric":{"namespace":"BENCH.APP","dimensions":[{"name":"host","value":"host-`...)
		dst = strconv.AppendInt(dst, int64(host%1000), 10)
		dst = append(dst, `"},{"name":"region","value":"cn-north-4"}]},"values":[`...)
		for v := range valuesPer {
			if v > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"metric_name":"metric_`...)
			dst = strconv.AppendInt(dst, int64(v), 10)
			dst = append(dst, `","type":"float","unit":"percent","value":`...)
			dst = strconv.AppendFloat(dst, float64(host%100)+0.5, 'f', -1, 64)
			dst = append(dst, '}')
		}
		dst = append(dst, "]}"...)
		if len(dst)+1 > 40<<10 {
			return append(dst[:mark], ']'), points, host
		}
		points += valuesPer
		host++
	}
	return append(dst, ']'), points, host
}

// benchmarkReport reports over HTTP, AK/SK-signed, from concurrent
// clients, each request a batch at the 40 KB limit.
func benchmarkReport(b *testing.B, valuesPer int) { benchmarkReportTo(b, startBench(b), valuesPer) }

// benchmarkReportTo is benchmarkReport against the server at url.
func benchmarkReportTo(b *testing.B, url string, valuesPer int) {
	path := "/v1/" + testProject + "/ams/report/metricdata"
	var seq atomic.Int64
	var points atomic.Int64
	start := time.Now().Add(-10 * time.Minute).UnixMilli()
	// Keep-alive connections for every client, as agents hold them.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(4)
	cpu0 := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var body []byte
		for pb.Next() {
			n := seq.Add(1)
			var k int
			host := int(n * 37)
			body, k, _ = reportBody(body, host, host+1000, valuesPer, start+n)
			req, _ := http.NewRequest("POST", url+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			apisign.Sign(req, body, testAK, testSK, time.Now())
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
			points.Add(int64(k))
		}
	})
	b.ReportMetric(float64(points.Load())/b.Elapsed().Seconds(), "points/s")
	// CPU time, unlike the rate, hardly depends on what else the machine
	// runs: clients and servers share this process.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// startBench starts a server as the conformance harness does, for a
// benchmark, and returns its URL.
func startBench(b *testing.B) string { return startBenchWith(b, nil) }

// startBenchWith is startBench with a chance to change the configuration.
func startBenchWith(b *testing.B, configure func(*server.Config)) string {
	cfg := server.Config{
		DataDir: b.TempDir(), Region: testRegion, Logger: slog.New(slog.DiscardHandler),
		Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
	}
	if configure != nil {
		configure(&cfg)
	}
	app, err := server.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	b.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return srv.URL
}

// BenchmarkAOMReportHTTP: one value per item, the least points per byte.
func BenchmarkAOMReportHTTP(b *testing.B) { benchmarkReport(b, 1) }

// BenchmarkAOMReportHTTP5Values: five metrics per item (host), as agents
// report a host's metrics together.
func BenchmarkAOMReportHTTP5Values(b *testing.B) { benchmarkReport(b, 5) }

// BenchmarkAOMReportHTTPForwarded is BenchmarkAOMReportHTTP5Values against a
// metrics node on a PostgreSQL catalog, directly and through a node that
// forwards to it, one after the other in each round: the difference is the
// forwarding (a second signature check and one more HTTP hop on loopback).
func BenchmarkAOMReportHTTPForwarded(b *testing.B) {
	catalog := pgtest.URL(b)
	metricsNode := startBenchWith(b, func(c *server.Config) { c.Catalog = catalog })
	forwarding := startBenchWith(b, func(c *server.Config) { c.Catalog, c.MetricsNode = catalog, metricsNode })
	b.Run("direct", func(b *testing.B) { benchmarkReportTo(b, metricsNode, 5) })
	b.Run("forwarded", func(b *testing.B) { benchmarkReportTo(b, forwarding, 5) })
}

// BenchmarkAOMQueryRangeHTTP reports 1,000 series with a point a minute for
// the last 24 hours over HTTP, then times range queries over all of them at
// a 60-second step, end to end: a signed GET, the PromQL evaluation and the
// Prometheus JSON answer read by the client.
func BenchmarkAOMQueryRangeHTTP(b *testing.B) {
	base := startBench(b)
	const hosts, steps = 1000, 24 * 60
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-(steps - 1) * time.Minute)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	post := func(body []byte) {
		req, _ := http.NewRequest("POST", base+"/v1/"+testProject+"/ams/report/metricdata", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		apisign.Sign(req, body, testAK, testSK, time.Now())
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("report: status %d", resp.StatusCode)
		}
	}
	times := make(chan int64)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			var body []byte
			for at := range times {
				for host := 0; host < hosts; {
					body, _, host = reportBody(body, host, hosts, 1, at)
					post(body)
				}
			}
		}()
	}
	for k := range int64(steps) {
		times <- start.Add(time.Duration(k) * time.Minute).UnixMilli()
	}
	close(times)
	for range 4 {
		<-done
	}
	for _, q := range []string{"metric_0", `sum by (region) (rate(metric_0[5m]))`} {
		params := url.Values{"query": {q}, "start": {strconv.FormatInt(start.Unix(), 10)},
			"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"60"}}
		target := base + "/v1/" + testProject + "/aom/api/v1/query_range?" + params.Encode()
		b.Run(q, func(b *testing.B) {
			var size int64
			for b.Loop() {
				req, _ := http.NewRequest("GET", target, nil)
				apisign.Sign(req, nil, testAK, testSK, time.Now())
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("query: %d %v", resp.StatusCode, err)
				}
			}
			b.ReportMetric(float64(size)/1e6, "MB/answer")
		})
	}
}
