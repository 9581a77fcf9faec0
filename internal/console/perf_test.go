package console_test

import (
	"fmt"
	"os"
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

// TestConsoleManyRows shows the most rows a search keeps (5,000, in 50
// pages of 100 by Load more) and checks in the browser that the page
// stays responsive: expanding a row near the end answers with its next
// paint within 200 ms (Event Timing, and the click's time to the next
// frame) and no task on the main thread runs longer than 200 ms meanwhile
// (Long Tasks).
func TestConsoleManyRows(t *testing.T) {
	s := startSite(t)
	group, stream := s.createStream("big", "rows")
	now := time.Now()
	for b := range 5 {
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = fmt.Sprintf(`row %d of batch %d {"user":"u%d","took_ms":%d}`, i, b, i%37, i%500)
		}
		s.ingest(group, stream, now.Add(time.Duration(b-6)*time.Minute), lines...)
	}
	ctx, blog := browser(t)
	signIn(t, ctx, s)
	run(t, ctx, "search",
		chromedp.Click(chromedp.CSS("[data-testid=group-item] .gname")), chromedp.WaitVisible(sel("stream-item")),
		chromedp.Click(sel("stream-item")), chromedp.WaitVisible(sel("query-input")),
		typeInto("query-input", "row"),
		chromedp.Click(sel("query-run")),
		waitJS(`document.querySelector('[data-testid=result-count]').textContent === '5000'`),
		waitJS(`document.querySelectorAll('#results [data-testid=result-row]').length === 100`))
	for n := 200; n <= 5000; n += 100 {
		run(t, ctx, fmt.Sprintf("load more, to %d rows", n),
			chromedp.Click(sel("load-more")),
			waitJS(fmt.Sprintf(`document.querySelectorAll('#results [data-testid=result-row]').length === %d`, n)))
	}
	var more bool
	evalJS(t, ctx, `document.querySelector('[data-testid=load-more]').hidden`, &more)
	if !more {
		t.Fatal("Load more is still offered with 5,000 rows shown")
	}

	// Observers first, then a real click (CDP input, as a person's) on a
	// row near the end.
	run(t, ctx, "watch the main thread", waitJS(`(() => {
		const w = window.watched = { long: [], events: [] };
		new PerformanceObserver((l) => w.long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
		new PerformanceObserver((l) => w.events.push(...l.getEntries().filter((e) => e.name === 'click').map((e) => e.duration)))
			.observe({ type: 'event', durationThreshold: 16 });
		// Event Timing reports only clicks of 16 ms or more: the time from
		// the click to the frame after it is taken here too, so that a fast
		// click is seen as well.
		document.addEventListener('click', (e) => requestAnimationFrame(() => setTimeout(() => w.events.push(performance.now() - e.timeStamp))));
		return true;
	})()`))
	row := `#results [data-testid=result-row]:nth-child(4900)`
	run(t, ctx, "expand a row",
		chromedp.ScrollIntoView(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` [data-testid=row-expand]`)),
		waitJS(`document.querySelector('`+row+` .details') !== null`),
		// The observers report after the paint that follows.
		chromedp.Sleep(500*time.Millisecond))
	var watched struct{ Long, Events []float64 }
	evalJS(t, ctx, `window.watched`, &watched)
	if len(watched.Events) == 0 {
		t.Fatal("the browser timed no click")
	}
	for _, d := range append(watched.Long, watched.Events...) {
		if d > 200 {
			t.Fatalf("with 5,000 rows, expanding one took a %.0f ms task (long tasks %.0f ms, click to paint %.0f ms)", d, watched.Long, watched.Events)
		}
	}
	t.Logf("5,000 rows: click to next paint %.0f ms, long tasks %.0f ms", watched.Events, watched.Long)
	blog.check(t)
}
