// Package sqltest is test support for differential tests of the LTS SQL
// dialect against SQLite: a model of random rows, a generator of queries
// valid in both dialects, loading the rows into SQLite, running a query
// there, and comparing two results with float tolerance.
//
// It is for tests only: production code must never import it. It knows
// nothing of the engine's types (so that the engine's own tests can use it
// without an import cycle) nor of HTTP: callers convert their results to
// the neutral values described by Row.
package sqltest

import (
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the reference engine
)

// Column is a column of the random table.
type Column struct {
	Name string
	// SQLiteType is the column's declared type in SQLite.
	SQLiteType string
}

// Columns are the random table's columns, in Row order. __time is the
// row's time in epoch milliseconds, distinct for every row; n2 is never
// null.
var Columns = []Column{
	{"__time", "INTEGER"}, {"s1", "TEXT"}, {"s2", "TEXT"}, {"n1", "INTEGER"}, {"n2", "INTEGER"}, {"f1", "REAL"},
}

// The indexes of the columns in a Row.
const (
	Time = iota
	S1
	S2
	N1
	N2
	F1
)

// Row is one row in Columns order. Values are nil (null), int64, float64
// or string; results use the same forms (a bool is an int64 0 or 1).
type Row []any

// StringValues are the values of s1 and s2: cases, a space and a LIKE
// wildcard, so that comparisons and patterns have something to tell apart.
var StringValues = []string{"a", "b", "c", "A", "x", "yy", "zz z", "a%b", "ab"}

// RandomRows returns n rows; time gives row i's __time. Strings are null
// one time in eight, n1 and f1 one time in ten; f1 is a multiple of 0.25
// so that sums are exact in any order.
func RandomRows(rng *rand.Rand, n int, time func(i int) int64) []Row {
	rows := make([]Row, n)
	for i := range rows {
		row := make(Row, len(Columns))
		row[Time] = time(i)
		for _, c := range []int{S1, S2} {
			if rng.IntN(8) != 0 {
				row[c] = StringValues[rng.IntN(len(StringValues))]
			}
		}
		if rng.IntN(10) != 0 {
			row[N1] = rng.Int64N(101) - 50
		}
		row[N2] = rng.Int64N(1000)
		if rng.IntN(10) != 0 {
			row[F1] = float64(rng.IntN(400)-100) / 4
		}
		rows[i] = row
	}
	return rows
}

// OpenSQLite returns an in-memory SQLite database holding rows in a table
// named table, with LIKE made case-sensitive as in LTS SQL.
func OpenSQLite(table string, rows []Row) (*sql.DB, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return nil, err
	}
	// One connection: an in-memory database and the PRAGMA are per
	// connection.
	db.SetMaxOpenConns(1)
	var defs, marks []string
	for _, c := range Columns {
		defs = append(defs, c.Name+" "+c.SQLiteType)
		marks = append(marks, "?")
	}
	stmts := []string{
		"PRAGMA case_sensitive_like = ON",
		fmt.Sprintf("CREATE TABLE %s (%s)", table, strings.Join(defs, ", ")),
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, err
		}
	}
	tx, err := db.Begin()
	if err != nil {
		db.Close()
		return nil, err
	}
	insert := fmt.Sprintf("INSERT INTO %s VALUES (%s)", table, strings.Join(marks, ", "))
	for _, r := range rows {
		if _, err := tx.Exec(insert, r...); err != nil {
			tx.Rollback()
			db.Close()
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// QuerySQLite runs query and returns its rows as neutral values.
func QuerySQLite(db *sql.DB, query string) ([]Row, error) {
	rs, err := db.Query(query)
	if err != nil {
		return nil, fmt.Errorf("sqlite %q: %w", query, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var out []Row
	for rs.Next() {
		row := make(Row, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range row {
			switch x := v.(type) {
			case nil, int64, float64, string:
			case []byte:
				row[i] = string(x)
			default:
				return nil, fmt.Errorf("sqlite %q: unexpected value %T", query, v)
			}
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// Text renders a neutral value as LTS answers show every value: longs as
// integers, floats in the shortest form that round-trips (no exponent),
// null as "".
func Text(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	}
	return ""
}

// Same reports whether two neutral values agree: numbers within a relative
// 1e-9 whatever their types, strings exactly, null only with null. Two
// strings that both read as numbers (values rendered by Text) compare as
// numbers; a string never equals a number.
func Same(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	sa, aStr := a.(string)
	sb, bStr := b.(string)
	if aStr != bStr {
		return false
	}
	if aStr && sa == sb {
		return true
	}
	x, xok := number(a)
	y, yok := number(b)
	return xok && yok && math.Abs(x-y) <= 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y)))
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// Compare checks got against want row by row and returns an error naming
// the first difference, nil when they agree. Unless ordered, rows are
// first sorted (by their text with numbers rounded to 9 significant
// digits), for queries whose ORDER BY is not total.
func Compare(got, want []Row, ordered bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d rows, want %d\n got  %v\n want %v", len(got), len(want), got, want)
	}
	if !ordered {
		got, want = sorted(got), sorted(want)
	}
	for r := range want {
		if len(got[r]) != len(want[r]) {
			return fmt.Errorf("row %d has %d columns, want %d: %v, want %v", r, len(got[r]), len(want[r]), got[r], want[r])
		}
		for c := range want[r] {
			if !Same(got[r][c], want[r][c]) {
				return fmt.Errorf("row %d column %d = %#v, want %#v\n got  %v\n want %v", r, c, got[r][c], want[r][c], got[r], want[r])
			}
		}
	}
	return nil
}

func sorted(rows []Row) []Row {
	key := func(r Row) string {
		var b strings.Builder
		for _, v := range r {
			if f, ok := number(v); ok {
				fmt.Fprintf(&b, "%.9g\x00", f)
			} else {
				fmt.Fprintf(&b, "%T:%v\x00", v, v)
			}
		}
		return b.String()
	}
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b Row) int { return strings.Compare(key(a), key(b)) })
	return out
}
