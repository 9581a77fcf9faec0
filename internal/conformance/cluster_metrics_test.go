package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2/model"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/server"
)

// forwardingNode starts a node on the shared catalog at url that forwards
// its AOM requests to the metrics node m.
func forwardingNode(t *testing.T, url string, m *env) *env {
	t.Helper()
	return startWith(t, "", func(c *server.Config) { c.Catalog, c.MetricsNode = url, m.URL })
}

// clusterPoints are six points a minute apart from base of the series
// cluster_points{via=via}, valued from first up.
func clusterPoints(via string, base int64, first float64) []point {
	var points []point
	for k := range int64(6) {
		points = append(points, point{"APP.CLUSTER", "cluster_points", []string{"via", via}, "count", base + k*60_000, first + float64(k)})
	}
	return points
}

// wantClusterPoints checks, through e, the raw samples of
// cluster_points{via=via} over the last hour: every point of points, each
// once, with its time and value.
func wantClusterPoints(t *testing.T, e *env, via string, points []point) {
	t.Helper()
	var values []string
	for _, p := range points {
		values = append(values, fmt.Sprintf(`[%d,"%s"]`, p.at/1000, strconv.FormatFloat(p.value, 'f', -1, 64)))
	}
	want := fmt.Sprintf(`{"result":[{"metric":{"_NAMESPACE_":"APP.CLUSTER","__name__":"cluster_points","via":%q},"values":[%s]}],"resultType":"matrix"}`,
		via, strings.Join(values, ","))
	if got := instant(t, e.aom(), fmt.Sprintf(`cluster_points{via=%q}[1h]`, via), time.Now().Unix()); got != want {
		t.Fatalf("through %s:\n got %s\nwant %s", e.URL, got, want)
	}
}

// TestClusterMetricsFromEveryNode: three nodes on one PostgreSQL catalog,
// one of them the metrics node. Points reported through each node with the
// SDK (AK/SK, and a token) are all read back through another, raw and as
// series; a node told to forward to a node that forwards answers 503
// instead of passing the request on.
func TestClusterMetricsFromEveryNode(t *testing.T) {
	url := pgtest.URL(t)
	m := startNode(t, url)
	nodes := []*env{m, forwardingNode(t, url, m), forwardingNode(t, url, m)}
	base := minute(10)
	reported := make([][]point, len(nodes))
	for i, n := range nodes {
		reported[i] = clusterPoints(fmt.Sprint("node", i), base, float64(100*i))
		mustReport(t, n.aom(), reported[i]...)
	}
	for i := range nodes {
		wantClusterPoints(t, nodes[(i+1)%len(nodes)], fmt.Sprint("node", i), reported[i])
	}
	for _, n := range nodes {
		series, err := n.aom().ListSeries(&model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{Series: []model.QuerySeriesOptionParam{{Namespace: "APP.CLUSTER"}}}})
		if err != nil || series.MetaData == nil || *series.MetaData.Total != int32(len(nodes)) {
			t.Fatalf("series through %s: %+v %v", n.URL, series, err)
		}
	}

	// A token issued by one node, on a forwarded report through another.
	token := []point{{"APP.CLUSTER", "cluster_points", []string{"via", "token"}, "count", base, 7}}
	mustReport(t, nodes[1].aomClient("UNUSED", "unused", testProject, tokenTransport{nodes[2].adminToken()}), token...)
	wantClusterPoints(t, nodes[2], "token", token)

	// A key made through a forwarding node works through it at once,
	// before the metrics node's next look at the catalog.
	var key struct {
		Credential struct{ Access, Secret string } `json:"credential"`
	}
	nodes[1].iamCall(t, testAK, testSK, "POST", "/v3.0/OS-CREDENTIAL/credentials", map[string]any{"credential": map[string]string{"description": "metrics"}}, 201, &key)
	fresh := []point{{"APP.CLUSTER", "cluster_points", []string{"via", "new-key"}, "count", base, 9}}
	mustReport(t, nodes[1].aomClient(key.Credential.Access, key.Credential.Secret, testProject, nil), fresh...)
	wantClusterPoints(t, nodes[0], "new-key", fresh)

	// A client that signs the Host header too, as API gateway signers
	// do: the metrics node verifies the host the client sent.
	hosted := []point{{"APP.CLUSTER", "cluster_points", []string{"via", "signed-host"}, "count", base, 8}}
	body := []byte(fmt.Sprintf(`[{"collect_time":%d,"metric":{"namespace":"APP.CLUSTER","dimensions":[{"name":"via","value":"signed-host"}]},"values":[{"metric_name":"cluster_points","value":8}]}]`, base))
	signHost := func(r *http.Request, body []byte) {
		r.Header.Set("Host", r.Host)
		signer(testAK, testSK, testProject, time.Now())(r, body)
		if !strings.Contains(r.Header.Get("Authorization"), "SignedHeaders=host;") {
			t.Fatalf("the host is not signed: %s", r.Header.Get("Authorization"))
		}
	}
	status, _, answer := nodes[1].raw("POST", "/v1/"+testProject+"/ams/report/metricdata", body, http.Header{"Content-Type": {"application/json"}}, signHost)
	if status != http.StatusOK {
		t.Fatalf("a report with its host signed: %d %s", status, answer)
	}
	wantClusterPoints(t, nodes[2], "signed-host", hosted)

	loop := forwardingNode(t, url, nodes[1])
	items := []model.MetricDataItem{good().item()}
	_, err := loop.aom().AddMetricData(&model.AddMetricDataRequest{Body: &items})
	wantAMSErr(t, err, http.StatusServiceUnavailable, "SVCSTG_AMS_5030001")
}

// TestClusterMetricsAnswerAsEmbedded runs the AOM suites through a node
// that forwards to the metrics node, and sends bad requests to it and to an
// embedded server: the answers are the same, status and body.
func TestClusterMetricsAnswerAsEmbedded(t *testing.T) {
	url := pgtest.URL(t)
	m := startNode(t, url)
	b := forwardingNode(t, url, m)

	t.Run("Report", func(t *testing.T) {
		t.Run("Success", func(t *testing.T) { testAOMReportSuccess(t, b) })
		t.Run("ValidationErrors", func(t *testing.T) { testAOMReportValidation(t, b) })
		t.Run("HandMadeBodies", func(t *testing.T) { testAOMReportHandMade(t, b) })
		t.Run("Auth", func(t *testing.T) { testAOMReportAuth(t, b) })
	})
	t.Run("ReadBack", func(t *testing.T) {
		t.Run("MetricData", func(t *testing.T) { testAOMMetricData(t, b) })
		t.Run("MetricDataErrors", func(t *testing.T) { testAOMMetricDataErrors(t, b) })
		t.Run("Samples", func(t *testing.T) { testAOMSamples(t, b) })
		t.Run("SamplesErrors", func(t *testing.T) { testAOMSamplesErrors(t, b) })
		t.Run("MetricItems", func(t *testing.T) { testAOMMetricItems(t, b) })
		t.Run("MetricItemsErrors", func(t *testing.T) { testAOMMetricItemsErrors(t, b) })
		t.Run("Series", func(t *testing.T) { testAOMSeries(t, b) })
		t.Run("SeriesErrors", func(t *testing.T) { testAOMSeriesErrors(t, b) })
		t.Run("ProjectIsolation", func(t *testing.T) { testAOMProjectIsolation(t, b) })
	})
	t.Run("Prometheus", func(t *testing.T) {
		project, c := newAOMProject(t, b)
		evalAt := reportPromData(t, c) + 600
		t.Run("Golden", func(t *testing.T) { testPromGolden(t, c, evalAt) })
		t.Run("RangeQuery", func(t *testing.T) { testPromRange(t, c, evalAt) })
		t.Run("Envelope", func(t *testing.T) { testPromEnvelope(t, b, project, evalAt) })
		t.Run("Labels", func(t *testing.T) { testPromLabels(t, b, c, project) })
		t.Run("Errors", func(t *testing.T) { testPromErrors(t, b, c) })
		t.Run("BasicAuth", func(t *testing.T) { testPromBasicAuth(t, b, project, evalAt) })
	})

	t.Run("SameErrorsAsEmbedded", func(t *testing.T) {
		embedded := start(t, "")
		now := time.Now().UnixMilli()
		report := func(ns string) string {
			return fmt.Sprintf(`[{"collect_time":%d,"metric":{"namespace":%q,"dimensions":[{"name":"i","value":"1"}]},"values":[{"metric_name":"m","value":1}]}]`, now, ns)
		}
		jsonBody := http.Header{"Content-Type": {"application/json"}}
		sign := signer(testAK, testSK, "", time.Now())
		for _, tc := range []struct {
			name, method, path, body string
			header                   http.Header
			sign                     func(*http.Request, []byte)
			status                   int
		}{
			{"reserved namespace", "POST", "/v1/" + testProject + "/ams/report/metricdata", report("PAAS.X"), jsonBody, sign, 400},
			{"not JSON", "POST", "/v1/" + testProject + "/ams/report/metricdata", "[{", jsonBody, sign, 400},
			{"over 40 KB", "POST", "/v1/" + testProject + "/ams/report/metricdata", padTo(report("APP.X"), 40<<10+1), jsonBody, sign, 400},
			{"bad period", "POST", "/v1/" + testProject + "/ams/metricdata", `{"metrics":[{"namespace":"APP.X","metricName":"m","dimensions":[{"name":"i","value":"1"}]}],"period":7,"timerange":"-1.-1.5","statistics":["sum"]}`, jsonBody, sign, 400},
			{"v2 series not an array", "POST", "/v2/" + testProject + "/series", `{"series":"x"}`, jsonBody, sign, 400},
			{"PromQL syntax", "GET", "/v1/" + testProject + "/aom/api/v1/query?query=sum(", "", nil, sign, 400},
			{"wrong signature", "POST", "/v1/" + testProject + "/ams/report/metricdata", report("APP.X"), jsonBody, signer(testAK, testSK+"x", "", time.Now()), 401},
			{"no credentials", "POST", "/v2/" + testProject + "/samples", `{}`, jsonBody, nil, 401},
			{"another domain's project", "POST", "/v1/" + strings.Repeat("f", 32) + "/ams/metrics", `{}`, jsonBody, sign, 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, header, body := b.raw(tc.method, tc.path, []byte(tc.body), tc.header, tc.sign)
				wantStatus, wantHeader, wantBody := embedded.raw(tc.method, tc.path, []byte(tc.body), tc.header, tc.sign)
				if status != tc.status || status != wantStatus || !bytes.Equal(body, wantBody) ||
					header.Get("Content-Type") != wantHeader.Get("Content-Type") || len(header.Values("X-Request-Id")) != 1 {
					t.Fatalf("forwarded: %d %v %s\nembedded: %d %v %s", status, header, body, wantStatus, wantHeader, wantBody)
				}
			})
		}
	})
}

// TestClusterMetricsNodeDown: with the metrics node stopped, every AOM
// request through the other nodes is a 503 in its API's own format (a
// request without credentials still a 401), while log ingestion and search
// through them go on; started again on its folder, the metrics node has
// every point it acknowledged, and the nodes forward to it again.
func TestClusterMetricsNodeDown(t *testing.T) {
	url := pgtest.URL(t)
	dir := t.TempDir()
	onCatalog := func(c *server.Config) { c.Catalog = url }
	m := startOn(t, "127.0.0.1:0", dir, onCatalog)
	addr := m.srv.Listener.Addr().String()
	b, c := forwardingNode(t, url, m), forwardingNode(t, url, m)
	base := minute(10)
	before := clusterPoints("before", base, 1)
	mustReport(t, b.aom(), before...)
	m.stop()

	items := []model.MetricDataItem{good().item()}
	_, err := b.aom().AddMetricData(&model.AddMetricDataRequest{Body: &items})
	wantAMSErr(t, err, http.StatusServiceUnavailable, "SVCSTG_AMS_5030001")
	_, err = c.aom().ListSeries(&model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{Series: []model.QuerySeriesOptionParam{{Namespace: "APP.CLUSTER"}}}})
	wantErr(t, err, http.StatusServiceUnavailable, "SVCSTG_AMS_5030001")
	_, err = c.aom().ListInstantQueryAomPromGet(&model.ListInstantQueryAomPromGetRequest{Query: "cluster_points"})
	wantPromErr(t, err, http.StatusServiceUnavailable, "unavailable")
	status, header, body := b.raw("POST", "/v1/"+testProject+"/ams/metrics", []byte(`{}`), http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, "", time.Now()))
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") != "5" || len(header.Values("X-Request-Id")) != 1 ||
		!bytes.Contains(body, []byte(`"errorCode":"SVCSTG_AMS_5030001"`)) {
		t.Fatalf("metric listing with the metrics node down: %d %v %s", status, header, body)
	}
	status, _, body = b.raw("POST", "/v1/"+testProject+"/ams/metrics", []byte(`{}`), http.Header{"Content-Type": {"application/json"}}, nil)
	if status != http.StatusUnauthorized || !bytes.Contains(body, []byte(`"errorCode":"SVCSTG.AMS.2000051"`)) {
		t.Fatalf("no credentials with the metrics node down: %d %s", status, body)
	}

	group, stream := b.createStream(t, "while-metrics-down", "s")
	logs := &logsEnv{env: b, group: group, stream: stream}
	now := time.Now()
	logs.ingest(t, "/tenant/contents", map[string]any{"log_time_ns": now.UnixNano(), "contents": []string{"ingested while the metrics node is down"}, "labels": map[string]string{}}, nil, 200)
	status, found := logs.query(t, map[string]any{"start_time": now.Add(-time.Minute).UnixMilli(), "end_time": now.Add(time.Minute).UnixMilli(), "keywords": "down", "is_count": true})
	if status != 200 || found["count"] != float64(1) {
		t.Fatalf("search with the metrics node down: %d %v", status, found)
	}

	startOn(t, addr, dir, onCatalog)
	wantClusterPoints(t, c, "before", before)
	after := clusterPoints("after", base, 50)
	mustReport(t, b.aom(), after...)
	wantClusterPoints(t, c, "after", after)
}
