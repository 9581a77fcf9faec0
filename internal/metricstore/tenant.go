package metricstore

import (
	"context"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/annotations"
)

// tenantQueryable is the view of one project on the shared TSDB: every read
// carries the project's matcher and no answer shows the project label.
type tenantQueryable struct {
	db      storage.Queryable
	matcher *labels.Matcher
}

func (s *Store) queryable(project string) tenantQueryable {
	return tenantQueryable{db: s.db, matcher: labels.MustNewMatcher(labels.MatchEqual, projectLabel, project)}
}

func (t tenantQueryable) Querier(mint, maxt int64) (storage.Querier, error) {
	q, err := t.db.Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	return &tenantQuerier{q: q, matcher: t.matcher}, nil
}

type tenantQuerier struct {
	q       storage.Querier
	matcher *labels.Matcher
}

func (t *tenantQuerier) with(ms []*labels.Matcher) []*labels.Matcher {
	out := make([]*labels.Matcher, 0, len(ms)+1)
	out = append(out, t.matcher)
	return append(out, ms...)
}

func (t *tenantQuerier) Select(ctx context.Context, sortSeries bool, hints *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
	return &tenantSeriesSet{SeriesSet: t.q.Select(ctx, sortSeries, hints, t.with(ms)...)}
}

func (t *tenantQuerier) LabelValues(ctx context.Context, name string, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	if name == projectLabel {
		return nil, nil, nil
	}
	return t.q.LabelValues(ctx, name, hints, t.with(ms)...)
}

func (t *tenantQuerier) LabelNames(ctx context.Context, hints *storage.LabelHints, ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	names, ann, err := t.q.LabelNames(ctx, hints, t.with(ms)...)
	if i := slices.Index(names, projectLabel); i >= 0 {
		// A copy: the querier may share names with its own state.
		names = slices.Delete(slices.Clone(names), i, i+1)
	}
	return names, ann, err
}

func (t *tenantQuerier) Close() error { return t.q.Close() }

// tenantSeriesSet strips the project label. Within one project the label is
// the same on every series, so the stripped series stay distinct and keep
// their order.
type tenantSeriesSet struct {
	storage.SeriesSet
}

func (s *tenantSeriesSet) At() storage.Series {
	in := s.SeriesSet.At()
	return tenantSeries{in: in, lset: labels.NewBuilder(in.Labels()).Del(projectLabel).Labels()}
}

type tenantSeries struct {
	in   storage.Series
	lset labels.Labels
}

func (s tenantSeries) Labels() labels.Labels { return s.lset }

func (s tenantSeries) Iterator(it chunkenc.Iterator) chunkenc.Iterator { return s.in.Iterator(it) }
