package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzAOMRequest sends arbitrary bodies to the AOM report and read APIs and
// arbitrary parameters to the Prometheus API: each gets a 2xx or a 4xx in
// the API's own error layout, never a 5xx or a broken connection.
func FuzzAOMRequest(f *testing.F) {
	now := time.Now().UnixMilli()
	for _, s := range []string{
		fmt.Sprintf(`[{"collect_time":%d,"metric":{"namespace":"A.B","dimensions":[{"name":"n","value":"v"}]},"values":[{"metric_name":"m","value":1}]}]`, now),
		`{"metrics":[{"namespace":"A.B","metricName":"m","dimensions":[{"name":"n","value":"v"}]}],"period":60,"timerange":"-1.-1.5","statistics":["sum"]}`,
		`{"metricItems":[{"namespace":"CUSTOMMETRICS"}]}`,
		`{"series":[{"namespace":"A.B"}]}`,
		`{"samples":[{"namespace":"A.B","metric_name":"m","dimensions":[{"name":"n","value":"v"}]}],"period":60,"time_range":"-1.-1.5","statistics":["sum"]}`,
		`[`, `null`, `{"period":"60"}`, `[{"values":[{"value":-1e308}]}]`,
	} {
		f.Add([]byte(s), "query=up&start=0&end=60&step=15", uint8(0))
	}
	f.Add([]byte(nil), "query=rate(x[5m])&time=1e9", uint8(5))
	f.Add([]byte(nil), "match[]={a=~\".*\"}&start=-1e20", uint8(7))
	f.Fuzz(func(t *testing.T, body []byte, query string, op uint8) {
		base := fuzzServer(t)
		ams := "/v1/" + testProject + "/ams/"
		prom := "/v1/" + testProject + "/aom/api/v1/"
		ops := []struct {
			method, path, layout string
		}{
			{"POST", ams + "report/metricdata", "ams"},
			{"POST", ams + "metricdata?fillValue=" + url.QueryEscape(query), "ams"},
			{"POST", ams + "metrics?" + query, "ams"},
			{"POST", "/v2/" + testProject + "/series?" + query, "v2"},
			{"POST", "/v2/" + testProject + "/samples?" + query, "v2"},
			{"GET", prom + "query?" + query, "prom"},
			{"POST", prom + "query_range?" + query, "prom"},
			{"GET", prom + "labels?" + query, "prom"},
			{"GET", prom + "label/job/values?" + query, "prom"},
			{"GET", prom + "series?" + query, "prom"},
			{"GET", prom + "metadata?" + query, "prom"},
		}
		o := ops[int(op)%len(ops)]
		if _, err := url.Parse(base + o.path); err != nil || strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return // not a request line a client can send
		}
		status, h, resp := send(t, base, o.method, o.path, body, http.Header{"Content-Type": {"application/json"}}, signer(testAK, testSK, testProject, time.Now()))
		if status >= 500 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%s %s %q: %d %s", o.method, o.path, body, status, resp)
		}
		if status < 400 {
			return
		}
		var eb aomErrorBody
		var cm struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		_ = json.Unmarshal(resp, &cm)
		if err := json.Unmarshal(resp, &eb); err != nil ||
			o.layout == "ams" && (eb.ErrorCode == "" || eb.ErrorMessage == "") ||
			o.layout == "v2" && (cm.Code == "" || cm.Msg == "") ||
			o.layout == "prom" && (eb.Status != "error" || eb.ErrorType == "" || eb.Error == "") {
			t.Fatalf("%s %s %q: %d, not a %s error body: %s", o.method, o.path, body, status, o.layout, resp)
		}
	})
}
