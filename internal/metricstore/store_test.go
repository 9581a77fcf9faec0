package metricstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var cpu = Series{Namespace: "NOPAAS.ESC", Metric: "cpu_util", Dimensions: []Dimension{{"instance_id", "i-1"}, {"az", "a"}}}

func appendAll(t *testing.T, s *Store, project string, samples ...Sample) AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), project, samples)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func points(t *testing.T, s *Store, project string, series Series, mint, maxt int64) []Point {
	t.Helper()
	var p []Point
	if err := s.EachPoint(context.Background(), project, series, mint, maxt, func(pt Point) { p = append(p, pt) }); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAppendAndPointsWithBackfill(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	now := time.Now().UnixMilli()
	old := now - 23*time.Hour.Milliseconds()
	// The newest point first: the 23-hour-old ones then arrive out of order.
	res := appendAll(t, s, "p1",
		Sample{cpu, now + 20*60_000, 3},
		Sample{cpu, now, 2},
		Sample{cpu, old, 1},
		Sample{cpu, old + 60_000, 1.5},
	)
	if res.Accepted != 4 {
		t.Fatalf("stored %+v", res)
	}
	got := points(t, s, "p1", cpu, old, now+time.Hour.Milliseconds())
	want := []Point{{old, 1}, {old + 60_000, 1.5}, {now, 2}, {now + 20*60_000, 3}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("points %v, want %v", got, want)
	}
	// Dimensions in another order are the same series.
	swapped := Series{Namespace: cpu.Namespace, Metric: cpu.Metric, Dimensions: []Dimension{cpu.Dimensions[1], cpu.Dimensions[0]}}
	if swapped.Key() != cpu.Key() || len(points(t, s, "p1", swapped, old, now)) != 3 {
		t.Fatal("dimension order changed the series")
	}
	// A subset of the dimensions is another series, which has no points.
	sub := Series{Namespace: cpu.Namespace, Metric: cpu.Metric, Dimensions: cpu.Dimensions[:1]}
	if sub.Key() == cpu.Key() || len(points(t, s, "p1", sub, old, now)) != 0 {
		t.Fatal("a subset of the dimensions matched the series")
	}
	// The same timestamp again with another value keeps the first value.
	res = appendAll(t, s, "p1", Sample{cpu, now, 99}, Sample{cpu, old, 98}, Sample{cpu, now + 20*60_000, 97})
	if res.Rejected != 1 {
		t.Fatalf("a new value for the newest point: %+v", res)
	}
	if got := points(t, s, "p1", cpu, old, now+time.Hour.Milliseconds()); !reflect.DeepEqual(got, want) {
		t.Fatalf("after duplicates %v, want %v", got, want)
	}
	// Older than the back-fill window allows.
	res = appendAll(t, s, "p1", Sample{cpu, now - 30*time.Hour.Milliseconds(), 1})
	if res.Rejected != 1 || res.Accepted != 0 {
		t.Fatalf("too old %+v", res)
	}
}

func TestProjectsAreIsolated(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	now := time.Now()
	ms := now.UnixMilli()
	appendAll(t, s, "p1", Sample{cpu, ms, 1})
	other := cpu
	other.Dimensions = []Dimension{{"instance_id", "i-2"}, {"az", "a"}}
	appendAll(t, s, "p2", Sample{cpu, ms, 10}, Sample{other, ms, 20})
	ctx := context.Background()

	if got := points(t, s, "p1", cpu, 0, ms); !reflect.DeepEqual(got, []Point{{ms, 1}}) {
		t.Fatalf("p1 points %v", got)
	}
	var n int
	var lbls labels.Labels
	err := s.InstantQuery(ctx, "p1", `count({__name__=~".+"}) or vector(0)`, now, func(r Result) error {
		v := r.Value.(promql.Vector)
		n = int(v[0].F)
		return nil
	})
	if err != nil || n != 1 {
		t.Fatalf("p1 sees %d series (%v)", n, err)
	}
	// Naming the other project in a matcher does not reach it.
	err = s.InstantQuery(ctx, "p1", `cpu_util{`+projectLabel+`="p2"}`, now, func(r Result) error {
		n = len(r.Value.(promql.Vector))
		return nil
	})
	if err != nil || n != 0 {
		t.Fatalf("p1 reached p2's series: %d %v", n, err)
	}
	err = s.InstantQuery(ctx, "p2", `cpu_util{instance_id="i-2"}`, now, func(r Result) error {
		v := r.Value.(promql.Vector)
		n, lbls = len(v), v[0].Metric
		return nil
	})
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if want := labels.FromStrings("__name__", "cpu_util", "_NAMESPACE_", "NOPAAS.ESC", "az", "a", "instance_id", "i-2"); !labels.Equal(lbls, want) {
		t.Fatalf("labels %v, want %v", lbls, want)
	}
	names, err := s.LabelNames(ctx, "p1", 0, ms, nil)
	if err != nil || !reflect.DeepEqual(names, []string{"_NAMESPACE_", "__name__", "az", "instance_id"}) {
		t.Fatalf("label names %v %v", names, err)
	}
	values, err := s.LabelValues(ctx, "p2", "instance_id", 0, ms, nil)
	if err != nil || !reflect.DeepEqual(values, []string{"i-1", "i-2"}) {
		t.Fatalf("label values %v %v", values, err)
	}
	if values, _ := s.LabelValues(ctx, "p1", projectLabel, 0, ms, nil); len(values) != 0 {
		t.Fatalf("the project label is visible: %v", values)
	}
	sel, err := ParseSelectors([]string{`{instance_id="i-1"}`})
	if err != nil {
		t.Fatal(err)
	}
	series, err := s.SeriesLabels(ctx, "p2", 0, ms, sel)
	if err != nil || len(series) != 1 || series[0].Get("instance_id") != "i-1" || series[0].Has(projectLabel) {
		t.Fatalf("series %v %v", series, err)
	}
}

func TestKeywordMetricNamesAreRenamed(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	now := time.Now()
	count := Series{Namespace: "APP.WEB", Metric: "count", Dimensions: []Dimension{{"host", "h"}}}
	appendAll(t, s, "p", Sample{count, now.UnixMilli(), 7})
	var got float64
	err := s.InstantQuery(context.Background(), "p", "aom_prom_fixed_count", now, func(r Result) error {
		got = r.Value.(promql.Vector)[0].F
		return nil
	})
	if err != nil || got != 7 {
		t.Fatalf("aom_prom_fixed_count = %v, %v", got, err)
	}
	if p := points(t, s, "p", count, 0, now.UnixMilli()); len(p) != 1 {
		t.Fatalf("points of a renamed metric: %v", p)
	}
}

func TestBadQueries(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	var bad *ErrBadQuery
	err := s.InstantQuery(context.Background(), "p", "sum(", time.Now(), func(Result) error { return nil })
	if !asBadQuery(err, &bad) {
		t.Fatalf("a parse error is %T %v", err, err)
	}
	if _, err := ParseSelectors([]string{`{a=""}`}); !asBadQuery(err, &bad) {
		t.Fatalf("an empty selector is %v", err)
	}
}

func asBadQuery(err error, target **ErrBadQuery) bool { return errors.As(err, target) }

// TestAcknowledgedPointsSurviveACrash copies the data folder while the
// store is open, which is what a crash leaves on disk, and opens the copy.
func TestAcknowledgedPointsSurviveACrash(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	now := time.Now().UnixMilli()
	var samples []Sample
	for i := range 100 {
		samples = append(samples, Sample{cpu, now - int64(i)*60_000, float64(i)})
	}
	appendAll(t, s, "p", samples...)
	crashed := t.TempDir()
	copyDir(t, dir, crashed)
	if err := os.Remove(filepath.Join(crashed, "lock")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	s2 := open(t, crashed)
	defer s2.Close()
	if got := points(t, s2, "p", cpu, 0, now); len(got) != 100 {
		t.Fatalf("after the crash %d points, want 100", len(got))
	}
}

func TestPointsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	now := time.Now().UnixMilli()
	appendAll(t, s, "p", Sample{cpu, now, 1}, Sample{cpu, now - 23*time.Hour.Milliseconds(), 2})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if got := points(t, s, "p", cpu, 0, now); len(got) != 2 {
		t.Fatalf("after a restart %v", got)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGroupSyncSharesSyncs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "00000000"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := newGroupSync(dir, filepath.Join(dir, "missing"))
	errs := make(chan error, 50)
	for range 50 {
		go func() { errs <- g.Sync() }()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if g.done != g.requested || g.requested != 50 {
		t.Fatalf("done %d of %d", g.done, g.requested)
	}
}
