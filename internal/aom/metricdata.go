package aom

import (
	"net/http"

	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

// maxQueriedSeries caps the series of one statistics query.
const maxQueriedSeries = 20

type metricDataRequest struct {
	Metrics    []queryMetric `json:"metrics"`
	Period     wire.Int      `json:"period"`
	Timerange  string        `json:"timerange"`
	Statistics []string      `json:"statistics"`
}

// queryMetric names one series of a metric data query, and is echoed in
// the answer.
type queryMetric struct {
	Namespace  string      `json:"namespace"`
	MetricName string      `json:"metricName"`
	Dimensions []dimension `json:"dimensions"`
}

type metricDataValue struct {
	Metric     queryMetric `json:"metric"`
	DataPoints []dataPoint `json:"dataPoints"`
}

// queryValue reads a query parameter under its name or, for clients that
// spell it the other API's way, under alt.
func queryValue(r *http.Request, name, alt string) string {
	q := r.URL.Query()
	if q.Has(name) {
		return q.Get(name)
	}
	return q.Get(alt)
}

func (s *Service) showMetricsData(w http.ResponseWriter, r *http.Request) error {
	var req metricDataRequest
	if err := decodeBody(wire.Body(r), &req, func(f string, a ...any) *wire.Error { return detail(ErrInvalidParam, f, a...) }); err != nil {
		return err
	}
	if n := len(req.Metrics); n == 0 || n > maxQueriedSeries {
		return detail(ErrMetrics, "metrics must hold 1 to %d metrics, not %d.", maxQueriedSeries, n)
	}
	series := make([]metricstore.Series, len(req.Metrics))
	for i, m := range req.Metrics {
		sr, err := querySeries(i, m.Namespace, m.MetricName, m.Dimensions,
			func(f string, a ...any) *wire.Error { return detail(ErrQueryNamespace, f, a...) },
			func(f string, a ...any) *wire.Error { return detail(ErrMetrics, f, a...) })
		if err != nil {
			return err
		}
		series[i] = sr
	}
	q, err := parseStatQuery(req.Period, "timerange", req.Timerange, req.Statistics, queryValue(r, "fillValue", "fill_value"),
		s.now().UnixMilli(), amsStatErrors)
	if err != nil {
		return err
	}
	project := r.PathValue("project_id")
	out := make([]metricDataValue, len(series))
	for i, sr := range series {
		points, err := s.seriesStats(r.Context(), project, sr, q)
		if err != nil {
			return &wire.Internal{Err: ErrStorage, Cause: err}
		}
		m := req.Metrics[i]
		if m.Dimensions == nil {
			m.Dimensions = []dimension{}
		}
		out[i] = metricDataValue{Metric: m, DataPoints: points}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"errorCode": "SVCSTG_AMS_2000000", "errorMessage": "success", "metrics": out,
	})
	return nil
}

// querySeries validates the series item i of a query names: a namespace of
// the form service.item, a metric name, and a non-empty dimension set.
func querySeries(i int, ns, metric string, dims []dimension, badNamespace, bad func(string, ...any) *wire.Error) (metricstore.Series, error) {
	if p := namespaceProblem(ns); p != "" {
		return metricstore.Series{}, badNamespace("Metric %d: %s.", i, p)
	}
	if n := len(metric); n < 1 || n > maxMetricNameLen {
		return metricstore.Series{}, bad("Metric %d: the metric name must be 1 to %d characters long.", i, maxMetricNameLen)
	}
	if len(dims) == 0 {
		return metricstore.Series{}, bad("Metric %d: dimensions must hold at least one dimension.", i)
	}
	sr := metricstore.Series{Namespace: ns, Metric: metric, Dimensions: make([]metricstore.Dimension, len(dims))}
	for k, d := range dims {
		if d.Name == "" || d.Value == "" {
			return metricstore.Series{}, bad("Metric %d: dimension %d needs a name and a value.", i, k)
		}
		sr.Dimensions[k] = metricstore.Dimension{Name: d.Name, Value: d.Value}
	}
	return sr, nil
}

type samplesRequest struct {
	Samples    []sampleQuery `json:"samples"`
	Statistics []string      `json:"statistics"`
	Period     wire.Int      `json:"period"`
	TimeRange  string        `json:"time_range"`
}

type sampleQuery struct {
	Namespace  string      `json:"namespace"`
	Dimensions []dimension `json:"dimensions"`
	MetricName string      `json:"metric_name"`
}

type sampleDataValue struct {
	Sample     sampleQuery `json:"sample"`
	DataPoints []dataPoint `json:"data_points"`
}

func (s *Service) listSamples(w http.ResponseWriter, r *http.Request) error {
	var req samplesRequest
	if err := decodeBody(wire.Body(r), &req, v2param); err != nil {
		return err
	}
	if n := len(req.Samples); n == 0 || n > maxQueriedSeries {
		return v2param("samples must hold 1 to %d samples, not %d.", maxQueriedSeries, n)
	}
	series := make([]metricstore.Series, len(req.Samples))
	for i, m := range req.Samples {
		sr, err := querySeries(i, m.Namespace, m.MetricName, m.Dimensions, v2param, v2param)
		if err != nil {
			return err
		}
		series[i] = sr
	}
	q, err := parseStatQuery(req.Period, "time_range", req.TimeRange, req.Statistics, queryValue(r, "fill_value", "fillValue"),
		s.now().UnixMilli(), v2StatErrors)
	if err != nil {
		return err
	}
	project := r.PathValue("project_id")
	out := make([]sampleDataValue, len(series))
	for i, sr := range series {
		points, err := s.seriesStats(r.Context(), project, sr, q)
		if err != nil {
			return &wire.Internal{Err: ErrV2Storage, Cause: err}
		}
		m := req.Samples[i]
		if m.Dimensions == nil {
			m.Dimensions = []dimension{}
		}
		out[i] = sampleDataValue{Sample: m, DataPoints: points}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"samples": out})
	return nil
}
