package conformance

import (
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// TestIndexConfigChangesSearch: a stream's index configuration decides
// its words (delimiters) and whether case matters, on rows in memory and
// in segments alike.
func TestIndexConfigChangesSearch(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	group, stream := e.createStream(t, "idx", "s")
	now := time.Now()
	e.ingestAt(t, group, stream, now.Add(-time.Minute), "req alpha-beta Error", "req gamma error")
	e.stop() // the rows go to a segment, with its bloom filters
	e = start(t, dir)
	e.ingestAt(t, group, stream, now.Add(-30*time.Second), "req delta-beta ERROR")

	count := func(keywords string) int {
		t.Helper()
		resp, err := e.lts().ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
			StartTime: strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10), EndTime: strconv.FormatInt(now.Add(time.Minute).UnixMilli(), 10),
			Keywords: &keywords, IsCount: ptr(true),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return int(*resp.Count)
	}
	for kw, want := range map[string]int{"Error": 3, "alpha": 0, "alpha-beta": 1, "beta": 0} {
		if got := count(kw); got != want {
			t.Errorf("default index, %q: %d lines, want %d", kw, got, want)
		}
	}
	_, err := e.lts().CreateLogStreamIndex(&model.CreateLogStreamIndexRequest{GroupId: group, StreamId: stream, Body: &model.LtsIndexConfigInfo{
		LogStreamId:   stream,
		FullTextIndex: &model.LtsFullTextIndexInfo{Enable: true, CaseSensitive: true, Tokenizer: " -"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Hyphens split words now (the segment's bloom filters, built with the
	// default words, must not hide "beta"), and case counts.
	for kw, want := range map[string]int{"Error": 1, "error": 1, "ERROR": 1, "alpha": 1, "beta": 2, "req": 3, "Req": 0} {
		if got := count(kw); got != want {
			t.Errorf("space-only, case-sensitive index, %q: %d lines, want %d", kw, got, want)
		}
	}
}
