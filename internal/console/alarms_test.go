package console_test

import (
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

// choose picks a select's option as a person would, with its change event.
func choose(testid, value string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(s => (s.value = %q, s.dispatchEvent(new Event('change')), s.value === %q))(document.querySelector('[data-testid=%s]'))`, value, value, testid))
}

// countQueries wraps the page's fetch to count the alarm list's requests
// (window.alarmQueries: n sent, inFlight, most at once), each held back
// by delayMS so that overlapping ones would show.
func countQueries(delayMS int) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(() => {
		const q = window.alarmQueries = { n: 0, inFlight: 0, most: 0 };
		const real = window.fetch;
		window.fetch = async (url, opts) => {
			if (!String(url).includes('/sql-alarm/query')) return real(url, opts);
			q.n++; q.inFlight++; q.most = Math.max(q.most, q.inFlight);
			try {
				await new Promise((r) => setTimeout(r, %d));
				return await real(url, opts);
			} finally { q.inFlight--; }
		};
		return true;
	})()`, delayMS))
}

// TestConsoleAlarms creates a topic, an action rule and alarm rules in the
// console, edits both rules, makes the keyword rule fire by moving the
// server's clock past its period, sees it arrive by the page's own
// refresh, and follows the alarm from active to history; then checks that
// refreshes never overlap and stop when the page is out of sight or paused.
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

	// Edit both rules (UpdateSqlAlarmRule, UpdateKeywordsAlarmRule): the
	// form shows the rule's values, and what it changes is all that changes.
	sqlRow := `[data-testid=alarm-rule-item][data-kind=sql]`
	keywordRow := `[data-testid=alarm-rule-item][data-kind=keywords]`
	run(t, ctx, "edit the SQL rule",
		chromedp.Click(chromedp.CSS(sqlRow+` [data-testid=alarm-rule-edit]`)),
		chromedp.WaitVisible(sel("alarm-save")),
		waitJS(`document.querySelector('[data-testid=alarm-sql]').value === 'disk | select count(*) as n' && document.querySelector('[data-testid=alarm-every]').value === '5m' && document.querySelector('[data-testid=alarm-kind]').disabled`),
		typeInto("alarm-condition", "n > 5"),
		typeInto("alarm-every", "weekly 2 7"),
		chromedp.SetValue(sel("alarm-level"), "Critical"),
		chromedp.Click(sel("alarm-save")),
		chromedp.WaitVisible(sel("alarm-create")),
		chromedp.Click(chromedp.CSS(keywordRow+` [data-testid=alarm-rule-edit]`)),
		chromedp.WaitVisible(sel("alarm-save")),
		waitJS(`document.querySelector('[data-testid=alarm-keywords]').value === 'disk' && document.querySelector('[data-testid=alarm-action]').value === 'oncall'`),
		typeInto("alarm-keywords", "disk full"),
		chromedp.Click(sel("alarm-save")),
		chromedp.WaitVisible(sel("alarm-create")))
	evalJS(t, ctx, `[...document.querySelectorAll('[data-testid=alarm-rule-item]')].map(r => [...r.children].slice(0, 9).map(c => c.textContent).join('|'))`, &rules)
	want = []string{
		"disk-errors|keywords|app/web|disk full (count >= 2)||every 1 minute, 1 minute window|Major|oncall|running",
		"many-disk-errors|SQL|app/web|disk | select count(*) as n|n > 5|weekly, day 2 at 7:00 UTC, 1 minute window|Critical||running",
	}
	if fmt.Sprint(rules) != fmt.Sprint(want) {
		t.Fatalf("rules shown after editing:\n%q\nwant\n%q", rules, want)
	}

	// Disable and enable again; delete the SQL rule, after a confirmation.
	run(t, ctx, "disable and enable a rule",
		chromedp.Click(chromedp.CSS(keywordRow+` [data-testid=alarm-rule-toggle]`)),
		waitJS(`document.querySelector('`+keywordRow+`').dataset.status === 'STOPPING'`),
		chromedp.Click(chromedp.CSS(keywordRow+` [data-testid=alarm-rule-toggle]`)),
		waitJS(`document.querySelector('`+keywordRow+`').dataset.status === 'RUNNING'`),
		chromedp.Click(chromedp.CSS(`[data-testid=alarm-rule-item][data-kind=sql] [data-testid=alarm-rule-delete]`)),
		chromedp.WaitVisible(sel("confirm-ok")),
		chromedp.Click(sel("confirm-ok")),
		waitJS(`document.querySelectorAll('[data-testid=alarm-rule-item]').length === 1`))

	// Three matching lines, then the clock past the end of their period:
	// the page shows the alarm by itself, refreshing every 5 s.
	run(t, ctx, "refresh every 5 s", choose("alarms-auto", "5"))
	s.ingest(group, stream, time.Now(), "disk full on /var", "disk full again", "disk still full", "all fine")
	offset.Store(int64(70 * time.Second))
	run(t, ctx, "the alarm fires", waitJS(`document.querySelectorAll('[data-testid=alarm-active-item]').length === 1`))
	var row []string
	evalJS(t, ctx, `[...document.querySelector('[data-testid=alarm-active-item]').children].map(c => c.textContent)`, &row)
	if row[0] != "Major" || row[1] != "disk-errors" || row[2] != "app/web" || row[5] != "1" ||
		!strings.Contains(row[6], "count=3") || !strings.Contains(row[7], "disk full") {
		t.Fatalf("active alarm shown as %q", row)
	}
	run(t, ctx, "the notification is sent",
		waitJS(`document.querySelector('[data-testid=alarm-active-item] [data-testid=alarm-deliveries]').textContent.includes('firing to ops: sent')`))
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

	// Refresh pressed three times while a refresh is under way (each
	// held back 800 ms): one request, never two at once.
	var q struct{ N, InFlight, Most int }
	run(t, ctx, "refresh thrice at once", countQueries(800),
		chromedp.Click(sel("alarms-refresh")), chromedp.Click(sel("alarms-refresh")), chromedp.Click(sel("alarms-refresh")),
		waitJS(`window.alarmQueries.n > 0 && window.alarmQueries.inFlight === 0`))
	evalJS(t, ctx, `window.alarmQueries`, &q)
	if q.N != 1 || q.Most != 1 {
		t.Fatalf("three presses of Refresh sent %d requests, %d at once; want 1", q.N, q.Most)
	}
	// Out of sight (another view), then paused: no request for longer
	// than the 5 s between refreshes.
	quiet := func(what string) {
		t.Helper()
		var before, after int
		evalJS(t, ctx, `window.alarmQueries.n`, &before)
		time.Sleep(6 * time.Second)
		evalJS(t, ctx, `window.alarmQueries.n`, &after)
		if after != before {
			t.Fatalf("%s: %d requests of the alarm list in 6 s, want none", what, after-before)
		}
	}
	run(t, ctx, "leave the alarms page", chromedp.Click(chromedp.CSS(`#tabs a[data-view=logs]`)), chromedp.WaitNotVisible(sel("alarms-auto")))
	quiet("another view shown")
	run(t, ctx, "pause the refresh",
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=alarms]`)),
		chromedp.WaitVisible(sel("alarms-auto")),
		waitJS(`document.querySelector('[data-testid=alarms-auto]').value === '5' && window.alarmQueries.inFlight === 0`),
		choose("alarms-auto", "0"))
	quiet("refresh paused")
	blog.check(t)
}

// TestConsoleAlarmTemplates lists, creates, previews, edits and deletes a
// notification template on the alarms page, and offers it to action rules.
func TestConsoleAlarmTemplates(t *testing.T) {
	s := startSite(t)
	ctx, blog := browser(t)
	signIn(t, ctx, s)
	templates := `[...document.querySelectorAll('[data-testid=template-item]')].map(r => [...r.children].slice(0, 4).map(c => c.textContent).join('|'))`
	run(t, ctx, "open the alarms page",
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=alarms]`)),
		chromedp.WaitVisible(sel("template-name")))

	// No content: refused in the page, before any request.
	run(t, ctx, "a template without content",
		typeInto("template-name", "short"),
		chromedp.Click(sel("template-save")),
		chromedp.WaitVisible(sel("error-message")))
	var msg string
	evalJS(t, ctx, `document.querySelector('[data-testid=error-message]').textContent`, &msg)
	if !strings.Contains(msg, "webhook content is required") {
		t.Fatalf("a template without content shows %q", msg)
	}

	run(t, ctx, "preview and create a template",
		typeInto("template-desc", "one line"),
		typeInto("template-content", "${rule_name} is ${status}: ${count}"),
		chromedp.Click(sel("template-preview")),
		waitJS(`document.querySelector('[data-testid=template-preview-text]').textContent === 'example-rule is firing: 1'`),
		chromedp.Click(sel("template-save")),
		waitJS(`document.querySelectorAll('[data-testid=template-item]').length === 1`))
	var rows []string
	evalJS(t, ctx, templates, &rows)
	if fmt.Sprint(rows) != "[short|en-us|webhook|one line]" {
		t.Fatalf("templates shown: %q", rows)
	}
	var offered []string
	evalJS(t, ctx, `[...document.querySelector('[data-testid=action-rule-template]').options].map(o => o.value)`, &offered)
	if fmt.Sprint(offered) != "[ short]" {
		t.Fatalf("action rules are offered the templates %q, want the default and short", offered)
	}

	// Edit: the form holds the template; an email content is added beside
	// the webhook one, which stays.
	run(t, ctx, "edit the template",
		chromedp.Click(sel("template-edit")),
		chromedp.WaitVisible(sel("template-edit-cancel")),
		waitJS(`document.querySelector('[data-testid=template-content]').value === '${rule_name} is ${status}: ${count}' && document.querySelector('[data-testid=template-name]').readOnly`),
		choose("template-channel", "email"),
		waitJS(`document.querySelector('[data-testid=template-content]').value === ''`),
		typeInto("template-subject", "[${level}] ${rule_name}"),
		typeInto("template-content", "${rule_name} at ${time}"),
		chromedp.Click(sel("template-save")),
		chromedp.WaitNotPresent(sel("template-edit-cancel")),
		waitJS(`document.querySelector('[data-testid=template-item]').children[2].textContent === 'email, webhook'`),
		chromedp.Click(sel("template-item-preview")),
		waitJS(`document.querySelector('[data-testid=template-preview-text]').textContent === 'example-rule is firing: 1'`))
	var stored struct {
		Templates []struct {
			SubType string `json:"sub_type"`
			Content string `json:"content"`
			Topic   string `json:"topic"`
		} `json:"templates"`
	}
	var domain string
	evalJS(t, ctx, `JSON.parse(sessionStorage.getItem('logtank.session')).domainID`, &domain)
	s.decode(s.do("GET", "/v2/"+testProject+"/"+domain+"/lts/events/notification/template/short", nil, 200), &stored)
	if got := fmt.Sprint(stored.Templates); got != "[{email ${rule_name} at ${time} [${level}] ${rule_name}} {webhook ${rule_name} is ${status}: ${count} }]" {
		t.Fatalf("stored template: %s", got)
	}

	run(t, ctx, "delete the template",
		chromedp.Click(sel("template-delete")),
		chromedp.WaitVisible(sel("confirm-ok")),
		chromedp.Click(sel("confirm-ok")),
		waitJS(`document.querySelectorAll('[data-testid=template-item]').length === 0`))
	blog.check(t)
}
