package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	aom "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2/model"
)

// TestAOMPrometheusAPI drives the Prometheus-compatible API with the SDK
// and with hand-made requests as Grafana sends them, over reported data.
func TestAOMPrometheusAPI(t *testing.T) {
	e := start(t, "")
	project, c := newAOMProject(t, e)
	t0 := reportPromData(t, c)
	evalAt := t0 + 600 // seconds: ten minutes of data
	t.Run("Golden", func(t *testing.T) { testPromGolden(t, c, evalAt) })
	t.Run("RangeQuery", func(t *testing.T) { testPromRange(t, c, evalAt) })
	t.Run("Envelope", func(t *testing.T) { testPromEnvelope(t, e, project, evalAt) })
	t.Run("Labels", func(t *testing.T) { testPromLabels(t, e, c, project) })
	t.Run("Errors", func(t *testing.T) { testPromErrors(t, e, c) })
	t.Run("BasicAuth", func(t *testing.T) { testPromBasicAuth(t, e, project, evalAt) })
}

// reportPromData reports ten minutes of data, one point a minute from t0
// (returned, in Unix seconds): two counters that grow by 1 and 2 per
// second, a gauge counting minutes, and a metric named like a PromQL
// keyword.
func reportPromData(t *testing.T, c *aom.AomClient) int64 {
	t.Helper()
	t0 := minute(20)
	var points []point
	for k := range int64(11) {
		at := t0 + k*60_000
		points = append(points,
			point{"APP.WEB", "http_requests_total", []string{"job", "api", "instance", "a"}, "requests", at, float64(k * 60)},
			point{"APP.WEB", "http_requests_total", []string{"job", "api", "instance", "b"}, "requests", at, float64(k * 120)},
			point{"APP.WEB", "temperature", []string{"room", "r1"}, "celsius", at, float64(k)},
			point{"APP.WEB", "count", []string{"room", "r1"}, "", at, 42},
		)
	}
	mustReport(t, c, points...)
	return t0 / 1000
}

func instant(t *testing.T, c *aom.AomClient, query string, at int64) string {
	t.Helper()
	resp, err := c.ListInstantQueryAomPromGet(&model.ListInstantQueryAomPromGetRequest{Query: query, Time: ptrTo(strconv.FormatInt(at, 10))})
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if *resp.Status != "success" {
		t.Fatalf("%s: status %s", query, *resp.Status)
	}
	return asJSON(t, *resp.Data)
}

// The golden answers are what a Prometheus server returns for the same
// samples: rate extrapolates a steadily growing counter to exactly its
// slope, sum by keeps only the grouping label, avg_over_time averages the
// samples of (t-5m, t].
func testPromGolden(t *testing.T, c *aom.AomClient, at int64) {
	for _, tc := range []struct{ query, want string }{
		{`rate(http_requests_total[5m])`, fmt.Sprintf(`{"result":[`+
			`{"metric":{"_NAMESPACE_":"APP.WEB","instance":"a","job":"api"},"value":[%[1]d,"1"]},`+
			`{"metric":{"_NAMESPACE_":"APP.WEB","instance":"b","job":"api"},"value":[%[1]d,"2"]}],"resultType":"vector"}`, at)},
		{`sum by (job) (rate(http_requests_total[5m]))`, fmt.Sprintf(`{"result":[{"metric":{"job":"api"},"value":[%d,"3"]}],"resultType":"vector"}`, at)},
		{`avg_over_time(temperature[5m])`, fmt.Sprintf(`{"result":[{"metric":{"_NAMESPACE_":"APP.WEB","room":"r1"},"value":[%d,"8"]}],"resultType":"vector"}`, at)},
		{`temperature{_NAMESPACE_="APP.WEB"}`, fmt.Sprintf(`{"result":[{"metric":{"_NAMESPACE_":"APP.WEB","__name__":"temperature","room":"r1"},"value":[%d,"10"]}],"resultType":"vector"}`, at)},
		{`max(aom_prom_fixed_count)`, fmt.Sprintf(`{"result":[{"metric":{},"value":[%d,"42"]}],"resultType":"vector"}`, at)},
		{`1+1`, fmt.Sprintf(`{"result":[%d,"2"],"resultType":"scalar"}`, at)},
		{`nothing_here`, `{"result":[],"resultType":"vector"}`},
	} {
		if got := instant(t, c, tc.query, at); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.query, got, tc.want)
		}
	}
	// POST with the parameters in the URL, as the SDK sends it.
	resp, err := c.ListInstantQueryAomPromPost(&model.ListInstantQueryAomPromPostRequest{Query: `sum(temperature)`, Time: ptrTo(strconv.FormatInt(at, 10))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := asJSON(t, *resp.Data), fmt.Sprintf(`{"result":[{"metric":{},"value":[%d,"10"]}],"resultType":"vector"}`, at); got != want {
		t.Fatalf("POST: %s, want %s", got, want)
	}
}

func testPromRange(t *testing.T, c *aom.AomClient, at int64) {
	q := `sum by (job) (rate(http_requests_total[5m]))`
	want := fmt.Sprintf(`{"result":[{"metric":{"job":"api"},"values":[[%d,"3"],[%d,"3"],[%d,"3"]]}],"resultType":"matrix"}`, at-120, at-60, at)
	get, err := c.ListRangeQueryAomPromGet(&model.ListRangeQueryAomPromGetRequest{Query: q,
		Start: strconv.FormatInt(at-120, 10), End: strconv.FormatInt(at, 10), Step: "60"})
	if err != nil {
		t.Fatal(err)
	}
	if got := asJSON(t, *get.Data); got != want {
		t.Fatalf("GET: %s\nwant %s", got, want)
	}
	// RFC 3339 times and a duration step, POST.
	post, err := c.ListRangeQueryAomPromPost(&model.ListRangeQueryAomPromPostRequest{Query: q,
		Start: time.Unix(at-120, 0).UTC().Format(time.RFC3339), End: time.Unix(at, 0).UTC().Format(time.RFC3339), Step: "1m"})
	if err != nil {
		t.Fatal(err)
	}
	if got := asJSON(t, *post.Data); got != want {
		t.Fatalf("POST: %s\nwant %s", got, want)
	}
	// Raw samples of the gauge over two minutes.
	get, err = c.ListRangeQueryAomPromGet(&model.ListRangeQueryAomPromGetRequest{Query: "temperature",
		Start: strconv.FormatInt(at-90, 10), End: strconv.FormatInt(at, 10), Step: "30"})
	if err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprintf(`{"result":[{"metric":{"_NAMESPACE_":"APP.WEB","__name__":"temperature","room":"r1"},"values":[[%d,"8"],[%d,"9"],[%d,"9"],[%d,"10"]]}],"resultType":"matrix"}`,
		at-90, at-60, at-30, at)
	if got := asJSON(t, *get.Data); got != want {
		t.Fatalf("temperature: %s\nwant %s", got, want)
	}
}

// promRaw sends a signed request to the Prometheus API of project.
func promRaw(t *testing.T, e *env, method, project, path string, form url.Values) (int, []byte) {
	t.Helper()
	h := http.Header{}
	var body []byte
	if form != nil {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		body = []byte(form.Encode())
	}
	status, _, data := send(t, e.URL, method, "/v1/"+project+"/aom/api/v1/"+path, body, h, signer(testAK, testSK, "", time.Now()))
	return status, data
}

func testPromEnvelope(t *testing.T, e *env, project string, at int64) {
	// The exact bytes of an answer: values are strings, timestamps seconds.
	status, data := promRaw(t, e, "GET", project, "query?query=1.5%2B1&time="+strconv.FormatInt(at, 10)+".25", nil)
	if want := fmt.Sprintf(`{"status":"success","data":{"resultType":"scalar","result":[%d.250,"2.5"]}}`, at); status != 200 || string(data) != want {
		t.Fatalf("scalar: %d %s, want %s", status, data, want)
	}
	// Grafana posts form bodies.
	status, data = promRaw(t, e, "POST", project, "query_range", url.Values{
		"query": {"temperature"}, "start": {strconv.FormatInt(at-60, 10)}, "end": {strconv.FormatInt(at, 10)}, "step": {"60"}})
	want := fmt.Sprintf(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"_NAMESPACE_":"APP.WEB","__name__":"temperature","room":"r1"},"values":[[%d,"9"],[%d,"10"]]}]}}`, at-60, at)
	if status != 200 || string(data) != want {
		t.Fatalf("form POST: %d %s\nwant %s", status, data, want)
	}
	status, data = promRaw(t, e, "POST", project, "series", url.Values{"match[]": {"temperature"}})
	if status != 200 || string(data) != `{"status":"success","data":[{"_NAMESPACE_":"APP.WEB","__name__":"temperature","room":"r1"}]}` {
		t.Fatalf("series: %d %s", status, data)
	}
	status, data = promRaw(t, e, "POST", project, "query_exemplars", url.Values{"query": {"temperature"}, "start": {"0"}, "end": {"60"}})
	if status != 200 || string(data) != `{"status":"success","data":[]}` {
		t.Fatalf("exemplars: %d %s", status, data)
	}
	status, _ = promRaw(t, e, "GET", project, "query_exemplars?query=sum(", nil)
	if status != 400 {
		t.Fatalf("exemplars of a bad query: %d", status)
	}
	status, data = promRaw(t, e, "GET", project, "status/buildinfo", nil)
	if status != 200 || !strings.Contains(string(data), `"version":"3.`) {
		t.Fatalf("buildinfo: %d %s", status, data)
	}
}

func testPromLabels(t *testing.T, e *env, c *aom.AomClient, project string) {
	labels, err := c.ListLabelsAomPromGet(&model.ListLabelsAomPromGetRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"_NAMESPACE_", "__name__", "instance", "job", "room"}; !reflect.DeepEqual(*labels.Data, want) {
		t.Fatalf("labels %v, want %v", *labels.Data, want)
	}
	post, err := c.ListLabelsAomPromPost(&model.ListLabelsAomPromPostRequest{})
	if err != nil || !reflect.DeepEqual(*post.Data, *labels.Data) {
		t.Fatalf("labels by POST %v %v", post, err)
	}
	values, err := c.ListLabelValuesAomPromGet(&model.ListLabelValuesAomPromGetRequest{LabelName: "__name__"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aom_prom_fixed_count", "http_requests_total", "temperature"}; !reflect.DeepEqual(*values.Data, want) {
		t.Fatalf("metric names %v, want %v", *values.Data, want)
	}
	values, err = c.ListLabelValuesAomPromGet(&model.ListLabelValuesAomPromGetRequest{LabelName: "instance"})
	if err != nil || !reflect.DeepEqual(*values.Data, []string{"a", "b"}) {
		t.Fatalf("instance values %v %v", values, err)
	}
	// match[] narrows labels and values, as in Prometheus.
	status, data := promRaw(t, e, "GET", project, "labels?match[]=temperature", nil)
	if status != 200 || string(data) != `{"status":"success","data":["_NAMESPACE_","__name__","room"]}` {
		t.Fatalf("labels of temperature: %d %s", status, data)
	}
	status, data = promRaw(t, e, "GET", project, "label/job/values?match[]=temperature", nil)
	if status != 200 || string(data) != `{"status":"success","data":[]}` {
		t.Fatalf("job values of temperature: %d %s", status, data)
	}
	meta, err := c.ListMetadataAomPromGet(&model.ListMetadataAomPromGetRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"aom_prom_fixed_count":[{"help":"","type":"gauge","unit":""}],` +
		`"http_requests_total":[{"help":"","type":"gauge","unit":"requests"}],` +
		`"temperature":[{"help":"","type":"gauge","unit":"celsius"}]}`
	if got := asJSON(t, *meta.Data); got != want {
		t.Fatalf("metadata %s\nwant %s", got, want)
	}
}

func testPromErrors(t *testing.T, e *env, c *aom.AomClient) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	_, err := c.ListInstantQueryAomPromGet(&model.ListInstantQueryAomPromGetRequest{Query: ""})
	wantPromErr(t, err, 400, "bad_param")
	_, err = c.ListInstantQueryAomPromGet(&model.ListInstantQueryAomPromGetRequest{Query: "sum("})
	if msg := wantPromErr(t, err, 400, "bad_param"); !strings.Contains(msg, "parse error") {
		t.Errorf("a PromQL syntax error says %q", msg)
	}
	_, err = c.ListInstantQueryAomPromPost(&model.ListInstantQueryAomPromPostRequest{Query: "up", Time: ptrTo("noon")})
	wantPromErr(t, err, 400, "bad_param")
	for _, tc := range []struct {
		name             string
		start, end, step string
	}{
		{"no step", now, now, ""},
		{"zero step", now, now, "0"},
		{"bad start", "yesterday", now, "60"},
		{"end before start", now, "0", "60"},
		{"too many points", "0", now, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ListRangeQueryAomPromGet(&model.ListRangeQueryAomPromGetRequest{Query: "up", Start: tc.start, End: tc.end, Step: tc.step})
			wantPromErr(t, err, 400, "bad_param")
		})
	}
	_, err = e.aomClient(testAK, testSK+"x", testProject, nil).ListLabelsAomPromGet(&model.ListLabelsAomPromGetRequest{})
	wantPromErr(t, err, 401, "auth")
	_, err = e.aomClient(testAK, testSK, strings.Repeat("d", 32), nil).ListLabelsAomPromGet(&model.ListLabelsAomPromGetRequest{})
	if msg := wantPromErr(t, err, 403, "auth"); msg != "auth project_id not pass." {
		t.Fatalf("wrong project: %q", msg)
	}
	var body aomErrorBody
	status, data := promRaw(t, e, "GET", testProject, "series", nil)
	if jerr := json.Unmarshal(data, &body); jerr != nil || status != 400 || body.ErrorType != "bad_param" {
		t.Fatalf("series without match[]: %d %s", status, data)
	}
}

// testPromBasicAuth authenticates as Grafana's Prometheus data source does:
// HTTP basic auth with the access key as user and the secret key as
// password. Only the Prometheus API accepts it.
func testPromBasicAuth(t *testing.T, e *env, project string, at int64) {
	basic := func(method, path, user, password string, body []byte) (int, []byte) {
		t.Helper()
		h := http.Header{}
		if body != nil {
			h.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		status, _, data := send(t, e.URL, method, path, body, h, func(r *http.Request, _ []byte) { r.SetBasicAuth(user, password) })
		return status, data
	}
	prom := "/v1/" + project + "/aom/api/v1/"
	status, data := basic("GET", prom+"query?query=sum(temperature)&time="+strconv.FormatInt(at, 10), testAK, testSK, nil)
	if want := fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,"10"]}]}}`, at); status != 200 || string(data) != want {
		t.Fatalf("basic auth: %d %s", status, data)
	}
	status, data = basic("POST", prom+"query_range", testAK, testSK, []byte(url.Values{"query": {"1"}, "start": {"0"}, "end": {"60"}, "step": {"60"}}.Encode()))
	if status != 200 || !strings.Contains(string(data), `"values":[[0,"1"],[60,"1"]]`) {
		t.Fatalf("basic auth, form POST: %d %s", status, data)
	}
	var body aomErrorBody
	status, data = basic("GET", prom+"labels", testAK, testSK+"x", nil)
	if err := json.Unmarshal(data, &body); err != nil || status != 401 || body.Status != "error" || body.ErrorType != "auth" {
		t.Fatalf("wrong secret: %d %s", status, data)
	}
	status, data = basic("GET", prom+"labels", "NOSUCHACCESSKEY00000", testSK, nil)
	if status != 401 {
		t.Fatalf("unknown key: %d %s", status, data)
	}
	status, data = basic("GET", "/v1/"+strings.Repeat("c", 32)+"/aom/api/v1/labels", testAK, testSK, nil)
	if err := json.Unmarshal(data, &body); err != nil || status != 403 || body.ErrorType != "auth" {
		t.Fatalf("another project: %d %s", status, data)
	}
	// The ams and v2 APIs keep to signatures and tokens.
	status, data = basic("POST", "/v1/"+project+"/ams/metrics", testAK, testSK, []byte(`{"metricItems":[{"namespace":"APP.WEB"}]}`))
	if status != 401 || !strings.Contains(string(data), `"errorCode":"SVCSTG.AMS.2000051"`) {
		t.Fatalf("basic auth on an ams API: %d %s", status, data)
	}
}
