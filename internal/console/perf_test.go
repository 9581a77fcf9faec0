package console_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkConsoleSearch drives the console against a running server
// loaded by `logtank bench` (docs/benchmarks.md, "Console"): the sign-in
// page's first contentful paint, then the time from pressing Search to
// the first page and the histogram drawn, and the requests that search
// made. It needs LOGTANK_CONSOLE_URL, LOGTANK_CONSOLE_PASSWORD (admin's)
// and LOGTANK_CONSOLE_QUERY; the first group and stream are searched.
func BenchmarkConsoleSearch(b *testing.B) {
	url, password, query := os.Getenv("LOGTANK_CONSOLE_URL"), os.Getenv("LOGTANK_CONSOLE_PASSWORD"), os.Getenv("LOGTANK_CONSOLE_QUERY")
	if url == "" || password == "" {
		b.Skip("set LOGTANK_CONSOLE_URL, LOGTANK_CONSOLE_PASSWORD and LOGTANK_CONSOLE_QUERY to a server loaded by logtank bench")
	}
	ctx, _ := browser(b)
	paint := waitJS(`performance.getEntriesByName('first-contentful-paint').length > 0`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/console/"), chromedp.WaitVisible(sel("login-domain")), paint,
		typeInto("login-domain", "admin"), typeInto("login-user", "admin"), typeInto("login-password", password),
		chromedp.Click(sel("login-submit")), chromedp.WaitVisible(sel("group-item")),
		chromedp.Click(chromedp.CSS("[data-testid=group-item] .gname")), chromedp.WaitVisible(sel("stream-item")),
		chromedp.Click(sel("stream-item")), chromedp.WaitVisible(sel("query-input")),
		waitJS(`document.querySelector('[data-testid=histogram] canvas') !== null`),
	); err != nil {
		b.Fatal(err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByName('first-contentful-paint')[0].startTime`))
	if err != nil {
		b.Fatal(err)
	}
	fcp := v
	b.ResetTimer()
	for range b.N {
		if err := chromedp.Do(ctx, typeInto("query-input", query), waitJS(`(performance.clearResourceTimings(), true)`),
			waitJS(`(document.querySelector('[data-testid=histogram]').dataset.total = '-', document.querySelector('#results').replaceChildren(), true)`),
			chromedp.Click(sel("query-run")),
			waitJS(`document.querySelector('[data-testid=histogram]').dataset.total !== '-' && document.querySelector('#results [data-testid=result-row]') !== null`)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	requests, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource').map(e => e.name.replace(location.origin, '').replace(/\/v2\/[0-9a-f]+\//, '/v2/{p}/') + ' ' + e.duration.toFixed(1) + ' ms')`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(fcp, "fcp-ms")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "search-ms")
	b.ReportMetric(0, "ns/op")
	fmt.Fprintf(os.Stderr, "first contentful paint %.0f ms at %s; the last search's requests:\n", fcp, time.Now().Format(time.RFC3339))
	for _, r := range requests {
		fmt.Fprintln(os.Stderr, "  "+r)
	}
}

// manyRows starts a server with a stream of 5,000 lines and a browser
// showing them all: the most rows a search keeps, in 50 pages of 100 by
// Load more.
func manyRows(tb testing.TB) (context.Context, *browserLog) {
	s := startSite(tb)
	group, stream := s.createStream("big", "rows")
	now := time.Now()
	for b := range 5 {
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = fmt.Sprintf(`row %d of batch %d {"user":"u%d","took_ms":%d}`, i, b, i%37, i%500)
		}
		s.ingest(group, stream, now.Add(time.Duration(b-6)*time.Minute), lines...)
	}
	ctx, blog := browser(tb)
	signIn(tb, ctx, s)
	run(tb, ctx, "search",
		chromedp.Click(chromedp.CSS("[data-testid=group-item] .gname")), chromedp.WaitVisible(sel("stream-item")),
		chromedp.Click(sel("stream-item")), chromedp.WaitVisible(sel("query-input")),
		typeInto("query-input", "row"),
		chromedp.Click(sel("query-run")),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '5000'`),
		waitJS(`document.querySelectorAll('#results [data-testid=result-row]').length === 100`))
	for n := 200; n <= 5000; n += 100 {
		run(tb, ctx, fmt.Sprintf("load more, to %d rows", n),
			chromedp.Click(sel("load-more")),
			waitJS(fmt.Sprintf(`document.querySelectorAll('#results [data-testid=result-row]').length === %d`, n)))
	}
	return ctx, blog
}

// nearTheEnd is a row near the end of the 5,000.
const nearTheEnd = `#results [data-testid=result-row]:nth-child(4900)`

// TestConsoleManyRows shows 5,000 rows, then expands one near the end
// with a real click (CDP input, as a person's): Load more is no longer
// offered, the row shows its details, and the page changes only that row
// (the other 4,999 are neither drawn again nor moved in the document),
// which is what keeps a click's cost independent of the rows shown.
// BenchmarkConsoleManyRows times the same click.
func TestConsoleManyRows(t *testing.T) {
	ctx, blog := manyRows(t)
	var more bool
	evalJS(t, ctx, `document.querySelector('[data-testid=load-more]').hidden`, &more)
	if !more {
		t.Fatal("Load more is still offered with 5,000 rows shown")
	}
	run(t, ctx, "watch the results", waitJS(`(() => {
		const row = document.querySelector('`+nearTheEnd+`');
		const w = window.watched = { inside: 0, outside: [] };
		new MutationObserver((records) => {
			for (const r of records) {
				if (row.contains(r.target)) w.inside++;
				else w.outside.push(r.type + ' of ' + (r.target.dataset && r.target.dataset.testid || r.target.nodeName));
			}
		}).observe(document.querySelector('#results'), { childList: true, subtree: true, attributes: true, characterData: true });
		return true;
	})()`))
	run(t, ctx, "expand a row",
		chromedp.ScrollIntoView(chromedp.CSS(nearTheEnd)),
		chromedp.Click(chromedp.CSS(nearTheEnd+` [data-testid=row-expand]`)),
		waitJS(`document.querySelector('`+nearTheEnd+` .details') !== null`),
		waitJS(`window.watched.inside > 0`))
	var watched struct {
		Inside  int
		Outside []string
	}
	evalJS(t, ctx, `window.watched`, &watched)
	if len(watched.Outside) > 0 {
		t.Fatalf("expanding one row changed %d nodes outside it, the first: %q", len(watched.Outside), watched.Outside[:min(5, len(watched.Outside))])
	}
	var rows int
	evalJS(t, ctx, `document.querySelectorAll('#results [data-testid=result-row]').length`, &rows)
	if rows != 5000 {
		t.Fatalf("%d rows after expanding one, want 5000", rows)
	}
	blog.check(t)
}

// BenchmarkConsoleManyRows times a real click that expands or folds a
// row near the end of 5,000 shown, as the browser sees it: from the
// click to the frame after it (click-to-paint-ms, the slowest of b.N),
// and the longest task on the main thread meanwhile (longest-task-ms,
// Long Tasks reports those over 50 ms; 0 when none). docs/benchmarks.md
// has the figures and the command.
func BenchmarkConsoleManyRows(b *testing.B) {
	ctx, _ := manyRows(b)
	run(b, ctx, "watch the main thread", waitJS(`(() => {
		const w = window.watched = { long: [0], clicks: [] };
		new PerformanceObserver((l) => w.long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
		document.addEventListener('click', (e) => requestAnimationFrame(() => setTimeout(() => w.clicks.push(performance.now() - e.timeStamp))));
		return true;
	})()`), chromedp.ScrollIntoView(chromedp.CSS(nearTheEnd)))
	b.ResetTimer()
	for i := range b.N {
		run(b, ctx, "expand or fold a row",
			chromedp.Click(chromedp.CSS(nearTheEnd+` [data-testid=row-expand]`)),
			waitJS(fmt.Sprintf(`window.watched.clicks.length === %d`, i+1)))
	}
	b.StopTimer()
	var watched struct{ Long, Clicks []float64 }
	evalJS(b, ctx, `window.watched`, &watched)
	b.ReportMetric(slices.Max(watched.Clicks), "click-to-paint-ms")
	b.ReportMetric(slices.Max(watched.Long), "longest-task-ms")
	b.ReportMetric(0, "ns/op")
}
