package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"logtank/internal/client"
)

// metricsReportLimit is AOM's cap on a report body; bigger files are sent
// in several reports.
const metricsReportLimit = 40 << 10

func runMetrics(ctx context.Context, args []string, w io.Writer) error {
	return subcommand(ctx, "metrics", args, w, map[string]func(context.Context, []string, io.Writer) error{
		"report": metricsReport,
		"query":  metricsQuery,
	})
}

// dimFlag collects repeated --dim name=value flags, in order.
type dimFlag []map[string]string

func (d *dimFlag) String() string { return fmt.Sprint(*d) }
func (d *dimFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	*d = append(*d, map[string]string{"name": k, "value": v})
	return nil
}

// parseWhen reads a time given as Unix milliseconds or RFC 3339.
func parseWhen(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("time %q is neither Unix milliseconds nor RFC 3339", s)
	}
	return t, nil
}

func metricsReport(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("metrics report", flag.ContinueOnError)
	conn := addConnFlags(fs)
	namespace := fs.String("namespace", "", "namespace of the point, service.item (such as APP.WEB)")
	var dims dimFlag
	fs.Var(&dims, "dim", "dimension name=value of the point (repeatable, at least one)")
	unit := fs.String("unit", "", "unit of the value")
	typ := fs.String("type", "float", "type of the value: int or float")
	at := fs.String("time", "", "collect time, Unix milliseconds or RFC 3339 (default now)")
	file := fs.String("file", "", "report the points of this file (- for stdin): a JSON array of AddMetricData items, or one item per line")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: logtank metrics report --namespace NS --dim name=value [flags] METRIC VALUE\n       logtank metrics report --file FILE")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	var items []json.RawMessage
	if *file != "" {
		if len(pos) > 0 {
			return usagef("metrics report: give --file or METRIC VALUE, not both")
		}
		if items, err = readMetricItems(*file); err != nil {
			return err
		}
	} else {
		if len(pos) != 2 || *namespace == "" || len(dims) == 0 {
			return usagef("metrics report: want --namespace, at least one --dim, METRIC and VALUE")
		}
		value, err := strconv.ParseFloat(pos[1], 64)
		if err != nil {
			return usagef("metrics report: value %q is not a number", pos[1])
		}
		when := time.Now()
		if *at != "" {
			if when, err = parseWhen(*at); err != nil {
				return err
			}
		}
		item, _ := json.Marshal(map[string]any{
			"collect_time": when.UnixMilli(),
			"metric":       map[string]any{"namespace": *namespace, "dimensions": dims},
			"values":       []map[string]any{{"metric_name": pos[0], "type": *typ, "unit": *unit, "value": value}},
		})
		items = []json.RawMessage{item}
	}
	batches, err := batchMetricItems(items)
	if err != nil {
		return err
	}
	for _, b := range batches {
		var raw json.RawMessage
		if err := c.Do(ctx, "POST", "/v1/{project_id}/ams/report/metricdata", nil, b, &raw); err != nil {
			return aomError(err)
		}
		if conn.json {
			if err := printJSON(w, raw); err != nil {
				return err
			}
		}
	}
	if !conn.json {
		fmt.Fprintf(w, "reported %d items in %d requests\n", len(items), len(batches))
	}
	return nil
}

// readMetricItems reads AddMetricData items from a file: a JSON array, or
// one JSON item per line.
func readMetricItems(name string) ([]json.RawMessage, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, fmt.Errorf("%s: not a JSON array of items: %w", name, err)
		}
		return compactItems(name, items)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, metricsReportLimit)
	for line := 1; sc.Scan(); line++ {
		if text := bytes.TrimSpace(sc.Bytes()); len(text) > 0 {
			if !json.Valid(text) {
				return nil, fmt.Errorf("%s:%d: not a JSON item", name, line)
			}
			items = append(items, append(json.RawMessage(nil), text...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return compactItems(name, items)
}

func compactItems(name string, items []json.RawMessage) ([]json.RawMessage, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("%s holds no items", name)
	}
	for i, it := range items {
		var compact, escaped bytes.Buffer
		if err := json.Compact(&compact, it); err != nil {
			return nil, fmt.Errorf("%s: item %d: %w", name, i, err)
		}
		// Escaped as the client's encoder will send it, so that batches
		// are measured in the bytes that go on the wire.
		json.HTMLEscape(&escaped, compact.Bytes())
		items[i] = escaped.Bytes()
	}
	return items, nil
}

// batchMetricItems groups items into JSON arrays within the report limit.
func batchMetricItems(items []json.RawMessage) ([]json.RawMessage, error) {
	var out []json.RawMessage
	cur := []byte{'['}
	for i, it := range items {
		if len(it)+2 > metricsReportLimit {
			return nil, fmt.Errorf("item %d is %d bytes, over the 40 KB a report may hold", i, len(it))
		}
		if len(cur)+len(it)+2 > metricsReportLimit {
			out = append(out, append(cur, ']'))
			cur = []byte{'['}
		}
		if len(cur) > 1 {
			cur = append(cur, ',')
		}
		cur = append(cur, it...)
	}
	return append(out, append(cur, ']')), nil
}

// aomError rewords an answer in AOM's or Prometheus' error layout, which
// the client does not parse.
func aomError(err error) error {
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != "" {
		return err
	}
	var eb struct {
		Code      string `json:"errorCode"`
		Msg       string `json:"errorMessage"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}
	if json.Unmarshal([]byte(ae.Message), &eb) == nil {
		switch {
		case eb.Code != "":
			ae.Code, ae.Message = eb.Code, eb.Msg
		case eb.ErrorType != "":
			ae.Code, ae.Message = eb.ErrorType, eb.Error
		}
	}
	return ae
}

func metricsQuery(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("metrics query", flag.ContinueOnError)
	conn := addConnFlags(fs)
	at := fs.String("time", "", "evaluation time of an instant query, Unix milliseconds or RFC 3339 (default now)")
	start := fs.String("start", "", "start of a range query, Unix milliseconds, RFC 3339, or a duration before --end (such as 1h)")
	end := fs.String("end", "", "end of a range query (default now)")
	step := fs.Duration("step", time.Minute, "step of a range query")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: logtank metrics query [--time T | --start T [--end T] [--step D]] 'PROMQL'")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("metrics query: want one PromQL expression")
	}
	q := url.Values{"query": {pos[0]}}
	path := "/v1/{project_id}/aom/api/v1/query"
	if *start != "" || *end != "" {
		if *at != "" {
			return usagef("metrics query: --time is for instant queries, --start and --end for range queries")
		}
		endT := time.Now()
		if *end != "" {
			if endT, err = parseWhen(*end); err != nil {
				return err
			}
		}
		startT := endT.Add(-time.Hour)
		if *start != "" {
			if d, derr := time.ParseDuration(*start); derr == nil {
				startT = endT.Add(-d)
			} else if startT, err = parseWhen(*start); err != nil {
				return err
			}
		}
		path += "_range"
		q.Set("start", strconv.FormatFloat(float64(startT.UnixMilli())/1000, 'f', -1, 64))
		q.Set("end", strconv.FormatFloat(float64(endT.UnixMilli())/1000, 'f', -1, 64))
		q.Set("step", strconv.FormatFloat(step.Seconds(), 'f', -1, 64))
	} else if *at != "" {
		t, err := parseWhen(*at)
		if err != nil {
			return err
		}
		q.Set("time", strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64))
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.Do(ctx, "GET", path, q, nil, &raw); err != nil {
		return aomError(err)
	}
	if conn.json {
		return printJSON(w, raw)
	}
	return printPromResult(w, raw)
}

// promSample is [timestamp, "value"] as the Prometheus API sends it.
type promSample [2]any

func (s promSample) String() string {
	ts, _ := s[0].(float64)
	v, _ := s[1].(string)
	return time.UnixMilli(int64(ts*1000+0.5)).UTC().Format(time.RFC3339Nano) + "  " + v
}

func labelString(m map[string]string) string {
	name := m["__name__"]
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(m[k])
	}
	return name + "{" + strings.Join(parts, ", ") + "}"
}

// printPromResult prints a query answer: one line per sample of a vector,
// a block per series of a matrix.
func printPromResult(w io.Writer, raw json.RawMessage) error {
	var ans struct {
		Data struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return err
	}
	switch ans.Data.ResultType {
	case "vector":
		var v []struct {
			Metric map[string]string `json:"metric"`
			Value  promSample        `json:"value"`
		}
		if err := json.Unmarshal(ans.Data.Result, &v); err != nil {
			return err
		}
		for _, s := range v {
			fmt.Fprintf(w, "%s  %s\n", labelString(s.Metric), s.Value)
		}
	case "matrix":
		var m []struct {
			Metric map[string]string `json:"metric"`
			Values []promSample      `json:"values"`
		}
		if err := json.Unmarshal(ans.Data.Result, &m); err != nil {
			return err
		}
		for _, s := range m {
			fmt.Fprintln(w, labelString(s.Metric))
			for _, v := range s.Values {
				fmt.Fprintf(w, "  %s\n", v)
			}
		}
	default: // scalar or string
		var s promSample
		if err := json.Unmarshal(ans.Data.Result, &s); err != nil {
			return err
		}
		fmt.Fprintln(w, s)
	}
	for _, warning := range ans.Warnings {
		fmt.Fprintln(w, "warning:", warning)
	}
	return nil
}
