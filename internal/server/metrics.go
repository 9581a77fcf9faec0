package server

import "github.com/prometheus/client_golang/prometheus"

// metrics are the server's own HTTP metrics. Routes are labelled by their
// pattern, never by the raw path, so the number of series stays bounded.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logtank_http_requests_total", Help: "HTTP requests answered, by service, route and status code.",
		}, []string{"service", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "logtank_http_request_duration_seconds", Help: "Time to answer HTTP requests, by service and route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
		}, []string{"service", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "logtank_http_requests_in_flight", Help: "HTTP requests being answered now.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	return m
}
