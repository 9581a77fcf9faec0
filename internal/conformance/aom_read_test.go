package conformance

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	aom "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2/model"
)

// TestAOMReadBack reports points, then reads them back through the ams and
// v2 read APIs and checks periods, statistics and fill values.
func TestAOMReadBack(t *testing.T) {
	e := start(t, "")
	t.Run("MetricData", func(t *testing.T) { testAOMMetricData(t, e) })
	t.Run("MetricDataErrors", func(t *testing.T) { testAOMMetricDataErrors(t, e) })
	t.Run("Samples", func(t *testing.T) { testAOMSamples(t, e) })
	t.Run("SamplesErrors", func(t *testing.T) { testAOMSamplesErrors(t, e) })
	t.Run("MetricItems", func(t *testing.T) { testAOMMetricItems(t, e) })
	t.Run("MetricItemsErrors", func(t *testing.T) { testAOMMetricItemsErrors(t, e) })
	t.Run("Series", func(t *testing.T) { testAOMSeries(t, e) })
	t.Run("SeriesErrors", func(t *testing.T) { testAOMSeriesErrors(t, e) })
	t.Run("ProjectIsolation", func(t *testing.T) { testAOMProjectIsolation(t, e) })
}

var instance101 = []string{"instance_id", "instance-101"}

// reportBuckets reports, from base (a whole minute), three points in the
// first minute (10, 20, 30), none in the second and one (5) in the third,
// and returns the query for those three minutes.
func reportBuckets(t *testing.T, c *aom.AomClient, base int64) string {
	t.Helper()
	mustReport(t, c,
		point{"NOPAAS.ESC", "cpu_util", instance101, "percent", base, 10},
		point{"NOPAAS.ESC", "cpu_util", instance101, "percent", base + 20_000, 20},
		point{"NOPAAS.ESC", "cpu_util", instance101, "percent", base + 40_000, 30},
		point{"NOPAAS.ESC", "cpu_util", instance101, "percent", base + 120_000, 5},
		// Other series that must not mix in: another instance, another
		// metric, a superset of the dimensions.
		point{"NOPAAS.ESC", "cpu_util", []string{"instance_id", "instance-102"}, "percent", base, 1000},
		point{"NOPAAS.ESC", "mem_util", instance101, "MB", base, 2000},
		point{"NOPAAS.ESC", "cpu_util", []string{"instance_id", "instance-101", "core", "0"}, "percent", base, 3000},
	)
	return fmt.Sprintf("%d.%d.3", base, base+180_000)
}

var allStatistics = []string{"maximum", "minimum", "sum", "average", "sampleCount"}

// stats flattens data points to "timestamp unit statistic=value ..." lines.
func stats(timestamps []int64, units []string, values [][]*float64, names []string) []string {
	var out []string
	for i, ts := range timestamps {
		line := fmt.Sprintf("%d %s", ts, units[i])
		for k, v := range values[i] {
			if v == nil {
				line += " " + names[k] + "=null"
			} else {
				line += fmt.Sprintf(" %s=%g", names[k], *v)
			}
		}
		out = append(out, line)
	}
	return out
}

func metricDataLines(t *testing.T, resp *model.ShowMetricsDataResponse) []string {
	t.Helper()
	if resp.Metrics == nil || len(*resp.Metrics) != 1 {
		t.Fatalf("metrics %+v", resp.Metrics)
	}
	var ts []int64
	var units []string
	var values [][]*float64
	var names []string
	for _, dp := range *(*resp.Metrics)[0].DataPoints {
		ts = append(ts, *dp.Timestamp)
		units = append(units, *dp.Unit)
		var row []*float64
		names = names[:0]
		for _, st := range *dp.Statistics {
			row = append(row, st.Value)
			names = append(names, *st.Statistic)
		}
		values = append(values, row)
	}
	return stats(ts, units, values, names)
}

func wantLines(t *testing.T, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func fill(v string) *model.ShowMetricsDataRequestFillValue {
	var f model.ShowMetricsDataRequestFillValue
	_ = json.Unmarshal([]byte(`"`+v+`"`), &f)
	return &f
}

func metricDataQuery(timerange string, period int32, statistics []string, dims ...string) *model.QueryMetricDataParam {
	var d []model.Dimension
	for i := 0; i+1 < len(dims); i += 2 {
		d = append(d, model.Dimension{Name: dims[i], Value: dims[i+1]})
	}
	return &model.QueryMetricDataParam{
		Metrics:    []model.MetricQueryMetricParam{{Namespace: "NOPAAS.ESC", MetricName: "cpu_util", Dimensions: d}},
		Period:     period,
		Timerange:  timerange,
		Statistics: statistics,
	}
}

func testAOMMetricData(t *testing.T, e *env) {
	_, c := newAOMProject(t, e)
	// A whole five minutes, so that one five-minute period holds every point.
	base := time.Now().Truncate(5 * time.Minute).Add(-30 * time.Minute).UnixMilli()
	tr := reportBuckets(t, c, base)
	show := func(fillValue string) []string {
		t.Helper()
		req := &model.ShowMetricsDataRequest{Body: metricDataQuery(tr, 60, allStatistics, instance101...)}
		if fillValue != "" {
			req.FillValue = fill(fillValue)
		}
		resp, err := c.ShowMetricsData(req)
		if err != nil {
			t.Fatal(err)
		}
		if *resp.ErrorCode != "SVCSTG_AMS_2000000" || *resp.ErrorMessage != "success" {
			t.Fatalf("answer %+v", resp)
		}
		m := (*resp.Metrics)[0].Metric
		if m.Namespace != "NOPAAS.ESC" || m.MetricName != "cpu_util" || len(m.Dimensions) != 1 {
			t.Fatalf("the answer does not echo the metric: %+v", m)
		}
		return metricDataLines(t, resp)
	}
	full := fmt.Sprintf("%d percent maximum=30 minimum=10 sum=60 average=20 sampleCount=3", base)
	last := fmt.Sprintf("%d percent maximum=5 minimum=5 sum=5 average=5 sampleCount=1", base+120_000)
	gap := func(v string) string {
		return fmt.Sprintf("%d percent maximum=%s minimum=%s sum=%s average=%s sampleCount=%s", base+60_000, v, v, v, v, v)
	}
	wantLines(t, show(""), []string{full, gap("-1"), last})
	wantLines(t, show("-1"), []string{full, gap("-1"), last})
	wantLines(t, show("0"), []string{full, gap("0"), last})
	wantLines(t, show("null"), []string{full, gap("null"), last})
	wantLines(t, show("average"), []string{full,
		fmt.Sprintf("%d percent maximum=17.5 minimum=7.5 sum=32.5 average=12.5 sampleCount=2", base+60_000), last})

	// One five-minute period holds all four points; a range that starts
	// inside a period counts from the period's start.
	resp, err := c.ShowMetricsData(&model.ShowMetricsDataRequest{Body: metricDataQuery(fmt.Sprintf("%d.%d.5", base+30_000, base+300_000), 300, []string{"sampleCount", "sum"}, instance101...)})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, metricDataLines(t, resp), []string{fmt.Sprintf("%d percent sampleCount=4 sum=65", base)})

	// -1.-1.N: the last N minutes by the server's clock, one point per minute.
	resp, err = c.ShowMetricsData(&model.ShowMetricsDataRequest{Body: metricDataQuery("-1.-1.60", 60, []string{"sum"}, instance101...)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(*(*resp.Metrics)[0].DataPoints); n != 60 && n != 61 {
		t.Fatalf("-1.-1.60 gave %d data points", n)
	}
	var sum float64
	for _, dp := range *(*resp.Metrics)[0].DataPoints {
		if v := *(*dp.Statistics)[0].Value; v > 0 {
			sum += v
		}
	}
	if sum != 65 {
		t.Fatalf("the last hour sums to %v, want 65", sum)
	}

	// A back-filled point 23 hours old is stored and returned.
	old := minute(23 * 60)
	mustReport(t, c, point{"NOPAAS.ESC", "cpu_util", instance101, "percent", old + 7_000, 7})
	resp, err = c.ShowMetricsData(&model.ShowMetricsDataRequest{Body: metricDataQuery(fmt.Sprintf("%d.-1.1", old), 60, []string{"maximum", "sampleCount"}, instance101...)})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, metricDataLines(t, resp), []string{fmt.Sprintf("%d percent maximum=7 sampleCount=1", old)})

	// A series with no points answers with every period filled.
	resp, err = c.ShowMetricsData(&model.ShowMetricsDataRequest{Body: metricDataQuery(tr, 60, []string{"sum"}, "instance_id", "nobody")})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, metricDataLines(t, resp), []string{
		fmt.Sprintf("%d  sum=-1", base), fmt.Sprintf("%d  sum=-1", base+60_000), fmt.Sprintf("%d  sum=-1", base+120_000)})
}

func testAOMMetricDataErrors(t *testing.T, e *env) {
	c := e.aom()
	ok := metricDataQuery("-1.-1.5", 60, []string{"sum"}, instance101...)
	for _, tc := range []struct {
		name   string
		change func(q *model.QueryMetricDataParam, r *model.ShowMetricsDataRequest)
		code   string
	}{
		{"no metrics", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Metrics = nil }, "SVCSTG_AMS_4000105"},
		{"21 metrics", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) {
			for range 20 {
				q.Metrics = append(q.Metrics, q.Metrics[0])
			}
		}, "SVCSTG_AMS_4000105"},
		{"bad namespace", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Metrics[0].Namespace = "nodot" }, "SVCSTG_AMS_4000101"},
		{"empty metric name", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Metrics[0].MetricName = "" }, "SVCSTG_AMS_4000105"},
		{"no dimensions", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Metrics[0].Dimensions = nil }, "SVCSTG_AMS_4000105"},
		{"period 61", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Period = 61 }, "SVCSTG_AMS_4000103"},
		{"timerange not three numbers", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Timerange = "-1.-1" }, "SVCSTG_AMS_4000106"},
		{"timerange words", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Timerange = "a.b.c" }, "SVCSTG_AMS_4000106"},
		{"timerange zero minutes", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Timerange = "-1.-1.0" }, "SVCSTG_AMS_4000106"},
		{"timerange end before start", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Timerange = "2000.1000.1" }, "SVCSTG_AMS_4000106"},
		{"timerange duration too short", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Timerange = "0.600000.2" }, "SVCSTG_AMS_4000106"},
		{"more than 1440 points", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Timerange = "-1.-1.1441" }, "SVCSTG_AMS_4000107"},
		{"no statistics", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) { q.Statistics = nil }, "SVCSTG_AMS_4000104"},
		{"unknown statistic", func(q *model.QueryMetricDataParam, _ *model.ShowMetricsDataRequest) {
			q.Statistics = []string{"median"}
		}, "SVCSTG_AMS_4000104"},
		{"unknown fill value", func(_ *model.QueryMetricDataParam, r *model.ShowMetricsDataRequest) { r.FillValue = fill("zero") }, "SVCSTG_AMS_4000110"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := *ok
			q.Metrics = append([]model.MetricQueryMetricParam(nil), ok.Metrics...)
			q.Metrics[0].Dimensions = append([]model.Dimension(nil), ok.Metrics[0].Dimensions...)
			r := &model.ShowMetricsDataRequest{Body: &q}
			tc.change(&q, r)
			_, err := c.ShowMetricsData(r)
			wantAMSErr(t, err, 400, tc.code)
		})
	}
	// 1440 one-minute points is the most a query may ask for.
	q := *ok
	q.Timerange = "-1.-1.1440"
	if _, err := c.ShowMetricsData(&model.ShowMetricsDataRequest{Body: &q}); err != nil {
		t.Fatal(err)
	}
}

func sampleLines(t *testing.T, resp *model.ListSampleResponse) []string {
	t.Helper()
	if resp.Samples == nil || len(*resp.Samples) != 1 {
		t.Fatalf("samples %+v", resp.Samples)
	}
	var ts []int64
	var units []string
	var values [][]*float64
	var names []string
	for _, dp := range *(*resp.Samples)[0].DataPoints {
		ts = append(ts, *dp.Timestamp)
		units = append(units, *dp.Unit)
		var row []*float64
		names = names[:0]
		for _, st := range *dp.Statistics {
			row = append(row, st.Value)
			names = append(names, *st.Statistic)
		}
		values = append(values, row)
	}
	return stats(ts, units, values, names)
}

func sampleQuery(timeRange string, period int32, statistics []string) *model.QuerySampleParam {
	return &model.QuerySampleParam{
		Samples: []model.QuerySample{{Namespace: "NOPAAS.ESC", MetricName: "cpu_util",
			Dimensions: []model.DimensionSeries{{Name: ptrTo("instance_id"), Value: ptrTo("instance-101")}}}},
		Statistics: statistics, Period: period, TimeRange: timeRange,
	}
}

func testAOMSamples(t *testing.T, e *env) {
	_, c := newAOMProject(t, e)
	base := minute(45)
	tr := reportBuckets(t, c, base)
	list := func(fillValue *string) []string {
		t.Helper()
		resp, err := c.ListSample(&model.ListSampleRequest{FillValue: fillValue, Body: sampleQuery(tr, 60, []string{"average", "maximum"})})
		if err != nil {
			t.Fatal(err)
		}
		s := (*resp.Samples)[0].Sample
		if s.Namespace != "NOPAAS.ESC" || s.MetricName != "cpu_util" || len(s.Dimensions) != 1 || *s.Dimensions[0].Value != "instance-101" {
			t.Fatalf("the answer does not echo the sample: %+v", s)
		}
		return sampleLines(t, resp)
	}
	full := fmt.Sprintf("%d percent average=20 maximum=30", base)
	last := fmt.Sprintf("%d percent average=5 maximum=5", base+120_000)
	wantLines(t, list(nil), []string{full, fmt.Sprintf("%d percent average=-1 maximum=-1", base+60_000), last})
	wantLines(t, list(ptrTo("null")), []string{full, fmt.Sprintf("%d percent average=null maximum=null", base+60_000), last})
	wantLines(t, list(ptrTo("average")), []string{full, fmt.Sprintf("%d percent average=12.5 maximum=17.5", base+60_000), last})
}

func testAOMSamplesErrors(t *testing.T, e *env) {
	c := e.aom()
	for _, tc := range []struct {
		name   string
		change func(q *model.QuerySampleParam, r *model.ListSampleRequest)
	}{
		{"no samples", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.Samples = nil }},
		{"bad namespace", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.Samples[0].Namespace = "x" }},
		{"no dimensions", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.Samples[0].Dimensions = nil }},
		{"period 30", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.Period = 30 }},
		{"bad time range", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.TimeRange = "yesterday" }},
		{"more than 1440 points", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.TimeRange = "-1.-1.2000" }},
		{"unknown statistic", func(q *model.QuerySampleParam, _ *model.ListSampleRequest) { q.Statistics = []string{"p99"} }},
		{"unknown fill value", func(_ *model.QuerySampleParam, r *model.ListSampleRequest) { r.FillValue = ptrTo("1") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := sampleQuery("-1.-1.5", 60, []string{"sum"})
			r := &model.ListSampleRequest{Body: q}
			tc.change(q, r)
			_, err := c.ListSample(r)
			// The v2 APIs answer in the error_code/error_msg layout, which the SDK parses.
			wantErr(t, err, 400, "AOM.04007001")
		})
	}
}

type listedSeries struct {
	ns, metric, unit, hash string
	dims                   []string
}

func itemsOf(resp *model.ListMetricItemsResponse) []listedSeries {
	var out []listedSeries
	for _, m := range *resp.Metrics {
		s := listedSeries{ns: *m.Namespace, metric: *m.MetricName, unit: *m.Unit, hash: *m.Dimensionvaluehash}
		for _, d := range *m.Dimensions {
			s.dims = append(s.dims, d.Name, d.Value)
		}
		out = append(out, s)
	}
	return out
}

func testAOMMetricItems(t *testing.T, e *env) {
	_, c := newAOMProject(t, e)
	now := time.Now().UnixMilli()
	mustReport(t, c,
		point{"APP.WEB", "cpu_util", []string{"host", "a"}, "percent", now, 1},
		point{"APP.WEB", "cpu_util", []string{"host", "b"}, "percent", now, 2},
		point{"APP.WEB", "mem_used", []string{"host", "a"}, "MB", now, 3},
		point{"APP.DB", "qps", []string{"host", "a", "db", "main"}, "count/s", now, 4},
	)
	// The last report's unit wins.
	mustReport(t, c, point{"APP.WEB", "mem_used", []string{"host", "a"}, "GB", now + 1000, 0.003})
	list := func(typ, limit, start *string, items ...model.QueryMetricItemOptionParam) *model.ListMetricItemsResponse {
		t.Helper()
		resp, err := c.ListMetricItems(&model.ListMetricItemsRequest{Type: typ, Limit: limit, Start: start,
			Body: &model.MetricApiQueryItemParam{MetricItems: &items}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	ns := func(v string) model.QueryMetricItemOptionParamNamespace {
		var n model.QueryMetricItemOptionParamNamespace
		_ = json.Unmarshal([]byte(`"`+v+`"`), &n)
		return n
	}
	resp := list(nil, nil, nil, model.QueryMetricItemOptionParam{Namespace: ns("APP.WEB")})
	got := itemsOf(resp)
	if len(got) != 3 || *resp.MetaData.Total != 3 || *resp.MetaData.Count != 3 || resp.MetaData.NextToken != nil {
		t.Fatalf("APP.WEB: %+v %+v", got, resp.MetaData)
	}
	for _, s := range got {
		if s.ns != "APP.WEB" || s.hash == "" || len(s.dims) != 2 {
			t.Fatalf("item %+v", s)
		}
		if s.metric == "mem_used" && s.unit != "GB" || s.metric == "cpu_util" && s.unit != "percent" {
			t.Fatalf("unit of %+v", s)
		}
	}
	if got[0].metric != "cpu_util" || got[1].metric != "cpu_util" || got[2].metric != "mem_used" || got[0].hash == got[1].hash {
		t.Fatalf("order or hashes: %+v", got)
	}
	// A metric name and a dimension narrow the list; the dimensions are a subset.
	got = itemsOf(list(nil, nil, nil, model.QueryMetricItemOptionParam{Namespace: ns("APP.WEB"), MetricName: ptrTo("cpu_util"),
		Dimensions: &[]model.Dimension{{Name: "host", Value: "b"}}}))
	if len(got) != 1 || got[0].dims[1] != "b" {
		t.Fatalf("cpu_util on b: %+v", got)
	}
	got = itemsOf(list(nil, nil, nil, model.QueryMetricItemOptionParam{Namespace: ns("APP.DB"), Dimensions: &[]model.Dimension{{Name: "db", Value: "main"}}}))
	if len(got) != 1 || got[0].metric != "qps" || !reflect.DeepEqual(got[0].dims, []string{"db", "main", "host", "a"}) {
		t.Fatalf("qps: %+v", got)
	}
	// CUSTOMMETRICS lists every custom namespace; PAAS.* ones are AOM's own.
	if got = itemsOf(list(nil, nil, nil, model.QueryMetricItemOptionParam{Namespace: ns("CUSTOMMETRICS")})); len(got) != 4 {
		t.Fatalf("CUSTOMMETRICS: %+v", got)
	}
	if got = itemsOf(list(nil, nil, nil, model.QueryMetricItemOptionParam{Namespace: ns("PAAS.NODE")})); len(got) != 0 {
		t.Fatalf("PAAS.NODE: %+v", got)
	}
	// Paging with limit and start.
	resp = list(nil, ptrTo("3"), ptrTo("0"), model.QueryMetricItemOptionParam{Namespace: ns("CUSTOMMETRICS")})
	if len(*resp.Metrics) != 3 || *resp.MetaData.Total != 4 || *resp.MetaData.NextToken != 3 {
		t.Fatalf("first page: %+v", resp.MetaData)
	}
	resp = list(nil, ptrTo("3"), ptrTo("3"), model.QueryMetricItemOptionParam{Namespace: ns("CUSTOMMETRICS")})
	if len(*resp.Metrics) != 1 || resp.MetaData.NextToken != nil {
		t.Fatalf("second page: %+v", resp.MetaData)
	}
	// Inventories are not tracked: a good inventory query finds nothing.
	resp, err := c.ListMetricItems(&model.ListMetricItemsRequest{Type: ptrTo("inventory"), Body: &model.MetricApiQueryItemParam{InventoryId: ptrTo("host_1")}})
	if err != nil || len(*resp.Metrics) != 0 {
		t.Fatalf("inventory: %+v %v", resp, err)
	}
}

func testAOMMetricItemsErrors(t *testing.T, e *env) {
	c := e.aom()
	var web model.QueryMetricItemOptionParamNamespace
	_ = json.Unmarshal([]byte(`"APP.WEB"`), &web)
	var bad model.QueryMetricItemOptionParamNamespace
	_ = json.Unmarshal([]byte(`"nodot"`), &bad)
	items := func(it ...model.QueryMetricItemOptionParam) *model.MetricApiQueryItemParam {
		return &model.MetricApiQueryItemParam{MetricItems: &it}
	}
	for _, tc := range []struct {
		name string
		req  *model.ListMetricItemsRequest
		code string
	}{
		{"limit 0", &model.ListMetricItemsRequest{Limit: ptrTo("0"), Body: items(model.QueryMetricItemOptionParam{Namespace: web})}, "SVCSTG_AMS_4000105"},
		{"limit 1001", &model.ListMetricItemsRequest{Limit: ptrTo("1001"), Body: items(model.QueryMetricItemOptionParam{Namespace: web})}, "SVCSTG_AMS_4000105"},
		{"start -1", &model.ListMetricItemsRequest{Start: ptrTo("-1"), Body: items(model.QueryMetricItemOptionParam{Namespace: web})}, "SVCSTG_AMS_4000106"},
		{"inventory without id", &model.ListMetricItemsRequest{Type: ptrTo("inventory"), Body: &model.MetricApiQueryItemParam{}}, "SVCSTG_AMS_4000102"},
		{"no items", &model.ListMetricItemsRequest{Body: items()}, "SVCSTG_AMS_4000001"},
		{"bad namespace", &model.ListMetricItemsRequest{Body: items(model.QueryMetricItemOptionParam{Namespace: bad})}, "SVCSTG_AMS_4000101"},
		{"empty metric name", &model.ListMetricItemsRequest{Body: items(model.QueryMetricItemOptionParam{Namespace: web, MetricName: ptrTo("")})}, "SVCSTG_AMS_4000109"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ListMetricItems(tc.req)
			wantAMSErr(t, err, 400, tc.code)
		})
	}
}

func testAOMSeries(t *testing.T, e *env) {
	_, c := newAOMProject(t, e)
	now := time.Now().UnixMilli()
	mustReport(t, c,
		point{"APP.WEB", "cpu_util", []string{"host", "a"}, "percent", now, 1},
		point{"APP.WEB", "cpu_util", []string{"host", "b"}, "percent", now, 2},
		point{"APP.WEB", "mem_used", []string{"host", "a"}, "MB", now, 3},
	)
	resp, err := c.ListSeries(&model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{
		Series: []model.QuerySeriesOptionParam{{Namespace: "APP.WEB", MetricName: ptrTo("cpu_util")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*resp.Series) != 2 || *resp.MetaData.Total != 2 || *resp.MetaData.Count != 2 || resp.MetaData.Offset != nil {
		t.Fatalf("series %+v meta %+v", resp.Series, resp.MetaData)
	}
	s := (*resp.Series)[0]
	if *s.Namespace != "APP.WEB" || *s.MetricName != "cpu_util" || *s.Unit != "percent" || *s.DimensionValueHash == "" ||
		*(*s.Dimensions)[0].Name != "host" || *(*s.Dimensions)[0].Value != "a" {
		t.Fatalf("series %+v", s)
	}
	resp, err = c.ListSeries(&model.ListSeriesRequest{Limit: ptrTo("2"), Offset: ptrTo("1"), Body: &model.SeriesApiQueryItemParam{
		Series: []model.QuerySeriesOptionParam{{Namespace: "CUSTOMMETRICS", Dimensions: &[]model.DimensionSeries{{Name: ptrTo("host"), Value: ptrTo("a")}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(*resp.Series) != 1 || *resp.MetaData.Total != 2 || *(*resp.Series)[0].MetricName != "mem_used" {
		t.Fatalf("page: %+v %+v", resp.Series, resp.MetaData)
	}
}

func testAOMSeriesErrors(t *testing.T, e *env) {
	c := e.aom()
	body := &model.SeriesApiQueryItemParam{Series: []model.QuerySeriesOptionParam{{Namespace: "APP.WEB"}}}
	for _, tc := range []struct {
		name string
		req  *model.ListSeriesRequest
	}{
		{"limit 0", &model.ListSeriesRequest{Limit: ptrTo("0"), Body: body}},
		{"limit not a number", &model.ListSeriesRequest{Limit: ptrTo("ten"), Body: body}},
		{"offset -1", &model.ListSeriesRequest{Offset: ptrTo("-1"), Body: body}},
		{"no series", &model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{}}},
		{"bad namespace", &model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{Series: []model.QuerySeriesOptionParam{{Namespace: "A.B.C"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ListSeries(tc.req)
			wantErr(t, err, 400, "AOM.04007001")
		})
	}
	_, err := e.aomClient(testAK, testSK, strings.Repeat("e", 32), nil).ListSeries(&model.ListSeriesRequest{Body: body})
	wantErr(t, err, 403, "AOM.0403")
}

func testAOMProjectIsolation(t *testing.T, e *env) {
	_, c1 := newAOMProject(t, e)
	_, c2 := newAOMProject(t, e)
	base := minute(10)
	tr := reportBuckets(t, c1, base)
	resp, err := c2.ShowMetricsData(&model.ShowMetricsDataRequest{Body: metricDataQuery(tr, 60, []string{"sampleCount"}, instance101...)})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, metricDataLines(t, resp), []string{
		fmt.Sprintf("%d  sampleCount=-1", base), fmt.Sprintf("%d  sampleCount=-1", base+60_000), fmt.Sprintf("%d  sampleCount=-1", base+120_000)})
	series, err := c2.ListSeries(&model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{Series: []model.QuerySeriesOptionParam{{Namespace: "CUSTOMMETRICS"}}}})
	if err != nil || len(*series.Series) != 0 {
		t.Fatalf("another project's series: %+v %v", series, err)
	}
	labels, err := c2.ListLabelValuesAomPromGet(&model.ListLabelValuesAomPromGetRequest{LabelName: "instance_id"})
	if err != nil || len(*labels.Data) != 0 {
		t.Fatalf("another project's label values: %+v %v", labels, err)
	}
}
