package console_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A stream picked while the SQL tab shows, and the search tab clicked
// before the stream's own loading ends (a quick hand): the search tab must
// show the picked stream's rows, not the previous stream's.
func TestConsolePickThenSearchTab(t *testing.T) {
	s := startSite(t)
	group, alpha := s.createStream("shop", "alpha")
	s.do("POST", "/v2/"+testProject+"/groups/"+group+"/streams", map[string]any{"log_stream_name": "beta"}, 201)
	_, beta := s.ids("shop", "beta")
	now := time.Now().Add(-time.Minute)
	s.ingest(group, alpha, now, "alpha line 1", "alpha line 2")
	s.ingest(group, beta, now, "beta line 1", "beta line 2")

	ctx, blog := browser(t)
	signIn(t, ctx, s)
	rowsAre := func(word string) string {
		return fmt.Sprintf(`(r => r.length > 0 && r.every(x => x.textContent.includes('%s')))([...document.querySelectorAll('#results [data-testid=result-row]')])`, word)
	}
	run(t, ctx, "search alpha",
		chromedp.Click(chromedp.CSS(`[data-testid=group-item][data-id="`+group+`"] .gname`)),
		waitJS(`document.querySelectorAll('[data-testid=stream-item]').length === 2`),
		chromedp.Click(chromedp.CSS(`[data-testid=stream-item][data-id="`+alpha+`"]`)),
		waitJS(rowsAre("alpha")),
		chromedp.Click(sel("tab-sql")))
	run(t, ctx, "pick beta, then the search tab at once",
		doJS(`document.querySelector('[data-testid=stream-item][data-id="`+beta+`"]').click(); document.querySelector('.subtabs [data-tab=search]').click()`),
		waitJS(`document.querySelector('#stream-title').textContent.includes('beta')`),
		waitJS(rowsAre("beta")))
	blog.check(t)
}
