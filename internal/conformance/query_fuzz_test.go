package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// fuzzStream is a group and stream of the fuzz server holding a few
// lines, some structured by labels, made once per process.
var (
	fuzzStreamOnce        sync.Once
	fuzzGroup, fuzzStream string
)

func fuzzQueryTarget(t *testing.T) (base, group, stream string) {
	base = fuzzServer(t)
	fuzzStreamOnce.Do(func() {
		post := func(path string, body any) []byte {
			b, _ := json.Marshal(body)
			status, _, resp := send(t, base, "POST", path, b, http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
			if status/100 != 2 {
				t.Fatalf("%s: %d %s", path, status, resp)
			}
			return resp
		}
		var g struct {
			LogGroupID string `json:"log_group_id"`
		}
		json.Unmarshal(post("/v2/"+testProject+"/groups", map[string]any{"log_group_name": "fuzz-queries", "ttl_in_days": 7}), &g)
		var s struct {
			LogStreamID string `json:"log_stream_id"`
		}
		json.Unmarshal(post("/v2/"+testProject+"/groups/"+g.LogGroupID+"/streams", map[string]any{"log_stream_name": "fuzz-queries"}), &s)
		lines := []string{"GET /index.html 200 12ms", "POST /login 500 1200ms error timeout", "日志 行 ERROR", `{"level":"warn","n":3}`, "a_b%c 'quoted' \"double\""}
		post("/v2/"+testProject+"/lts/groups/"+g.LogGroupID+"/streams/"+s.LogStreamID+"/tenant/contents",
			map[string]any{"log_time_ns": fmt.Sprint(time.Now().UnixNano()), "contents": lines, "labels": map[string]string{"app": "web", "n": "7"}})
		fuzzGroup, fuzzStream = g.LogGroupID, s.LogStreamID
	})
	return base, fuzzGroup, fuzzStream
}

// FuzzQuery sends arbitrary search keywords and SQL to every query door
// (search, count, histogram, the three SQL APIs): each answers 200 or a
// 4xx service error, never a 5xx, and the server stays up. Nothing bounds
// the inputs on this side: the server must refuse what is too large.
func FuzzQuery(f *testing.F) {
	for _, s := range []struct{ keywords, sql string }{
		{"GET", "select count(*)"},
		{"error and not GET", "select app, count(*) group by app"},
		{"(((a)))", "select * where content like '%_%' limit 3"},
		{"k in [1 5)", "select regexp_extract(content, '([0-9]+)ms', 1) as ms"},
		{`#"POST /login"`, "select case when n > 1 then 'x' else 'y' end, count(distinct content)"},
		{"a*b?c", "select time_floor(__time, 'PT1M') as t, count(*) group by t order by t"},
		{"*", "select ((((1))))"},
		{"n>3", "select content where content in ('a', 'b', null) or not (1 = 1)"},
	} {
		f.Add(s.keywords, s.sql, uint8(0))
	}
	f.Fuzz(func(t *testing.T, keywords, sql string, door uint8) {
		base, group, stream := fuzzQueryTarget(t)
		now := time.Now()
		from, to := now.Add(-time.Hour).UnixMilli(), now.Add(time.Minute).UnixMilli()
		streamPath := "/v2/" + testProject + "/groups/" + group + "/streams/" + stream
		doors := []struct {
			path string
			body map[string]any
		}{
			{streamPath + "/content/query", map[string]any{"start_time": from, "end_time": to, "keywords": keywords, "is_count": true, "limit": 5}},
			{streamPath + "/content/query", map[string]any{"start_time": from, "end_time": to, "is_analysis_query": true, "query": keywords + " | " + sql}},
			{"/v2/" + testProject + "/lts/keyword-count", map[string]any{"start_time": from, "end_time": to, "step_interval": 60000, "group_id": group, "stream_id": stream, "key_word": keywords}},
			{streamPath + "/struct-content/query", map[string]any{"start_time": from, "end_time": to, "sql_expression": sql}},
			{"/v2/" + testProject + "/streams/" + stream + "/struct-content/query", map[string]any{"query": sql, "format": "k-v", "time_range": map[string]any{"start_time": from, "end_time": to}}},
			{"/v2/" + testProject + "/streams/" + stream + "/struct-content/query", map[string]any{"query": keywords + " | " + sql, "format": "k-v", "time_range": map[string]any{"start_time": from, "end_time": to}}},
		}
		d := doors[int(door)%len(doors)]
		b, _ := json.Marshal(d.body) // strings always encode
		status, h, resp := send(t, base, "POST", d.path, b, http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
		if status >= 500 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%s %s: %d %s", d.path, b, status, resp)
		}
		if status >= 400 {
			errorCode(t, resp)
		}
	})
}
