package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2/model"
)

// TestAOMReport drives AddMetricData with the SDK: success, every
// validation rule of the seed, hand-made bodies, and authentication.
func TestAOMReport(t *testing.T) {
	e := start(t, "")
	t.Run("Success", func(t *testing.T) { testAOMReportSuccess(t, e) })
	t.Run("ValidationErrors", func(t *testing.T) { testAOMReportValidation(t, e) })
	t.Run("HandMadeBodies", func(t *testing.T) { testAOMReportHandMade(t, e) })
	t.Run("Auth", func(t *testing.T) { testAOMReportAuth(t, e) })
}

func good() point {
	return point{ns: "NOPAAS.ESC", metric: "cpu_util", dims: []string{"instance_id", "instance-101"}, unit: "percent", at: time.Now().UnixMilli(), value: 35}
}

func testAOMReportSuccess(t *testing.T, e *env) {
	_, c := newAOMProject(t, e)
	mustReport(t, c, good())
	// The seed's own example, with the type int and the boundaries of
	// every rule: 50 dimensions, names of 32 and values of 64 characters, a
	// 255-character metric name, a 32-character unit, value 0, a point 23
	// hours old and one 29 minutes ahead.
	var dims []string
	for i := range 50 {
		dims = append(dims, fmt.Sprintf("d%02d_%s", i, strings.Repeat("x", 28)), strings.Repeat("v", 64))
	}
	edge := point{ns: "A_1.b2", metric: "m" + strings.Repeat("_", 254), dims: dims, unit: strings.Repeat("u", 32), at: time.Now().Add(-23 * time.Hour).UnixMilli()}
	ahead := good()
	ahead.at = time.Now().Add(29 * time.Minute).UnixMilli()
	mustReport(t, c, edge, ahead)
	typ := model.GetValueDataTypeEnum().INT
	items := []model.MetricDataItem{{
		CollectTime: time.Now().UnixMilli(),
		Metric:      &model.MetricItemInfo{Namespace: "NOPAAS.ESC", Dimensions: []model.Dimension2{{Name: "instance_id", Value: "instance-101"}}},
		Values: []model.ValueData{
			{MetricName: "cpu_util", Type: &typ, Unit: ptrTo("percent"), Value: 35},
			{MetricName: "mem_util", Value: 12.5}, // type and unit are optional
		},
	}}
	if _, err := c.AddMetricData(&model.AddMetricDataRequest{Body: &items}); err != nil {
		t.Fatal(err)
	}
	// The success body is AOM's, byte for byte.
	body, _ := json.Marshal([]model.MetricDataItem{good().item()})
	status, data := signed(t, e, http.MethodPost, "/v1/"+testProject+"/ams/report/metricdata", "", body)
	if status != 200 || string(data) != `{"errorCode":"SVCSTG_AMS_2000000","errorMessage":"success"}` {
		t.Fatalf("success answer %d %s", status, data)
	}
}

func testAOMReportValidation(t *testing.T, e *env) {
	_, c := newAOMProject(t, e)
	var tooMany []string
	for i := range 51 {
		tooMany = append(tooMany, fmt.Sprintf("d%d", i), "v")
	}
	for _, tc := range []struct {
		name   string
		change func(p *point)
		item   func(it *model.MetricDataItem) // applied after change
		code   string
	}{
		{"collect time over 24 hours old", func(p *point) { p.at = time.Now().Add(-24*time.Hour - time.Minute).UnixMilli() }, nil, "SVCSTG_AMS_4000010"},
		{"collect time over 30 minutes ahead", func(p *point) { p.at = time.Now().Add(31 * time.Minute).UnixMilli() }, nil, "SVCSTG_AMS_4000010"},
		{"no metric", nil, func(it *model.MetricDataItem) { it.Metric = nil }, "SVCSTG_AMS_4000001"},
		{"namespace too short", func(p *point) { p.ns = "a." }, nil, "SVCSTG_AMS_4000002"},
		{"namespace too long", func(p *point) { p.ns = "A." + strings.Repeat("b", 31) }, nil, "SVCSTG_AMS_4000002"},
		{"namespace without a dot", func(p *point) { p.ns = "NOPAAS" }, nil, "SVCSTG_AMS_4000002"},
		{"namespace with two dots", func(p *point) { p.ns = "A.B.C" }, nil, "SVCSTG_AMS_4000002"},
		{"namespace with a colon", func(p *point) { p.ns = "AB.C:D" }, nil, "SVCSTG_AMS_4000002"},
		{"namespace starting with a digit", func(p *point) { p.ns = "1AB.CD" }, nil, "SVCSTG_AMS_4000002"},
		{"namespace item starting with an underscore", func(p *point) { p.ns = "AB._CD" }, nil, "SVCSTG_AMS_4000002"},
		{"namespace service PAAS", func(p *point) { p.ns = "PAAS.ESC" }, nil, "SVCSTG_AMS_4000002"},
		{"namespace service starting with SYS", func(p *point) { p.ns = "SYSTEM.ESC" }, nil, "SVCSTG_AMS_4000002"},
		{"no dimensions", func(p *point) { p.dims = nil }, nil, "SVCSTG_AMS_4000003"},
		{"51 dimensions", func(p *point) { p.dims = tooMany }, nil, "SVCSTG_AMS_4000009"},
		{"dimension name of 33 characters", func(p *point) { p.dims = []string{strings.Repeat("n", 33), "v"} }, nil, "SVCSTG_AMS_4000007"},
		{"empty dimension name", func(p *point) { p.dims = []string{"", "v"} }, nil, "SVCSTG_AMS_4000007"},
		{"dimension value of 65 characters", func(p *point) { p.dims = []string{"n", strings.Repeat("v", 65)} }, nil, "SVCSTG_AMS_4000007"},
		{"empty dimension value", func(p *point) { p.dims = []string{"n", ""} }, nil, "SVCSTG_AMS_4000007"},
		{"dimension name with a dash", func(p *point) { p.dims = []string{"instance-id", "v"} }, nil, "SVCSTG_AMS_4000007"},
		{"reserved dimension name", func(p *point) { p.dims = []string{"_NAMESPACE_", "v"} }, nil, "SVCSTG_AMS_4000007"},
		{"dimension name repeated", func(p *point) { p.dims = []string{"a", "1", "a", "2"} }, nil, "SVCSTG_AMS_4000001"},
		{"no values", nil, func(it *model.MetricDataItem) { it.Values = []model.ValueData{} }, "SVCSTG_AMS_4000006"},
		{"empty metric name", func(p *point) { p.metric = "" }, nil, "SVCSTG_AMS_4000001"},
		{"metric name of 256 characters", func(p *point) { p.metric = strings.Repeat("m", 256) }, nil, "SVCSTG_AMS_4000001"},
		{"metric name with a dash", func(p *point) { p.metric = "cpu-util" }, nil, "SVCSTG_AMS_4000001"},
		{"unknown type", nil, func(it *model.MetricDataItem) {
			var typ model.ValueDataType
			_ = json.Unmarshal([]byte(`"double"`), &typ)
			it.Values[0].Type = &typ
		}, "SVCSTG_AMS_4000005"},
		{"unit of 33 characters", func(p *point) { p.unit = strings.Repeat("u", 33) }, nil, "SVCSTG_AMS_4000001"},
		{"negative value", func(p *point) { p.value = -0.5 }, nil, "SVCSTG_AMS_4000001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			if tc.change != nil {
				tc.change(&p)
			}
			it := p.item()
			if tc.item != nil {
				tc.item(&it)
			}
			// A good item first: the whole request fails, with no partial success.
			items := []model.MetricDataItem{good().item(), it}
			_, err := c.AddMetricData(&model.AddMetricDataRequest{Body: &items})
			msg := wantAMSErr(t, err, 400, tc.code)
			if !strings.Contains(msg, "Item 1") {
				t.Errorf("the message does not say which item is wrong: %s", msg)
			}
		})
	}
	t.Run("empty array", func(t *testing.T) {
		_, err := c.AddMetricData(&model.AddMetricDataRequest{Body: &[]model.MetricDataItem{}})
		wantAMSErr(t, err, 400, "SVCSTG_AMS_4000001")
	})
}

func testAOMReportHandMade(t *testing.T, e *env) {
	path := "/v1/" + testProject + "/ams/report/metricdata"
	now := time.Now().UnixMilli()
	item := func(values string) string {
		return fmt.Sprintf(`{"collect_time":%d,"metric":{"namespace":"NOPAAS.ESC","dimensions":[{"name":"i","value":"1"}]},"values":%s}`, now, values)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `[{`, 400, "SVCSTG_AMS_4000001"},
		{"an object, not an array", item(`[{"metric_name":"m","value":1}]`), 400, "SVCSTG_AMS_4000001"},
		{"null item", `[null]`, 400, "SVCSTG_AMS_4000001"},
		{"collect_time missing", `[{"metric":{"namespace":"NOPAAS.ESC","dimensions":[{"name":"i","value":"1"}]},"values":[{"metric_name":"m","value":1}]}]`, 400, "SVCSTG_AMS_4000010"},
		{"collect_time not a number", `[{"collect_time":"soon","metric":{},"values":[]}]`, 400, "SVCSTG_AMS_4000001"},
		{"values missing", fmt.Sprintf(`[{"collect_time":%d,"metric":{"namespace":"NOPAAS.ESC","dimensions":[{"name":"i","value":"1"}]}}]`, now), 400, "SVCSTG_AMS_4000006"},
		{"value missing", "[" + item(`[{"metric_name":"m"}]`) + "]", 400, "SVCSTG_AMS_4000006"},
		{"value null", "[" + item(`[{"metric_name":"m","value":null}]`) + "]", 400, "SVCSTG_AMS_4000006"},
		{"value not a number", "[" + item(`[{"metric_name":"m","value":"high"}]`) + "]", 400, "SVCSTG_AMS_4000001"},
		{"value NaN", "[" + item(`[{"metric_name":"m","value":"NaN"}]`) + "]", 400, "SVCSTG_AMS_4000001"},
		{"value out of range", "[" + item(`[{"metric_name":"m","value":1e999}]`) + "]", 400, "SVCSTG_AMS_4000001"},
		{"value as a string", "[" + item(`[{"metric_name":"m","value":"35"}]`) + "]", 200, ""},
		{"collect_time as a string", fmt.Sprintf(`[{"collect_time":"%d","metric":{"namespace":"NOPAAS.ESC","dimensions":[{"name":"i","value":"1"}]},"values":[{"metric_name":"m","value":2}]}]`, now), 200, ""},
		{"exactly 40 KB", padTo("["+item(`[{"metric_name":"m","value":1}]`)+"]", 40<<10), 200, ""},
		{"one byte over 40 KB", padTo("["+item(`[{"metric_name":"m","value":1}]`)+"]", 40<<10+1), 400, "SVCSTG_AMS_4000008"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, data := signed(t, e, http.MethodPost, path, "", []byte(tc.body))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, data)
			}
			var body aomErrorBody
			if err := json.Unmarshal(data, &body); err != nil {
				t.Fatalf("not JSON: %s", data)
			}
			want := tc.code
			if want == "" {
				want = "SVCSTG_AMS_2000000"
			}
			if body.ErrorCode != want || body.ErrorMessage == "" {
				t.Fatalf("answer %s, want %s", data, want)
			}
		})
	}
}

// padTo pads a JSON array body with spaces to n bytes.
func padTo(body string, n int) string {
	return body[:len(body)-1] + strings.Repeat(" ", n-len(body)) + "]"
}

func testAOMReportAuth(t *testing.T, e *env) {
	items := []model.MetricDataItem{good().item()}
	req := &model.AddMetricDataRequest{Body: &items}
	_, err := e.aomClient(testAK, testSK+"x", testProject, nil).AddMetricData(req)
	msg := wantAMSErr(t, err, 401, "SVCSTG.AMS.2000051")
	if !strings.Contains(msg, "auth failed") {
		t.Fatalf("message %q", msg)
	}
	_, err = e.aomClient(testAK, testSK, strings.Repeat("f", 32), nil).AddMetricData(req)
	wantAMSErr(t, err, 403, "AOM.0403")
	// No credentials at all.
	body, _ := json.Marshal(items)
	status, _, data := e.raw(http.MethodPost, "/v1/"+testProject+"/ams/report/metricdata", body, http.Header{"Content-Type": {"application/json"}}, nil)
	if status != 401 || !bytes.Contains(data, []byte(`"errorCode":"SVCSTG.AMS.2000051"`)) {
		t.Fatalf("unauthenticated: %d %s", status, data)
	}
	// An IAM token scoped to the project works as AK/SK does.
	if _, err := e.aomClient("UNUSED", "unused", testProject, tokenTransport{e.adminToken()}).AddMetricData(req); err != nil {
		t.Fatalf("with a token: %v", err)
	}
}
