package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
)

func basicAuth(ak, sk string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ak+":"+sk))
}

// otlpLines asks the LTS SDK's ListLogs for the stream's lines with a
// keyword in the last hour.
func otlpLines(t *testing.T, e *env, group, stream, keywords string) []model.LogContents {
	t.Helper()
	now := time.Now()
	resp, err := e.lts().ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
		StartTime: strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10), EndTime: strconv.FormatInt(now.Add(time.Minute).UnixMilli(), 10),
		Keywords: ptr(keywords), Limit: ptr(int32(100)), Highlight: ptr(false),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return *resp.Logs
}

// TestOTLPWithTheOpenTelemetrySDK sends records with the OpenTelemetry Go
// SDK's OTLP/HTTP exporter (protobuf, gzip, basic auth, the stream named
// by headers) and finds them through the LTS SDK with their labels and
// fields.
func TestOTLPWithTheOpenTelemetrySDK(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "otel-group", "otel-stream")
	ctx := context.Background()
	exp, err := otlploghttp.New(ctx,
		otlploghttp.WithEndpointURL(e.URL+"/v2/"+testProject+"/otlp/v1/logs"),
		otlploghttp.WithCompression(otlploghttp.GzipCompression),
		otlploghttp.WithHeaders(map[string]string{"Authorization": basicAuth(testAK, testSK), "X-LTS-Log-Group": "otel-group", "X-LTS-Log-Stream": "otel-stream"}),
		otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}),
	)
	if err != nil {
		t.Fatal(err)
	}
	provider := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)),
		sdklog.WithResource(resource.NewSchemaless(attribute.String("service.name", "checkout"), attribute.String("host.name", "web-1"))),
	)
	logger := provider.Logger("checkout/payments")
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i, msg := range []string{"payment failed for order", "payment accepted for order", "cart emptied"} {
		var rec otellog.Record
		rec.SetTimestamp(at.Add(time.Duration(i) * time.Millisecond))
		rec.SetBody(attribute.StringValue(msg))
		rec.SetSeverity(otellog.SeverityError)
		rec.SetSeverityText([]string{"ERROR", "INFO", "DEBUG"}[i])
		rec.AddAttributes(attribute.Int("order", 40+i), attribute.String("user", "ann"), attribute.Float64("amount", 9.5))
		logger.Emit(ctx, rec)
	}
	if err := provider.Shutdown(ctx); err != nil {
		t.Fatalf("the exporter failed: %v", err)
	}
	lines := otlpLines(t, e, group, stream, "payment")
	if len(lines) != 2 || *lines[0].Content != "payment failed for order" || lines[0].Labels["service.name"] != "checkout" || lines[0].Labels["host.name"] != "web-1" {
		t.Fatalf("lines %+v", lines)
	}
	if got := *lines[0].LineNum; got != strconv.FormatInt(at.UnixNano(), 10) {
		t.Fatalf("line_num %s, want the record's time %d", got, at.UnixNano())
	}
	// The attributes and the severity are structured fields.
	status, body := e.post(t, "/v2/"+testProject+"/streams/"+stream+"/struct-content/query", map[string]any{
		"query": "select level, \"order\", user, amount order by \"order\"", "format": "k-v",
		"time_range": map[string]any{"start_time": at.Add(-time.Second).UnixMilli(), "end_time": time.Now().UnixMilli()},
	}, nil)
	var out struct{ Result []map[string]string }
	if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Result) != 3 {
		t.Fatalf("SQL over the fields: %d %s", status, body)
	}
	if r := out.Result[0]; r["level"] != "ERROR" || r["order"] != "40" || r["user"] != "ann" || r["amount"] != "9.5" {
		t.Fatalf("fields of the first record: %v", r)
	}
}

// exportRequest is an OTLP request of one resource with the given
// records' bodies and times.
func exportRequest(bodies []string, times []time.Time) plogotlp.ExportRequest {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "jobs")
	rl.Resource().Attributes().PutStr("process.command_line", strings.Repeat("x", 2000))
	sl := rl.ScopeLogs().AppendEmpty()
	for i, b := range bodies {
		lr := sl.LogRecords().AppendEmpty()
		lr.Body().SetStr(b)
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(times[i]))
		lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	}
	return plogotlp.NewExportRequestFromLogs(logs)
}

// TestOTLPJSONAndErrors: the JSON encoding, the stream named by query
// parameters, partial success for lines outside the stream's TTL, and the
// refusals: wrong credentials, another project's stream, bad bodies.
func TestOTLPJSONAndErrors(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "jobs", "batch")
	now := time.Now()
	req := exportRequest([]string{"job 1 done", "job 2 done", "job from long ago"}, []time.Time{now, now.Add(time.Millisecond), now.Add(-400 * 24 * time.Hour)})
	body, err := req.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string, body []byte, header http.Header) (int, []byte) {
		t.Helper()
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {basicAuth(testAK, testSK)}}
		for k, v := range header {
			h[k] = v
		}
		status, _, resp := e.raw("POST", path, body, h, nil)
		return status, resp
	}
	path := "/v2/" + testProject + "/otlp/v1/logs"
	status, resp := post(path+"?group=jobs&stream="+stream, body, nil)
	answer := plogotlp.NewExportResponse()
	if status != 200 || answer.UnmarshalJSON(resp) != nil {
		t.Fatalf("JSON export: %d %s", status, resp)
	}
	if n := answer.PartialSuccess().RejectedLogRecords(); n != 1 || !strings.Contains(answer.PartialSuccess().ErrorMessage(), "older than the stream's TTL") {
		t.Fatalf("partial success: %d %q", n, answer.PartialSuccess().ErrorMessage())
	}
	lines := otlpLines(t, e, group, stream, "done")
	if len(lines) != 2 || lines[0].Labels["service.name"] != "jobs" {
		t.Fatalf("lines %+v", lines)
	}
	if _, long := lines[0].Labels["process.command_line"]; long {
		t.Fatal("a 2,000-byte resource attribute became a label")
	}

	many := plog.NewLogs()
	records := many.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 100_001 {
		records.AppendEmpty()
	}
	manyProto, _ := plogotlp.NewExportRequestFromLogs(many).MarshalProto()
	manyJSON := []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[` + strings.TrimSuffix(strings.Repeat("{},", 400_001), ",") + `]}]}]}`)
	for _, tc := range []struct {
		name   string
		path   string
		body   []byte
		header http.Header
		status int
		code   string
	}{
		{"too many records", path + "?group=jobs&stream=batch", manyProto, http.Header{"Content-Type": {"application/x-protobuf"}}, 400, "LTS.0009"},
		{"too many JSON objects", path + "?group=jobs&stream=batch", manyJSON, nil, 400, "LTS.0009"},
		{"wrong secret", path + "?group=jobs&stream=batch", body, http.Header{"Authorization": {basicAuth(testAK, "wrong")}}, 401, "LTS.0003"},
		{"no credentials", path + "?group=jobs&stream=batch", body, http.Header{"Authorization": {""}}, 401, "LTS.0003"},
		{"another project", "/v2/ffffffffffffffffffffffffffffffff/otlp/v1/logs?group=jobs&stream=batch", body, nil, 403, "LTS.0001"},
		{"no stream named", path, body, nil, 400, "LTS.0009"},
		{"unknown group", path + "?group=nope&stream=batch", body, nil, 400, "LTS.0201"},
		{"unknown stream", path + "?group=jobs&stream=nope", body, nil, 400, "LTS.0208"},
		{"not JSON", path + "?group=jobs&stream=batch", []byte("{not json"), nil, 400, "LTS.0009"},
		{"not protobuf", path + "?group=jobs&stream=batch", []byte("\xff\xff\xff"), http.Header{"Content-Type": {"application/x-protobuf"}}, 400, "LTS.0009"},
		{"other content type", path + "?group=jobs&stream=batch", body, http.Header{"Content-Type": {"text/plain"}}, 400, "LTS.0009"},
		{"bad gzip", path + "?group=jobs&stream=batch", body, http.Header{"Content-Encoding": {"gzip"}}, 400, "LTS.0009"},
	} {
		status, resp := post(tc.path, tc.body, tc.header)
		if status != tc.status || errorCode(t, resp) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, resp, tc.status, tc.code)
		}
	}
	// Another project's stream is not reachable by name or id from this one.
	other := e.newProject(t, "eu-west-0")
	status, resp = post("/v2/"+other+"/otlp/v1/logs?group="+group+"&stream="+stream, body, nil)
	if status != 400 || errorCode(t, resp) != "LTS.0201" {
		t.Fatalf("another project's stream by id: %d %s", status, resp)
	}
	if n := len(otlpLines(t, e, group, stream, "done")); n != 2 {
		t.Fatalf("%d lines after the refusals, want 2", n)
	}
}

// FuzzOTLP sends arbitrary bodies to the OTLP door as protobuf and as
// JSON: each answer is 200 or a 4xx error body, never a 5xx.
func FuzzOTLP(f *testing.F) {
	now := time.Now()
	req := exportRequest([]string{"a", "b"}, []time.Time{now, now})
	pb, _ := req.MarshalProto()
	js, _ := req.MarshalJSON()
	f.Add(pb, false)
	f.Add(js, true)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"intValue":"7"},"attributes":[{"key":"k","value":{"kvlistValue":{}}}]}]}]}]}`), true)
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		base, group, stream := fuzzQueryTarget(t)
		ct := "application/x-protobuf"
		if asJSON {
			ct = "application/json"
		}
		status, h, resp := send(t, base, "POST", "/v2/"+testProject+"/otlp/v1/logs?group="+group+"&stream="+stream, body,
			http.Header{"Content-Type": {ct}, "Authorization": {basicAuth(testAK, testSK)}}, nil)
		if status >= 500 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%q: %d %s", body, status, resp)
		}
		if status >= 400 {
			errorCode(t, resp)
		}
	})
}

// TestOTLPStreamByServiceName: a request that names only the group writes
// each resource's records to the stream its service.name names; a
// resource whose stream does not exist, or that has no service.name, is
// rejected alone, in the answer's partial success.
func TestOTLPStreamByServiceName(t *testing.T) {
	e := start(t, "")
	group, billing := e.createStream(t, "apps", "billing")
	orders, err := e.lts().CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "orders"}})
	if err != nil {
		t.Fatal(err)
	}
	logs := plog.NewLogs()
	now := time.Now()
	for _, r := range []struct {
		service string
		lines   []string
	}{{"billing", []string{"invoice 1 routed", "invoice 2 routed"}}, {"orders", []string{"order 1 routed"}}, {"nosuch", []string{"lost 1 routed"}}, {"", []string{"anonymous routed"}}} {
		rl := logs.ResourceLogs().AppendEmpty()
		if r.service != "" {
			rl.Resource().Attributes().PutStr("service.name", r.service)
		}
		records := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i, l := range r.lines {
			rec := records.AppendEmpty()
			rec.Body().SetStr(l)
			rec.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		}
	}
	body, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	status, _, resp := e.raw("POST", "/v2/"+testProject+"/otlp/v1/logs?group=apps", body,
		http.Header{"Content-Type": {"application/x-protobuf"}, "Authorization": {basicAuth(testAK, testSK)}}, nil)
	answer := plogotlp.NewExportResponse()
	if status != 200 || answer.UnmarshalProto(resp) != nil {
		t.Fatalf("export: %d %q", status, resp)
	}
	if n := answer.PartialSuccess().RejectedLogRecords(); n != 2 || !strings.Contains(answer.PartialSuccess().ErrorMessage(), "nosuch") {
		t.Fatalf("partial success: %d %q", n, answer.PartialSuccess().ErrorMessage())
	}
	if lines := otlpLines(t, e, group, billing, "routed"); len(lines) != 2 || lines[0].Labels["service.name"] != "billing" {
		t.Fatalf("billing: %+v", lines)
	}
	if lines := otlpLines(t, e, group, *orders.LogStreamId, "routed"); len(lines) != 1 || *lines[0].Content != "order 1 routed" {
		t.Fatalf("orders: %+v", lines)
	}
}
