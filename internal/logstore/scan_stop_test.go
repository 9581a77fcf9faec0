package logstore

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"logtank/internal/workpool"
)

// panicMatcher panics on the row holding its word, as a matcher with a
// bug would; MayMatch lets every block through.
type panicMatcher string

func (p panicMatcher) Match(content string, _ func(string) (string, bool)) bool {
	if wordMatcher(p).Match(content, nil) {
		panic("matcher bug on " + content)
	}
	return false
}

func (panicMatcher) MayMatch(func(string) bool, func(string, string) bool) bool { return true }

// storeWithSegments holds n rows in segments and, with inMemory, n more
// in memory.
func storeWithSegments(t *testing.T, n int, inMemory bool) *Store {
	t.Helper()
	s := openStore(t, t.TempDir(), Options{})
	t.Cleanup(func() { s.Close() })
	fill(t, s, n, base)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if inMemory {
		fill(t, s, n, base+int64(n)*1e9)
	}
	return s
}

// TestScanWorkerPanicIsAnError: a panic in a scan's worker goroutines (the
// parallel count, the column scan, the block read ahead of a row scan)
// comes back as the scan's error; the process goes on. (Memtable rows are
// matched on the caller's goroutine, whose panics are the caller's.)
func TestScanWorkerPanicIsAnError(t *testing.T) {
	s := storeWithSegments(t, 5000, false)
	sc := Scan{Start: 0, End: 1 << 62, Matcher: panicMatcher("rare")}
	ctx := context.Background()
	var pe *workpool.PanicError
	if _, _, err := s.Count(ctx, sid, sc, 0, 0); !errors.As(err, &pe) {
		t.Fatalf("Count: %v, want a panic error", err)
	}
	if err := s.Blocks(ctx, sid, sc, Parts{Lines: true}, 2, func(int, *Block) error { return nil }); !errors.As(err, &pe) {
		t.Fatalf("Blocks: %v, want a panic error", err)
	}
	// Panics in the caller's own function are caught as well.
	err := s.Blocks(ctx, sid, Scan{Start: 0, End: 1 << 62}, Parts{Lines: true}, 2, func(int, *Block) error { panic("caller bug") })
	if !errors.As(err, &pe) {
		t.Fatalf("Blocks with a panicking callback: %v", err)
	}
	// A row scan reads the next block ahead on another goroutine: the
	// rows of the first blocks never hold the word, later ones do.
	if err := workpool.Catch(func() error {
		return s.Rows(ctx, sid, Scan{Start: 0, End: 1 << 62, Desc: true, Matcher: panicMatcher("line")}, func(Row) bool { return true })
	}); !errors.As(err, &pe) {
		t.Fatalf("Rows: %v, want a panic error", err)
	}
	checkAll(t, s, 5000)
}

// countingMatcher cancels its scan after so many rows and counts the
// rows it is asked about afterwards.
type countingMatcher struct {
	cancelAt int64
	cancel   context.CancelFunc
	seen     atomic.Int64
}

func (m *countingMatcher) Match(string, func(string) (string, bool)) bool {
	if m.seen.Add(1) == m.cancelAt {
		m.cancel()
	}
	return false
}

func (*countingMatcher) MayMatch(func(string) bool, func(string, string) bool) bool { return true }

// TestScansStopWhenCancelled: once the scan's context is done the matcher
// is asked about few more rows (those the other worker is on when it
// sees the end) and the scan returns the context's error.
func TestScansStopWhenCancelled(t *testing.T) {
	s := storeWithSegments(t, 20000, true)
	scans := map[string]func(ctx context.Context, sc Scan) error{
		"Count": func(ctx context.Context, sc Scan) error {
			_, _, err := s.Count(ctx, sid, sc, 0, 0)
			return err
		},
		"Blocks": func(ctx context.Context, sc Scan) error {
			return s.Blocks(ctx, sid, sc, Parts{Lines: true}, 2, func(int, *Block) error { return nil })
		},
		"Rows": func(ctx context.Context, sc Scan) error {
			return s.Rows(ctx, sid, sc, func(Row) bool { return true })
		},
	}
	for name, scan := range scans {
		for _, at := range []int64{10, 15000, 30000} {
			ctx, cancel := context.WithCancel(context.Background())
			m := &countingMatcher{cancelAt: at, cancel: cancel}
			err := scan(ctx, Scan{Start: 0, End: 1 << 62, Matcher: m})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s cancelled at row %d: %v", name, at, err)
			}
			if n := m.seen.Load(); n > at+64 {
				t.Fatalf("%s cancelled at row %d: the matcher saw %d rows", name, at, n)
			}
			cancel()
		}
	}
}
