package logsql

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"logtank/internal/logsql/sqltest"
)

// The differential test runs random queries on the engine and on SQLite over
// the same rows and compares the results; sqltest owns the row model, the
// generator (shapes whose semantics agree in both dialects) and the
// comparison.

// memRows turns sqltest rows into an in-memory source of 256-row batches.
func memRows(rows []sqltest.Row) *memSource {
	n := len(rows)
	schema := []ColumnInfo{{"__time", Long}, {"s1", String}, {"s2", String}, {"n1", Long}, {"n2", Long}, {"f1", Float}}
	cols := map[string]*Column{}
	for _, ci := range schema {
		c := &Column{Type: ci.Type, Null: make([]bool, n)}
		switch ci.Type {
		case Long:
			c.Long = make([]int64, n)
		case Float:
			c.Float = make([]float64, n)
		case String:
			c.Str = make([]string, n)
		}
		cols[ci.Name] = c
	}
	for i, r := range rows {
		for j, ci := range schema {
			c := cols[ci.Name]
			switch v := r[j].(type) {
			case nil:
				c.Null[i] = true
			case int64:
				c.Long[i] = v
			case float64:
				c.Float[i] = v
			case string:
				c.Str[i] = v
			}
		}
	}
	// Columns without nulls have no Null slice, as sources often hand out.
	for _, c := range cols {
		if !slices.Contains(c.Null, true) {
			c.Null = nil
		}
	}
	return newMemSource(schema, cols, n, 256)
}

// neutral turns engine values into sqltest's forms.
func neutral(rows [][]Value) []sqltest.Row {
	out := make([]sqltest.Row, len(rows))
	for i, row := range rows {
		out[i] = make(sqltest.Row, len(row))
		for j, v := range row {
			switch v.Type {
			case Bool:
				out[i][j] = v.convert(Long).Long
			case Long:
				out[i][j] = v.Long
			case Float:
				out[i][j] = v.Float
			case String:
				out[i][j] = v.Str
			}
		}
	}
	return out
}

func TestDifferentialSQLite(t *testing.T) {
	const n = 3000
	const first = 1_600_000_000_000
	rng := rand.New(rand.NewPCG(7, 11))
	rows := sqltest.RandomRows(rng, n, func(i int) int64 { return first + int64(n-i)*1000 })
	src := memRows(rows)
	db, err := sqltest.OpenSQLite("log", rows)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := &sqltest.Generator{Rng: rng, From: first, To: first + n*1000}
	nonEmpty := 0
	for i := range 400 {
		query := g.Next()
		want, err := sqltest.QuerySQLite(db, query.SQLite)
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(query.LTS)
		if err != nil {
			t.Fatalf("query %d %q: parse: %v", i, query.LTS, err)
		}
		for _, par := range []int{1, 2} {
			res, err := q.Run(context.Background(), src, Options{Parallel: par})
			if err != nil {
				t.Fatalf("query %q: run: %v", query.LTS, err)
			}
			if err := sqltest.Compare(neutral(res.Rows), want, true); err != nil {
				t.Fatalf("query %q (parallel %d), sqlite %q: %v", query.LTS, par, query.SQLite, err)
			}
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 200 {
		t.Errorf("only %d of 400 queries returned rows; the generator is too selective", nonEmpty)
	}
}
