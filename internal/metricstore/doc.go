// Package metricstore owns AOM metric storage and queries. It keeps points in
// the Prometheus TSDB (used as a library, in its own folder) and evaluates
// PromQL with the Prometheus engine over it.
//
// It owns three rules that every reader and writer must agree on:
//
//   - The series mapping: an AOM series (namespace, metric name, dimensions)
//     is the Prometheus series whose __name__ is the metric name (renamed
//     with the aom_prom_fixed_ prefix when it collides with a PromQL keyword),
//     with one label per dimension and the label _NAMESPACE_.
//   - Tenant isolation: every series carries a hidden project label that the
//     store adds on write, requires on every read and strips from every
//     answer, so a project never sees, matches or counts another's series.
//   - Durability: Append returns only after the points are in the TSDB's
//     write-ahead log and that log is synced to disk (group commit).
//
// It knows nothing of HTTP, of AOM's wire format or of its validation rules:
// callers validate first. It never reads or writes the catalog.
package metricstore
