package ltscore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"logtank/internal/logstore"
)

// A first page that holds every match counts them itself; any other page
// asks the engine for the count. Both give the number of matching lines in
// the window, whatever the limit and the page.
func TestSearchCountWithAndWithoutAFullPage(t *testing.T) {
	now := time.Now()
	c, _ := openCore(t, Config{Now: func() time.Time { return now }})
	from := now.Add(-time.Hour)
	var entries []logstore.Entry
	for i := range 300 {
		word := "filler"
		if i%3 == 0 {
			word = "hit"
		}
		entries = append(entries, logstore.Entry{TimeNs: from.UnixNano() + int64(i)*int64(time.Second), Content: fmt.Sprintf("line %d %s", i, word)})
	}
	if _, err := c.logs.Append(stream, nil, entries); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := SearchRequest{Project: project, Group: group, Stream: stream, StartMS: from.UnixMilli(), EndMS: from.UnixMilli() + 200_000, TimeSet: true, Keywords: "hit", Count: true}
	for _, limit := range []int64{5, 66, 67, 68, 1000} {
		for _, desc := range []bool{false, true} {
			req.Limit, req.Desc, req.SearchType, req.LineNum = limit, desc, "", ""
			res, err := c.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if res.Count == nil || *res.Count != 67 {
				t.Fatalf("limit %d desc %v: count %v, want 67", limit, desc, res.Count)
			}
			// The next page counts the whole window too.
			req.SearchType, req.LineNum = SearchForwards, res.Logs[len(res.Logs)-1].LineNum
			if res, err = c.Search(ctx, req); err != nil {
				t.Fatal(err)
			}
			if res.Count == nil || *res.Count != 67 {
				t.Fatalf("limit %d desc %v, next page: count %v, want 67", limit, desc, res.Count)
			}
		}
	}
}
