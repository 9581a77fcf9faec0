package logsql

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// The differential test runs random queries on the engine and on SQLite over
// the same rows and compares the results. The generator only emits shapes
// whose semantics agree in both dialects: no string/number comparisons, no
// float modulo, LIKE made case-sensitive in SQLite, a total ORDER BY.

type diffGen struct {
	rng *rand.Rand
}

func (g *diffGen) pick(opts ...string) string { return opts[g.rng.IntN(len(opts))] }

func (g *diffGen) num(depth int) string {
	if depth <= 0 {
		return g.pick("n1", "n2", "f1", "n1", "n2", fmt.Sprint(g.rng.IntN(21)-10), "2.5")
	}
	switch g.rng.IntN(8) {
	case 0:
		return fmt.Sprintf("(%s %s %s)", g.num(depth-1), g.pick("+", "-", "*"), g.num(depth-1))
	case 1:
		return fmt.Sprintf("abs(%s)", g.num(depth-1))
	case 2:
		return fmt.Sprintf("-%s", g.num(0))
	case 3:
		return fmt.Sprintf("case when %s then %s else %s end", g.cond(depth-1), g.num(depth-1), g.num(depth-1))
	case 4:
		return fmt.Sprintf("coalesce(%s, %s)", g.num(0), g.num(0))
	case 5:
		return fmt.Sprintf("(n2 / %d)", g.rng.IntN(9)+1)
	case 6:
		return fmt.Sprintf("(n1 %% %d)", g.rng.IntN(5)+2)
	}
	return g.num(0)
}

func (g *diffGen) str(depth int) string {
	switch g.rng.IntN(6) {
	case 0:
		return "lower(s1)"
	case 1:
		return "upper(s2)"
	case 2:
		return "coalesce(s1, 'none')"
	case 3:
		if depth > 0 {
			return "(s1 || s2)"
		}
	}
	return g.pick("s1", "s2")
}

func (g *diffGen) strLit() string {
	return g.pick("'a'", "'b'", "'c'", "'x'", "'yy'", "'zz z'", "'A'", "'a%b'")
}

func (g *diffGen) cond(depth int) string {
	n := g.rng.IntN(10)
	if depth <= 0 {
		n = g.rng.IntN(6)
	}
	cmp := g.pick("=", "!=", "<>", "<", "<=", ">", ">=")
	switch n {
	case 0:
		return fmt.Sprintf("%s %s %s", g.num(0), cmp, g.num(0))
	case 1:
		return fmt.Sprintf("%s %s %s", g.str(0), cmp, g.strLit())
	case 2:
		return fmt.Sprintf("%s %sbetween %d and %d", g.num(0), g.pick("", "not "), g.rng.IntN(40)-20, g.rng.IntN(600))
	case 3:
		return fmt.Sprintf("%s %sin (%s, %s, %s)", g.str(0), g.pick("", "not "), g.strLit(), g.strLit(), g.pick(g.strLit(), "null"))
	case 4:
		return fmt.Sprintf("%s %slike '%s'", g.str(0), g.pick("", "not "), g.pick("a%", "%z", "%y%", "_", "a_b", "%\\%%", "x", "%"))
	case 5:
		return fmt.Sprintf("%s is %snull", g.pick("s1", "s2", "n1", "f1", "n1 + f1"), g.pick("", "not "))
	case 6:
		return fmt.Sprintf("(%s and %s)", g.cond(depth-1), g.cond(depth-1))
	case 7:
		return fmt.Sprintf("(%s or %s)", g.cond(depth-1), g.cond(depth-1))
	case 8:
		return fmt.Sprintf("not (%s)", g.cond(depth-1))
	}
	return fmt.Sprintf("%s %sin (%d, %d, %d)", g.num(0), g.pick("", "not "), g.rng.IntN(21)-10, g.rng.IntN(21)-10, g.rng.IntN(1000))
}

func (g *diffGen) agg() string {
	switch g.rng.IntN(9) {
	case 0:
		return "count(*)"
	case 1:
		return fmt.Sprintf("count(%s)", g.pick("s1", "s2", "n1", "f1"))
	case 2:
		return fmt.Sprintf("count(distinct %s)", g.pick("s1", "s2", "n1", "f1"))
	case 3:
		return fmt.Sprintf("sum(%s)", g.num(1))
	case 4:
		return fmt.Sprintf("avg(%s)", g.num(1))
	case 5:
		return fmt.Sprintf("min(%s)", g.pick(g.num(1), g.str(0)))
	case 6:
		return fmt.Sprintf("max(%s)", g.pick(g.num(1), g.str(0)))
	case 7:
		return fmt.Sprintf("sum(%s) + count(*)", g.pick("n1", "n2", "f1"))
	}
	return "count(*)"
}

// query returns one SQL text valid in both dialects.
func (g *diffGen) query() string {
	var b strings.Builder
	where := ""
	if g.rng.IntN(4) > 0 {
		where = " where " + g.cond(2)
	}
	switch g.rng.IntN(3) {
	case 0: // grouped
		keys := []string{"s1", "s2", "(n1 % 3)", "lower(s2)", "n1"}
		g.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		keys = keys[:g.rng.IntN(3)]
		items := append([]string(nil), keys...)
		for range g.rng.IntN(3) + 1 {
			items = append(items, g.agg())
		}
		fmt.Fprintf(&b, "select %s from log%s", strings.Join(items, ", "), where)
		if len(keys) > 0 {
			fmt.Fprintf(&b, " group by %s", strings.Join(keys, ", "))
			if g.rng.IntN(3) == 0 {
				fmt.Fprintf(&b, " having %s > %d", g.pick("count(*)", "sum(n2)", "max(n1)"), g.rng.IntN(300))
			}
			var order []string
			for _, k := range keys {
				order = append(order, k+g.pick("", " asc", " desc"))
			}
			fmt.Fprintf(&b, " order by %s", strings.Join(order, ", "))
			if g.rng.IntN(2) == 0 {
				fmt.Fprintf(&b, " limit %d", g.rng.IntN(10)+1)
				if g.rng.IntN(3) == 0 {
					fmt.Fprintf(&b, " offset %d", g.rng.IntN(5))
				}
			}
		}
	case 1: // plain rows
		var items []string
		for range g.rng.IntN(3) + 1 {
			items = append(items, g.pick(g.num(2), g.str(1), "__time", "s1"))
		}
		var order []string
		for i := range items {
			order = append(order, fmt.Sprintf("%d%s", i+1, g.pick("", " desc")))
		}
		order = append(order, "__time"+g.pick("", " desc"))
		fmt.Fprintf(&b, "select %s from log%s order by %s limit %d", strings.Join(items, ", "), where, strings.Join(order, ", "), g.rng.IntN(30)+1)
		if g.rng.IntN(3) == 0 {
			fmt.Fprintf(&b, " offset %d", g.rng.IntN(20))
		}
	default: // distinct
		cols := []string{"s1", "s2", "(n1 % 4)", "upper(s1)"}
		g.rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
		cols = cols[:g.rng.IntN(2)+1]
		fmt.Fprintf(&b, "select distinct %s from log%s order by %s", strings.Join(cols, ", "), where, strings.Join(cols, ", "))
	}
	return b.String()
}

func diffRows(n int, rng *rand.Rand) (*memSource, [][]any) {
	schema := []ColumnInfo{{"__time", Long}, {"s1", String}, {"s2", String}, {"n1", Long}, {"n2", Long}, {"f1", Float}}
	cols := map[string]*Column{
		"__time": {Type: Long, Long: make([]int64, n)},
		"s1":     {Type: String, Str: make([]string, n), Null: make([]bool, n)},
		"s2":     {Type: String, Str: make([]string, n), Null: make([]bool, n)},
		"n1":     {Type: Long, Long: make([]int64, n), Null: make([]bool, n)},
		"n2":     {Type: Long, Long: make([]int64, n)},
		"f1":     {Type: Float, Float: make([]float64, n), Null: make([]bool, n)},
	}
	var rows [][]any
	for i := range n {
		row := make([]any, 6)
		cols["__time"].Long[i] = int64(1_600_000_000_000 + (n-i)*1000)
		row[0] = cols["__time"].Long[i]
		for j, c := range []string{"s1", "s2"} {
			vals := []string{"a", "b", "c", "A", "x", "yy", "zz z", "a%b", "ab"}
			if rng.IntN(8) == 0 {
				cols[c].Null[i] = true
			} else {
				cols[c].Str[i] = vals[rng.IntN(len(vals))]
				row[1+j] = cols[c].Str[i]
			}
		}
		if rng.IntN(10) == 0 {
			cols["n1"].Null[i] = true
		} else {
			cols["n1"].Long[i] = rng.Int64N(101) - 50
			row[3] = cols["n1"].Long[i]
		}
		cols["n2"].Long[i] = rng.Int64N(1000)
		row[4] = cols["n2"].Long[i]
		if rng.IntN(10) == 0 {
			cols["f1"].Null[i] = true
		} else {
			cols["f1"].Float[i] = float64(rng.IntN(400)-100) / 4
			row[5] = cols["f1"].Float[i]
		}
		rows = append(rows, row)
	}
	return newMemSource(schema, cols, n, 256), rows
}

func sqliteValue(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case int64:
		return long(x)
	case float64:
		return float(x)
	case string:
		return str(x)
	case []byte:
		return str(string(x))
	}
	panic(fmt.Sprintf("unexpected sqlite value %T", v))
}

func sameValue(a, b Value) bool {
	if a.Type == Bool {
		a = a.convert(Long)
	}
	switch {
	case a.Type == Null || b.Type == Null:
		return a.Type == b.Type
	case a.Type == String || b.Type == String:
		return a.Type == b.Type && a.Str == b.Str
	}
	x, y := a.asFloat(), b.asFloat()
	return math.Abs(x-y) <= 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y)))
}

func TestDifferentialSQLite(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	src, rows := diffRows(3000, rng)
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		"PRAGMA case_sensitive_like = ON",
		"CREATE TABLE log (__time INTEGER, s1 TEXT, s2 TEXT, n1 INTEGER, n2 INTEGER, f1 REAL)",
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := db.Begin()
	for _, r := range rows {
		if _, err := tx.Exec("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?)", r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	g := &diffGen{rng: rng}
	nonEmpty := 0
	for i := range 400 {
		query := g.query()
		want := sqliteRows(t, db, query)
		q, err := Parse(query)
		if err != nil {
			t.Fatalf("query %d %q: parse: %v", i, query, err)
		}
		for _, par := range []int{1, 2} {
			res, err := q.Run(context.Background(), src, Options{Parallel: par})
			if err != nil {
				t.Fatalf("query %q: run: %v", query, err)
			}
			if len(res.Rows) != len(want) {
				t.Fatalf("query %q (parallel %d): %d rows, sqlite %d\nours: %v\nsqlite: %v", query, par, len(res.Rows), len(want), res.Rows, want)
			}
			for r := range want {
				for c := range want[r] {
					if !sameValue(res.Rows[r][c], want[r][c]) {
						t.Fatalf("query %q (parallel %d): row %d col %d = %#v, sqlite %#v", query, par, r, c, res.Rows[r][c], want[r][c])
					}
				}
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

func sqliteRows(t *testing.T, db *sql.DB, query string) [][]Value {
	t.Helper()
	rs, err := db.Query(query)
	if err != nil {
		t.Fatalf("sqlite %q: %v", query, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]Value
	for rs.Next() {
		raw := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]Value, len(cols))
		for i, v := range raw {
			row[i] = sqliteValue(v)
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
