package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// esClient is the official Elasticsearch Go client pointed at the door,
// signing in with the access key, writing to group (stream by index).
func esClient(t *testing.T, e *env, project, ak, sk, group string) *elasticsearch.Client {
	t.Helper()
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: []string{e.URL + "/v2/" + project + "/es"},
		Username:  ak, Password: sk,
		Header:     http.Header{"X-LTS-Log-Group": {group}},
		MaxRetries: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestElasticsearchBulkIndexer sends documents with the official client's
// bulk indexer and finds them through the LTS SDK: message as content,
// @timestamp as time, other fields structured; a bad document fails alone.
func TestElasticsearchBulkIndexer(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "web", "nginx")
	es := esClient(t, e, testProject, testAK, testSK, "web")
	info, err := es.Info()
	if err != nil || info.StatusCode != 200 || !strings.Contains(info.String(), `"number":"8.`) {
		t.Fatalf("info: %v %v", info, err)
	}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: "nginx", NumWorkers: 2, FlushBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	var ok, failed atomic.Int64
	var failure atomic.Value
	add := func(doc string) {
		if err := bi.Add(context.Background(), esutil.BulkIndexerItem{
			Action: "create", Body: strings.NewReader(doc),
			OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) { ok.Add(1) },
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				failed.Add(1)
				failure.Store(fmt.Sprintf("%d %s %v", res.Status, res.Error.Reason, err))
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		add(fmt.Sprintf(`{"@timestamp":%q,"message":"GET /page/%d 200","http":{"status":200,"bytes":%d},"host":{"name":"web-1"},"latency":0.25}`,
			at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i, 1000+i))
	}
	add(`{"@timestamp":"last tuesday","message":"bad time"}`)
	if err := bi.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ok.Load() != 200 || failed.Load() != 1 || !strings.HasPrefix(failure.Load().(string), "400 @timestamp") {
		t.Fatalf("%d indexed, %d failed (%v)", ok.Load(), failed.Load(), failure.Load())
	}
	lines := otlpLines(t, e, group, stream, "page")
	if len(lines) != 100 || *lines[0].Content != "GET /page/0 200" || *lines[0].LineNum != fmt.Sprint(at.UnixNano()) {
		t.Fatalf("%d lines, first %+v", len(lines), lines[0])
	}
	status, body := e.post(t, "/v2/"+testProject+"/streams/"+stream+"/struct-content/query", map[string]any{
		"query": `select count(*) as n, sum("http.bytes") as b, max(latency) as l where "host.name" = 'web-1' and "http.status" = 200`, "format": "k-v",
		"time_range": map[string]any{"start_time": at.Add(-time.Second).UnixMilli(), "end_time": time.Now().UnixMilli()},
	}, nil)
	var out struct{ Result []map[string]string }
	if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Result) != 1 || out.Result[0]["n"] != "200" || out.Result[0]["b"] != fmt.Sprint(200*1000+199*200/2) || out.Result[0]["l"] != "0.25" {
		t.Fatalf("SQL over the documents' fields: %d %s", status, body)
	}
}

// TestElasticsearchBulkErrors: the bulk answer item by item, and the
// refusals: credentials, another project, malformed bodies.
func TestElasticsearchBulkErrors(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "web", "nginx")
	post := func(path, body string, header http.Header) (int, []byte) {
		t.Helper()
		h := http.Header{"Content-Type": {"application/x-ndjson"}, "Authorization": {basicAuth(testAK, testSK)}}
		for k, v := range header {
			h[k] = v
		}
		status, _, resp := e.raw("POST", path, []byte(body), h, nil)
		return status, resp
	}
	bulk := "/v2/" + testProject + "/es/_bulk?group=web"
	now := time.Now().UTC().Format(time.RFC3339Nano)
	body := `{"index":{"_index":"nginx"}}
{"@timestamp":"` + now + `","log":"first"}
{"create":{"_index":"nosuch"}}
{"message":"to a stream that does not exist"}
{"delete":{"_index":"nginx","_id":"1"}}
{"index":{"_index":"nginx"}}
not a document
{"index":{}}
{"message":"index from the path? no: from the stream parameter","n":1}
`
	status, resp := post(bulk, body, nil)
	var ans struct {
		Errors bool                              `json:"errors"`
		Items  []map[string]struct{ Status int } `json:"items"`
	}
	if status != 200 || json.Unmarshal(resp, &ans) != nil || !ans.Errors || len(ans.Items) != 5 {
		t.Fatalf("bulk: %d %s", status, resp)
	}
	want := []int{201, 400, 400, 400, 400}
	for i, it := range ans.Items {
		for _, r := range it {
			if r.Status != want[i] {
				t.Errorf("item %d: status %d, want %d (%s)", i, r.Status, want[i], resp)
			}
		}
	}
	if lines := otlpLines(t, e, group, stream, "first"); len(lines) != 1 {
		t.Fatalf("%d lines stored", len(lines))
	}
	// The stream named by parameter, the index by the path.
	status, resp = post("/v2/"+testProject+"/es/anything/_bulk?group=web&stream=nginx", "{\"index\":{}}\n{\"message\":\"second\"}\n", nil)
	if status != 200 || !bytes.Contains(resp, []byte(`"errors":false`)) {
		t.Fatalf("bulk by parameters: %d %s", status, resp)
	}
	for _, tc := range []struct {
		name, path, body string
		header           http.Header
		status           int
		code             string
	}{
		{"wrong secret", bulk, body, http.Header{"Authorization": {basicAuth(testAK, "nope")}}, 401, "LTS.0003"},
		{"another project", "/v2/ffffffffffffffffffffffffffffffff/es/_bulk", body, nil, 403, "LTS.0001"},
		{"not NDJSON", bulk, "this is not json\n", nil, 400, "LTS.0009"},
		{"empty", bulk, "\n\n", nil, 400, "LTS.0009"},
		{"action without document", bulk, "{\"index\":{\"_index\":\"nginx\"}}\n", nil, 400, "LTS.0009"},
		{"unknown action", bulk, "{\"upsert\":{}}\n{}\n", nil, 400, "LTS.0009"},
		{"too many actions", bulk, strings.Repeat("{\"index\":{}}\n{}\n", 100_001), nil, 400, "LTS.0009"},
		{"bad gzip", bulk, body, http.Header{"Content-Encoding": {"gzip"}}, 400, "LTS.0009"},
	} {
		status, resp := post(tc.path, tc.body, tc.header)
		if status != tc.status || errorCode(t, resp) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, resp, tc.status, tc.code)
		}
	}
	// Without a group nothing is stored, item by item.
	status, resp = post("/v2/"+testProject+"/es/_bulk", "{\"index\":{\"_index\":\"nginx\"}}\n{\"message\":\"x\"}\n", nil)
	if status != 200 || !bytes.Contains(resp, []byte(`"status":400`)) {
		t.Fatalf("bulk without a group: %d %s", status, resp)
	}
}

// FuzzElasticsearchBulk sends arbitrary bodies to _bulk: each answer is
// 200 (item by item) or a 4xx error body, never a 5xx.
func FuzzElasticsearchBulk(f *testing.F) {
	f.Add([]byte("{\"index\":{\"_index\":\"x\"}}\n{\"message\":\"a\",\"@timestamp\":1700000000000}\n"))
	f.Add([]byte("{\"create\":{}}\n{\"log\":{\"nested\":[1,2,{\"a\":null}]},\"@timestamp\":\"2026-01-01T00:00:00Z\"}\n{\"delete\":{}}\n"))
	f.Add([]byte("{\"update\":{}}\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		base, _, _ := fuzzQueryTarget(t)
		status, h, resp := send(t, base, "POST", "/v2/"+testProject+"/es/_bulk?group=fuzz-queries&stream=fuzz-queries", body,
			http.Header{"Content-Type": {"application/x-ndjson"}, "Authorization": {basicAuth(testAK, testSK)}}, nil)
		if status >= 500 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%q: %d %s", body, status, resp)
		}
		if status >= 400 {
			errorCode(t, resp)
		}
	})
}
