package logsql

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestParseBounds: texts that once overflowed the stack or produced
// programs too large to compile are refused with a position.
func TestParseBounds(t *testing.T) {
	deep := func(open, close string, n int) string {
		return "select " + strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	for _, tc := range []struct {
		name, sql, msg string
	}{
		{"parentheses", deep("(", ")", MaxNesting+1), "nests deeper than 200 levels"},
		{"signs", "select " + strings.Repeat("- ", MaxNesting+1) + "1", "nests deeper than 200 levels"},
		{"NOT", "select a where " + strings.Repeat("not ", MaxNesting+1) + "true", "nests deeper than 200 levels"},
		{"calls", deep("abs(", ")", MaxNesting+1), "nests deeper than 200 levels"},
		{"CASE", "select " + strings.Repeat("case when true then ", MaxNesting+1) + "1" + strings.Repeat(" end", MaxNesting+1), "nests deeper than 200 levels"},
		{"deep stack", deep("(", ")", 900_000), "at most 102400 are allowed"},
		{"long LIKE", "select count(*) where content like '" + strings.Repeat("%_", 1_200_000) + "'", "at most 102400 are allowed"},
	} {
		_, err := Parse(tc.sql)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tc.msg) || e.Pos < 0 {
			t.Errorf("%s: %v, want %q with a position", tc.name, err, tc.msg)
		}
	}
	// At the bound itself a query parses.
	if _, err := Parse(deep("(", ")", MaxNesting-1)); err != nil {
		t.Errorf("%d levels: %v", MaxNesting-1, err)
	}
	// Flat chains nest nothing but are bounded in size.
	_, err := Parse("select " + strings.Repeat("1+", (MaxQueryLength-9)/2) + "1")
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "more than 2000 operators") {
		t.Errorf("a sum of 51,000 terms: %v", err)
	}
	if _, err := Parse("select " + strings.Repeat("1+", MaxExpressionNodes/2-1) + "1"); err != nil {
		t.Errorf("a sum at the bound: %v", err)
	}
}

// TestLongFlatExpressionsRun: chains within the limits (a sum of 999
// terms, an IN list of 20,000 values, a CASE of 400 branches) parse and
// run.
func TestLongFlatExpressionsRun(t *testing.T) {
	values := make([]string, 20000)
	for i := range values {
		values[i] = "1"
	}
	whens := strings.Repeat("when x = -1 then 0 ", 400)
	for _, sql := range []string{
		"select " + strings.Repeat("x+", 999) + "1 limit 1",
		"select count(*) where x in (" + strings.Join(values, ",") + ")",
		"select case " + whens + "else 1 end limit 1",
	} {
		q, err := Parse(sql)
		if err != nil {
			t.Fatalf("%.40s…: %v", sql, err)
		}
		if _, err := q.Run(context.Background(), benchSourceSmall(), Options{}); err != nil {
			t.Fatalf("%.40s…: %v", sql, err)
		}
	}
}

func TestRegexpBounds(t *testing.T) {
	for _, tc := range []struct{ pattern, msg string }{
		{strings.Repeat("a", MaxRegexpLength+1), "at most 1024 are allowed"},
		{"(a{1000}){1000}", "invalid repeat count"},
		{"(?:a{500})b{600}", "at most 200 are allowed"},
		{"[a-z]{1,90}[a-z]{1,90}c", "at most 200 are allowed"},
		{"(a?){300}b", "at most 200 are allowed"},
		{"(", "missing closing )"},
	} {
		for _, fn := range []string{"regexp_like", "regexp_extract"} {
			q, err := Parse("select " + fn + "(y, '" + tc.pattern + "')")
			if err != nil {
				t.Fatal(err)
			}
			_, err = q.Run(context.Background(), benchSourceSmall(), Options{})
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("%s(%.20q): %v, want %q", fn, tc.pattern, err, tc.msg)
			}
		}
	}
}

// cancellingSource hands out one batch, cancelling the query while the
// batch is evaluated, as a client that leaves does.
type cancellingSource struct {
	*memSource
	cancel context.CancelFunc
}

func (s cancellingSource) Scan(ctx context.Context, cols []string, parallel int, fn func(int, *Batch) error) error {
	return s.memSource.Scan(ctx, cols, 1, func(w int, b *Batch) error {
		s.cancel()
		return fn(w, b)
	})
}

// TestSlowRowsStopWhenCancelled: a LIKE whose middle part is costly on
// every row, and a function evaluated row by row, stop within a batch
// once the query is cancelled.
func TestSlowRowsStopWhenCancelled(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	col := make([]string, 1024)
	for i := range col {
		col[i] = long
	}
	src := newMemSource([]ColumnInfo{{"c", String}}, map[string]*Column{"c": {Type: String, Str: col}}, len(col), len(col))
	for _, sql := range []string{
		"select count(*) where c like '%" + strings.Repeat("a", 1000) + "_b%'",
		"select count(*) where regexp_like(c, 'a+b')",
	} {
		ctx, cancel := context.WithCancel(context.Background())
		q, err := Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		// What 16 rows cost uncancelled is the yardstick: a run that did
		// not stop within the batch would cost all 1024 rows, 64 times
		// that, however loaded the machine is.
		few := newMemSource([]ColumnInfo{{"c", String}}, map[string]*Column{"c": {Type: String, Str: col[:16]}}, 16, 16)
		start := time.Now()
		if _, err := q.Run(context.Background(), few, Options{}); err != nil {
			t.Fatal(err)
		}
		yardstick := time.Since(start)
		start = time.Now()
		_, err = q.Run(ctx, cancellingSource{src, cancel}, Options{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%.40s…: %v, want the cancellation", sql, err)
		}
		if d := time.Since(start); d > 8*yardstick {
			t.Errorf("%.40s…: stopped after %v, 16 rows take %v", sql, d, yardstick)
		}
	}
}

// TestTextBudget: a query whose functions build ever longer texts (nested
// replace, a long chain of ||) is refused once it makes more text per
// batch than its memory allows, instead of exhausting the process.
func TestTextBudget(t *testing.T) {
	nested := "y"
	for range 12 {
		nested = "replace(" + nested + ", 'a', 'aaaaaaaaaa')"
	}
	for _, sql := range []string{
		"select length(" + nested + ") as n",
		"select length(" + strings.TrimSuffix(strings.Repeat("y||", 999), "||") + ") as n",
		"select count(*) where lpad(y, 1000000, 'x') = 'x'",
	} {
		q, err := Parse(sql)
		if err != nil {
			t.Fatalf("%.40s…: %v", sql, err)
		}
		// Refused before it allocates far beyond its memory: without the
		// budget these build terabytes.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = q.Run(context.Background(), benchSourceSmall(), Options{MaxMemoryBytes: 64 << 20, Parallel: 2})
		runtime.ReadMemStats(&after)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, "bytes of text per batch") {
			t.Errorf("%.40s…: %v, want the text budget", sql, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<30 {
			t.Errorf("%.40s…: refused after allocating %d bytes", sql, n)
		}
	}
	// Ordinary text functions stay well within it.
	q, _ := Parse("select upper(y) || '-' || lower(y) as s, count(*) group by s")
	if _, err := q.Run(context.Background(), benchSourceSmall(), Options{MaxMemoryBytes: 64 << 20}); err != nil {
		t.Fatal(err)
	}
}

// TestRegexpWorkPerValue: a pattern within the bounds is still refused on
// a value long enough to make one match slow, and answers on short ones.
func TestRegexpWorkPerValue(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	src := newMemSource([]ColumnInfo{{"c", String}}, map[string]*Column{"c": {Type: String, Str: []string{"a1", long}}}, 2, 2)
	q, err := Parse("select regexp_like(c, '[a-z]{1,20}[0-9]') as m")
	if err != nil {
		t.Fatal(err)
	}
	_, err = q.Run(context.Background(), src, Options{})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "too much work") {
		t.Fatalf("%v, want the work bound", err)
	}
	short := newMemSource([]ColumnInfo{{"c", String}}, map[string]*Column{"c": {Type: String, Str: []string{"a1", strings.Repeat("b", 10000)}}}, 2, 2)
	if _, rows := texts(runSQL(t, short, "select regexp_like(c, '[a-z]{1,20}[0-9]') as m", Options{})); len(rows) != 2 || rows[0][0] != "true" || rows[1][0] != "false" {
		t.Fatalf("rows %v", rows)
	}
}
