package logsql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

const benchRows = 20_000_000

var (
	benchOnce sync.Once
	benchSrc  *memSource
)

// benchSource is 20M rows in 1,024-row batches: __time (ms, newest first),
// x long, f float, y a string with 100 distinct values, u a long with ~1M
// distinct values. Strings come from a 100-entry dictionary, as a storage
// layer decoding a dictionary-encoded column would hand them out.
func benchSource() *memSource {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		dict := make([]string, 100)
		for i := range dict {
			dict[i] = fmt.Sprintf("service-%02d", i)
		}
		ts := make([]int64, benchRows)
		x := make([]int64, benchRows)
		f := make([]float64, benchRows)
		y := make([]string, benchRows)
		u := make([]int64, benchRows)
		for i := range benchRows {
			ts[i] = 1_700_000_000_000 - int64(i)*3
			x[i] = rng.Int64N(10_000)
			f[i] = rng.Float64() * 100
			y[i] = dict[rng.IntN(len(dict))]
			u[i] = rng.Int64N(1_000_000)
		}
		benchSrc = newMemSource([]ColumnInfo{{"__time", Long}, {"x", Long}, {"f", Float}, {"y", String}, {"u", Long}},
			map[string]*Column{"__time": {Type: Long, Long: ts}, "x": {Type: Long, Long: x}, "f": {Type: Float, Float: f},
				"y": {Type: String, Str: y}, "u": {Type: Long, Long: u}}, benchRows, 1024)
	})
	return benchSrc
}

func benchQuery(b *testing.B, sql string, parallel int, wantRows int) {
	src := benchSource()
	q, err := Parse(sql)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := q.Run(context.Background(), src, Options{Parallel: parallel})
		if err != nil {
			b.Fatal(err)
		}
		if wantRows >= 0 && len(res.Rows) != wantRows {
			b.Fatalf("%d rows, want %d", len(res.Rows), wantRows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
}

func BenchmarkGroupByStringAvg(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallel=%d", p), func(b *testing.B) {
			benchQuery(b, "select y, count(*), avg(x) group by y", p, 100)
		})
	}
}

func BenchmarkWhereCount(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallel=%d", p), func(b *testing.B) {
			benchQuery(b, "select count(*) where x > 5000 and y != 'service-07'", p, 1)
		})
	}
}

func BenchmarkOrderByTimeLimit(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallel=%d", p), func(b *testing.B) {
			benchQuery(b, "select * order by __time desc limit 100", p, 100)
		})
	}
}

func BenchmarkCountDistinct(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("low-cardinality/parallel=%d", p), func(b *testing.B) {
			benchQuery(b, "select count(distinct y)", p, 1)
		})
		b.Run(fmt.Sprintf("1M-values/parallel=%d", p), func(b *testing.B) {
			benchQuery(b, "select count(distinct u)", p, 1)
		})
	}
}
