package aom

import (
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

type reportItem struct {
	CollectTime wire.Int      `json:"collect_time"`
	Metric      *reportMetric `json:"metric"`
	Values      []reportValue `json:"values"`
}

type reportMetric struct {
	Namespace  string      `json:"namespace"`
	Dimensions []dimension `json:"dimensions"`
}

type dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type reportValue struct {
	MetricName string     `json:"metric_name"`
	Type       *string    `json:"type"`
	Unit       string     `json:"unit"`
	Value      wire.Float `json:"value"`
}

// successBody is AOM's answer to a good report, byte for byte.
var successBody = []byte(`{"errorCode":"SVCSTG_AMS_2000000","errorMessage":"success"}`)

func (s *Service) report(w http.ResponseWriter, r *http.Request) error {
	items, err := decodeReport(wire.Body(r))
	if err != nil {
		return err
	}
	now := s.now()
	samples, series, err := s.checkReport(items, now.UnixMilli())
	if err != nil {
		return err
	}
	project := r.PathValue("project_id")
	if err := s.known.record(r.Context(), s.db, project, series); err != nil {
		return &wire.Internal{Err: ErrInternal, Cause: err}
	}
	if _, err := s.store.Append(r.Context(), project, samples); err != nil {
		return &wire.Internal{Err: ErrStorage, Cause: err}
	}
	s.pruneIfDue(r, now)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(successBody)
	return nil
}

// checkReport validates every item, in order, failing on the first
// problem (AOM has no partial success), and returns the points to store and
// the series they belong to.
func (s *Service) checkReport(items []*reportItem, nowMS int64) ([]metricstore.Sample, []reported, error) {
	if len(items) == 0 {
		return nil, nil, detail(ErrInvalidParam, "The body must be a JSON array of at least one metric data item.")
	}
	var samples []metricstore.Sample
	var series []reported
	for i, it := range items {
		if it == nil {
			return nil, nil, detail(ErrInvalidParam, "Item %d is not an object.", i)
		}
		if err := checkCollectTime(i, it.CollectTime, nowMS); err != nil {
			return nil, nil, err
		}
		if it.Metric == nil {
			return nil, nil, detail(ErrInvalidParam, "Item %d: metric is required.", i)
		}
		ns := it.Metric.Namespace
		if p := namespaceProblem(ns); p != "" {
			return nil, nil, detail(ErrInvalidNamespace, "Item %d: %s.", i, p)
		}
		if r := s.reservedService(ns); r != "" {
			return nil, nil, detail(ErrInvalidNamespace, "Item %d: namespace %q: the service may not be or start with %s, which AOM reserves for its own metrics.", i, ns, r)
		}
		dims, err := checkDimensions(i, it.Metric.Dimensions)
		if err != nil {
			return nil, nil, err
		}
		if len(it.Values) == 0 {
			return nil, nil, detail(ErrNoValue, "Item %d: values must hold at least one value.", i)
		}
		for j := range it.Values {
			v := &it.Values[j]
			if err := checkValue(i, j, v); err != nil {
				return nil, nil, err
			}
			sr := metricstore.Series{Namespace: ns, Metric: v.MetricName, Dimensions: dims}
			samples = append(samples, metricstore.Sample{Series: sr, T: it.CollectTime.Value, V: v.Value.Value})
			typ := ""
			if v.Type != nil {
				typ = *v.Type
			}
			series = append(series, reported{series: sr, unit: v.Unit, typ: typ, ms: it.CollectTime.Value})
		}
	}
	return samples, series, nil
}

func checkCollectTime(i int, ct wire.Int, nowMS int64) error {
	switch {
	case !ct.Set:
		return detail(ErrCollectTime, "Item %d: collect_time is required.", i)
	case nowMS-ct.Value > maxCollectPastMS:
		return detail(ErrCollectTime, "Item %d: collect_time %d is more than 24 hours before the server time %d.", i, ct.Value, nowMS)
	case ct.Value-nowMS > maxCollectAheadMS:
		return detail(ErrCollectTime, "Item %d: collect_time %d is more than 30 minutes after the server time %d.", i, ct.Value, nowMS)
	}
	return nil
}

// checkDimensions validates the dimensions of item i and returns them
// sorted by name, the order the store and the catalog keep.
func checkDimensions(i int, in []dimension) ([]metricstore.Dimension, error) {
	switch {
	case len(in) == 0:
		return nil, detail(ErrNoDimensions, "Item %d: metric.dimensions must hold at least one dimension.", i)
	case len(in) > maxDimensions:
		return nil, detail(ErrTooManyDimensions, "Item %d has %d dimensions; this server allows at most %d.", i, len(in), maxDimensions)
	}
	dims := make([]metricstore.Dimension, len(in))
	for k, d := range in {
		if p := dimensionProblem(d.Name, d.Value); p != "" {
			return nil, detail(ErrDimensionLength, "Item %d: %s.", i, p)
		}
		dims[k] = metricstore.Dimension{Name: d.Name, Value: d.Value}
	}
	slices.SortFunc(dims, func(a, b metricstore.Dimension) int { return strings.Compare(a.Name, b.Name) })
	for k := 1; k < len(dims); k++ {
		if dims[k].Name == dims[k-1].Name {
			return nil, detail(ErrInvalidParam, "Item %d: dimension %q appears more than once.", i, dims[k].Name)
		}
	}
	return dims, nil
}

func checkValue(i, j int, v *reportValue) error {
	if p := metricNameProblem(v.MetricName); p != "" {
		return detail(ErrInvalidParam, "Item %d, value %d: %s.", i, j, p)
	}
	if v.Type != nil && *v.Type != "int" && *v.Type != "float" {
		return detail(ErrInvalidType, "Item %d, value %d: type %q must be int or float.", i, j, *v.Type)
	}
	if utf8.RuneCountInString(v.Unit) > maxUnitLen {
		return detail(ErrInvalidParam, "Item %d, value %d: unit must be at most 32 characters long.", i, j)
	}
	switch {
	case !v.Value.Set:
		return detail(ErrNoValue, "Item %d, value %d: value is required.", i, j)
	case !finite(v.Value.Value):
		return detail(ErrInvalidParam, "Item %d, value %d: value must be a finite number.", i, j)
	case v.Value.Value < 0:
		return detail(ErrInvalidParam, "Item %d, value %d: value %v must not be negative.", i, j, v.Value.Value)
	}
	return nil
}

// pruneIfDue forgets, at most once an hour, the series that had no report
// for longer than the retention: the metric store no longer has their
// points. A failure only puts the sweep off until the next report.
func (s *Service) pruneIfDue(r *http.Request, now time.Time) {
	next := s.nextPrune.Load()
	if now.UnixMilli() < next || !s.nextPrune.CompareAndSwap(next, now.Add(time.Hour).UnixMilli()) {
		return
	}
	before := now.Add(-s.retention).UnixMilli()
	if _, err := s.db.DeleteMetricSeriesBefore(r.Context(), before); err != nil {
		s.nextPrune.Store(next)
		return
	}
	s.known.forgetBefore(before)
}
