package ltscore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"logtank/internal/logstore"
)

// Counts by label come from the log engine's block metadata: they must be
// what the row scan gives, for whole and partial time ranges, with and
// without a search, over flushed segments and the memtable.
func TestSQLCountByLabelAgreesWithScan(t *testing.T) {
	now := time.Now()
	c, _ := openCore(t, Config{Now: func() time.Time { return now }})
	rng := rand.New(rand.NewPCG(3, 4))
	from := now.Add(-time.Hour).UnixNano()
	sets := []logstore.Labels{nil, logstore.LabelsFromMap(map[string]string{"app": "a"}), logstore.LabelsFromMap(map[string]string{"app": "b", "host": "h1"}), logstore.LabelsFromMap(map[string]string{"host": "h2"})}
	words := []string{"error", "ok", "ok", "ok", "Warn"}
	i := 0
	for round := range 3 {
		for range 20 {
			var entries []logstore.Entry
			for range 1 + rng.IntN(200) {
				entries = append(entries, logstore.Entry{TimeNs: from + int64(i)*int64(time.Millisecond), Content: fmt.Sprintf("line %d %s", i, words[rng.IntN(len(words))])})
				i++
			}
			if _, err := c.logs.Append(stream, sets[rng.IntN(len(sets))], entries); err != nil {
				t.Fatal(err)
			}
		}
		if round < 2 {
			if err := c.logs.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	run := func(w Window, search, sql string) []string {
		t.Helper()
		res, err := c.SQL(ctx, SQLRequest{Project: project, Stream: stream, Window: w, Search: search, SQL: sql, Field: "query"})
		if err != nil {
			t.Fatalf("%q | %q: %v", search, sql, err)
		}
		var out []string
		for _, r := range res.Rows {
			if len(r) < 3 {
				// select count(*) [, max(line_num)]
				out = append(out, r[0].String())
				continue
			}
			out = append(out, r[0].String()+"/"+r[1].String()+"="+r[2].String())
		}
		slices.Sort(out)
		return out
	}
	end := from + int64(i)*int64(time.Millisecond)
	for k := range 30 {
		w := Window{from - 1, end + 1}
		if k > 0 {
			a, b := from+rng.Int64N(end-from), from+rng.Int64N(end-from)
			w = Window{min(a, b), max(a, b)}
		}
		search := []string{"", "error", "ok", "warn or error", "nothing"}[k%5]
		counted := run(w, search, "select app, host, count(*) as n group by app, host")
		// max(line_num) reads a column no label count knows: the rows are scanned.
		scanned := run(w, search, "select app, host, count(*) as n, max(line_num) as m group by app, host")
		if fmt.Sprint(counted) != fmt.Sprint(scanned) {
			t.Fatalf("window %v, search %q: counted %v, scanned %v", w, search, counted, scanned)
		}
		counted, scanned = run(w, search, "select count(*) as n"), run(w, search, "select count(*) as n, max(line_num) as m")
		if fmt.Sprint(counted) != fmt.Sprint(scanned) {
			t.Fatalf("window %v, search %q: count(*) %v, scanned %v", w, search, counted, scanned)
		}
	}
}

// The SQL history is written in the background: listing it right after
// queries shows every statement, the last used first, and a core closed
// right after a query has written it.
func TestSQLHistorySeenRightAfterTheQueries(t *testing.T) {
	now := time.Now()
	c, db := openCore(t, Config{Now: func() time.Time { now = now.Add(time.Millisecond); return now }})
	ctx := context.Background()
	w := Window{Start: 0, End: now.Add(time.Hour).UnixNano()}
	for _, sql := range []string{"select count(*)", "select 1", "select count(*)", "select 2"} {
		if _, err := c.SQL(ctx, SQLRequest{Project: project, Group: group, Stream: stream, Window: w, SQL: sql, Field: "query", History: sql}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := c.SQLHistory(ctx, project, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range h {
		got = append(got, x.Statement)
	}
	if want := []string{"select 2", "select count(*)", "select 1"}; !slices.Equal(got, want) {
		t.Fatalf("history %q, want %q", got, want)
	}
	if _, err := c.SQL(ctx, SQLRequest{Project: project, Group: group, Stream: stream, Window: w, SQL: "select 3", Field: "query", History: "select 3"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := db.SQLHistoryOf(ctx, project, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 4 || after[0].Statement != "select 3" {
		t.Fatalf("history after close %+v, want select 3 first of 4", after)
	}
}
