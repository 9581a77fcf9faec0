package console_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestConsoleManage covers the console beyond searching: favourites,
// stream details, the TTL and delete dialogs, downloads, the histogram's
// drag-zoom, the Metrics and Functions views, the theme toggle, and the
// message of a throttled sign-in.
func TestConsoleManage(t *testing.T) {
	s := startSite(t)
	group, stream := s.createStream("shop", "orders")
	s.do("POST", "/v2/"+testProject+"/groups/"+group+"/streams", map[string]any{"log_stream_name": "audit"}, 201)
	_, audit := s.ids("shop", "audit")
	s.do("POST", "/v2/"+testProject+"/lts/struct/template", map[string]any{"log_group_id": group, "log_stream_id": stream, "parse_type": "json",
		"content": `{"level":"error","took":12}`, "demo_fields": []map[string]any{
			{"fieldName": "level", "type": "string", "content": "error", "isAnalysis": true},
			{"fieldName": "took", "type": "long", "content": "12", "isAnalysis": true}}, "tag_fields": []any{}}, 201)
	s.do("POST", "/v1.0/"+testProject+"/groups/"+group+"/stream/"+stream+"/index/config", map[string]any{"logStreamId": stream,
		"fullTextIndex": map[string]any{"enable": true, "caseSensitive": false, "tokenizer": ` ,:"{}`},
		"fields":        []map[string]any{{"fieldName": "level", "fieldType": "string", "quickAnalysis": true}}}, 200)
	now := time.Now()
	for i := range 10 {
		s.ingest(group, stream, now.Add(time.Duration(i-10)*time.Minute), `{"level":"error","took":`+string(rune('0'+i))+`}`, `{"level":"info","took":1}`)
	}

	ctx, blog := browser(t)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, s)

	// Favourites: a starred stream is listed on top and first in its group.
	groupRow := `[data-testid=group-item][data-id="` + group + `"]`
	run(t, ctx, "star a stream",
		chromedp.Click(chromedp.CSS(groupRow+` .gname`)),
		waitJS(`document.querySelectorAll('[data-testid=stream-item]').length === 2`),
		waitJS(`document.querySelector('[data-testid=stream-item]').textContent === 'audit'`),
		chromedp.Click(chromedp.CSS(`[data-testid=stream-item][data-id="`+stream+`"] ~ [data-testid=stream-favorite]`)),
		waitJS(`document.querySelector('[data-testid=stream-item]').textContent === 'orders'`),
		waitJS(`[...document.querySelectorAll('[data-testid=favorite-item]')].map(f => f.textContent).join() === '★ shop / orders'`))

	// A stream without a structuring rule: LTS has no way to ask without
	// failing, ShowStructTemplate answers 400 LTS.0102 "Query empty.", so
	// that one failed request is declared and the details say "None.".
	blog.expect(400, "/v2/"+testProject+"/lts/struct/template")
	// The stream and its details tab are picked in one go, as a quick hand
	// does: the details are asked for once, not again when the stream's
	// own loading ends.
	run(t, ctx, "details of a stream without a structuring rule",
		doJS(`document.querySelector('[data-testid=stream-item][data-id="`+audit+`"]').click(); document.querySelector('[data-testid=tab-details]').click()`),
		waitJS(`(document.querySelector('[data-testid=details-structuring] p') || {}).textContent === 'None.'`),
		chromedp.Click(chromedp.CSS(`.subtabs [data-tab=search]`)))

	// The TTL dialog, then a stream's deletion: cancelled once, then confirmed.
	run(t, ctx, "change the TTL",
		chromedp.Click(chromedp.CSS(groupRow+` [data-testid=group-ttl]`)),
		chromedp.WaitVisible(sel("ask-ttl")),
		typeInto("ask-ttl", "30"),
		chromedp.Click(sel("confirm-ok")),
		waitJS(`document.querySelector('`+groupRow+` .ttl').textContent === '30d'`))
	auditDeleteCSS := `[data-testid=stream-item][data-id="` + audit + `"] ~ [data-testid=stream-delete]`
	auditDelete := chromedp.CSS(auditDeleteCSS)
	run(t, ctx, "delete a stream, cancelled",
		chromedp.Click(auditDelete),
		chromedp.WaitVisible(sel("confirm-ok")),
		chromedp.Click(chromedp.CSS(`#ask button[value=cancel]`)),
		waitJS(`!document.querySelector('#ask').open`),
		waitJS(`document.querySelectorAll('[data-testid=stream-item]').length === 2`))
	// Cancelled and asked again in one go, as a quick hand does: the
	// cancelled question's close event arrives while the second question
	// shows, and must not answer it.
	run(t, ctx, "delete a stream, asked again at once",
		chromedp.Click(auditDelete),
		chromedp.WaitVisible(sel("confirm-ok")),
		doJS(`document.querySelector('#ask button[value=cancel]').click(); document.querySelector('`+auditDeleteCSS+`').click()`),
		waitJS(`document.querySelector('#ask').open && document.querySelector('#ask-text').textContent.includes('audit')`),
		chromedp.Click(sel("confirm-ok")),
		waitJS(`document.querySelectorAll('[data-testid=stream-item]').length === 1`))

	// Details as tables.
	run(t, ctx, "stream details",
		chromedp.Click(chromedp.CSS(`[data-testid=favorite-item]`)),
		chromedp.WaitVisible(sel("query-input")),
		chromedp.Click(sel("tab-details")),
		waitJS(`document.querySelector('[data-testid=details-structuring] table.grid:not(.kv)') !== null`))
	var details map[string]string
	evalJS(t, ctx, `Object.fromEntries([...document.querySelectorAll('#details section')].map(s => [s.dataset.testid, s.innerText]))`, &details)
	for part, want := range map[string][]string{
		"details-stream":      {"orders", "30", "starred\tyes"},
		"details-index":       {"full-text index\ton, case-insensitive", "delimiters\t,:\"{}", "level\tstring\tno"},
		"details-structuring": {"level\tstring\tfrom the line\terror", "took\tlong"},
		"details-transfers":   {"No transfers"},
	} {
		for _, w := range want {
			if !strings.Contains(details[part], w) {
				t.Errorf("%s shows %q, without %q", part, details[part], w)
			}
		}
	}

	// Search, then the downloads hold the lines shown.
	run(t, ctx, "search",
		chromedp.Click(chromedp.CSS(`.subtabs [data-tab=search]`)),
		typeInto("query-input", "error"),
		chromedp.Click(sel("query-run")),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '10'`),
		chromedp.Click(chromedp.CSS("#dl-csv")),
		chromedp.Click(chromedp.CSS("#dl-json")))
	csvRows := readDownload(t, filepath.Join(downloads, "orders.csv"), func(b []byte) [][]string {
		rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil {
			t.Fatalf("the CSV download: %v", err)
		}
		return rows
	})
	if len(csvRows) != 11 || strings.Join(csvRows[0], ",") != "time,line_num,content,labels" ||
		!strings.Contains(csvRows[1][2], `"level":"error"`) || csvRows[1][3] != `{"host":"web-1"}` {
		t.Fatalf("the CSV download: %q", csvRows)
	}
	jsonRows := readDownload(t, filepath.Join(downloads, "orders.json"), func(b []byte) []map[string]any {
		var rows []map[string]any
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatalf("the JSON download: %v", err)
		}
		return rows
	})
	if len(jsonRows) != 10 || jsonRows[0]["line_num"] != csvRows[1][1] || jsonRows[9]["content"] != csvRows[10][2] {
		t.Fatalf("the JSON download %v does not hold the CSV's lines", jsonRows)
	}

	// A drag across the histogram narrows the time range to what it covered.
	var box []float64
	evalJS(t, ctx, `(r => [r.left, r.top, r.width, r.height])(document.querySelector('[data-testid=histogram] .u-over').getBoundingClientRect())`, &box)
	y := box[1] + box[3]/2
	drag := func(typ input.DispatchMouseEventType, x float64) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: typ, X: x, Y: y, Button: input.MouseButtonLeft, ClickCount: 1})
			return chromedp.Void{}, err
		}
	}
	run(t, ctx, "drag across the histogram",
		drag(input.DispatchMouseEventTypeMousePressed, box[0]+box[2]*0.55),
		drag(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.75),
		drag(input.DispatchMouseEventTypeMouseMoved, box[0]+box[2]*0.95),
		drag(input.DispatchMouseEventTypeMouseReleased, box[0]+box[2]*0.95),
		waitJS(`document.querySelector('[data-testid=time-range]').value === 'custom'`),
		waitJS(`Number(document.querySelector('[data-testid=result-count]').textContent) < 10`))
	var span float64
	evalJS(t, ctx, `(Date.parse(document.querySelector('[data-testid=time-to]').value) - Date.parse(document.querySelector('[data-testid=time-from]').value)) / 60000`, &span)
	if span < 4 || span > 8 {
		t.Fatalf("the zoomed range spans %.1f minutes, want about 6 of the 15", span)
	}
	var hash string
	evalJS(t, ctx, `location.hash`, &hash)
	if !strings.Contains(hash, "range=custom") || !strings.Contains(hash, "from=") {
		t.Fatalf("the address does not hold the zoomed range: %s", hash)
	}

	// Dark mode: the toggle flips the colours and is remembered.
	var before, after string
	evalJS(t, ctx, `getComputedStyle(document.body).backgroundColor`, &before)
	run(t, ctx, "toggle the theme", chromedp.Click(sel("theme-toggle")))
	evalJS(t, ctx, `getComputedStyle(document.body).backgroundColor`, &after)
	if before == after {
		t.Fatalf("the theme toggle left the background %s", before)
	}
	run(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(sel("query-input")),
		waitJS(`getComputedStyle(document.body).backgroundColor === '`+after+`'`))
	screenshot(t, ctx, "dark")

	// Metrics and Functions draw what they get.
	run(t, ctx, "metrics",
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=metrics]`)),
		chromedp.WaitVisible(sel("promql-input")),
		typeInto("promql-input", "vector(1)"),
		chromedp.Click(sel("promql-run")),
		waitJS(`document.querySelector('[data-testid=promql-chart] canvas') !== null`),
		chromedp.Click(chromedp.CSS(`#tabs a[data-view=functions]`)),
		waitJS(`document.querySelector('#view-functions').textContent.includes('No functions in this project.')`))

	// Wrong passwords from one address until the server throttles it (ten
	// are allowed, then one each 6 s), then the console's sign-in, typed
	// beforehand so that it follows at once: on a slow machine, as under
	// -race, a failed sign-in takes a second and typing several.
	run(t, ctx, "sign out and type the password",
		chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(sel("login-domain")),
		typeInto("login-domain", "admin"), typeInto("login-user", "admin"), typeInto("login-password", testPassword))
	wrong, _ := json.Marshal(map[string]any{"auth": map[string]any{"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
		"user": map[string]any{"name": "admin", "password": "wrong", "domain": map[string]string{"name": "admin"}}}}}})
	for attempt := 1; ; attempt++ {
		resp, err := http.Post(s.URL+"/v3/auth/tokens", "application/json", bytes.NewReader(wrong))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 30 {
			t.Fatalf("wrong password %d: %s, want 401 until 429", attempt, resp.Status)
		}
	}
	blog.expect(429, "/v3/auth/tokens")
	run(t, ctx, "a throttled sign-in", chromedp.Click(sel("login-submit")), chromedp.WaitVisible(sel("error-message")))
	var msg string
	evalJS(t, ctx, `document.querySelector('[data-testid=error-message]').textContent`, &msg)
	if !strings.HasPrefix(msg, "Too many requests (APIGW.0308)") || !strings.Contains(msg, "retry in ") {
		t.Fatalf("a throttled sign-in shows %q", msg)
	}
	blog.check(t)
}

// readDownload waits for a downloaded file and decodes it.
func readDownload[T any](t *testing.T, path string, decode func([]byte) T) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 {
			return decode(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no download at %s: %v", path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
