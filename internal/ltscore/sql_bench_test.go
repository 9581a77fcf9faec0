package ltscore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/logsql"
	"logtank/internal/logstore"
)

// The SQL benchmarks run over LOGTANK_BENCH_ROWS structured rows (20
// million by default) kept in a folder of the temporary directory, so
// that later runs skip the loading.
const (
	benchGroup  = "6c1f2f48-6a52-4a8a-9d0e-0c7a0fd0b001"
	benchStream = "6c1f2f48-6a52-4a8a-9d0e-0c7a0fd0b002"
)

var benchStart = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("LOGTANK_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 20_000_000
}

// openBenchService opens (loading on first use) a service whose stream
// holds the rows: y one of 100 services, x a long, and one row in 10,000
// holding the word "rareword".
func openBenchCore(b *testing.B) *Core {
	b.Helper()
	n := benchRows()
	// LOGTANK_BENCH_UPPER=1 writes the lines in capitals, which makes a
	// search lower-case every block it reads.
	upper := os.Getenv("LOGTANK_BENCH_UPPER") == "1"
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("logtank-sqlbench-%d", n))
	if upper {
		dir += "-upper"
	}
	fresh := false
	if _, err := os.Stat(filepath.Join(dir, "loaded")); err != nil {
		os.RemoveAll(dir)
		fresh = true
	}
	ctx := context.Background()
	db, err := catalog.OpenSQLite(ctx, filepath.Join(dir, "catalog"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if fresh {
		if err := db.CreateLogGroup(ctx, catalog.LogGroup{ID: benchGroup, ProjectID: "p", Name: "bench", TTLDays: 365}, 10); err != nil {
			b.Fatal(err)
		}
		if err := db.CreateLogStream(ctx, catalog.LogStream{ID: benchStream, ProjectID: "p", GroupID: benchGroup, Name: "bench", TTLDays: 365}, 10); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Open(ctx, db, Config{DataDir: dir, Now: func() time.Time { return benchStart.Add(24 * time.Hour) }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if !fresh {
		return s
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 10_000
	step := int64(24*time.Hour) / int64(n)
	for i := 0; i < n; i += batch {
		entries := make([]logstore.Entry, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			y := fmt.Sprintf("service-%02d", rng.IntN(100))
			x := rng.Int64N(10_000)
			word := "ok"
			if rng.IntN(10_000) == 0 {
				word = "rareword"
			}
			content := fmt.Sprintf("%s handled request %d in %d ms %s", y, j, x, word)
			if upper {
				content = strings.ToUpper(content)
			}
			entries = append(entries, logstore.Entry{
				TimeNs:  benchStart.UnixNano() + int64(j)*step,
				Content: content,
				Fields:  []logstore.Field{{Name: "y", Type: logstore.FieldString, Str: y}, {Name: "x", Type: logstore.FieldLong, Long: x}},
			})
		}
		if _, err := s.logs.Append(benchStream, nil, entries); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.logs.Flush(); err != nil {
		b.Fatal(err)
	}
	for range 4 {
		if err := s.logs.Compact(); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "loaded"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return s
}

func benchSQL(b *testing.B, search, sql string) {
	c := openBenchCore(b)
	req := SQLRequest{Project: "p", Stream: benchStream, Window: Window{benchStart.UnixNano(), benchStart.Add(24*time.Hour).UnixNano() - 1},
		Search: search, SQL: sql, Field: "query"}
	var res *logsql.Result
	var err error
	b.ResetTimer()
	for b.Loop() {
		if res, err = c.SQL(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
	b.Logf("%d result rows over %d rows; first: %v", len(res.Rows), benchRows(), res.Rows[0])
}

func BenchmarkSQLGroupByWholeStream(b *testing.B) {
	benchSQL(b, "", "select y, count(*), avg(x) group by y")
}

func BenchmarkSQLGroupBySelectiveSearch(b *testing.B) {
	benchSQL(b, "rareword", "select y, count(*), avg(x) group by y")
}
