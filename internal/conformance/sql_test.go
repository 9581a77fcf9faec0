package conformance

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/server"
)

// The four example lines of seed 000 and their line numbers.
var structSeedLines = []struct {
	line int64
	text string
}{
	{1595811590539454127, "2020-07-27/08:59:50 this log is Error NO 151684"},
	{1595811591539422860, "2020-07-27/08:59:51 this log is Error NO 151685"},
	{1595811592539361171, "2020-07-27/08:59:52 this log is Error NO 151686"},
	{1595811593539371695, "2020-07-27/08:59:53 this log is Error NO 151687"},
}

// structSeedEnv is a stream holding seed 000's lines, structured into
// test1..test4 by a regular expression rule set through the SDK.
func structSeedEnv(t *testing.T) *logsEnv {
	t.Helper()
	e := startWith(t, "", func(c *server.Config) { c.Now = func() time.Time { return time.UnixMilli(1595811600000) } })
	group, stream := e.createStream(t, "struct-group", "struct-stream")
	sample := structSeedLines[3].text
	_, err := e.lts().CreateStructTemplate(&model.CreateStructTemplateRequest{Body: &model.LtsStructTemplateInfo{
		LogGroupId: group, LogStreamId: stream, ProjectId: testProject, ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().CUSTOM_REGEX, Content: sample,
		RegexRules: ptr(`^(?P<test1>[^/]+)/(?P<test2>\S+) (?P<test3>\S+) .* (?P<test4>\d+)$`),
		DemoFields: []model.StructFieldInfo{
			{FieldName: ptr("test1"), Type: "string", Content: ptr("2020-07-27"), IsAnalysis: ptr(true)},
			{FieldName: ptr("test2"), Type: "string", Content: ptr("08:59:53"), IsAnalysis: ptr(true)},
			{FieldName: ptr("test3"), Type: "string", Content: ptr("this"), IsAnalysis: ptr(true)},
			{FieldName: ptr("test4"), Type: "long", Content: ptr("151687"), IsAnalysis: ptr(true)},
		},
		TagFields: []model.TagField{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	le := &logsEnv{env: e, group: group, stream: stream}
	var contents []map[string]any
	for _, l := range structSeedLines {
		contents = append(contents, map[string]any{"log_time_ns": l.line, "log": l.text})
	}
	le.ingest(t, "/tenant/contents/high-accuracy", map[string]any{"contents": contents, "labels": map[string]string{}}, nil, 200)
	return le
}

// TestStructQuerySeedExamples replays seed 000's three requests on its four
// lines and compares the answers with the seed's, key by key.
func TestStructQuerySeedExamples(t *testing.T) {
	le := structSeedEnv(t)
	path := "/v2/" + testProject + "/groups/" + le.group + "/streams/" + le.stream + "/struct-content/query"
	for _, tc := range []struct {
		body string
		want string
	}{
		{`{ "start_time" : "1595811590539", "end_time" : "1595811593539", "original_content" : "true", "sql_expression" : "select *" }`,
			`{ "struct_logs" : [ { "test4" : "151687", "test2" : "08:59:53", "test3" : "this", "line_num" : "1595811593539371695", "log_content" : "2020-07-27/08:59:53 this log is Error NO 151687", "test1" : "2020-07-27" }, { "test4" : "151686", "test2" : "08:59:52", "test3" : "this", "line_num" : "1595811592539361171", "log_content" : "2020-07-27/08:59:52 this log is Error NO 151686", "test1" : "2020-07-27" }, { "test4" : "151685", "test2" : "08:59:51", "test3" : "this", "line_num" : "1595811591539422860", "log_content" : "2020-07-27/08:59:51 this log is Error NO 151685", "test1" : "2020-07-27" }, { "test4" : "151684", "test2" : "08:59:50", "test3" : "this", "line_num" : "1595811590539454127", "log_content" : "2020-07-27/08:59:50 this log is Error NO 151684", "test1" : "2020-07-27" } ] }`},
		{`{ "start_time" : "1595811590539", "end_time" : "1595811593539", "sql_expression" : "select count(test3), sum(test4)" }`,
			`{ "struct_logs" : [ { "cnt(test3)" : "4", "sum(test4)" : "606742.000" } ] }`},
		{`{ "start_time" : "1595811590539", "end_time" : "1595811593539", "sql_expression" : "select count(test3), sum(test4) group by(test1)" }`,
			`{ "struct_logs" : [ { "cnt(test3)" : "4", "sum(test4)" : "606742.000", "test1" : "2020-07-27" } ] }`},
	} {
		status, body := le.post(t, path, tc.body, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", tc.body, status, body)
		}
		var got, want any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got  %s\n want %s", tc.body, body, tc.want)
		}
	}

	// The SDK's legacy call decodes the answer (its model shows only
	// line_num and log_content).
	resp, err := le.lts().ListQueryStructuredLogs(&model.ListQueryStructuredLogsRequest{LogGroupId: le.group, LogStreamId: le.stream,
		Body: &model.QueryLtsStructLogParams{StartTime: "1595811590539", EndTime: "1595811593539", SqlExpression: ptr("select * limit 2"), OriginalContent: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*resp.StructLogs) != 2 || *(*resp.StructLogs)[0].LineNum != "1595811593539371695" || *(*resp.StructLogs)[1].LogContent != structSeedLines[2].text {
		t.Fatalf("ListQueryStructuredLogs: %+v", *resp.StructLogs)
	}
}

func TestStructQueryCurrentAndPipe(t *testing.T) {
	le := structSeedEnv(t)
	c := le.lts()
	resp, err := c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: le.stream, Body: &model.QueryLtsStructLogParamsNew{
		Query:     "NO and 151686 or 151687 | select test2, test4 * 2 as twice order by test4",
		Format:    "k-v",
		TimeRange: &model.TimeRange{StartTime: 1595811590539, EndTime: 1595811593539},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(resp.Body)
	if want := `{"columns":["test2","twice"],"isQueryComplete":true,"result":[{"test2":"08:59:52","twice":"303372"},{"test2":"08:59:53","twice":"303374"}]}`; string(b) != want {
		t.Fatalf("current structured query: %s, want %s", b, want)
	}
	// Time buckets over __time; the end is strict with end_time_lt.
	resp, err = c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: le.stream, Body: &model.QueryLtsStructLogParamsNew{
		Query:     "select time_floor(__time, 'PT2S') as t, count(*) as pv group by t order by t",
		Format:    "k-v",
		TimeRange: &model.TimeRange{StartTime: 1595811590539, EndTime: 1595811593539, EndTimeLt: ptr(true)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(resp.Body)
	if want := `{"columns":["t","pv"],"isQueryComplete":true,"result":[{"pv":"2","t":"1595811590000"},{"pv":"1","t":"1595811592000"}]}`; string(b) != want {
		t.Fatalf("time buckets: %s, want %s", b, want)
	}

	// The pipe on the search API.
	logs, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: le.group, LogStreamId: le.stream, Body: &model.QueryLtsLogParams{
		StartTime: "1595811590539", EndTime: "1595811593539", IsAnalysisQuery: ptr(true),
		Query: ptr("this | select test1, count(*) as n, max(test4) as top group by test1"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(logs.AnalysisLogs)
	if want := `[{"n":"4","test1":"2020-07-27","top":"151687"}]`; string(b) != want {
		t.Fatalf("analysisLogs: %s, want %s", b, want)
	}

	// Without is_analysis_query the query is not run: the search answers.
	plain, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: le.group, LogStreamId: le.stream, Body: &model.QueryLtsLogParams{
		StartTime: "1595811590539", EndTime: "1595811593539", Keywords: ptr("151686"), Highlight: ptr(false),
		Query: ptr("this | select count(*)"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if plain.AnalysisLogs != nil || len(*plain.Logs) != 1 || *(*plain.Logs)[0].Content != structSeedLines[2].text {
		t.Fatalf("search with a query but no is_analysis_query: %+v", plain)
	}

	// Errors name the position and the construct.
	for _, tc := range []struct{ sql, msg string }{
		{"select * from other", "other"},
		{"select a b c", "position"},
		{"select count(*) from log join x", "JOIN"},
		{"select nosuch(test1)", "nosuch"},
	} {
		_, err := c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: le.stream, Body: &model.QueryLtsStructLogParamsNew{
			Query: tc.sql, Format: "k-v", TimeRange: &model.TimeRange{StartTime: 1595811590539, EndTime: 1595811593539},
		}})
		wantErr(t, err, 400, "LTS.0009")
		if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.msg)) {
			t.Errorf("%q: message %q lacks %q", tc.sql, err, tc.msg)
		}
	}
	_, err = c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: le.stream, Body: &model.QueryLtsStructLogParamsNew{
		Query: "select 1", Format: "csv", TimeRange: &model.TimeRange{StartTime: 1595811590539, EndTime: 1595811593539},
	}})
	wantErr(t, err, 400, "LTS.1901")
	for _, tc := range []struct{ body, msg string }{
		{`{"query":"select 1","format":"k-v"}`, "time_range is required"},
		{`{"query":" ","format":"k-v","time_range":{"start_time":1595811590539,"end_time":1595811593539}}`, "query is required"},
		{`{"query":"select 1","format":"k-v","time_range":{"start_time":1595811590539,"end_time":1595811593539,"sql_time_zone":"Mars/Olympus"}}`, "sql_time_zone"},
		{`{"query":"select '` + strings.Repeat("x", 102400) + `'","format":"k-v","time_range":{"start_time":1595811590539,"end_time":1595811593539}}`, "at most 102400"},
		{`{"query":"this | select from","format":"k-v","time_range":{"start_time":1595811590539,"end_time":1595811593539}}`, "position"},
	} {
		status, body := le.post(t, "/v2/"+testProject+"/streams/"+le.stream+"/struct-content/query", tc.body, nil)
		if status != 400 || errorCode(t, body) != "LTS.0009" || !strings.Contains(string(body), tc.msg) {
			t.Errorf("%.60s: %d %.300s", tc.body, status, body)
		}
	}
	// The legacy API: a bad sql_expression and a missing window.
	for _, body := range []string{`{"start_time":"1595811590539","end_time":"1595811593539","sql_expression":"select from"}`, `{"sql_expression":"select *"}`} {
		status, resp := le.post(t, "/v2/"+testProject+"/groups/"+le.group+"/streams/"+le.stream+"/struct-content/query", body, nil)
		if status != 400 || errorCode(t, resp) != "LTS.0009" {
			t.Errorf("legacy %s: %d %s", body, status, resp)
		}
	}
	_, err = c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: le.stream, Body: &model.QueryLtsStructLogParamsNew{
		Query: "select 1", Format: "k-v", TimeRange: &model.TimeRange{StartTime: 1595811593539, EndTime: 1595811590539},
	}})
	wantErr(t, err, 400, "LTS.0701")
	_, err = c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: "00000000-0000-4000-8000-000000000000", Body: &model.QueryLtsStructLogParamsNew{
		Query: "select 1", Format: "k-v", TimeRange: &model.TimeRange{StartTime: 1595811590539, EndTime: 1595811593539},
	}})
	wantErr(t, err, 400, "LTS.0208")
}

// TestFieldSearchOnStructuredFields: key:value and key>n reach the
// stream's structured fields, in memtables and in segments.
func TestFieldSearchOnStructuredFields(t *testing.T) {
	le := structSeedEnv(t)
	count := func(keywords string) int {
		t.Helper()
		resp, err := le.lts().ListLogs(&model.ListLogsRequest{LogGroupId: le.group, LogStreamId: le.stream, Body: &model.QueryLtsLogParams{
			StartTime: "1595811590539", EndTime: "1595811593539", Keywords: ptr(keywords), IsCount: ptr(true),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(*resp.Logs) != int(*resp.Count) {
			t.Errorf("%q: %d logs listed, %d counted", keywords, len(*resp.Logs), *resp.Count)
		}
		return int(*resp.Count)
	}
	for _, phase := range []string{"memtable", "segment"} {
		for kw, want := range map[string]int{"test4:151686": 1, "test4>151685": 2, "test3:this and test4 in [151684 151685]": 2, "test2:08*": 4, "test1:2021*": 0} {
			if got := count(kw); got != want {
				t.Errorf("%s, %q: %d lines, want %d", phase, kw, got, want)
			}
		}
		// The request's label filter stays on labels: a field of that name
		// does not pass it.
		resp, err := le.lts().ListLogs(&model.ListLogsRequest{LogGroupId: le.group, LogStreamId: le.stream, Body: &model.QueryLtsLogParams{
			StartTime: "1595811590539", EndTime: "1595811593539", Keywords: ptr("test4:151686"), IsCount: ptr(true),
			Labels: map[string]string{"test1": "2020-07-27"},
		}})
		if err != nil || *resp.Count != 0 || len(*resp.Logs) != 0 {
			t.Errorf("%s: a label filter matched a field: %v %+v", phase, err, resp)
		}
		// A restart flushes the rows into a segment.
		le.stop()
		le.env = startWith(t, le.dir, func(c *server.Config) { c.Now = func() time.Time { return time.UnixMilli(1595811600000) } })
	}
}
