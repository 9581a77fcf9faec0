package aom

import (
	"sync/atomic"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

// ReportLimit is AOM's cap on a report body: 40 KB.
const ReportLimit = 40 << 10

// DefaultReservedServices are the namespace services (the part before the
// dot) that belong to AOM's own metrics: a namespace whose service is, or
// starts with, one of them is refused. The seed names PAAS; older AOM
// documents add SYS and SRE, and the real service enforces the stricter
// rule.
var DefaultReservedServices = []string{"PAAS", "SYS", "SRE"}

// Options configure the service. The zero value is ready to use.
type Options struct {
	// ReservedServices replaces DefaultReservedServices when not nil.
	ReservedServices []string
	// Retention is how long the metric store keeps points; series with no
	// report for that long drop out of the listings. Zero means
	// metricstore.DefaultRetention.
	Retention time.Duration
}

// Service is the AOM API. It is safe for concurrent use.
type Service struct {
	db        *catalog.DB
	store     *metricstore.Store
	now       func() time.Time
	reserved  []string
	retention time.Duration
	known     *seriesIndex
	// nextPrune is when the catalog is next swept of aged-out series
	// (Unix ms).
	nextPrune atomic.Int64
}

// New returns the service over the catalog and the metric store.
func New(db *catalog.DB, store *metricstore.Store, opts Options) *Service {
	if opts.ReservedServices == nil {
		opts.ReservedServices = DefaultReservedServices
	}
	if opts.Retention <= 0 {
		opts.Retention = metricstore.DefaultRetention
	}
	return &Service{
		db: db, store: store, now: time.Now, reserved: opts.ReservedServices,
		retention: opts.Retention, known: newSeriesIndex(),
	}
}

// API returns the ams routes (report, metric data, metric listing). The
// handlers are method values, so API works on a nil *Service to list the
// routes.
func (s *Service) API() wire.Service {
	return wire.Service{
		Name:      "aom",
		Errors:    Errors,
		BodyLimit: ReportLimit,
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v1/{project_id}/ams/report/metricdata", Handle: s.report},
			{Method: "POST", Pattern: "/v1/{project_id}/ams/metricdata", Handle: s.showMetricsData},
			{Method: "POST", Pattern: "/v1/{project_id}/ams/metrics", Handle: s.listMetricItems},
		},
	}
}

// V2API returns the v2 read routes (series, samples), whose errors have the
// error_code/error_msg layout.
func (s *Service) V2API() wire.Service {
	return wire.Service{
		Name:      "aom-v2",
		Errors:    V2Errors,
		BodyLimit: 1 << 20,
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v2/{project_id}/series", Handle: s.listSeries},
			{Method: "POST", Pattern: "/v2/{project_id}/samples", Handle: s.listSamples},
		},
	}
}

// PromAPI returns the Prometheus-compatible query API under
// /v1/{project_id}/aom, whose answers use the Prometheus envelope, so that
// Prometheus clients such as Grafana work with it unchanged.
func (s *Service) PromAPI() wire.Service {
	const p = "/v1/{project_id}/aom/api/v1/"
	return wire.Service{
		Name:      "aom-prometheus",
		Errors:    PromErrors,
		BodyLimit: 1 << 20,
		// Grafana's Prometheus data source authenticates with basic auth.
		BasicAuth: true,
		Routes: []wire.Route{
			{Method: "GET", Pattern: p + "query", Handle: s.promQuery},
			{Method: "POST", Pattern: p + "query", Handle: s.promQuery},
			{Method: "GET", Pattern: p + "query_range", Handle: s.promQueryRange},
			{Method: "POST", Pattern: p + "query_range", Handle: s.promQueryRange},
			{Method: "GET", Pattern: p + "labels", Handle: s.promLabels},
			{Method: "POST", Pattern: p + "labels", Handle: s.promLabels},
			{Method: "GET", Pattern: p + "label/{label_name}/values", Handle: s.promLabelValues},
			{Method: "GET", Pattern: p + "metadata", Handle: s.promMetadata},
			{Method: "GET", Pattern: p + "series", Handle: s.promSeries},
			{Method: "POST", Pattern: p + "series", Handle: s.promSeries},
			{Method: "GET", Pattern: p + "query_exemplars", Handle: s.promExemplars},
			{Method: "POST", Pattern: p + "query_exemplars", Handle: s.promExemplars},
			{Method: "GET", Pattern: p + "status/buildinfo", Handle: s.promBuildInfo},
		},
	}
}
