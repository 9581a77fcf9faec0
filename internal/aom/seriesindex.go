package aom

import (
	"context"
	"strconv"
	"sync"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/metricstore"
)

// lastSeenStep is how far a series' newest report may move before the
// catalog is told: listings age series out after the retention (days), so
// an hour of slack costs nothing and spares the catalog a write per report.
const lastSeenStep = time.Hour

// seriesIndex remembers what the catalog holds for the series reported
// since the server started, so that a report writes to the catalog only for
// a new series, a changed unit or type, or an hour of newer data.
// Forgetting an entry is harmless: a miss only costs an idempotent write.
type seriesIndex struct {
	writeMu sync.Mutex // held while writing to the catalog
	mu      sync.Mutex // guards known
	known   map[string]knownSeries
}

type knownSeries struct {
	unit, typ string
	lastMS    int64
}

func newSeriesIndex() *seriesIndex { return &seriesIndex{known: map[string]knownSeries{}} }

// reported is a series as a report names it, with the unit and type of its
// value and the report's collect time.
type reported struct {
	series    metricstore.Series // dimensions sorted by name
	unit, typ string
	ms        int64
}

// identity is the index key of a series of a project: its parts, each
// preceded by its length, so that no two series share a key whatever
// bytes their dimension values hold.
func identity(project string, s *metricstore.Series) string {
	b := make([]byte, 0, 64)
	add := func(part string) {
		b = strconv.AppendInt(b, int64(len(part)), 10)
		b = append(b, ':')
		b = append(b, part...)
	}
	add(project)
	add(s.Namespace)
	add(s.Metric)
	for _, d := range s.Dimensions {
		add(d.Name)
		add(d.Value)
	}
	return string(b)
}

// record makes the catalog hold every series in rs, with its unit and type,
// before the points are stored: a series may be listed without points after
// a crash, but never have points the listings miss. Writers take turns, so
// that the catalog and the index agree on the last unit written.
func (x *seriesIndex) record(ctx context.Context, db *catalog.DB, project string, rs []reported) error {
	if ids, _ := x.diff(project, rs); len(ids) == 0 {
		return nil
	}
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	ids, rows := x.diff(project, rs)
	if len(ids) == 0 {
		return nil
	}
	if err := db.UpsertMetricSeries(ctx, rows); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, id := range ids {
		x.known[id] = knownSeries{unit: rows[i].Unit, typ: rows[i].ValueType, lastMS: rows[i].LastMS}
	}
	return nil
}

// diff returns the index keys and catalog rows of the series in rs that
// the catalog does not hold as rs has them.
func (x *seriesIndex) diff(project string, rs []reported) ([]string, []catalog.MetricSeries) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var ids []string
	var rows []catalog.MetricSeries
	var pending map[string]int // id -> index in rows, for repeats within rs
	for i := range rs {
		r := &rs[i]
		id := identity(project, &r.series)
		if j, ok := pending[id]; ok {
			row := &rows[j]
			row.Unit, row.ValueType, row.LastMS = r.unit, r.typ, max(row.LastMS, r.ms)
			continue
		}
		k, ok := x.known[id]
		if ok && k.unit == r.unit && k.typ == r.typ && r.ms < k.lastMS+lastSeenStep.Milliseconds() {
			continue
		}
		if pending == nil {
			pending = map[string]int{}
		}
		pending[id] = len(rows)
		ids = append(ids, id)
		rows = append(rows, catalogRow(project, r.series, knownSeries{unit: r.unit, typ: r.typ, lastMS: max(k.lastMS, r.ms)}))
	}
	return ids, rows
}

func catalogRow(project string, s metricstore.Series, k knownSeries) catalog.MetricSeries {
	dims := make([]catalog.MetricDimension, len(s.Dimensions))
	for i, d := range s.Dimensions {
		dims[i] = catalog.MetricDimension{Name: d.Name, Value: d.Value}
	}
	return catalog.MetricSeries{
		ProjectID: project, Key: s.Key(), Namespace: s.Namespace, MetricName: s.Metric,
		Dimensions: dims, DimensionHash: s.DimensionHash(), Unit: k.unit, ValueType: k.typ, LastMS: k.lastMS,
	}
}

// forgetBefore drops what the catalog no longer holds after a prune.
func (x *seriesIndex) forgetBefore(ms int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, k := range x.known {
		if k.lastMS < ms {
			delete(x.known, id)
		}
	}
}
