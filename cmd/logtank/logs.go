package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// labelFlag collects repeated --label key=value flags.
type labelFlag = tagFlag

func runIngest(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	conn := addConnFlags(fs)
	sf := addStreamFlags(fs)
	batch := fs.Int("batch", 1000, "lines per request")
	labels := labelFlag{}
	fs.Var(labels, "label", "label key=value attached to every line (repeatable)")
	quiet := fs.Bool("quiet", false, "no progress line")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *batch < 1 || *batch > 40960 {
		return usagef("--batch must be between 1 and 40960")
	}
	c, group, stream, err := sf.connect(ctx, conn)
	if err != nil {
		return err
	}
	path := "/v2/{project_id}/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	prog := newProgress(os.Stderr, *quiet)
	send := func(lines []string, bytes int) error {
		body := map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": lines, "labels": map[string]string(labels)}
		if err := c.Do(ctx, "POST", path, nil, body, nil); err != nil {
			return err
		}
		prog.add(len(lines), bytes)
		return nil
	}
	readers := []io.Reader{os.Stdin}
	if len(files) > 0 {
		readers = nil
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			readers = append(readers, f)
		}
	}
	lines, size := make([]string, 0, *batch), 0
	for _, r := range readers {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			lines = append(lines, line)
			size += len(line)
			if len(lines) == *batch {
				if err := send(lines, size); err != nil {
					return err
				}
				lines, size = lines[:0], 0
			}
		}
		if err := sc.Err(); err != nil {
			return err
		}
	}
	if len(lines) > 0 {
		if err := send(lines, size); err != nil {
			return err
		}
	}
	prog.done()
	return nil
}

// progress prints lines/s and bytes/s on one terminal line.
type progress struct {
	w            io.Writer
	quiet        bool
	start, shown time.Time
	lines, bytes int64
}

func newProgress(w io.Writer, quiet bool) *progress {
	now := time.Now()
	return &progress{w: w, quiet: quiet, start: now, shown: now}
}

func (p *progress) add(lines, bytes int) {
	p.lines += int64(lines)
	p.bytes += int64(bytes)
	if !p.quiet && time.Since(p.shown) > 500*time.Millisecond {
		p.shown = time.Now()
		p.print("\r")
	}
}

func (p *progress) print(prefix string) {
	secs := time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "%s%d lines, %.1f MB in %.1fs: %.0f lines/s, %.2f MB/s   ", prefix, p.lines, float64(p.bytes)/1e6, secs,
		float64(p.lines)/secs, float64(p.bytes)/1e6/secs)
}

func (p *progress) done() {
	if !p.quiet {
		p.print("\r")
		fmt.Fprintln(p.w)
	}
}

type logRow struct {
	Content string            `json:"content"`
	Labels  map[string]string `json:"labels"`
	LineNum string            `json:"line_num"`
}

// timeFlags pick a query window: --since, or --start/--end in RFC 3339.
type timeFlags struct {
	since      time.Duration
	start, end string
}

func addTimeFlags(fs *flag.FlagSet, since time.Duration) *timeFlags {
	t := &timeFlags{}
	fs.DurationVar(&t.since, "since", since, "search the logs of this long ago until now")
	fs.StringVar(&t.start, "start", "", "window start, RFC 3339 (overrides --since)")
	fs.StringVar(&t.end, "end", "", "window end, RFC 3339 (default now)")
	return t
}

func (t *timeFlags) window() (int64, int64, error) {
	end := time.Now()
	if t.end != "" {
		e, err := time.Parse(time.RFC3339, t.end)
		if err != nil {
			return 0, 0, usagef("--end: %v", err)
		}
		end = e
	}
	start := end.Add(-t.since)
	if t.start != "" {
		s, err := time.Parse(time.RFC3339, t.start)
		if err != nil {
			return 0, 0, usagef("--start: %v", err)
		}
		start = s
	}
	return start.UnixMilli(), end.UnixMilli(), nil
}

func runQuery(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	conn := addConnFlags(fs)
	sf := addStreamFlags(fs)
	tf := addTimeFlags(fs, time.Hour)
	limit := fs.Int("limit", 100, "at most this many lines (1-5000)")
	desc := fs.Bool("desc", false, "newest first")
	count := fs.Bool("count", false, "print only how many lines match in the window (not capped by --limit)")
	lines := fs.Bool("lines", false, "with --count, print the lines too; the count then goes to stderr")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *lines && !*count {
		return usagef("--lines goes with --count: without it the lines are printed anyway")
	}
	c, group, stream, err := sf.connect(ctx, conn)
	if err != nil {
		return err
	}
	start, end, err := tf.window()
	if err != nil {
		return err
	}
	countOnly := *count && !*lines
	if countOnly {
		// The count does not depend on the limit, so ask for the fewest
		// lines the server allows.
		*limit = 1
	}
	body := map[string]any{"start_time": start, "end_time": end, "keywords": strings.Join(pos, " "), "limit": *limit,
		"is_desc": *desc, "is_count": *count, "highlight": false}
	var raw json.RawMessage
	if err := c.Do(ctx, "POST", "/v2/{project_id}/groups/"+group+"/streams/"+stream+"/content/query", nil, body, &raw); err != nil {
		return err
	}
	if conn.json {
		return printJSON(w, raw)
	}
	var out struct {
		Count *int     `json:"count"`
		Logs  []logRow `json:"logs"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	if *count && out.Count == nil {
		return errors.New("the server's answer has no count")
	}
	if countOnly {
		_, err := fmt.Fprintln(w, *out.Count)
		return err
	}
	for _, l := range out.Logs {
		fmt.Fprintln(w, strings.TrimRight(l.Content, "\n"))
	}
	if *count {
		fmt.Fprintf(os.Stderr, "%d lines match\n", *out.Count)
	}
	return nil
}

func runTail(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	conn := addConnFlags(fs)
	sf := addStreamFlags(fs)
	n := fs.Int("n", 10, "print the last n lines first")
	follow := fs.Bool("f", false, "keep printing new lines as they arrive")
	interval := fs.Duration("interval", time.Second, "how often to ask for new lines with -f")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *n < 0 || *n > 5000 {
		return usagef("-n must be between 0 and 5000")
	}
	c, group, stream, err := sf.connect(ctx, conn)
	if err != nil {
		return err
	}
	path := "/v2/{project_id}/groups/" + group + "/streams/" + stream + "/content/query"
	keywords := strings.Join(pos, " ")
	print := func(logs []logRow) {
		for _, l := range logs {
			if conn.json {
				b, _ := json.Marshal(l)
				fmt.Fprintln(w, string(b))
			} else {
				fmt.Fprintln(w, strings.TrimRight(l.Content, "\n"))
			}
		}
	}
	// The window spans the whole retention a query may cover.
	window := func() (int64, int64) {
		now := time.Now()
		return now.Add(-29 * 24 * time.Hour).UnixMilli(), now.Add(time.Minute).UnixMilli()
	}
	start, end := window()
	var last []logRow
	if *n > 0 {
		var out struct {
			Logs []logRow `json:"logs"`
		}
		body := map[string]any{"start_time": start, "end_time": end, "keywords": keywords, "limit": *n, "is_desc": true, "highlight": false}
		if err := c.Do(ctx, "POST", path, nil, body, &out); err != nil {
			return err
		}
		for i := len(out.Logs) - 1; i >= 0; i-- {
			last = append(last, out.Logs[i])
		}
		print(last)
	}
	if !*follow {
		return nil
	}
	cursor := ""
	if len(last) > 0 {
		cursor = last[len(last)-1].LineNum
	} else {
		cursor = fmt.Sprint(time.Now().UnixNano())
	}
	t := time.NewTicker(*interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start, end := window()
		for {
			var out struct {
				Logs []logRow `json:"logs"`
			}
			body := map[string]any{"start_time": start, "end_time": end, "keywords": keywords, "limit": 1000,
				"search_type": "forwards", "line_num": cursor, "highlight": false}
			err := c.Do(ctx, "POST", path, nil, body, &out)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			if err != nil {
				return err
			}
			print(out.Logs)
			if len(out.Logs) > 0 {
				cursor = out.Logs[len(out.Logs)-1].LineNum
			}
			if len(out.Logs) < 1000 {
				break
			}
		}
	}
}
