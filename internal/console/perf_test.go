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
