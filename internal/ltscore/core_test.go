package ltscore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/catalog"
	"logtank/internal/logstore"
	"logtank/internal/structuring"
)

const (
	project = "0123456789abcdef0123456789abcdef"
	group   = "0b5e5b6c-0000-4000-8000-000000000001"
	stream  = "0b5e5b6c-0000-4000-8000-000000000002"
)

// seedNow is just after seed 004's example logs were written.
var seedNow = time.Date(2020, 7, 25, 7, 0, 0, 0, time.UTC)

// openCore opens a core on a new data folder with one group and stream,
// made in the catalog directly; cfg's DataDir is set here.
func openCore(t *testing.T, cfg Config) (*Core, *catalog.DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := catalog.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateLogGroup(ctx, catalog.LogGroup{ID: group, ProjectID: project, Name: "g", TTLDays: 30}, 10); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLogStream(ctx, catalog.LogStream{ID: stream, ProjectID: project, GroupID: group, Name: "s", LogStorage: true}, 10); err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = dir
	cfg.Logger = slog.New(slog.DiscardHandler)
	c, err := Open(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, db
}

// seedCore holds seed 004's ten logs (and 22 more matching ones after
// them, and one without the keyword) with the seed's labels.
func seedCore(t *testing.T) *Core {
	t.Helper()
	c, _ := openCore(t, Config{Now: func() time.Time { return seedNow }})
	labels := map[string]string{"hostName": "ecs-kwxtest", "hostIP": "192.168.0.156", "appName": "default_appname"}
	lines := []int64{1595659490239433654, 1595659490239433655, 1595659490239433656, 1595659490239433657, 1595659490239433658,
		1595659490239433659, 1595659490239433660, 1595659490239433661, 1595659490839420574, 1595659491839412667}
	var entries []logstore.Entry
	for i, l := range lines {
		entries = append(entries, logstore.Entry{TimeNs: l, Content: fmt.Sprintf("2020-07-25/14:44:%02d this log is Error NO %d\n", 42+i, i+1)})
	}
	for i := range 22 {
		entries = append(entries, logstore.Entry{TimeNs: 1595659492000000000 + int64(i)*1e8, Content: fmt.Sprintf("another log line %d\n", i)})
	}
	ctx := context.Background()
	tg, err := c.Target(ctx, project, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ingest(ctx, tg, Batch{Labels: labels, Entries: entries, Field: "contents"},
		Batch{Labels: labels, Entries: []logstore.Entry{{TimeNs: 1595659400000000000, Content: "no keyword here"}}, Field: "contents"}); err != nil {
		t.Fatal(err)
	}
	return c
}

var lineNo = regexp.MustCompile(`NO \d+`)

// TestSeedPagingAtTheCore replays seed 004's five paging examples on the
// core: the same pages, in the same order, and the seed's count.
func TestSeedPagingAtTheCore(t *testing.T) {
	c := seedCore(t)
	base := SearchRequest{Project: project, Group: group, Stream: stream, StartMS: 1595659200000, EndMS: 1595659500000, TimeSet: true,
		Labels: map[string]string{"hostName": "ecs-kwxtest"}, Keywords: "log", Limit: 10, Count: true, Highlight: true}
	const cursor = "1595659490239433658" // NO 5
	for _, tc := range []struct {
		name, kind string
		desc       bool
		limit      int64
		want       string
	}{
		{"first page", "", false, 10, "NO 1,NO 2,NO 3,NO 4,NO 5,NO 6,NO 7,NO 8,NO 9,NO 10"},
		{"forwards ascending", SearchForwards, false, 3, "NO 6,NO 7,NO 8"},
		{"backwards descending", SearchBackwards, true, 3, "NO 8,NO 7,NO 6"},
		{"backwards ascending", SearchBackwards, false, 3, "NO 2,NO 3,NO 4"},
		{"forwards descending", SearchForwards, true, 3, "NO 4,NO 3,NO 2"},
	} {
		req := base
		req.SearchType, req.Desc, req.Limit = tc.kind, tc.desc, tc.limit
		if tc.kind != "" {
			req.LineNum = cursor
		}
		res, err := c.Search(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, l := range res.Logs {
			got = append(got, lineNo.FindString(l.Content))
		}
		if strings.Join(got, ",") != tc.want || res.Count == nil || *res.Count != 32 {
			t.Errorf("%s: %s (count %v), want %s (32)", tc.name, strings.Join(got, ","), res.Count, tc.want)
		}
	}
	res, err := c.Search(context.Background(), base)
	if err != nil || res.Logs[0].Content != "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n" || res.Logs[0].LineNum != "1595659490239433654" {
		t.Fatalf("first log %+v %v", res.Logs[0], err)
	}
}

// TestCoreErrors: each bad request is the catalogue's error.
func TestCoreErrors(t *testing.T) {
	c := seedCore(t)
	ctx := context.Background()
	ok := SearchRequest{Project: project, Group: group, Stream: stream, StartMS: 1595659200000, EndMS: 1595659500000, TimeSet: true, Limit: 10}
	search := func(edit func(*SearchRequest)) error {
		req := ok
		edit(&req)
		_, err := c.Search(ctx, req)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"no window", search(func(r *SearchRequest) { r.TimeSet = false }), "LTS.0009"},
		{"end before start", search(func(r *SearchRequest) { r.EndMS = r.StartMS }), "LTS.0701"},
		{"limit", search(func(r *SearchRequest) { r.Limit = 5001 }), "LTS.1903"},
		{"search type", search(func(r *SearchRequest) { r.SearchType = "sideways" }), "LTS.1901"},
		{"cursor outside", search(func(r *SearchRequest) { r.SearchType, r.LineNum = SearchForwards, "1" }), "LTS.0701"},
		{"leading wildcard", search(func(r *SearchRequest) { r.Keywords = "*x" }), "LTS.0301"},
		{"missing group", search(func(r *SearchRequest) { r.Group = "nope" }), "LTS.0201"},
		{"missing stream", search(func(r *SearchRequest) { r.Stream = "nope" }), "LTS.0208"},
		{"other project", search(func(r *SearchRequest) { r.Project = strings.Repeat("f", 32) }), "LTS.0201"},
		{"bad SQL", search(func(r *SearchRequest) { r.Analysis, r.AnalysisQuery = true, "* | select (" }), "LTS.0009"},
		{"no pipe", search(func(r *SearchRequest) { r.Analysis, r.AnalysisQuery = true, "select 1" }), "LTS.0009"},
	} {
		var e *apierr.Error
		if !errors.As(tc.err, &e) || e.Code != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.code)
		}
	}
}

// TestIngestChecksAndStoresAtomically: a request with one bad batch stores
// nothing; good batches are searchable at once.
func TestIngestChecksAndStoresAtomically(t *testing.T) {
	c, _ := openCore(t, Config{})
	ctx := context.Background()
	tg, err := c.Target(ctx, project, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixNano()
	good := Batch{Labels: map[string]string{"app": "a"}, Entries: []logstore.Entry{{TimeNs: now, Content: "first"}}, Field: "contents"}
	for _, bad := range []Batch{
		{Entries: []logstore.Entry{{TimeNs: now, Content: strings.Repeat("x", MaxLineBytes+1)}}, Field: "log_items[1].contents"},
		{Entries: []logstore.Entry{{TimeNs: now - int64(40*24*time.Hour), Content: "too old"}}, Field: "log_items[1].contents"},
		{Entries: []logstore.Entry{{TimeNs: now + int64(48*time.Hour), Content: "too new"}}, Field: "log_items[1].contents"},
		{Labels: map[string]string{"": "x"}, Entries: []logstore.Entry{{TimeNs: now, Content: "bad label"}}, Field: "log_items[1].contents"},
		{Field: "log_items[1].contents"},
	} {
		err := c.Ingest(ctx, tg, good, bad)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Code != "LTS.0009" {
			t.Fatalf("%+v: %v, want LTS.0009", bad, err)
		}
	}
	if _, err := c.Target(ctx, project, group, "nope"); err == nil {
		t.Fatal("a missing stream is a target")
	}
	if err := c.Ingest(ctx, tg, good, Batch{Entries: []logstore.Entry{{TimeNs: now + 1, Content: "second"}}, Field: "log_items[1].contents"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(ctx, SearchRequest{Project: project, Group: group, Stream: stream, StartMS: now/1e6 - 1000, EndMS: now/1e6 + 1000, TimeSet: true, Limit: 10, Count: true})
	if err != nil || len(res.Logs) != 2 || *res.Count != 2 || res.Logs[0].Content != "first" || res.Logs[0].Labels["app"] != "a" {
		t.Fatalf("after ingestion: %+v %v", res, err)
	}
	hist, err := c.Histogram(ctx, HistogramRequest{Project: project, Group: group, Stream: stream, StartMS: now/1e6 - 1000, EndMS: now/1e6 + 1000, TimeSet: true, StepMS: 1000, StepSet: true, Keywords: "second"})
	if err != nil || hist.Total != 1 || len(hist.Buckets) != 2 || hist.Buckets[0].Count+hist.Buckets[1].Count != 1 {
		t.Fatalf("histogram %+v %v", hist, err)
	}
	ctxRes, err := c.Context(ctx, ContextRequest{Project: project, Group: group, Stream: stream, LineNum: res.Logs[1].LineNum})
	if err != nil || len(ctxRes.Logs) != 2 || ctxRes.Backwards != 1 || ctxRes.Forwards != 0 {
		t.Fatalf("context %+v %v", ctxRes, err)
	}
	sql, err := c.SQL(ctx, SQLRequest{Project: project, Stream: stream, Window: Window{now - 1e9, now + 1e9}, Search: "first or second", SQL: "select app, count(*) group by app", Field: "query"})
	if err != nil || len(sql.Rows) != 2 || sql.Rows[0][0].String()+sql.Rows[1][0].String() != "a" {
		t.Fatalf("SQL %+v %v", sql, err)
	}
}

// TestStructureBatchSharesOneArray checks the allocation contract of
// structureEntries: the fields of a batch are slices of one array, capped
// so that appending to one entry's fields cannot touch the next entry's.
func TestStructureBatchSharesOneArray(t *testing.T) {
	c, db := openCore(t, Config{})
	rule := structuring.Rule{Kind: structuring.KindSplit, Delimiters: []string{" "}, Fields: []structuring.FieldSpec{
		{Index: 0, Name: "word", Type: structuring.String}, {Index: 1, Name: "n", Type: structuring.Long},
	}}
	text, _ := json.Marshal(rule)
	ctx := context.Background()
	if err := db.PutStructRule(ctx, catalog.StructRule{ID: "r1", StreamID: stream, ProjectID: project, GroupID: group, Rule: string(text), CreatedMS: 1, UpdatedMS: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	entries := []logstore.Entry{{Content: "a 1"}, {Content: "b 2"}, {Content: "c 3"}, {Content: "unmatched"}}
	// Two allocations for the batch: the scratch slice and one array for
	// all of the batch's fields.
	allocs := testing.AllocsPerRun(20, func() { c.structureEntries(stream, nil, entries) })
	if allocs > 2 {
		t.Errorf("%v allocations per batch, want at most 2", allocs)
	}
	for i, e := range entries[:3] {
		if len(e.Fields) != 2 || cap(e.Fields) != 2 || e.Fields[1].Long != int64(i+1) {
			t.Fatalf("entry %d: %+v (cap %d)", i, e.Fields, cap(e.Fields))
		}
	}
	if st, ok := c.RuleStats(stream, "r1"); !ok || st.Unparsed+st.Failed == 0 {
		t.Fatalf("rule stats %+v %v", st, ok)
	}
}
