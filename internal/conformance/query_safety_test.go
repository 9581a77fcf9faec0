package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"logtank/internal/server"
)

// safetyEnv is a server whose log the test reads, with one stream holding
// a few short lines and, when long > 0, that many lines of 100,000 'a's:
// the text on which a LIKE with a long '_' part is slow.
type safetyEnv struct {
	*logsEnv
	log   *lockedBuffer
	start int64 // ms, a query window around the lines
}

// lockedBuffer is a log destination that the server writes from many
// goroutines while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newSafetyEnv(t *testing.T, long int, configure func(*server.Config)) *safetyEnv {
	t.Helper()
	buf := &lockedBuffer{}
	e := startWith(t, "", func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(buf, nil))
		if configure != nil {
			configure(c)
		}
	})
	group, stream := e.createStream(t, "safety", "safety")
	se := &safetyEnv{logsEnv: &logsEnv{env: e, group: group, stream: stream}, log: buf, start: time.Now().Add(-time.Minute).UnixMilli()}
	now := time.Now().UnixNano()
	se.ingest(t, "/tenant/contents", map[string]any{"log_time_ns": fmt.Sprint(now), "contents": []string{"GET /index.html 200", "GET /missing 404", "POST /login 500"}, "labels": map[string]string{"app": "web"}}, nil, 200)
	if long > 0 {
		lines := make([]string, long)
		for i := range lines {
			lines[i] = strings.Repeat("a", 100_000)
		}
		se.ingest(t, "/tenant/contents", map[string]any{"log_time_ns": fmt.Sprint(now + 1), "contents": lines, "labels": map[string]string{"app": "batch"}}, nil, 200)
	}
	return se
}

func (se *safetyEnv) window() (int64, int64) {
	return se.start, time.Now().Add(time.Minute).UnixMilli()
}

func (se *safetyEnv) paths() (legacy, current, search string) {
	base := "/v2/" + testProject + "/groups/" + se.group + "/streams/" + se.stream
	return base + "/struct-content/query", "/v2/" + testProject + "/streams/" + se.stream + "/struct-content/query", base + "/content/query"
}

// sqlRequests are the three SQL doors, each asked sql.
func (se *safetyEnv) sqlRequests(sql string) map[string]struct {
	path string
	body map[string]any
} {
	legacy, current, search := se.paths()
	from, to := se.window()
	return map[string]struct {
		path string
		body map[string]any
	}{
		"legacy":   {legacy, map[string]any{"start_time": from, "end_time": to, "sql_expression": sql}},
		"current":  {current, map[string]any{"query": sql, "format": "k-v", "time_range": map[string]any{"start_time": from, "end_time": to}}},
		"analysis": {search, map[string]any{"start_time": from, "end_time": to, "is_analysis_query": true, "query": "* | " + sql}},
	}
}

// slowLike is a LIKE whose middle part, tried at every place of a line of
// 'a's, costs about 10^8 byte comparisons per line.
var slowLike = "select count(*) where content like '%" + strings.Repeat("a", 1000) + "_b%'"

// TestHostileQueriesAreRefused sends the requests that used to end the
// process (a LIKE too large to compile, parentheses deep enough to
// overflow the stack) and their variants through every door: each is a
// 400 with the LTS error body within a second, and the server goes on.
func TestHostileQueriesAreRefused(t *testing.T) {
	se := newSafetyEnv(t, 0, nil)
	deep := func(open, close string, n int) string {
		return "select " + strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	values := make([]string, 60000)
	for i := range values {
		values[i] = fmt.Sprint(i)
	}
	sqls := map[string]string{
		"LIKE of 1,200,000 '%_'":   "select count(*) as n where content like '" + strings.Repeat("%_", 1_200_000) + "'",
		"900,000 parentheses":      deep("(", ")", 900_000),
		"300 parentheses":          deep("(", ")", 300),
		"300 nested calls":         deep("abs(", ")", 300),
		"300 nested CASEs":         "select " + strings.Repeat("case when true then ", 300) + "1" + strings.Repeat(" end", 300),
		"300 NOTs":                 "select count(*) where " + strings.Repeat("not ", 300) + "true",
		"IN list of 60,000 values": "select count(*) where content in (" + strings.Join(values, ",") + ")",
		"long CASE chain":          "select case " + strings.Repeat("when content = 'x' then 1 ", 5000) + "end",
		"huge regexp repeat":       "select regexp_like(content, '(a{1000}){1000}')",
		"large regexp program":     "select regexp_extract(content, '(?:a{500})b{600}')",
		"long regexp":              "select regexp_like(content, '" + strings.Repeat("a", 2000) + "')",
	}
	for name, sql := range sqls {
		for door, req := range se.sqlRequests(sql) {
			start := time.Now()
			status, body := se.post(t, req.path, req.body, nil)
			took := time.Since(start)
			if status != 400 || errorCode(t, body) != "LTS.0009" {
				t.Errorf("%s via %s: %d %.300s, want 400 LTS.0009", name, door, status, body)
			}
			if took > time.Second {
				t.Errorf("%s via %s: answered after %v", name, door, took)
			}
		}
	}
	_, _, search := se.paths()
	from, to := se.window()
	keywords := map[string]string{
		"1,000 parentheses":          strings.Repeat("(", 1000) + "GET" + strings.Repeat(")", 1000),
		"1,000 NOTs":                 strings.Repeat("not ", 1000) + "GET",
		"keywords of 20,000 bytes":   strings.Repeat("GET OR ", 3000),
		"a word with 100 wildcards":  "G" + strings.Repeat("*?", 50),
		"a wildcard word of 1,000 b": "G" + strings.Repeat("E", 1000) + "*",
	}
	for name, kw := range keywords {
		status, body := se.post(t, search, map[string]any{"start_time": from, "end_time": to, "keywords": kw}, nil)
		if status != 400 || errorCode(t, body) != "LTS.0009" {
			t.Errorf("keywords %s: %d %.300s, want 400 LTS.0009", name, status, body)
		}
		status, body = se.post(t, "/v2/"+testProject+"/lts/keyword-count", map[string]any{"start_time": from, "end_time": to, "step_interval": 60000, "group_id": se.group, "stream_id": se.stream, "key_word": kw}, nil)
		if status != 400 || errorCode(t, body) != "LTS.0009" {
			t.Errorf("histogram key_word %s: %d %.300s, want 400 LTS.0009", name, status, body)
		}
	}
	// Still serving, and still right.
	status, body := se.post(t, search, map[string]any{"start_time": from, "end_time": to, "keywords": "GET", "is_count": true}, nil)
	var out struct{ Count int }
	if status != 200 || json.Unmarshal(body, &out) != nil || out.Count != 2 {
		t.Fatalf("a search after the hostile ones: %d %s", status, body)
	}
	if strings.Contains(se.log.String(), "level=ERROR") {
		t.Fatalf("refusals logged as server errors:\n%s", se.log.String())
	}
}

// processCPU is the CPU time this process has used.
func processCPU(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postWithin sends a signed JSON request that the client abandons after d.
func (se *safetyEnv) postWithin(t *testing.T, d time.Duration, path string, body any) error {
	t.Helper()
	b, _ := json.Marshal(body)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", se.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	signer(testAK, testSK, testProject, time.Now())(req, b)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// TestSlowQueryStopsWhenTheClientLeaves: a query that would run for
// seconds stops using the CPU within 100 ms of its client leaving, and the
// server logs and counts it as a client that went away (499), not as a
// server error.
func TestSlowQueryStopsWhenTheClientLeaves(t *testing.T) {
	se := newSafetyEnv(t, 60, nil)
	requests := se.sqlRequests(slowLike)
	// Wildcard words, each within the limits, against lines that are one
	// 100,000-byte token: every '*' retries the rest of the word along
	// the token. Searched, and counted on every core.
	_, _, search := se.paths()
	from, to := se.window()
	words := make([]string, 30)
	for i := range words {
		words[i] = fmt.Sprintf("a*%s%03db", strings.Repeat("a", 200), i)
	}
	wild := strings.Join(words, " or ")
	requests["wildcard search"] = struct {
		path string
		body map[string]any
	}{search, map[string]any{"start_time": from, "end_time": to, "keywords": wild, "limit": 10}}
	requests["wildcard histogram"] = struct {
		path string
		body map[string]any
	}{"/v2/" + testProject + "/lts/keyword-count", map[string]any{"start_time": from, "end_time": to, "step_interval": 60000, "group_id": se.group, "stream_id": se.stream, "key_word": wild}}
	for door, req := range requests {
		start := time.Now()
		if err := se.postWithin(t, 300*time.Millisecond, req.path, req.body); err == nil {
			t.Fatalf("%s: the slow query answered within 300 ms; it is not slow enough to test", door)
		}
		left := time.Now()
		time.Sleep(100 * time.Millisecond)
		before := processCPU(t)
		time.Sleep(400 * time.Millisecond)
		used := processCPU(t) - before
		t.Logf("%s: client left after %v; CPU used 100-500 ms later: %v", door, left.Sub(start).Round(time.Millisecond), used)
		if used > 60*time.Millisecond {
			t.Errorf("%s: the server used %v of CPU in the 400 ms starting 100 ms after the client left", door, used)
		}
	}
	log := se.log.String()
	if n := strings.Count(log, "status=499"); n != len(requests) {
		t.Errorf("%d requests logged with status 499, want %d:\n%s", n, len(requests), log)
	}
	if strings.Contains(log, "level=ERROR") || strings.Contains(log, "status=500") {
		t.Errorf("a client that left was logged as a server error:\n%s", log)
	}
	status, _, metrics := se.raw("GET", "/metrics", nil, nil, signer(testAK, testSK, "", time.Now()))
	if status != 200 || !strings.Contains(string(metrics), `code="499"`) || strings.Contains(string(metrics), `code="500"`) {
		t.Errorf("metrics: %d\n%s", status, grepLines(string(metrics), "logtank_http_requests_total"))
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestQueryTimeLimit: a query past the server's time limit is answered
// 408 with the LTS error body, and the server goes on.
func TestQueryTimeLimit(t *testing.T) {
	se := newSafetyEnv(t, 60, func(c *server.Config) { c.QueryTimeout = 200 * time.Millisecond })
	for door, req := range se.sqlRequests(slowLike) {
		start := time.Now()
		status, body := se.post(t, req.path, req.body, nil)
		took := time.Since(start)
		if status != 408 || errorCode(t, body) != "LTS.0009" || !strings.Contains(string(body), "200ms") {
			t.Errorf("%s: %d %s, want 408 LTS.0009 naming the limit", door, status, body)
		}
		if took > 700*time.Millisecond {
			t.Errorf("%s: answered after %v with a limit of 200 ms", door, took)
		}
	}
}

// TestProjectQueryLimit: one project floods the server with slow queries;
// beyond its limit it gets 429 with Retry-After, while another project's
// searches keep answering promptly.
func TestProjectQueryLimit(t *testing.T) {
	se := newSafetyEnv(t, 60, func(c *server.Config) { c.ProjectQueries = 2 })
	other := se.newProject(t, "eu-west-0")
	sign := signer(testAK, testSK, other, time.Now())
	postOther := func(path string, body any) (int, []byte) {
		b, _ := json.Marshal(body)
		status, _, resp := se.raw("POST", path, b, http.Header{"Content-Type": {"application/json"}}, sign)
		return status, resp
	}
	status, body := postOther("/v2/"+other+"/groups", map[string]any{"log_group_name": "other", "ttl_in_days": 7})
	var g struct {
		LogGroupID string `json:"log_group_id"`
	}
	if status != 201 || json.Unmarshal(body, &g) != nil {
		t.Fatalf("group of the other project: %d %s", status, body)
	}
	status, body = postOther("/v2/"+other+"/groups/"+g.LogGroupID+"/streams", map[string]any{"log_stream_name": "other"})
	var s struct {
		LogStreamID string `json:"log_stream_id"`
	}
	if status != 201 || json.Unmarshal(body, &s) != nil {
		t.Fatalf("stream of the other project: %d %s", status, body)
	}
	status, body = postOther("/v2/"+other+"/lts/groups/"+g.LogGroupID+"/streams/"+s.LogStreamID+"/tenant/contents",
		map[string]any{"log_time_ns": fmt.Sprint(time.Now().UnixNano()), "contents": []string{"other tenant ERROR one", "other tenant ok"}, "labels": map[string]string{}})
	if status != 200 {
		t.Fatalf("ingest into the other project: %d %s", status, body)
	}
	from, to := se.window()
	otherSearch := func() (time.Duration, int) {
		start := time.Now()
		status, body := postOther("/v2/"+other+"/groups/"+g.LogGroupID+"/streams/"+s.LogStreamID+"/content/query",
			map[string]any{"start_time": from, "end_time": to, "keywords": "error", "is_count": true})
		var out struct{ Count int }
		if status != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("the other project's search: %d %s", status, body)
		}
		return time.Since(start), out.Count
	}
	quiet, n := otherSearch()
	if n != 1 {
		t.Fatalf("the other project's search counts %d", n)
	}

	// The flood: 8 slow queries at once from the first project.
	legacy, _, _ := se.paths()
	type answer struct {
		status int
		retry  string
		code   string
	}
	answers := make(chan answer, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(map[string]any{"start_time": from, "end_time": to, "sql_expression": slowLike})
			req, _ := http.NewRequestWithContext(ctx, "POST", se.URL+legacy, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			signer(testAK, testSK, testProject, time.Now())(req, b)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // abandoned at the end of the test
			}
			defer resp.Body.Close()
			var eb struct {
				Code string `json:"error_code"`
			}
			json.NewDecoder(resp.Body).Decode(&eb)
			answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After"), eb.Code}
		}()
	}
	refused := 0
	deadline := time.After(5 * time.Second)
	for refused < 6 {
		select {
		case a := <-answers:
			if a.status != 429 || a.retry == "" || a.code != "APIGW.0308" {
				t.Fatalf("a query beyond the project's limit: %d %q %s, want 429 with Retry-After", a.status, a.code, a.retry)
			}
			refused++
		case <-deadline:
			t.Fatalf("%d of 8 queries refused within 5 s, want 6", refused)
		}
	}
	// Two slow queries of the first project are running now.
	var slowest time.Duration
	for range 5 {
		d, n := otherSearch()
		if n != 1 {
			t.Fatalf("the other project's search counts %d during the flood", n)
		}
		slowest = max(slowest, d)
	}
	t.Logf("the other project's search: %v alone, at most %v during the flood", quiet.Round(time.Microsecond), slowest.Round(time.Microsecond))
	if slowest > 500*time.Millisecond {
		t.Errorf("the other project's search took %v during the flood (%v alone)", slowest, quiet)
	}
	cancel()
	wg.Wait()
}
