package conformance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/server"
)

// seedNow is a moment just after seed 004's example logs were written, so
// that they are within any stream's TTL.
var seedNow = time.Date(2020, 7, 25, 7, 0, 0, 0, time.UTC)

var seedLabels = map[string]string{
	"hostName": "ecs-kwxtest", "hostIP": "192.168.0.156", "appName": "default_appname",
	"containerName": "CONFIG_FILE", "clusterName": "CONFIG_FILE", "hostId": "9787ef31-fd7b-4eff-ba71-72d580f11f55",
	"podName": "default_procname", "clusterId": "CONFIG_FILE", "nameSpace": "CONFIG_FILE", "category": "LTS",
}

// seedLines are seed 004's ten example logs with their line numbers.
var seedLines = []struct {
	line int64
	text string
}{
	{1595659490239433654, "2020-07-25/14:44:42 this log is Error NO 1\n"},
	{1595659490239433655, "2020-07-25/14:44:43 this log is Error NO 2\n"},
	{1595659490239433656, "2020-07-25/14:44:44 this log is Error NO 3\n"},
	{1595659490239433657, "2020-07-25/14:44:45 this log is Error NO 4\n"},
	{1595659490239433658, "2020-07-25/14:44:46 this log is Error NO 5\n"},
	{1595659490239433659, "2020-07-25/14:44:47 this log is Error NO 6\n"},
	{1595659490239433660, "2020-07-25/14:44:48 this log is Error NO 7\n"},
	{1595659490239433661, "2020-07-25/14:44:49 this log is Error NO 8\n"},
	{1595659490839420574, "2020-07-25/14:44:50 this log is Error NO 9\n"},
	{1595659491839412667, "2020-07-25/14:44:51 this log is Error NO 10\n"},
}

// logsEnv is a server with one group and stream holding seed 004's logs.
type logsEnv struct {
	*env
	group, stream string
}

func (e *env) createStream(t *testing.T, group, stream string) (string, string) {
	t.Helper()
	c := e.lts()
	g, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: group, TtlInDays: 30}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: *g.LogGroupId, Body: &model.CreateLogStreamParams{LogStreamName: stream}})
	if err != nil {
		t.Fatal(err)
	}
	return *g.LogGroupId, *s.LogStreamId
}

// post sends a signed JSON request and returns status and body.
func (e *env) post(t *testing.T, path string, body any, header http.Header) (int, []byte) {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	h := http.Header{"Content-Type": {"application/json;charset=UTF-8"}}
	for k, v := range header {
		h[k] = v
	}
	status, _, resp := e.raw("POST", path, b, h, signer(testAK, testSK, testProject, time.Now()))
	return status, resp
}

func seedEnv(t *testing.T) *logsEnv {
	return seedEnvWith(t, nil)
}

// seedEnvWith is seedEnv on a server that configure may change.
func seedEnvWith(t *testing.T, configure func(*server.Config)) *logsEnv {
	e := startWith(t, "", func(c *server.Config) {
		c.Now = func() time.Time { return seedNow }
		if configure != nil {
			configure(c)
		}
	})
	group, stream := e.createStream(t, "seed-group", "seed-stream")
	le := &logsEnv{env: e, group: group, stream: stream}
	var contents []map[string]any
	for _, l := range seedLines {
		contents = append(contents, map[string]any{"log_time_ns": l.line, "log": l.text})
	}
	// 22 more matching logs after NO 10, so the count is the seed's 32.
	for i := range 22 {
		contents = append(contents, map[string]any{"log_time_ns": 1595659492000000000 + int64(i)*1e8, "log": fmt.Sprintf("2020-07-25/14:44:5%d another log line %d\n", i%10, i)})
	}
	le.ingest(t, "/tenant/contents/high-accuracy", map[string]any{"contents": contents, "labels": seedLabels}, nil, 200)
	// A line without the keyword, in the window.
	le.ingest(t, "/tenant/contents", map[string]any{"log_time_ns": "1595659400000000000", "contents": []string{"no keyword here"}, "labels": seedLabels}, nil, 200)
	return le
}

func (le *logsEnv) ingest(t *testing.T, suffix string, body any, header http.Header, want int) []byte {
	t.Helper()
	status, resp := le.post(t, "/v2/"+testProject+"/lts/groups/"+le.group+"/streams/"+le.stream+suffix, body, header)
	if status != want {
		t.Fatalf("ingest %s: %d %s, want %d", suffix, status, resp, want)
	}
	return resp
}

func (le *logsEnv) query(t *testing.T, body map[string]any) (int, map[string]any) {
	t.Helper()
	status, resp := le.post(t, "/v2/"+testProject+"/groups/"+le.group+"/streams/"+le.stream+"/content/query", body, nil)
	var out map[string]any
	json.Unmarshal(resp, &out)
	return status, out
}

// seedQuery is the seed's request body with the given paging fields.
func seedQuery(extra map[string]any) map[string]any {
	q := map[string]any{
		"start_time": 1595659200000, "end_time": 1595659500000,
		"labels": map[string]string{"hostName": "ecs-kwxtest"}, "keywords": "log", "limit": 10, "is_count": true,
	}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func lineNos(t *testing.T, resp map[string]any) []string {
	t.Helper()
	var out []string
	logs, _ := resp["logs"].([]any)
	for _, l := range logs {
		content := l.(map[string]any)["content"].(string)
		i := strings.Index(content, "NO ")
		if i < 0 {
			t.Fatalf("unexpected log %q", content)
		}
		out = append(out, strings.TrimSpace(content[i:]))
	}
	return out
}

func TestSeedPagingExamples(t *testing.T) {
	le := seedEnv(t)
	cases := []struct {
		name  string
		extra map[string]any
		want  string
	}{
		{"first query", nil, "NO 1,NO 2,NO 3,NO 4,NO 5,NO 6,NO 7,NO 8,NO 9,NO 10"},
		{"forwards ascending", map[string]any{"line_num": "1595659490239433658", "is_desc": "false", "search_type": "forwards", "limit": "3"}, "NO 6,NO 7,NO 8"},
		{"backwards descending", map[string]any{"line_num": "1595659490239433658", "is_desc": "true", "search_type": "backwards", "limit": "3"}, "NO 8,NO 7,NO 6"},
		{"backwards ascending", map[string]any{"line_num": "1595659490239433658", "is_desc": "false", "search_type": "backwards", "limit": "3"}, "NO 2,NO 3,NO 4"},
		{"forwards descending", map[string]any{"line_num": "1595659490239433658", "is_desc": "true", "search_type": "forwards", "limit": "3"}, "NO 4,NO 3,NO 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, resp := le.query(t, seedQuery(c.extra))
			if status != 200 {
				t.Fatalf("status %d %v", status, resp)
			}
			if got := strings.Join(lineNos(t, resp), ","); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
			if resp["count"] != float64(32) || resp["isQueryComplete"] != true {
				t.Fatalf("count %v complete %v", resp["count"], resp["isQueryComplete"])
			}
		})
	}
	// The first log exactly as the seed shows it.
	_, resp := le.query(t, seedQuery(nil))
	first := resp["logs"].([]any)[0].(map[string]any)
	if first["content"] != "2020-07-25/14:44:42 this <HighLightTag>log</HighLightTag> is Error NO 1\n" || first["line_num"] != "1595659490239433654" {
		t.Fatalf("first log %v", first)
	}
	labels := first["labels"].(map[string]any)
	if len(labels) != len(seedLabels) || labels["hostIP"] != "192.168.0.156" {
		t.Fatalf("labels %v", labels)
	}
}

func TestSearchThroughSDK(t *testing.T) {
	searchThroughSDK(t, seedEnv(t))
}

// TestSearchThroughSDKOnPostgres is the same with the catalog on
// PostgreSQL: groups, streams, ingestion and search through the SDK.
func TestSearchThroughSDKOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	searchThroughSDK(t, seedEnvWith(t, func(c *server.Config) { c.Catalog = url }))
}

func searchThroughSDK(t *testing.T, le *logsEnv) {
	c := le.lts()
	str := func(s string) *string { return &s }
	b := func(v bool) *bool { return &v }
	limit := int32(3)
	asc := model.GetQueryLtsLogParamsSearchTypeEnum().FORWARDS
	resp, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: le.group, LogStreamId: le.stream, Body: &model.QueryLtsLogParams{
		StartTime: "1595659200000", EndTime: "1595659500000", Keywords: str("error AND NO"), IsCount: b(true),
		LineNum: str("1595659490239433658"), SearchType: &asc, Limit: &limit, Highlight: b(false),
		Labels: map[string]string{"category": "LTS"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Count != 10 || len(*resp.Logs) != 3 || *(*resp.Logs)[0].Content != "2020-07-25/14:44:47 this log is Error NO 6\n" {
		t.Fatalf("response %v", resp)
	}
	ctx, err := c.ListLogContext(&model.ListLogContextRequest{LogGroupId: le.group, LogStreamId: le.stream, Body: &model.ListLogContextRequestBody{
		LineNum: str("1595659490239433658"), BackwardsSize: &limit, ForwardsSize: &limit,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *ctx.TotalCount != 7 || *ctx.BackwardsCount != 3 || *ctx.ForwardsCount != 3 || *(*ctx.Logs)[3].LineNum != "1595659490239433658" {
		t.Fatalf("context %v", ctx)
	}
	hist, err := c.ListLogHistogram(&model.ListLogHistogramRequest{Body: &model.QueryLogKeyWordCountRequestBody{
		StartTime: "1595659200000", EndTime: "1595659500000", StepInterval: 60000, GroupId: le.group, StreamId: le.stream, KeyWord: "log",
	}})
	if err != nil {
		t.Fatal(err)
	}
	var buckets []struct {
		Num       int64  `json:"num"`
		StartTime string `json:"startTime"`
		EndTime   string `json:"endTime"`
	}
	if err := json.Unmarshal([]byte(*hist.Histogram), &buckets); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, bk := range buckets {
		sum += bk.Num
	}
	if *hist.Count != 32 || sum != 32 || len(buckets) != 5 || buckets[0].StartTime != "1595659200000" || buckets[4].EndTime != "1595659500000" {
		t.Fatalf("histogram %d %v", *hist.Count, buckets)
	}
	// 14:44:42..14:44:51 UTC+8 is 06:44:42..06:44:51Z: the 4th minute bucket.
	if buckets[4].Num != 32 {
		t.Fatalf("buckets %v", buckets)
	}
}

func TestSearchErrors(t *testing.T) {
	le := seedEnv(t)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"end before start", map[string]any{"start_time": 1595659500000, "end_time": 1595659200000}, 400, "LTS.0701"},
		{"cursor outside window", seedQuery(map[string]any{"line_num": "1595659100000000000", "search_type": "forwards"}), 400, "LTS.0701"},
		{"limit 0", seedQuery(map[string]any{"limit": 0}), 400, "LTS.1903"},
		{"limit 5001", seedQuery(map[string]any{"limit": "5001"}), 400, "LTS.1903"},
		{"leading wildcard", seedQuery(map[string]any{"keywords": "*rror"}), 400, "LTS.0301"},
		{"leading ?", seedQuery(map[string]any{"keywords": "log and ?rror"}), 400, "LTS.0301"},
		{"window over 30 days", map[string]any{"start_time": 1595659200000, "end_time": 1595659200000 + 31*86400000}, 400, "LTS.0009"},
		{"missing start", map[string]any{"end_time": 1595659200000}, 400, "LTS.0009"},
		{"bad search type", seedQuery(map[string]any{"search_type": "sideways"}), 400, "LTS.1901"},
		{"bad type", seedQuery(map[string]any{"limit": "ten"}), 400, "LTS.0009"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, resp := le.query(t, c.body)
			if status != c.status || resp["error_code"] != c.code {
				t.Fatalf("got %d %v, want %d %s", status, resp, c.status, c.code)
			}
		})
	}
	status, resp := le.post(t, "/v2/"+testProject+"/groups/"+le.group+"/streams/"+le.stream+"/content/query", "{", nil)
	if status != 400 || errorCode(t, resp) != "LTS.0007" {
		t.Fatalf("not json: %d %s", status, resp)
	}
	status, resp = le.post(t, "/v2/"+testProject+"/groups/"+le.group+"/streams/00000000-0000-0000-0000-000000000000/content/query", seedQuery(nil), nil)
	if status != 400 || errorCode(t, resp) != "LTS.0208" {
		t.Fatalf("unknown stream: %d %s", status, resp)
	}
	status, resp = le.post(t, "/v2/"+testProject+"/lts/keyword-count", map[string]any{"start_time": "1595659200000", "end_time": "1595659500000", "step_interval": 86400001, "group_id": le.group, "stream_id": le.stream}, nil)
	if status != 400 || errorCode(t, resp) != "LTS.0601" {
		t.Fatalf("histogram step: %d %s", status, resp)
	}
}

func TestIngestionFormats(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "ingest", "formats")
	le := &logsEnv{env: e, group: group, stream: stream}
	now := time.Now().UnixNano()
	le.ingest(t, "/tenant/contents", map[string]any{"log_time_ns": now, "contents": []string{"plain one", "plain two"}, "labels": map[string]string{"k": "v"}}, nil, 200)

	hi, _ := json.Marshal(map[string]any{"contents": []map[string]any{{"log_time_ns": now + 10, "log": "zipped"}}, "labels": map[string]string{}})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(hi)
	zw.Close()
	le.ingest(t, "/tenant/contents/high-accuracy", gz.Bytes(), http.Header{"Content-Encoding": {"GZIP"}}, 200)
	sn, _ := json.Marshal(map[string]any{"contents": []map[string]any{{"log_time_ns": now + 20, "log": "snapped"}}, "labels": map[string]string{}})
	le.ingest(t, "/tenant/contents/high-accuracy", snappy.Encode(nil, sn), http.Header{"Content-Encoding": {"snappy"}}, 200)

	status, resp := le.post(t, "/v2/internal/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/batch-contents", map[string]any{
		"log_items": []map[string]any{
			{"contents": []map[string]any{{"log_time_ns": now + 30, "log": "from the producer"}}, "labels": `{"app":"p"}`},
			{"contents": []map[string]any{{"log_time_ns": now + 40, "log": "its second item"}}, "labels": `{"app":"q"}`},
		},
	}, nil)
	if status != 200 {
		t.Fatalf("batch: %d %s", status, resp)
	}
	ms := now / 1e6
	_, out := le.query(t, map[string]any{"start_time": ms - 1000, "end_time": ms + 1000, "is_count": true})
	if out["count"] != float64(6) {
		t.Fatalf("count %v: %v", out["count"], out)
	}
	var got []string
	for _, l := range out["logs"].([]any) {
		got = append(got, l.(map[string]any)["content"].(string))
	}
	if strings.Join(got, "|") != "plain one|plain two|zipped|snapped|from the producer|its second item" {
		t.Fatalf("logs %v", got)
	}
	for _, app := range []string{"p", "q"} {
		_, out = le.query(t, map[string]any{"start_time": ms - 1000, "end_time": ms + 1000, "keywords": "app:" + app})
		if len(out["logs"].([]any)) != 1 {
			t.Fatalf("label search app:%s: %v", app, out)
		}
	}

	// Errors use the ingestion body with both key spellings.
	for _, c := range []struct {
		name   string
		suffix string
		body   any
		header http.Header
		code   string
	}{
		{"not json", "/tenant/contents", "{", nil, "LTS.0007"},
		{"older than the TTL", "/tenant/contents", map[string]any{"log_time_ns": time.Now().Add(-40 * 24 * time.Hour).UnixNano(), "contents": []string{"old"}, "labels": map[string]string{}}, nil, "LTS.0009"},
		{"no time", "/tenant/contents", map[string]any{"contents": []string{"x"}, "labels": map[string]string{}}, nil, "LTS.0009"},
		{"empty", "/tenant/contents/high-accuracy", map[string]any{"contents": []any{}, "labels": map[string]string{}}, nil, "LTS.0009"},
		{"bad gzip", "/tenant/contents/high-accuracy", "not gzip", http.Header{"Content-Encoding": {"gzip"}}, "LTS.0009"},
		{"unknown encoding", "/tenant/contents/high-accuracy", "x", http.Header{"Content-Encoding": {"br"}}, "LTS.0009"},
		{"too many lines", "/tenant/contents", map[string]any{"log_time_ns": now, "contents": make([]string, 100_001), "labels": map[string]string{}}, nil, "LTS.0009"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := le.ingest(t, c.suffix, c.body, c.header, 400)
			var eb map[string]any
			json.Unmarshal(resp, &eb)
			if eb["errorCode"] != c.code || eb["error_code"] != c.code || eb["errorMessage"] == "" || eb["error_msg"] == "" {
				t.Fatalf("body %s", resp)
			}
		})
	}
	status, resp = e.post(t, "/v2/"+testProject+"/lts/groups/"+group+"/streams/00000000-0000-0000-0000-000000000000/tenant/contents", map[string]any{"log_time_ns": now, "contents": []string{"x"}, "labels": map[string]string{}}, nil)
	if status != 400 || !strings.Contains(string(resp), `"errorCode":"LTS.0208"`) {
		t.Fatalf("unknown stream: %d %s", status, resp)
	}
	status, _, resp = e.raw("POST", "/v2/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/contents", []byte(`{}`), nil, nil)
	if status != 401 || !strings.Contains(string(resp), `"errorCode":"LTS.0003"`) {
		t.Fatalf("no credentials: %d %s", status, resp)
	}
}

func TestLogsSurviveRestartAndDeletion(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	group, stream := e.createStream(t, "durable", "s")
	le := &logsEnv{env: e, group: group, stream: stream}
	now := time.Now().UnixNano()
	le.ingest(t, "/tenant/contents", map[string]any{"log_time_ns": now, "contents": []string{"kept across restarts"}, "labels": map[string]string{}}, nil, 200)
	e.stop()
	e2 := start(t, dir)
	le2 := &logsEnv{env: e2, group: group, stream: stream}
	ms := now / 1e6
	_, out := le2.query(t, map[string]any{"start_time": ms - 1, "end_time": ms + 1, "keywords": "restarts"})
	if logs, _ := out["logs"].([]any); len(logs) != 1 {
		t.Fatalf("after restart: %v", out)
	}
	if _, err := e2.lts().DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: stream}); err != nil {
		t.Fatal(err)
	}
	e2.stop()
	e3 := start(t, dir)
	defer e3.stop()
	status, resp := e3.post(t, "/v2/"+testProject+"/groups/"+group+"/streams/"+stream+"/content/query", map[string]any{"start_time": ms - 1, "end_time": ms + 1}, nil)
	if status != 400 || errorCode(t, resp) != "LTS.0208" {
		t.Fatalf("deleted stream: %d %s", status, resp)
	}
}
