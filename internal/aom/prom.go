package aom

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"

	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

// maxRangePoints caps the steps of a range query, as Prometheus does.
const maxRangePoints = 11000

// promVersion is the Prometheus release whose TSDB and PromQL engine the
// store embeds, reported by status/buildinfo so that clients such as
// Grafana pick the matching query features.
const promVersion = "3.16.0"

// Unbounded label and series queries cover all of time, as in Prometheus.
var (
	minTime = time.Unix(math.MinInt64/1000+62135596801, 0).UTC()
	maxTime = time.Unix(math.MaxInt64/1000-62135596801, 999999999).UTC()
)

// promParams are the parameters of a Prometheus API call: those of a form
// body (what Grafana and Prometheus clients send), then those of the URL
// (what the Huawei Cloud SDKs send, even for POST).
func promParams(r *http.Request) (url.Values, error) {
	params := url.Values{}
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			form, err := url.ParseQuery(string(wire.Body(r)))
			if err != nil {
				return nil, promParam("The form body cannot be parsed: %v.", err)
			}
			params = form
		}
	}
	for k, vs := range r.URL.Query() {
		params[k] = append(params[k], vs...)
	}
	return params, nil
}

// parseTime reads a time as Prometheus does: Unix seconds (with a
// fraction) or RFC 3339.
func parseTime(name, s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		if math.IsNaN(f) || sec > float64(maxTime.Unix()) || sec < float64(minTime.Unix()) {
			return time.Time{}, promParam("%s %q is out of range.", name, s)
		}
		return time.Unix(int64(sec), int64(math.Round(frac*1000)/1000*float64(time.Second))).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, promParam("%s %q is neither Unix seconds nor an RFC 3339 time.", name, s)
}

func timeParam(params url.Values, name string, def time.Time) (time.Time, error) {
	s := params.Get(name)
	if s == "" {
		return def, nil
	}
	return parseTime(name, s)
}

// parseStep reads a step as Prometheus does: seconds or a duration ("1m").
func parseStep(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		d := f * float64(time.Second)
		if math.IsNaN(d) || d >= float64(math.MaxInt64) || d < float64(math.MinInt64) {
			return 0, promParam("step %q is out of range.", s)
		}
		return time.Duration(d), nil
	}
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	return 0, promParam("step %q is neither seconds nor a duration.", s)
}

// promFailure turns a query failure into the Prometheus API's answer.
func promFailure(err error) error {
	var (
		bad      *metricstore.ErrBadQuery
		timeout  promql.ErrQueryTimeout
		canceled promql.ErrQueryCanceled
		storage  promql.ErrStorage
	)
	switch {
	case errors.As(err, &bad):
		return promParam("%v", bad.Err)
	case errors.As(err, &timeout):
		return ErrPromTimeout.WithMsg("%v", err)
	case errors.As(err, &canceled):
		return ErrPromCanceled.WithMsg("%v", err)
	case errors.As(err, &storage):
		return &wire.Internal{Err: ErrPromInternal, Cause: err}
	default:
		return ErrPromExec.WithMsg("%v", err)
	}
}

func (s *Service) promQuery(w http.ResponseWriter, r *http.Request) error {
	params, err := promParams(r)
	if err != nil {
		return err
	}
	query := params.Get("query")
	if query == "" {
		return promParam("query is required.")
	}
	ts, err := timeParam(params, "time", s.now())
	if err != nil {
		return err
	}
	err = s.store.InstantQuery(r.Context(), r.PathValue("project_id"), query, ts, func(res metricstore.Result) error {
		writeQueryResult(w, res, query)
		return nil
	})
	if err != nil {
		return promFailure(err)
	}
	return nil
}

func (s *Service) promQueryRange(w http.ResponseWriter, r *http.Request) error {
	params, err := promParams(r)
	if err != nil {
		return err
	}
	query := params.Get("query")
	if query == "" {
		return promParam("query is required.")
	}
	for _, name := range []string{"start", "end", "step"} {
		if params.Get(name) == "" {
			return promParam("%s is required.", name)
		}
	}
	start, err := parseTime("start", params.Get("start"))
	if err != nil {
		return err
	}
	end, err := parseTime("end", params.Get("end"))
	if err != nil {
		return err
	}
	if end.Before(start) {
		return promParam("end must not be before start.")
	}
	step, err := parseStep(params.Get("step"))
	if err != nil {
		return err
	}
	if step <= 0 {
		return promParam("step must be positive.")
	}
	if end.Sub(start)/step > maxRangePoints {
		return promParam("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX).")
	}
	err = s.store.RangeQuery(r.Context(), r.PathValue("project_id"), query, start, end, step, func(res metricstore.Result) error {
		writeQueryResult(w, res, query)
		return nil
	})
	if err != nil {
		return promFailure(err)
	}
	return nil
}

// labelQuery reads the start, end and match[] parameters of the label and
// series APIs.
func labelQuery(r *http.Request) (mint, maxt int64, selectors [][]*labels.Matcher, params url.Values, err error) {
	params, err = promParams(r)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	start, err := timeParam(params, "start", minTime)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	end, err := timeParam(params, "end", maxTime)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	selectors, err = metricstore.ParseSelectors(params["match[]"])
	if err != nil {
		return 0, 0, nil, nil, promFailure(err)
	}
	return start.UnixMilli(), end.UnixMilli(), selectors, params, nil
}

// promSuccess answers with data in the envelope, status first as
// Prometheus writes it.
func promSuccess(w http.ResponseWriter, data any) {
	wire.WriteJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Data   any    `json:"data"`
	}{"success", data})
}

func (s *Service) promLabels(w http.ResponseWriter, r *http.Request) error {
	mint, maxt, selectors, _, err := labelQuery(r)
	if err != nil {
		return err
	}
	names, err := s.store.LabelNames(r.Context(), r.PathValue("project_id"), mint, maxt, selectors)
	if err != nil {
		return &wire.Internal{Err: ErrPromInternal, Cause: err}
	}
	promSuccess(w, names)
	return nil
}

func (s *Service) promLabelValues(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("label_name")
	if name == "" || !utf8.ValidString(name) {
		return promParam("invalid label name: %q.", name)
	}
	mint, maxt, selectors, _, err := labelQuery(r)
	if err != nil {
		return err
	}
	values, err := s.store.LabelValues(r.Context(), r.PathValue("project_id"), name, mint, maxt, selectors)
	if err != nil {
		return &wire.Internal{Err: ErrPromInternal, Cause: err}
	}
	promSuccess(w, values)
	return nil
}

func (s *Service) promSeries(w http.ResponseWriter, r *http.Request) error {
	mint, maxt, selectors, _, err := labelQuery(r)
	if err != nil {
		return err
	}
	if len(selectors) == 0 {
		return promParam("no match[] parameter provided.")
	}
	series, err := s.store.SeriesLabels(r.Context(), r.PathValue("project_id"), mint, maxt, selectors)
	if err != nil {
		return &wire.Internal{Err: ErrPromInternal, Cause: err}
	}
	out := make([]map[string]string, len(series))
	for i, ls := range series {
		out[i] = ls.Map()
	}
	promSuccess(w, out)
	return nil
}

// promMetadata lists the reported metrics with their units: every AOM
// value is a gauge.
func (s *Service) promMetadata(w http.ResponseWriter, r *http.Request) error {
	params, err := promParams(r)
	if err != nil {
		return err
	}
	limit := 0 // no limit, as in Prometheus
	if v := params.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return promParam("limit %q is not an integer.", v)
		}
	}
	metric := params.Get("metric")
	rows, err := s.findSeries(r.Context(), r.PathValue("project_id"), []seriesFilter{{namespace: allCustom}})
	if err != nil {
		return &wire.Internal{Err: ErrPromInternal, Cause: err}
	}
	type meta struct {
		Type string `json:"type"`
		Help string `json:"help"`
		Unit string `json:"unit"`
	}
	out := map[string][]meta{}
	var names []string
	for _, row := range rows {
		name := metricstore.PromName(row.MetricName)
		if metric != "" && name != metric {
			continue
		}
		m := meta{Type: "gauge", Help: "", Unit: row.Unit}
		if _, ok := out[name]; !ok {
			names = append(names, name)
		}
		if !slices.Contains(out[name], m) {
			out[name] = append(out[name], m)
		}
	}
	if limit > 0 && limit < len(names) {
		slices.Sort(names)
		for _, n := range names[limit:] {
			delete(out, n)
		}
	}
	promSuccess(w, out)
	return nil
}

// promExemplars answers Grafana's exemplar queries: AOM reports carry no
// exemplars, so a well-formed query finds none.
func (s *Service) promExemplars(w http.ResponseWriter, r *http.Request) error {
	_, _, _, params, err := labelQuery(r)
	if err != nil {
		return err
	}
	if err := metricstore.CheckQuery(params.Get("query")); err != nil {
		return promFailure(err)
	}
	promSuccess(w, []any{})
	return nil
}

func (s *Service) promBuildInfo(w http.ResponseWriter, r *http.Request) error {
	promSuccess(w, map[string]string{
		"version": promVersion, "revision": "logtank", "branch": "", "buildUser": "", "buildDate": "",
		"goVersion": runtime.Version(),
	})
	return nil
}
