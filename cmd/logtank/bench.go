package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"logtank/internal/client"
)

// Tokens the load generator plants, so that the query phase can search for
// a rare and a common token whose frequencies are known.
const (
	rareToken   = "zqxrareneedle"
	commonToken = "commonmarker"
)

// builtinTemplates stand in for real logs when no samples are given; each
// digit in them is replaced by a random one per line.
var builtinTemplates = []string{
	`10.0.0.1 - - [22/Nov/2026:10:00:00 +0000] "GET /api/v1/orders/1000 HTTP/1.1" 200 1234 "-" "Mozilla/5.0 (X11; Linux x86_64)" 0.012`,
	`2026-11-22 10:00:00,000 INFO [worker-10] com.example.OrderService: order 100000 placed by user 1000 in 12 ms`,
	`2026-11-22T10:00:00.000Z ERROR payment-gateway request_id=0000-0000-0000 upstream timeout after 3000ms host=10.0.0.10`,
	`Nov 22 10:00:00 node-10 sshd[10000]: Accepted publickey for deploy from 192.168.0.10 port 50000 ssh2`,
	`2026-11-22 10:00:00.000 WARN  [db-pool-1] connection 100 idle for 300s, closing; active=10 idle=10 waiting=0`,
}

func runBench(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	conn := addConnFlags(fs)
	sf := addStreamFlags(fs)
	senders := fs.Int("senders", 2, "concurrent senders")
	batch := fs.Int("batch", 1000, "lines per request")
	total := fs.Int64("lines", 1_000_000, "lines to send in all")
	samples := fs.String("samples", "", "folder of sample logs (*.log, e.g. loghub); default: built-in templates")
	pool := fs.Int("pool", 200_000, "distinct generated lines cycled through")
	vary := fs.String("vary", "digits", "how lines vary: digits (every digit random, lines in random order: the adversarial case, which compresses worse than any real log), realistic (runs of consecutive sample lines with their values drawn again: numbers, ids and skewed IPs vary, dates and times stay; needs --samples), suffix (sample lines as they are, in random order, plus a random id) or replay (sample lines in their files' order, plus a random id, as other log stores' published benchmarks replay loghub)")
	queries := fs.Bool("queries", true, "after ingesting, time the search, count and histogram queries")
	window := fs.Duration("query-window", 0, "query the last this long (default: since this run started ingesting)")
	dataDir := fs.String("server-data", "", "the server's data folder, to report the on-disk size of the logs")
	pid := fs.Int("server-pid", 0, "the server's process id, to report its peak RSS (Linux)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *senders < 1 || *batch < 1 || *total < 1 || *pool < 1 {
		return usagef("--senders, --batch, --lines and --pool must be positive")
	}
	c, err := conn.client()
	if err != nil {
		return err
	}
	if sf.group == "" && sf.stream == "" {
		sf.group, sf.stream, err = benchStream(ctx, c)
		if err != nil {
			return err
		}
	}
	_, group, stream, err := sf.connect(ctx, conn)
	if err != nil {
		return err
	}
	switch *vary {
	case "digits", "suffix", "replay":
	case "realistic":
		if *samples == "" {
			return usagef("--vary realistic replays sample logs: give their folder with --samples")
		}
	default:
		return usagef("--vary must be digits, realistic, suffix or replay")
	}
	files := [][]string{builtinTemplates}
	if *samples != "" {
		if files, err = readSamples(*samples); err != nil {
			return err
		}
	}
	lines, rawBytes := generate(files, *pool, *vary)
	fmt.Fprintf(w, "bench: %d senders, %d-line batches, %d lines, %d distinct lines of %.0f bytes on average\n",
		*senders, *batch, *total, len(lines), float64(rawBytes)/float64(len(lines)))

	rss := watchRSS(*pid)
	path := c.Endpoint + "/v2/" + c.ProjectID + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *senders, MaxConnsPerHost: *senders}, Timeout: time.Minute}
	var sent, bytesSent, errs atomic.Int64
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range *senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body bytes.Buffer
			for ctx.Err() == nil {
				first := next.Add(int64(*batch)) - int64(*batch)
				if first >= *total {
					return
				}
				n := min(int64(*batch), *total-first)
				body.Reset()
				fmt.Fprintf(&body, `{"log_time_ns":%d,"labels":{"bench":"1"},"contents":[`, time.Now().UnixNano())
				var size int64
				for i := int64(0); i < n; i++ {
					if i > 0 {
						body.WriteByte(',')
					}
					l := lines[(first+i)%int64(len(lines))]
					body.WriteString(l.json)
					size += int64(l.size)
				}
				body.WriteString("]}")
				if err := postSigned(ctx, httpc, c.Profile, path, body.Bytes()); err != nil {
					if errs.Add(1) <= 3 {
						fmt.Fprintln(os.Stderr, "bench:", err)
					}
					continue
				}
				sent.Add(n)
				bytesSent.Add(size)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Fprintf(w, "ingest: %d lines, %.1f MB raw in %.2fs: %.0f lines/s, %.1f MB/s, %d failed requests\n",
		sent.Load(), float64(bytesSent.Load())/1e6, secs, float64(sent.Load())/secs, float64(bytesSent.Load())/1e6/secs, errs.Load())
	if peak := rss(); peak > 0 {
		fmt.Fprintf(w, "server peak RSS while ingesting: %.0f MiB\n", float64(peak)/(1<<20))
	}
	if *queries {
		since := start
		if *window > 0 {
			since = time.Now().Add(-*window)
		}
		if err := benchQueries(ctx, c, group, stream, since, w); err != nil {
			return err
		}
	}
	if *dataDir != "" {
		size, err := dirSize(filepath.Join(*dataDir, "logs", "streams", stream))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "on disk (segments of the stream, flushed so far): %.1f MB, 1/%.1f of the raw bytes\n",
			float64(size)/1e6, float64(bytesSent.Load())/float64(max(size, 1)))
	}
	return nil
}

func benchStream(ctx context.Context, c *client.Client) (string, string, error) {
	name := fmt.Sprintf("bench-%d", time.Now().Unix())
	var g struct {
		ID string `json:"log_group_id"`
	}
	if err := c.Do(ctx, "POST", "/v2/{project_id}/groups", nil, map[string]any{"log_group_name": name, "ttl_in_days": 7}, &g); err != nil {
		return "", "", err
	}
	var s struct {
		ID string `json:"log_stream_id"`
	}
	if err := c.Do(ctx, "POST", "/v2/{project_id}/groups/"+g.ID+"/streams", nil, map[string]any{"log_stream_name": name}, &s); err != nil {
		return "", "", err
	}
	return g.ID, s.ID, nil
}

// readSamples returns the lines of each *.log file under dir.
func readSamples(dir string) ([][]string, error) {
	var out [][]string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".log") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var lines []string
		for sc.Scan() {
			if l := strings.TrimSpace(strings.ReplaceAll(sc.Text(), "\r", "")); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
		return sc.Err()
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no *.log lines under %s", dir)
	}
	return out, err
}

type genLine struct {
	json string // the line as a JSON string literal
	size int
}

// generate makes n distinct lines from the template files: with "digits"
// every digit of a randomly chosen template becomes a random digit, so
// numbers, ids, IPs and times vary; with "realistic" runs of consecutive
// lines of one file have their values drawn again (see realistic); with
// "suffix" a randomly chosen template is kept as it is and a random
// 16-hex-digit id appended; with "replay" the templates are taken in order
// (a log file's own sequence) with that id. One line in 10,000 carries the
// rare token and one in 10 the common token.
func generate(files [][]string, n int, vary string) ([]genLine, int64) {
	rng := rand.New(rand.NewPCG(42, 7))
	var templates, replayed []string
	for _, f := range files {
		templates = append(templates, f...)
	}
	if vary == "realistic" {
		replayed = realistic(files, n, rng)
	}
	out := make([]genLine, n)
	var total int64
	buf := make([]byte, 0, 512)
	for i := range out {
		t := templates[rng.IntN(len(templates))]
		if vary == "replay" {
			t = templates[i%len(templates)]
		}
		buf = buf[:0]
		if vary == "realistic" {
			buf = append(buf, replayed[i]...)
		} else if vary != "digits" {
			buf = fmt.Appendf(append(buf, t...), " id=%016x", rng.Uint64())
		} else {
			for j := 0; j < len(t); j++ {
				c := t[j]
				if c >= '0' && c <= '9' {
					c = byte('0' + rng.IntN(10))
				}
				buf = append(buf, c)
			}
		}
		if i%10_000 == 0 {
			buf = append(buf, " "+rareToken...)
		}
		if i%10 == 3 {
			buf = append(buf, " "+commonToken...)
		}
		js, _ := json.Marshal(string(buf))
		out[i] = genLine{json: string(js), size: len(buf)}
		total += int64(len(buf))
	}
	return out, total
}

func postSigned(ctx context.Context, hc *http.Client, p client.Profile, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	client.SignRequest(req, body, p)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, answer)
	}
	return nil
}

// benchQueries times the queries of the performance targets, each a few
// times, and prints the median.
func benchQueries(ctx context.Context, c *client.Client, group, stream string, since time.Time, w io.Writer) error {
	path := "/v2/{project_id}/groups/" + group + "/streams/" + stream + "/content/query"
	start := since.Add(-time.Minute).UnixMilli()
	end := time.Now().Add(time.Minute).UnixMilli()
	timeIt := func(name string, fn func() (string, error)) error {
		var ds []time.Duration
		var note string
		for range 5 {
			t := time.Now()
			n, err := fn()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(t))
			note = n
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		fmt.Fprintf(w, "query %-34s median %7.1f ms (min %.1f, max %.1f) %s\n", name, ms(ds[2]), ms(ds[0]), ms(ds[4]), note)
		return nil
	}
	search := func(keywords string, limit int, count bool) func() (string, error) {
		return func() (string, error) {
			var out struct {
				Count *int              `json:"count"`
				Logs  []json.RawMessage `json:"logs"`
			}
			body := map[string]any{"start_time": start, "end_time": end, "keywords": keywords, "is_count": count}
			if limit > 0 {
				body["limit"] = limit
			}
			if err := c.Do(ctx, "POST", path, nil, body, &out); err != nil {
				return "", err
			}
			note := fmt.Sprintf("(%d lines", len(out.Logs))
			if out.Count != nil {
				note += fmt.Sprintf(", count %d", *out.Count)
			}
			return note + ")", nil
		}
	}
	if err := timeIt("rare token, first page (limit 50)", search(rareToken, 0, false)); err != nil {
		return err
	}
	if err := timeIt("common token, first 100 hits", search(commonToken, 100, false)); err != nil {
		return err
	}
	if err := timeIt("count of the common token (10%)", search(commonToken, 1, true)); err != nil {
		return err
	}
	return timeIt("24-bucket histogram, common token", func() (string, error) {
		var out struct {
			Count int64 `json:"count"`
		}
		step := (end - start + 23) / 24
		body := map[string]any{"start_time": strconv.FormatInt(start, 10), "end_time": strconv.FormatInt(end, 10), "step_interval": step,
			"group_id": group, "stream_id": stream, "key_word": commonToken}
		if err := c.Do(ctx, "POST", "/v2/{project_id}/lts/keyword-count", nil, body, &out); err != nil {
			return "", err
		}
		return fmt.Sprintf("(count %d)", out.Count), nil
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

// watchRSS samples a process's resident set every 200 ms and returns a
// function that stops sampling and reports the peak (0 when unknown).
func watchRSS(pid int) func() int64 {
	if pid <= 0 {
		return func() int64 { return 0 }
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			if v := readRSS(pid); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

func readRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
