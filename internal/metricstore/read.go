package metricstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/util/annotations"
)

// Point is a stored value of a series.
type Point struct {
	// T is the time in Unix milliseconds.
	T int64
	V float64
}

// EachPoint hands fn, in time order, the points of exactly the series s of
// project (not of series with more dimensions) with mint <= T <= maxt, one
// at a time, so that a caller can aggregate any number in constant memory.
func (s *Store) EachPoint(ctx context.Context, project string, series Series, mint, maxt int64, fn func(Point)) error {
	q, err := s.db.Querier(mint, maxt)
	if err != nil {
		return err
	}
	defer q.Close()
	set := q.Select(ctx, false, &storage.SelectHints{Start: mint, End: maxt}, exactMatchers(project, series)...)
	var it chunkenc.Iterator
	for set.Next() {
		sr := set.At()
		if sr.Labels().Len() != len(series.Dimensions)+3 {
			continue
		}
		it = sr.Iterator(it)
		for vt := it.Seek(mint); vt != chunkenc.ValNone; vt = it.Next() {
			t, v := it.At()
			if t > maxt {
				break
			}
			if vt == chunkenc.ValFloat {
				fn(Point{T: t, V: v})
			}
		}
		if err := it.Err(); err != nil {
			return err
		}
	}
	return set.Err()
}

// promParser parses PromQL for the engine and for series selectors alike,
// with the default (stable) language features.
var promParser = parser.NewParser(parser.Options{})

// ErrBadQuery wraps what is wrong with a PromQL expression or a series
// selector a caller sent: a client error, unlike the other failures.
type ErrBadQuery struct{ Err error }

func (e *ErrBadQuery) Error() string { return e.Err.Error() }
func (e *ErrBadQuery) Unwrap() error { return e.Err }

// Result is a PromQL answer, valid only inside the callback it is given to:
// the engine reuses its memory afterwards.
type Result struct {
	Value    parser.Value
	Warnings annotations.Annotations
}

// InstantQuery evaluates the PromQL expression qs at ts over project's
// series and hands the result to fn.
func (s *Store) InstantQuery(ctx context.Context, project, qs string, ts time.Time, fn func(Result) error) error {
	q, err := s.engine.NewInstantQuery(ctx, s.queryable(project), nil, qs, ts)
	if err != nil {
		return &ErrBadQuery{Err: err}
	}
	return run(ctx, q, fn)
}

// RangeQuery evaluates qs from start to end every step.
func (s *Store) RangeQuery(ctx context.Context, project, qs string, start, end time.Time, step time.Duration, fn func(Result) error) error {
	q, err := s.engine.NewRangeQuery(ctx, s.queryable(project), nil, qs, start, end, step)
	if err != nil {
		return &ErrBadQuery{Err: err}
	}
	return run(ctx, q, fn)
}

func run(ctx context.Context, q promql.Query, fn func(Result) error) error {
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return res.Err
	}
	return fn(Result{Value: res.Value, Warnings: res.Warnings})
}

// CheckQuery reports what is wrong with the PromQL expression qs, if
// anything, as an *ErrBadQuery.
func CheckQuery(qs string) error {
	if _, err := promParser.ParseExpr(qs); err != nil {
		return &ErrBadQuery{Err: err}
	}
	return nil
}

// ParseSelectors parses match[] series selectors, as the Prometheus API
// does: each must have a matcher that does not match the empty string.
func ParseSelectors(selectors []string) ([][]*labels.Matcher, error) {
	var out [][]*labels.Matcher
	for _, sel := range selectors {
		ms, err := promParser.ParseMetricSelector(sel)
		if err != nil {
			return nil, &ErrBadQuery{Err: err}
		}
		if !slices.ContainsFunc(ms, func(m *labels.Matcher) bool { return !m.Matches("") }) {
			return nil, &ErrBadQuery{Err: errors.New("match[] must contain at least one non-empty matcher")}
		}
		out = append(out, ms)
	}
	return out, nil
}

// LabelNames returns, sorted, the label names of project's series with
// points between mint and maxt that match any of the selector sets (all
// series when there is none).
func (s *Store) LabelNames(ctx context.Context, project string, mint, maxt int64, selectors [][]*labels.Matcher) ([]string, error) {
	return s.labelQuery(project, mint, maxt, selectors, func(q storage.Querier, ms []*labels.Matcher) ([]string, error) {
		names, _, err := q.LabelNames(ctx, nil, ms...)
		return names, err
	})
}

// LabelValues returns, sorted, the values of label name, as LabelNames does.
func (s *Store) LabelValues(ctx context.Context, project, name string, mint, maxt int64, selectors [][]*labels.Matcher) ([]string, error) {
	return s.labelQuery(project, mint, maxt, selectors, func(q storage.Querier, ms []*labels.Matcher) ([]string, error) {
		values, _, err := q.LabelValues(ctx, name, nil, ms...)
		return values, err
	})
}

func (s *Store) labelQuery(project string, mint, maxt int64, selectors [][]*labels.Matcher,
	get func(storage.Querier, []*labels.Matcher) ([]string, error)) ([]string, error) {
	q, err := s.queryable(project).Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	if len(selectors) == 0 {
		selectors = [][]*labels.Matcher{nil}
	}
	seen := map[string]bool{}
	out := []string{}
	for _, ms := range selectors {
		got, err := get(q, ms)
		if err != nil {
			return nil, err
		}
		for _, v := range got {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// SeriesLabels returns the label sets of project's series with points
// between mint and maxt that match any of the selector sets, sorted.
func (s *Store) SeriesLabels(ctx context.Context, project string, mint, maxt int64, selectors [][]*labels.Matcher) ([]labels.Labels, error) {
	q, err := s.queryable(project).Querier(mint, maxt)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	hints := &storage.SelectHints{Start: mint, End: maxt, Func: "series"}
	seen := map[string]bool{}
	var out []labels.Labels
	for _, ms := range selectors {
		set := q.Select(ctx, false, hints, ms...)
		for set.Next() {
			l := set.At().Labels()
			if k := l.String(); !seen[k] {
				seen[k] = true
				out = append(out, l.Copy())
			}
		}
		if err := set.Err(); err != nil {
			return nil, fmt.Errorf("select series: %w", err)
		}
	}
	slices.SortFunc(out, labels.Compare)
	return out, nil
}
