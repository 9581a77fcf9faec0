package metricstore

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
)

const (
	// NamespaceLabel holds an AOM series' namespace. AOM reserves the
	// dimension name, so no dimension can collide with it.
	NamespaceLabel = "_NAMESPACE_"
	// projectLabel is the hidden tenant label. Prometheus reserves names
	// starting with "__", and callers reject such dimension names, so no
	// reported series can forge it.
	projectLabel = "__aom_project__"
	// FixedPrefix renames metric names that are PromQL keywords, as AOM
	// does, so that they stay usable as bare selectors.
	FixedPrefix = "aom_prom_fixed_"
)

// promqlKeywords are the metric names AOM renames with FixedPrefix: the
// aggregation operators and set operators of PromQL.
var promqlKeywords = map[string]bool{
	"count": true, "max": true, "min": true, "avg": true, "sum": true, "count_values": true,
	"stddev": true, "stdvar": true, "group": true, "bottomk": true, "topk": true,
	"quantile": true, "and": true, "or": true, "unless": true,
}

// PromName is the Prometheus metric name of an AOM metric name.
func PromName(metric string) string {
	if promqlKeywords[metric] {
		return FixedPrefix + metric
	}
	return metric
}

// Dimension is one name/value pair of a series.
type Dimension struct {
	Name  string
	Value string
}

// Series identifies an AOM time series.
type Series struct {
	Namespace string
	Metric    string
	// Dimensions in any order; their names are distinct.
	Dimensions []Dimension
}

// sortedDimensions returns the dimensions ordered by name, without
// changing s.
func (s Series) sortedDimensions() []Dimension {
	if slices.IsSortedFunc(s.Dimensions, cmpDimension) {
		return s.Dimensions
	}
	d := slices.Clone(s.Dimensions)
	slices.SortFunc(d, cmpDimension)
	return d
}

func cmpDimension(a, b Dimension) int { return strings.Compare(a.Name, b.Name) }

// Key identifies the series within a project: equal for the same namespace,
// metric and dimension set, whatever the order of the dimensions. The
// separators 0xfe and 0xff never occur in UTF-8 text, so no two series
// hash the same bytes.
func (s Series) Key() string {
	h := sha256.New()
	h.Write([]byte(s.Namespace))
	h.Write([]byte{0xff})
	h.Write([]byte(s.Metric))
	for _, d := range s.sortedDimensions() {
		h.Write([]byte{0xff})
		h.Write([]byte(d.Name))
		h.Write([]byte{0xfe})
		h.Write([]byte(d.Value))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// DimensionHash identifies the series' dimension values, as AOM's
// dimensionvaluehash does.
func (s Series) DimensionHash() string {
	h := sha256.New()
	for _, d := range s.sortedDimensions() {
		h.Write([]byte(d.Name))
		h.Write([]byte{0xfe})
		h.Write([]byte(d.Value))
		h.Write([]byte{0xff})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// labelsOf is the stored label set of s in project, built in b.
func labelsOf(b *labels.ScratchBuilder, project string, s Series) labels.Labels {
	b.Reset()
	b.Add(labels.MetricName, PromName(s.Metric))
	b.Add(projectLabel, project)
	b.Add(NamespaceLabel, s.Namespace)
	for _, d := range s.Dimensions {
		b.Add(d.Name, d.Value)
	}
	b.Sort()
	return b.Labels()
}

// exactMatchers select s in project; a stored series also needs exactly
// len(s.Dimensions)+3 labels to be s itself rather than a superset.
func exactMatchers(project string, s Series) []*labels.Matcher {
	ms := make([]*labels.Matcher, 0, len(s.Dimensions)+3)
	ms = append(ms,
		labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, PromName(s.Metric)),
		labels.MustNewMatcher(labels.MatchEqual, projectLabel, project),
		labels.MustNewMatcher(labels.MatchEqual, NamespaceLabel, s.Namespace))
	for _, d := range s.Dimensions {
		ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, d.Name, d.Value))
	}
	return ms
}
