package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"logtank/internal/logstore"
	"logtank/internal/wire"
)

// storage is what readiness and the storage metrics read of the log engine.
type storage interface {
	WritesRefused() (reason string, err error)
	DamageCounts() (blocksSkipped, segmentsQuarantined, walQuarantined int64)
}

// withReadiness serves GET /readyz in front of next: 200 while the log
// engine takes writes, 503 with the reason while it refuses them (a full
// or failing disk), so that a load balancer sends logs elsewhere. /healthz
// stays a liveness probe: a server that refuses writes still answers
// queries and must not be restarted for it.
func withReadiness(st storage, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			next.ServeHTTP(w, r)
			return
		}
		if reason, _ := st.WritesRefused(); reason != "" {
			w.Header().Set("Retry-After", "5")
			wire.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "writes refused", "reason": reason})
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

var (
	writesRefusedDesc = prometheus.NewDesc("logtank_log_writes_refused",
		"1 while the log engine refuses writes for the reason given (disk_full, write_failed), else 0.", []string{"reason"}, nil)
	blocksSkippedDesc = prometheus.NewDesc("logtank_log_damaged_blocks_total",
		"Damaged segment blocks that queries skipped since the server started.", nil, nil)
	segmentsQuarantinedDesc = prometheus.NewDesc("logtank_log_segments_quarantined_total",
		"Damaged segment files moved to the quarantine folder at start.", nil, nil)
	walQuarantinedDesc = prometheus.NewDesc("logtank_log_wal_files_quarantined_total",
		"Damaged write-ahead log files copied to the quarantine folder and cut at start.", nil, nil)
)

// storageCollector reports the log engine's health at each scrape.
type storageCollector struct{ st storage }

func (c storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{writesRefusedDesc, blocksSkippedDesc, segmentsQuarantinedDesc, walQuarantinedDesc} {
		ch <- d
	}
}

func (c storageCollector) Collect(ch chan<- prometheus.Metric) {
	reason, _ := c.st.WritesRefused()
	for _, r := range []string{logstore.RefusedDiskFull, logstore.RefusedWriteFailed} {
		v := 0.0
		if r == reason {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(writesRefusedDesc, prometheus.GaugeValue, v, r)
	}
	blocks, segs, wals := c.st.DamageCounts()
	ch <- prometheus.MustNewConstMetric(blocksSkippedDesc, prometheus.CounterValue, float64(blocks))
	ch <- prometheus.MustNewConstMetric(segmentsQuarantinedDesc, prometheus.CounterValue, float64(segs))
	ch <- prometheus.MustNewConstMetric(walQuarantinedDesc, prometheus.CounterValue, float64(wals))
}
