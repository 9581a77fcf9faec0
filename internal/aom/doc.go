// Package aom owns the AOM metric APIs: reporting metric data, the ams read
// APIs (metric data with statistics, metric listing), the v2 series and
// samples APIs, and the Prometheus-compatible query API. It owns their wire
// types, validation rules and error catalogue (SVCSTG_AMS_*, AOM.*, and the
// Prometheus envelope), and turns requests into calls on the metric store
// (points and PromQL) and the catalog (series, units).
//
// It never touches files itself and knows nothing of HTTP middleware.
package aom
