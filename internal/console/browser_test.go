package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"logtank/internal/iam"
	"logtank/internal/server"
)

const (
	testRegion   = "cn-north-4"
	testPassword = "console-password-1"
	testProject  = "0123456789abcdef0123456789abcdef"
)

// chromiumPath finds Debian's chromium. Without it the browser tests skip
// on a developer's machine, and fail in CI, where .ci/run installs it.
func chromiumPath(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed: the console's browser tests need it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); CI fails here instead of skipping")
	return ""
}

// site is a running logtank server and a signed-in API client of it.
type site struct {
	t     testing.TB
	URL   string
	token string
}

// startSite starts a server, configured further by opts.
func startSite(t testing.TB, opts ...func(*server.Config)) *site {
	t.Helper()
	cfg := server.Config{
		DataDir: t.TempDir(), Region: testRegion, Logger: slog.New(slog.DiscardHandler),
		Defaults: iam.Defaults{ProjectID: testProject, AccessKey: "CONSOLETESTAK0000000", SecretKey: "consoleTestSecretKey00000000000000000000", AdminPassword: testPassword},
	}
	for _, o := range opts {
		o(&cfg)
	}
	app, err := server.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	s := &site{t: t, URL: srv.URL}
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "password": testPassword, "domain": map[string]string{"name": "admin"}}}},
		"scope": map[string]any{"project": map[string]string{"id": testProject}},
	}}
	resp := s.do("POST", "/v3/auth/tokens", body, http.StatusCreated)
	s.token = resp.Header.Get("X-Subject-Token")
	return s
}

// do sends a JSON request with the site's token and checks its status.
func (s *site) do(method, path string, body any, want int) *http.Response {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if s.token != "" {
		req.Header.Set("X-Auth-Token", s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp
}

func (s *site) decode(resp *http.Response, v any) {
	s.t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatal(err)
	}
}

// ids finds a group and a stream of it by name.
func (s *site) ids(group, stream string) (string, string) {
	s.t.Helper()
	var gs struct {
		Groups []struct {
			ID   string `json:"log_group_id"`
			Name string `json:"log_group_name"`
		} `json:"log_groups"`
	}
	s.decode(s.do("GET", "/v2/"+testProject+"/groups", nil, 200), &gs)
	for _, g := range gs.Groups {
		if g.Name != group {
			continue
		}
		var ss struct {
			Streams []struct {
				ID   string `json:"log_stream_id"`
				Name string `json:"log_stream_name"`
			} `json:"log_streams"`
		}
		s.decode(s.do("GET", "/v2/"+testProject+"/groups/"+g.ID+"/streams", nil, 200), &ss)
		for _, st := range ss.Streams {
			if st.Name == stream {
				return g.ID, st.ID
			}
		}
	}
	s.t.Fatalf("no stream %s/%s", group, stream)
	return "", ""
}

func (s *site) ingest(group, stream string, at time.Time, lines ...string) {
	s.t.Helper()
	s.do("POST", fmt.Sprintf("/v2/%s/lts/groups/%s/streams/%s/tenant/contents", testProject, group, stream),
		map[string]any{"log_time_ns": at.UnixNano(), "contents": lines, "labels": map[string]string{"host": "web-1"}}, 200)
}

// browserLog collects what the page must never do: throw, log an error,
// or have a request fail, apart from the failures a step expects.
type browserLog struct {
	mu       sync.Mutex
	problems []string
	expected map[string]int // "status path" -> how many are expected
}

func (b *browserLog) expect(status int, path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expected[fmt.Sprintf("%d %s", status, path)]++
}

func (b *browserLog) add(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

func (b *browserLog) listen(t testing.TB, ctx context.Context) {
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.add(fmt.Sprintf("uncaught exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if e.Type == "error" || e.Type == "warning" {
				var args []string
				for _, a := range e.Args {
					args = append(args, fmt.Sprint(a.Value)+a.Description)
				}
				b.add(fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 {
				path := e.Response.URL
				if i := strings.Index(path, "//"); i >= 0 {
					path = path[i+2:]
					path = path[strings.Index(path, "/"):]
				}
				if j := strings.IndexByte(path, '?'); j >= 0 {
					path = path[:j]
				}
				key := fmt.Sprintf("%d %s", e.Response.Status, path)
				b.mu.Lock()
				if b.expected[key] > 0 {
					b.expected[key]--
				} else {
					b.problems = append(b.problems, "failed request: "+key)
				}
				b.mu.Unlock()
			}
		case *network.EventLoadingFailed:
			if !e.Canceled {
				b.add("request failed to load: " + e.ErrorText)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (b *browserLog) check(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Error(p)
	}
	for k, n := range b.expected {
		if n > 0 {
			t.Errorf("an expected failed request did not happen: %s", k)
		}
	}
}

// browser starts headless chromium on a clean profile.
func browser(t testing.TB) (context.Context, *browserLog) {
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where chromium's sandbox cannot start
		chromedp.WindowSize(1366, 860),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	// Chromium now and then exits as it starts when the machine is busy
	// (before it listens for the test): that is the browser's start, not
	// the console, so it is tried again, three times in all. The first
	// call starts it.
	var ctx context.Context
	for attempt := 1; ; attempt++ {
		actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
		c, cancel2 := chromedp.NewContext(actx)
		_, err := chromedp.Call(c, network.Enable, network.EnableParams{})
		if err == nil {
			t.Cleanup(cancel)
			t.Cleanup(cancel2)
			ctx = c
			break
		}
		cancel2()
		cancel()
		if attempt == 3 {
			t.Fatal(err)
		}
		t.Logf("chromium did not start (attempt %d): %v", attempt, err)
	}
	log := &browserLog{expected: map[string]int{}}
	log.listen(t, ctx)
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return ctx, log
}

// screenshots go to $LOGTANK_SCREENSHOTS when set (the README's come from
// there), else to the test's temporary folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("LOGTANK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "logtank-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sel selects the element with a data-testid.
func sel(testid string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(`[data-testid=%s]`, testid)) }

// run runs actions, failing the test with what was being done.
func run(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		errText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=error-message]').textContent + ' | at ' + location.hash`))
		t.Fatalf("%s: %v (error-message: %q)", what, err, errText)
	}
}

// waitJS waits until a JavaScript expression is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		if err != nil {
			err = fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return chromedp.Void{}, err
	}
}

// doJS runs JavaScript statements in the page, as one task of its own.
func doJS(statements string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[bool](statements + `; true`)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := eval(ctx, t)
		return chromedp.Void{}, err
	}
}

// evalJS evaluates a JavaScript expression into out.
func evalJS[T any](t testing.TB, ctx context.Context, expr string, out *T) {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	*out = v
}

func typeInto(testid, text string) chromedp.Action[chromedp.Void] {
	clear := chromedp.Evaluate[bool](fmt.Sprintf(`(e => { e.value = ''; return true })(document.querySelector('[data-testid=%s]'))`, testid))
	return chromedp.Steps(func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := clear(ctx, t)
		return chromedp.Void{}, err
	}, chromedp.SendKeys(sel(testid), text))
}

// signIn opens the console and signs in as the admin.
func signIn(t testing.TB, ctx context.Context, s *site) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.WaitVisible(sel("login-domain")),
		typeInto("login-domain", "admin"), typeInto("login-user", "admin"), typeInto("login-password", testPassword),
		chromedp.Click(sel("login-submit")),
		chromedp.WaitVisible(sel("project-select")))
}

// createStream creates a group and a stream of it through the API.
func (s *site) createStream(group, stream string) (string, string) {
	s.t.Helper()
	var g struct {
		ID string `json:"log_group_id"`
	}
	s.decode(s.do("POST", "/v2/"+testProject+"/groups", map[string]any{"log_group_name": group, "ttl_in_days": 7}, 201), &g)
	s.do("POST", "/v2/"+testProject+"/groups/"+g.ID+"/streams", map[string]any{"log_stream_name": stream}, 201)
	return s.ids(group, stream)
}

// rowsJS lists the shown result rows' line numbers, outside the context view.
const rowsJS = `[...document.querySelectorAll('#results [data-testid=result-row]')].map(r => r.dataset.line)`

func TestConsoleInBrowser(t *testing.T) {
	s := startSite(t)
	ctx, blog := browser(t)

	// Sign in: a wrong password first.
	run(t, ctx, "open the console",
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.WaitVisible(sel("login-domain")))
	blog.expect(401, "/v3/auth/tokens")
	run(t, ctx, "sign in with a wrong password",
		typeInto("login-domain", "admin"), typeInto("login-user", "admin"), typeInto("login-password", "not-the-password"),
		chromedp.Click(sel("login-submit")),
		chromedp.WaitVisible(sel("error-message")))
	var msg string
	evalJS(t, ctx, `document.querySelector('[data-testid=error-message]').textContent`, &msg)
	if !strings.Contains(msg, "password") || !strings.Contains(msg, "IAM.0002") {
		t.Fatalf("wrong password shows %q", msg)
	}
	screenshot(t, ctx, "sign-in")
	run(t, ctx, "sign in",
		typeInto("login-password", testPassword),
		chromedp.Click(sel("login-submit")),
		chromedp.WaitVisible(sel("project-select")),
		waitJS(`document.querySelector('[data-testid=error-message]').hidden`))
	var project string
	evalJS(t, ctx, `document.querySelector('[data-testid=project-select]').value`, &project)
	if project != testProject {
		t.Fatalf("project-select is %q, want %q", project, testProject)
	}
	var stored bool
	evalJS(t, ctx, `JSON.parse(sessionStorage.getItem('logtank.session')).projects[0].token.length > 20 && !sessionStorage.getItem('logtank.session').includes('`+testPassword+`')`, &stored)
	if !stored {
		t.Fatal("session storage holds no token, or holds the password")
	}

	// A group and a stream, created in the console.
	run(t, ctx, "create a group",
		typeInto("group-name", "web"),
		chromedp.Click(sel("group-create")),
		waitJS(`[...document.querySelectorAll('[data-testid=group-item]')].some(g => g.textContent.includes('web'))`),
		chromedp.WaitVisible(sel("stream-name")),
		typeInto("stream-name", "access"),
		chromedp.Click(sel("stream-create")),
		waitJS(`[...document.querySelectorAll('[data-testid=stream-item]')].some(s => s.textContent === 'access')`))
	group, stream := s.ids("web", "access")

	// 130 lines with "error" and 120 without, over the last ten minutes,
	// in batches of ten with their own times.
	now := time.Now()
	for i := range 25 {
		at := now.Add(-10 * time.Minute).Add(time.Duration(i) * 20 * time.Second)
		var lines []string
		for j := range 10 {
			n := i*10 + j
			if n < 130 {
				lines = append(lines, fmt.Sprintf("error code=%d request failed", n))
			} else {
				lines = append(lines, fmt.Sprintf(`info ok %d`, n))
			}
		}
		s.ingest(group, stream, at, lines...)
	}

	// Search: the count, the histogram's total, highlighted matches.
	run(t, ctx, "search for error",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=stream-item][data-id="%s"]`, stream))),
		chromedp.WaitVisible(sel("query-input")),
		typeInto("query-input", "error"),
		chromedp.Click(sel("query-run")),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '130'`),
		waitJS(`document.querySelectorAll('#results [data-testid=result-row]').length === 100`))
	var total string
	evalJS(t, ctx, `document.querySelector('[data-testid=histogram]').dataset.total`, &total)
	if total != "130" {
		t.Fatalf("histogram data-total = %s, want 130", total)
	}
	var highlighted bool
	evalJS(t, ctx, `[...document.querySelectorAll('#results [data-testid=result-row]')].every(r => [...r.querySelectorAll('mark')].map(m => m.textContent).join() === 'error')`, &highlighted)
	if !highlighted {
		t.Fatal("not every row has its match, and only it, inside mark")
	}
	var hash string
	evalJS(t, ctx, `location.hash`, &hash)
	if !strings.Contains(hash, "stream="+stream) || !strings.Contains(hash, "q=error") || !strings.Contains(hash, "range=15m") {
		t.Fatalf("the address does not hold the search: %s", hash)
	}
	screenshot(t, ctx, "search")

	// Paging: the second page continues from the last line, without
	// duplicating or skipping one.
	run(t, ctx, "load more",
		chromedp.Click(sel("load-more")),
		waitJS(`document.querySelectorAll('#results [data-testid=result-row]').length === 130`))
	var lines []string
	evalJS(t, ctx, rowsJS, &lines)
	seen := map[string]bool{}
	for i, l := range lines {
		if seen[l] {
			t.Fatalf("line %s shown twice", l)
		}
		seen[l] = true
		if i > 0 && len(l) == len(lines[i-1]) && l >= lines[i-1] {
			t.Fatalf("rows are not newest first at %d: %s after %s", i, l, lines[i-1])
		}
	}
	var contents []string
	evalJS(t, ctx, `[...document.querySelectorAll('#results [data-testid=result-row] .content')].map(c => c.textContent)`, &contents)
	codes := map[string]bool{}
	for _, c := range contents {
		codes[strings.Fields(c)[1]] = true
	}
	if len(codes) != 130 {
		t.Fatalf("%d distinct lines shown, want the 130 that match", len(codes))
	}

	// Context: the lines around one, the line itself marked.
	anchor := lines[5]
	run(t, ctx, "open the context",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#results [data-line="%s"] [data-testid=row-context]`, anchor))),
		chromedp.WaitVisible(sel("context-view")),
		waitJS(`document.querySelectorAll('[data-testid=context-view] [data-testid=result-row]').length > 10`))
	var marked []string
	evalJS(t, ctx, `[...document.querySelectorAll('[data-testid=context-view] [data-testid=result-row].anchor')].map(r => r.dataset.line)`, &marked)
	if len(marked) != 1 || marked[0] != anchor {
		t.Fatalf("context marks %v, want just %s", marked, anchor)
	}
	screenshot(t, ctx, "context")
	run(t, ctx, "close the context", chromedp.Click(sel("context-close")), chromedp.WaitNotVisible(sel("context-view")))

	// A syntax error is shown with its position.
	blog.expect(400, fmt.Sprintf("/v2/%s/groups/%s/streams/%s/content/query", testProject, group, stream))
	blog.expect(400, fmt.Sprintf("/v2/%s/lts/keyword-count", testProject))
	run(t, ctx, "search with a syntax error",
		typeInto("query-input", "error AND"),
		chromedp.Click(sel("query-run")),
		chromedp.WaitVisible(sel("error-message")))
	evalJS(t, ctx, `document.querySelector('[data-testid=error-message]').textContent + ' | ' + document.querySelector('#query-caret').textContent`, &msg)
	if !strings.Contains(msg, "position 7") || !strings.Contains(msg, "LTS.0009") || !strings.Contains(msg, "error AND\n      ^") {
		t.Fatalf("syntax error shows %q", msg)
	}

	// Saved queries: save one, find it after a reload, use it.
	run(t, ctx, "save a query",
		typeInto("query-input", "error"),
		chromedp.Click(sel("query-run")),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '130'`),
		typeInto("saved-query-name", "errors only"),
		chromedp.Click(sel("saved-query-save")),
		waitJS(`[...document.querySelectorAll('[data-testid=saved-query-item]')].some(i => i.textContent.includes('errors only'))`),
		chromedp.Reload(),
		chromedp.WaitVisible(sel("query-input")),
		waitJS(`[...document.querySelectorAll('[data-testid=saved-query-item]')].some(i => i.textContent.includes('errors only'))`),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '130'`),
		typeInto("query-input", "nothing-matches-this"),
		chromedp.Click(sel("query-run")),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '0'`),
		chromedp.Click(chromedp.CSS(`[data-testid=saved-query-item] span`)),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '130'`))
	var q string
	evalJS(t, ctx, `document.querySelector('[data-testid=query-input]').value`, &q)
	if q != "error" {
		t.Fatalf("the saved query put %q in the query box", q)
	}

	// Live tail: a line ingested now appears without another search.
	run(t, ctx, "start live tail",
		chromedp.Click(sel("live-tail")),
		waitJS(`document.querySelector('[data-testid=live-tail]').getAttribute('aria-pressed') === 'true'`))
	s.ingest(group, stream, time.Now(), "error tail-marker-7f3 arrived")
	run(t, ctx, "see the new line",
		waitJS(`(document.querySelector('#results [data-testid=result-row] .content') || {}).textContent === 'error tail-marker-7f3 arrived'`),
		chromedp.Click(sel("live-tail")),
		waitJS(`document.querySelector('[data-testid=live-tail]').getAttribute('aria-pressed') === 'false'`))
	evalJS(t, ctx, rowsJS, &lines)
	if len(lines) != 101 {
		t.Fatalf("%d rows after the tail, want 101", len(lines))
	}

	// SQL: a table and a chart.
	run(t, ctx, "run SQL",
		chromedp.Click(sel("tab-sql")),
		chromedp.WaitVisible(sel("sql-input")),
		typeInto("sql-input", "SELECT split_part(content, ' ', 1) AS level, count(*) AS n GROUP BY level ORDER BY level"),
		chromedp.Click(sel("sql-run")),
		waitJS(`document.querySelectorAll('[data-testid=sql-table] tbody tr').length === 2`),
		waitJS(`document.querySelector('[data-testid=sql-chart] canvas') !== null`))
	var table [][]string
	evalJS(t, ctx, `[...document.querySelectorAll('[data-testid=sql-table] tr')].map(r => [...r.children].map(c => c.textContent))`, &table)
	want := [][]string{{"level", "n"}, {"error", "131"}, {"info", "120"}}
	if fmt.Sprint(table) != fmt.Sprint(want) {
		t.Fatalf("SQL table %v, want %v", table, want)
	}
	screenshot(t, ctx, "sql")
	blog.expect(400, fmt.Sprintf("/v2/%s/streams/%s/struct-content/query", testProject, stream))
	run(t, ctx, "SQL with an error",
		typeInto("sql-input", "SELECT count(* FROM x"),
		chromedp.Click(sel("sql-run")),
		chromedp.WaitVisible(sel("error-message")))
	evalJS(t, ctx, `document.querySelector('[data-testid=error-message]').textContent`, &msg)
	if !strings.Contains(msg, "position") {
		t.Fatalf("SQL error shows %q", msg)
	}

	// A dashboard with the SQL as a chart, drawn over the dashboard's range.
	run(t, ctx, "create a dashboard and add a chart",
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=dashboards]`)),
		chromedp.WaitVisible(sel("dashboard-title")),
		typeInto("dashboard-title", "Ops"),
		chromedp.Click(sel("dashboard-create")),
		waitJS(`[...document.querySelectorAll('[data-testid=dashboard-item]')].some(d => d.textContent.includes('Ops'))`),
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=logs]`)),
		chromedp.Click(sel("tab-sql")),
		waitJS(`document.querySelector('[data-testid=dashboard-pick]').options.length === 1`),
		typeInto("sql-input", "SELECT split_part(content, ' ', 1) AS level, count(*) AS n GROUP BY level ORDER BY level"),
		typeInto("chart-title", "levels"),
		chromedp.Click(sel("chart-add")),
		waitJS(`document.querySelector('[data-testid=chart-title]').value === ''`),
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=dashboards]`)),
		waitJS(`document.querySelector('[data-testid=dashboard-chart] canvas') !== null`))
	var rowsShown string
	evalJS(t, ctx, `document.querySelector('[data-testid=dashboard-chart]').dataset.rows`, &rowsShown)
	if rowsShown != "2" {
		t.Fatalf("the dashboard's chart has %s rows, want 2", rowsShown)
	}
	screenshot(t, ctx, "dashboard")

	// Sign out: back to the sign-in form, the session forgotten.
	run(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS("#signout")),
		chromedp.WaitVisible(sel("login-domain")))
	evalJS(t, ctx, `sessionStorage.getItem('logtank.session') === null`, &stored)
	if !stored {
		t.Fatal("the session is still stored after signing out")
	}
	blog.check(t)
}

func TestConsoleFiles(t *testing.T) {
	s := startSite(t)
	for _, c := range []struct {
		path, ctype string
		status      int
	}{
		{"/console/", "text/html; charset=utf-8", 200},
		{"/console/app.js", "text/javascript; charset=utf-8", 200},
		{"/console/vendor/uplot/uPlot.esm.js", "text/javascript; charset=utf-8", 200},
		{"/console/style.css", "text/css; charset=utf-8", 200},
		{"/console/missing.js", "application/json;charset=UTF-8", 404},
		{"/console/vendor/", "application/json;charset=UTF-8", 404},
		{"/console/../go.mod", "application/json;charset=UTF-8", 404},
	} {
		resp, err := http.Get(s.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: %d %s, want %d %s: %.100s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.ctype, body)
		}
		if c.status == 200 && resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no Content-Security-Policy", c.path)
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/console", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Errorf("/console: %d to %q, want a redirect to /console/", resp.StatusCode, resp.Header.Get("Location"))
	}
}
