package aom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"logtank/internal/catalog"
	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

// maxBuckets caps the points of one statistics query, as AOM does:
// durationInMinutes * 60 / period <= 1440.
const maxBuckets = 1440

// statistics AOM computes over the raw points of each period.
var statistics = map[string]bool{"maximum": true, "minimum": true, "sum": true, "average": true, "sampleCount": true}

var periods = map[int64]bool{60: true, 300: true, 900: true, 3600: true}

// fill values for periods without points: -1 (the default), 0, null, or
// average (the mean of the nearest periods with points on either side).
var fills = map[string]bool{"-1": true, "0": true, "null": true, "average": true}

// statQuery is a validated statistics query: which periods and what to
// compute in each.
type statQuery struct {
	// start (inclusive) and end (exclusive) in Unix ms.
	start, end int64
	periodMS   int64
	stats      []string
	fill       string
}

// statErrors build the errors of one API family for each part of a
// statistics query.
type statErrors struct {
	period, timeRange, tooManyPoints, statistics, fill func(format string, args ...any) *wire.Error
}

var amsStatErrors = statErrors{
	period:        func(f string, a ...any) *wire.Error { return detail(ErrPeriod, f, a...) },
	timeRange:     func(f string, a ...any) *wire.Error { return detail(ErrTimeRange, f, a...) },
	tooManyPoints: func(f string, a ...any) *wire.Error { return detail(ErrTooManyPoints, f, a...) },
	statistics:    func(f string, a ...any) *wire.Error { return detail(ErrStatistics, f, a...) },
	fill:          func(f string, a ...any) *wire.Error { return detail(ErrFillValue, f, a...) },
}

var v2StatErrors = statErrors{period: v2param, timeRange: v2param, tooManyPoints: v2param, statistics: v2param, fill: v2param}

// parseStatQuery validates the parts of a statistics query. rangeField
// names the time range field as the API spells it.
func parseStatQuery(period wire.Int, rangeField, timeRange string, stats []string, fill string, nowMS int64, e statErrors) (statQuery, error) {
	var q statQuery
	if !period.Set || !periods[period.Value] {
		return q, e.period("period must be 60, 300, 900 or 3600 (seconds).")
	}
	q.periodMS = period.Value * 1000
	start, end, minutes, problem := parseTimeRange(timeRange, nowMS)
	if problem != "" {
		return q, e.timeRange("%s %q: %s.", rangeField, timeRange, problem)
	}
	if minutes*60/period.Value > maxBuckets {
		return q, e.tooManyPoints("%s %q over periods of %d seconds makes more than %d points.", rangeField, timeRange, period.Value, maxBuckets)
	}
	q.start, q.end = start, end
	if len(stats) == 0 {
		return q, e.statistics("statistics must name at least one of maximum, minimum, sum, average, sampleCount.")
	}
	for _, st := range stats {
		if !statistics[st] {
			return q, e.statistics("statistic %q is not one of maximum, minimum, sum, average, sampleCount.", st)
		}
	}
	q.stats = stats
	if fill == "" {
		fill = "-1"
	}
	if !fills[fill] {
		return q, e.fill("fill value %q is not one of -1, 0, null, average.", fill)
	}
	q.fill = fill
	return q, nil
}

// parseTimeRange reads "start.end.durationInMinutes" (Unix ms, -1 for
// "derive it") and returns the range it means, or what is wrong with it.
func parseTimeRange(s string, nowMS int64) (start, end, minutes int64, problem string) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return 0, 0, 0, "the form is startTimeInMillis.endTimeInMillis.durationInMinutes"
	}
	var nums [3]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, 0, 0, fmt.Sprintf("%q is not an integer", p)
		}
		nums[i] = n
	}
	start, end, minutes = nums[0], nums[1], nums[2]
	const maxMinutes = math.MaxInt64 / 60_000
	switch {
	case minutes <= 0 || minutes > maxMinutes:
		return 0, 0, 0, "the duration must be a positive number of minutes"
	case start < -1 || end < -1:
		return 0, 0, 0, "start and end must be Unix milliseconds or -1"
	}
	span := minutes * 60_000
	switch {
	case start == -1 && end == -1:
		end = nowMS
		start = end - span
	case start == -1:
		start = end - span
	case end == -1:
		end = min(start+span, nowMS)
	case minutes < (end-start)/60_000-1:
		return 0, 0, 0, "the duration is shorter than the time between start and end"
	}
	if start >= end {
		return 0, 0, 0, "start must be before end"
	}
	return start, end, minutes, ""
}

// dataPoint is one period of a statistics answer.
type dataPoint struct {
	Timestamp  int64       `json:"timestamp"`
	Unit       string      `json:"unit"`
	Statistics []statValue `json:"statistics"`
}

// statValue is a statistic; Value is null for an empty period filled with
// null.
type statValue struct {
	Statistic string   `json:"statistic"`
	Value     *float64 `json:"value"`
}

// seriesStats computes q over one series of project: one data point per
// period, aligned to multiples of the period, empty periods filled.
func (s *Service) seriesStats(ctx context.Context, project string, series metricstore.Series, q statQuery) ([]dataPoint, error) {
	first := floorDiv(q.start, q.periodMS) * q.periodMS
	buckets := make([]bucket, (q.end-first+q.periodMS-1)/q.periodMS)
	err := s.store.EachPoint(ctx, project, series, first, q.end-1, func(p metricstore.Point) {
		buckets[(p.T-first)/q.periodMS].add(p.V)
	})
	if err != nil {
		return nil, err
	}
	unit := ""
	row, err := s.db.MetricSeriesByKey(ctx, project, series.Key())
	switch {
	case err == nil:
		unit = row.Unit
	case !errors.Is(err, catalog.ErrNotFound):
		return nil, err
	}
	return dataPoints(buckets, first, q, unit), nil
}

// bucket gathers the points of one period.
type bucket struct {
	count         int
	sum, min, max float64
}

func (b *bucket) value(stat string) float64 {
	switch stat {
	case "maximum":
		return b.max
	case "minimum":
		return b.min
	case "sum":
		return b.sum
	case "average":
		return b.sum / float64(b.count)
	default: // sampleCount
		return float64(b.count)
	}
}

func (b *bucket) add(v float64) {
	if b.count == 0 {
		b.min, b.max = v, v
	}
	b.count++
	b.sum += v
	b.min = min(b.min, v)
	b.max = max(b.max, v)
}

// dataPoints computes the data points of q from the periods' buckets, the
// first of which starts at first.
func dataPoints(buckets []bucket, first int64, q statQuery, unit string) []dataPoint {
	n := len(buckets)
	// The nearest periods with points before and after each period, for
	// the average fill.
	prev, next := make([]int, n), make([]int, n)
	for i, last := 0, -1; i < n; i++ {
		prev[i] = last
		if buckets[i].count > 0 {
			last = i
		}
	}
	for i, last := n-1, -1; i >= 0; i-- {
		next[i] = last
		if buckets[i].count > 0 {
			last = i
		}
	}
	out := make([]dataPoint, n)
	for i := range buckets {
		dp := dataPoint{Timestamp: first + int64(i)*q.periodMS, Unit: unit, Statistics: make([]statValue, len(q.stats))}
		for k, st := range q.stats {
			dp.Statistics[k] = statValue{Statistic: st, Value: fillOr(buckets, i, prev[i], next[i], st, q.fill)}
		}
		out[i] = dp
	}
	return out
}

// fillOr is statistic st of period i, or its fill value when the period has
// no points; prev and next are the nearest periods with points (-1: none).
func fillOr(buckets []bucket, i, prev, next int, st, fill string) *float64 {
	var v float64
	switch {
	case buckets[i].count > 0:
		v = buckets[i].value(st)
	case fill == "null":
		return nil
	case fill == "0":
		v = 0
	case fill == "-1":
		v = -1
	case prev >= 0 && next >= 0: // average
		v = (buckets[prev].value(st) + buckets[next].value(st)) / 2
	case prev >= 0:
		v = buckets[prev].value(st)
	case next >= 0:
		v = buckets[next].value(st)
	default:
		return nil
	}
	return &v
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
