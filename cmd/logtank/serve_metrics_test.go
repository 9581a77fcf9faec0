package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/client"
)

// TestServeMetricsNode runs the README's cluster commands for metrics in
// process: one node serves with --metrics-node self, another forwards to
// it; a point reported through the second is queried through it, stored
// by the first alone. --metrics-node without a shared catalog, or naming
// no http(s) node, is refused.
func TestServeMetricsNode(t *testing.T) {
	err := runServe(context.Background(), []string{"--data", t.TempDir(), "--metrics-node", "http://127.0.0.1:1"}, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--metrics-node") {
		t.Fatalf("--metrics-node without a shared catalog: %v", err)
	}
	url := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := func(data, metricsNode string) <-chan error {
		done := make(chan error, 1)
		go func() {
			done <- runServe(ctx, []string{"--data", data, "--listen", "127.0.0.1:0", "--catalog", url,
				"--metrics-node", metricsNode, "--log-level", "error"}, io.Discard)
		}()
		return done
	}
	profile := func(data string, done <-chan error) client.Profile {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if p, err := client.ReadProfile(data); err == nil {
				return p
			}
			select {
			case err := <-done:
				t.Fatalf("serve ended: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("no profile written")
			}
		}
	}
	if err := <-serve(t.TempDir(), "ftp://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "want http://host:port") {
		t.Fatalf("a metrics node that is not http(s): %v", err)
	}

	metricsData, forwardingData := t.TempDir(), t.TempDir()
	metricsDone := serve(metricsData, "self")
	node1 := profile(metricsData, metricsDone)
	forwardingDone := serve(forwardingData, node1.Endpoint)
	profile(forwardingData, forwardingDone)

	var out bytes.Buffer
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	if err := runMetrics(ctx, []string{"report", "--data", forwardingData, "--namespace", "APP.WEB", "--dim", "host=web-1",
		"--time", at.Format(time.RFC3339), "cpu_util", "35"}, &out); err != nil {
		t.Fatalf("report through the forwarding node: %v", err)
	}
	out.Reset()
	if err := runMetrics(ctx, []string{"query", "--data", forwardingData, "--time", at.Format(time.RFC3339), "cpu_util"}, &out); err != nil {
		t.Fatalf("query through the forwarding node: %v", err)
	}
	if want := `cpu_util{_NAMESPACE_="APP.WEB", host="web-1"}  ` + at.UTC().Format(time.RFC3339Nano) + "  35\n"; out.String() != want {
		t.Fatalf("query: %q, want %q", out.String(), want)
	}
	if _, err := os.Stat(filepath.Join(metricsData, "metrics")); err != nil {
		t.Fatalf("the metrics node's store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(forwardingData, "metrics")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the forwarding node has a metric store: %v", err)
	}
	cancel()
	for _, done := range []<-chan error{metricsDone, forwardingDone} {
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
	}
}
