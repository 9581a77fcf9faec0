package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMetricsReportAndQuery(t *testing.T) {
	conn, _ := testServer(t)
	var out bytes.Buffer
	run := func(args ...string) (string, error) {
		out.Reset()
		err := runMetrics(context.Background(), append(args, conn...), &out)
		return out.String(), err
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	got, err := run("report", "--namespace", "APP.WEB", "--dim", "host=web-1", "--unit", "percent",
		"--time", at.Format(time.RFC3339), "cpu_util", "35.5")
	if err != nil || got != "reported 1 items in 1 requests\n" {
		t.Fatalf("report one point: %q %v", got, err)
	}
	// A file of one item per line, large enough for several reports.
	var lines []string
	for i := range 400 {
		lines = append(lines, fmt.Sprintf(`{"collect_time":%d,"metric":{"namespace":"APP.WEB","dimensions":[{"name":"host","value":"web-%d"},{"name":"pad","value":"%s"}]},"values":[{"metric_name":"mem_used","unit":"MB","value":%d}]}`,
			at.UnixMilli(), i, strings.Repeat("x", 60), i))
	}
	file := filepath.Join(t.TempDir(), "points.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err = run("report", "--file", file); err != nil || !strings.HasPrefix(got, "reported 400 items in ") || strings.HasPrefix(got, "reported 400 items in 1 ") {
		t.Fatalf("report a file: %q %v", got, err)
	}
	// The same as a JSON array.
	arr := filepath.Join(t.TempDir(), "points.json")
	if err := os.WriteFile(arr, []byte("["+strings.Join(lines[:3], ",")+"]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err = run("report", "--file", arr); err != nil || got != "reported 3 items in 1 requests\n" {
		t.Fatalf("report an array: %q %v", got, err)
	}

	sec := strconv.FormatInt(at.Unix(), 10)
	got, err = run("query", "--time", sec+"000", `cpu_util{host="web-1"}`)
	want := `cpu_util{_NAMESPACE_="APP.WEB", host="web-1"}  ` + at.UTC().Format(time.RFC3339Nano) + "  35.5\n"
	if err != nil || got != want {
		t.Fatalf("instant query: %q %v, want %q", got, err, want)
	}
	got, err = run("query", "--time", sec+"000", `count(mem_used)`)
	if err != nil || !strings.HasPrefix(got, "{}  ") || !strings.HasSuffix(got, "  400\n") {
		t.Fatalf("count: %q %v", got, err)
	}
	got, err = run("query", "--start", "5m", "--end", sec+"000", "--step", "1m", `cpu_util`)
	if err != nil || !strings.HasPrefix(got, `cpu_util{_NAMESPACE_="APP.WEB", host="web-1"}`+"\n  ") || !strings.HasSuffix(got, "  35.5\n") {
		t.Fatalf("range query: %q %v", got, err)
	}
	got, err = run("query", "--json", "--time", sec+"000", `1+1`)
	var ans struct{ Status string }
	if err != nil || json.Unmarshal([]byte(got), &ans) != nil || ans.Status != "success" {
		t.Fatalf("--json: %q %v", got, err)
	}

	// Errors come back with AOM's code and message.
	_, err = run("report", "--namespace", "PAAS.X", "--dim", "a=b", "m", "1")
	if err == nil || !strings.Contains(err.Error(), "SVCSTG_AMS_4000002") || !strings.Contains(err.Error(), "PAAS") {
		t.Fatalf("reserved namespace: %v", err)
	}
	_, err = run("query", "sum(")
	if err == nil || !strings.Contains(err.Error(), "bad_param") {
		t.Fatalf("bad PromQL: %v", err)
	}
	for _, args := range [][]string{
		{"report", "cpu", "1"},                                       // no namespace or dimension
		{"report", "--namespace", "A.B", "--dim", "a=b", "cpu"},      // no value
		{"report", "--namespace", "A.B", "--dim", "a=b", "cpu", "x"}, // not a number
		{"query"},
		{"query", "--time", "noon", "up"},
	} {
		if _, err := run(args...); err == nil {
			t.Errorf("%v: no error", args)
		} else if _, ok := err.(usageError); !ok {
			t.Errorf("%v: %v is not a usage error", args, err)
		}
	}
}

func TestBatchMetricItems(t *testing.T) {
	item := json.RawMessage(`{"v":"` + strings.Repeat("x", 1000) + `"}`)
	var items []json.RawMessage
	for range 100 {
		items = append(items, item)
	}
	batches, err := batchMetricItems(items)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range batches {
		var got []json.RawMessage
		if len(b) > metricsReportLimit || json.Unmarshal(b, &got) != nil {
			t.Fatalf("batch of %d bytes", len(b))
		}
		n += len(got)
	}
	if n != 100 || len(batches) != 3 {
		t.Fatalf("%d items in %d batches", n, len(batches))
	}
	if _, err := batchMetricItems([]json.RawMessage{json.RawMessage(`"` + strings.Repeat("x", metricsReportLimit) + `"`)}); err == nil {
		t.Fatal("an item over the limit was batched")
	}
}
