package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"logtank/internal/server"
)

// webhook records the bodies POSTed to it.
type webhook struct {
	mu    sync.Mutex
	posts []string
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.posts = append(h.posts, string(b))
}

func (h *webhook) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.posts...)
}

// refreshUntil clicks the alarms page's Refresh until a JavaScript
// expression is true: the page shows what the scheduler did only when asked.
func refreshUntil(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		evalJS(t, ctx, expr, &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not %s", what, expr)
		}
		run(t, ctx, what, chromedp.Click(sel("alarms-refresh")))
		time.Sleep(200 * time.Millisecond)
	}
}

// TestConsoleAlarms creates a topic, an action rule and alarm rules in the
// console, makes the keyword rule fire by moving the server's clock past
// its period, and follows the alarm from active to history.
func TestConsoleAlarms(t *testing.T) {
	// The server's clock runs with the wall clock (the console's searches
	// and the ingested lines are in real time) plus an offset the test
	// moves to end a period without waiting for it.
	var offset atomic.Int64
	s := startSite(t, func(c *server.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		c.AlarmInterval = 20 * time.Millisecond
	})
	hook := &webhook{}
	receiver := httptest.NewServer(hook)
	t.Cleanup(receiver.Close)
	group, stream := s.createStream("app", "web")

	ctx, blog := browser(t)
	signIn(t, ctx, s)
	run(t, ctx, "open the alarms page",
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=alarms]`)),
		chromedp.WaitVisible(sel("topic-name")),
		typeInto("topic-name", "ops"),
		typeInto("topic-url", receiver.URL+"/hook"),
		typeInto("topic-headers", "X-Token: s3cret"),
		chromedp.Click(sel("topic-create")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-topic-item]').length === 1`),
		typeInto("action-rule-name", "oncall"),
		typeInto("action-rule-topics", "ops"),
		chromedp.Click(sel("action-rule-create")),
		waitJS(`document.querySelectorAll('[data-testid=action-rule-item]').length === 1`))

	// A wrong schedule is refused in the page, before any request.
	run(t, ctx, "a rule with a bad frequency",
		typeInto("alarm-name", "disk-errors"),
		typeInto("alarm-keywords", "disk"),
		typeInto("alarm-number", "2"),
		typeInto("alarm-every", "sometimes"),
		chromedp.Click(sel("alarm-create")),
		chromedp.WaitVisible(sel("error-message")))
	var msg string
	evalJS(t, ctx, `document.querySelector('[data-testid=error-message]').textContent`, &msg)
	if !strings.Contains(msg, `"sometimes"`) {
		t.Fatalf("a bad frequency shows %q", msg)
	}
	run(t, ctx, "create a keyword rule",
		typeInto("alarm-every", "1m"),
		chromedp.SetValue(sel("alarm-action"), "oncall"),
		chromedp.Click(sel("alarm-create")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-rule-item]').length === 1`),
		chromedp.SetValue(sel("alarm-kind"), "sql"),
		waitJS(`document.querySelector('[data-testid=alarm-kind]').dispatchEvent(new Event('change'))`),
		chromedp.WaitVisible(sel("alarm-sql")),
		typeInto("alarm-name", "many-disk-errors"),
		typeInto("alarm-sql", "disk | select count(*) as n"),
		typeInto("alarm-condition", "n > 100"),
		typeInto("alarm-every", "5m"),
		chromedp.Click(sel("alarm-create")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-rule-item]').length === 2`))
	var rules []string
	evalJS(t, ctx, `[...document.querySelectorAll('[data-testid=alarm-rule-item]')].map(r => [...r.children].slice(0, 9).map(c => c.textContent).join('|'))`, &rules)
	want := []string{
		"disk-errors|keywords|app/web|disk (count >= 2)||every 1 minute, 1 minute window|Major|oncall|running",
		"many-disk-errors|SQL|app/web|disk | select count(*) as n|n > 100|every 5 minutes, 1 minute window|Major||running",
	}
	if fmt.Sprint(rules) != fmt.Sprint(want) {
		t.Fatalf("rules shown:\n%q\nwant\n%q", rules, want)
	}

	// Disable and enable again; delete the SQL rule, after a confirmation.
	keywordRow := `[data-testid=alarm-rule-item][data-kind=keywords]`
	run(t, ctx, "disable and enable a rule",
		chromedp.Click(chromedp.CSS(keywordRow+` [data-testid=alarm-rule-toggle]`)),
		waitJS(`document.querySelector('`+keywordRow+`').dataset.status === 'STOPPING'`),
		chromedp.Click(chromedp.CSS(keywordRow+` [data-testid=alarm-rule-toggle]`)),
		waitJS(`document.querySelector('`+keywordRow+`').dataset.status === 'RUNNING'`),
		chromedp.Click(chromedp.CSS(`[data-testid=alarm-rule-item][data-kind=sql] [data-testid=alarm-rule-delete]`)),
		chromedp.WaitVisible(sel("confirm-ok")),
		chromedp.Click(sel("confirm-ok")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-rule-item]').length === 1`))

	// Three matching lines, then the clock past the end of their period.
	s.ingest(group, stream, time.Now(), "disk full on /var", "disk full again", "disk still full", "all fine")
	offset.Store(int64(70 * time.Second))
	refreshUntil(t, ctx, "the alarm fires", `document.querySelectorAll('[data-testid=alarm-active-item]').length === 1`)
	var row []string
	evalJS(t, ctx, `[...document.querySelector('[data-testid=alarm-active-item]').children].map(c => c.textContent)`, &row)
	if row[0] != "Major" || row[1] != "disk-errors" || row[2] != "app/web" || row[5] != "1" ||
		!strings.Contains(row[6], "count=3") || !strings.Contains(row[7], "disk full") {
		t.Fatalf("active alarm shown as %q", row)
	}
	refreshUntil(t, ctx, "the notification is sent",
		`document.querySelector('[data-testid=alarm-active-item] [data-testid=alarm-deliveries]').textContent.includes('firing to ops: sent')`)
	posts := hook.got()
	if len(posts) != 1 || !strings.Contains(posts[0], "disk-errors") {
		t.Fatalf("the receiver got %q, want one notification of disk-errors", posts)
	}
	screenshot(t, ctx, "alarms")

	run(t, ctx, "clear the alarm",
		chromedp.Click(sel("alarm-clear")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-active-item]').length === 0`),
		chromedp.Click(sel("alarms-history")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-history-item]').length === 1`))
	evalJS(t, ctx, `[...document.querySelector('[data-testid=alarm-history-item]').children].map(c => c.textContent)`, &row)
	if row[1] != "disk-errors" || row[4] == "–" {
		t.Fatalf("history shows %q", row)
	}
	blog.check(t)
}
