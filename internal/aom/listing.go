package aom

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

const (
	maxListLimit = 1000
	// allCustom is the namespace AOM lists every custom metric under.
	allCustom = "CUSTOMMETRICS"
)

// seriesFilter selects listed series: a namespace (allCustom for all), a
// metric name (empty for all) and dimensions the series must have.
type seriesFilter struct {
	namespace, metric string
	dims              []dimension
}

// findSeries lists the series of project that match any of the filters,
// each once, in the order of the filters and then of the catalog. Series
// with no report within the retention are left out: their points are gone.
func (s *Service) findSeries(ctx context.Context, project string, filters []seriesFilter) ([]catalog.MetricSeries, error) {
	since := s.now().Add(-s.retention).UnixMilli()
	seen := map[string]bool{}
	var out []catalog.MetricSeries
	for _, f := range filters {
		// AOM's own namespaces hold system metrics, which logtank has none of.
		if strings.HasPrefix(f.namespace, "PAAS.") {
			continue
		}
		ns := f.namespace
		if ns == allCustom {
			ns = ""
		}
		rows, err := s.db.MetricSeriesList(ctx, project, catalog.MetricSeriesFilter{Namespace: ns, MetricName: f.metric, SinceMS: since})
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if !seen[row.Key] && hasDimensions(row.Dimensions, f.dims) {
				seen[row.Key] = true
				out = append(out, row)
			}
		}
	}
	return out, nil
}

func hasDimensions(have []catalog.MetricDimension, want []dimension) bool {
outer:
	for _, w := range want {
		for _, h := range have {
			if h.Name == w.Name && h.Value == w.Value {
				continue outer
			}
		}
		return false
	}
	return true
}

// page returns the rows of page [offset, offset+limit) and the offset of
// the next page (nil when this one is the last).
func page[T any](rows []T, offset, limit int) ([]T, *int) {
	if offset >= len(rows) {
		return []T{}, nil
	}
	end := min(offset+limit, len(rows))
	if end == len(rows) {
		return rows[offset:end], nil
	}
	return rows[offset:end], &end
}

// intParam reads an optional non-negative integer query parameter, or def.
func intParam(r *http.Request, name string, def int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

type metricItemsRequest struct {
	InventoryID string `json:"inventoryId"`
	MetricItems []struct {
		Namespace  string      `json:"namespace"`
		MetricName *string     `json:"metricName"`
		Dimensions []dimension `json:"dimensions"`
	} `json:"metricItems"`
}

type metricItem struct {
	Namespace     string      `json:"namespace"`
	MetricName    string      `json:"metricName"`
	Unit          string      `json:"unit"`
	Dimensions    []dimension `json:"dimensions"`
	DimensionHash string      `json:"dimensionvaluehash"`
}

func toDimensions(in []catalog.MetricDimension) []dimension {
	out := make([]dimension, len(in))
	for i, d := range in {
		out[i] = dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

func (s *Service) listMetricItems(w http.ResponseWriter, r *http.Request) error {
	limit, ok := intParam(r, "limit", maxListLimit)
	if !ok || limit < 1 || limit > maxListLimit {
		return detail(ErrLimit, "limit %q must be an integer from 1 to %d.", r.URL.Query().Get("limit"), maxListLimit)
	}
	start, ok := intParam(r, "start", 0)
	if !ok {
		return detail(ErrStart, "start %q must be a non-negative integer.", r.URL.Query().Get("start"))
	}
	var req metricItemsRequest
	if err := decodeBody(wire.Body(r), &req, func(f string, a ...any) *wire.Error { return detail(ErrInvalidParam, f, a...) }); err != nil {
		return err
	}
	var filters []seriesFilter
	if r.URL.Query().Get("type") == "inventory" {
		// Inventories are AOM's view of hosts and applications, which
		// logtank does not track: a well-formed query finds nothing.
		if strings.TrimSpace(req.InventoryID) == "" {
			return detail(ErrInventoryID, "inventoryId is required when type is inventory.")
		}
	} else {
		if len(req.MetricItems) == 0 {
			return detail(ErrInvalidParam, "metricItems must hold at least one item.")
		}
		for i, it := range req.MetricItems {
			f, err := listFilter(i, it.Namespace, it.MetricName, it.Dimensions,
				func(f string, a ...any) *wire.Error { return detail(ErrQueryNamespace, f, a...) },
				func(f string, a ...any) *wire.Error { return detail(ErrMetricName, f, a...) },
				func(f string, a ...any) *wire.Error { return detail(ErrInvalidParam, f, a...) })
			if err != nil {
				return err
			}
			filters = append(filters, f)
		}
	}
	rows, err := s.findSeries(r.Context(), r.PathValue("project_id"), filters)
	if err != nil {
		return &wire.Internal{Err: ErrInternal, Cause: err}
	}
	pageRows, next := page(rows, start, limit)
	items := make([]metricItem, len(pageRows))
	for i, row := range pageRows {
		items[i] = metricItem{Namespace: row.Namespace, MetricName: row.MetricName, Unit: row.Unit,
			Dimensions: toDimensions(row.Dimensions), DimensionHash: row.DimensionHash}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"errorCode": "SVCSTG_AMS_2000000", "errorMessage": "success",
		"metaData": map[string]any{"count": len(items), "offset": next, "total": len(rows), "nextToken": next},
		"metrics":  items,
	})
	return nil
}

// listFilter validates list item i: a namespace (service.item, or
// CUSTOMMETRICS), an optional metric name and dimensions to match.
func listFilter(i int, ns string, metric *string, dims []dimension, badNamespace, badMetric, bad func(string, ...any) *wire.Error) (seriesFilter, error) {
	if ns != allCustom {
		if p := namespaceProblem(ns); p != "" {
			return seriesFilter{}, badNamespace("Item %d: %s (or %s for every custom metric).", i, p, allCustom)
		}
	}
	f := seriesFilter{namespace: ns, dims: dims}
	if metric != nil {
		if n := len(*metric); n < 1 || n > maxMetricNameLen {
			return seriesFilter{}, badMetric("Item %d: the metric name must be 1 to %d characters long.", i, maxMetricNameLen)
		}
		f.metric = *metric
	}
	for k, d := range dims {
		if d.Name == "" || d.Value == "" {
			return seriesFilter{}, bad("Item %d: dimension %d needs a name and a value.", i, k)
		}
	}
	return f, nil
}

type seriesRequest struct {
	Series []struct {
		Namespace  string      `json:"namespace"`
		MetricName *string     `json:"metric_name"`
		Dimensions []dimension `json:"dimensions"`
	} `json:"series"`
}

type seriesItem struct {
	Namespace     string      `json:"namespace"`
	Dimensions    []dimension `json:"dimensions"`
	MetricName    string      `json:"metric_name"`
	Unit          string      `json:"unit"`
	DimensionHash string      `json:"dimension_value_hash"`
}

func (s *Service) listSeries(w http.ResponseWriter, r *http.Request) error {
	limit, ok := intParam(r, "limit", maxListLimit)
	if !ok || limit < 1 || limit > maxListLimit {
		return v2param("limit %q must be an integer from 1 to %d.", r.URL.Query().Get("limit"), maxListLimit)
	}
	offset, ok := intParam(r, "offset", 0)
	if !ok {
		return v2param("offset %q must be a non-negative integer.", r.URL.Query().Get("offset"))
	}
	var req seriesRequest
	if err := decodeBody(wire.Body(r), &req, v2param); err != nil {
		return err
	}
	if len(req.Series) == 0 {
		return v2param("series must hold at least one item.")
	}
	filters := make([]seriesFilter, len(req.Series))
	for i, it := range req.Series {
		f, err := listFilter(i, it.Namespace, it.MetricName, it.Dimensions, v2param, v2param, v2param)
		if err != nil {
			return err
		}
		filters[i] = f
	}
	rows, err := s.findSeries(r.Context(), r.PathValue("project_id"), filters)
	if err != nil {
		return &wire.Internal{Err: ErrV2Internal, Cause: err}
	}
	pageRows, next := page(rows, offset, limit)
	items := make([]seriesItem, len(pageRows))
	for i, row := range pageRows {
		items[i] = seriesItem{Namespace: row.Namespace, Dimensions: toDimensions(row.Dimensions), MetricName: row.MetricName,
			Unit: row.Unit, DimensionHash: row.DimensionHash}
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"series":    items,
		"meta_data": map[string]any{"count": len(items), "offset": next, "total": len(rows), "nextToken": offset},
	})
	return nil
}
