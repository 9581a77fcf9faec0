package sqltest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Generator makes random queries over the table of Columns, named "log",
// restricted to shapes whose semantics agree in LTS SQL and SQLite: no
// string/number comparisons, no float modulo, LIKE case-sensitive (as
// OpenSQLite sets it), and a total ORDER BY (or a single row) so that both
// answers come in the same order.
type Generator struct {
	Rng *rand.Rand
	// From and To bound the rows' __time, for time filters; with To <= From
	// the queries never name time.
	From, To int64
	// Aliases names every output column c0, c1, ... so that answers keyed
	// by column name (JSON objects) lose nothing.
	Aliases bool
}

// Query is one generated query in both dialects.
type Query struct {
	LTS, SQLite string
}

// timeExprs are the LTS time expressions the generator emits, with their
// SQLite translations (the rows' times are positive, so integer division
// floors).
var timeExprs = [][2]string{
	{"time_floor(__time, 'PT5M')", "(__time / 300000 * 300000)"},
	{"time_floor(__time, 'PT1H')", "(__time / 3600000 * 3600000)"},
	{"date_trunc('minute', __time)", "(__time / 60000 * 60000)"},
	{"time_ceil(__time, 'PT1M')", "((__time + 59999) / 60000 * 60000)"},
	{"from_unixtime(__time)", "(strftime('%Y-%m-%d %H:%M:%S', __time / 1000, 'unixepoch') || '.' || printf('%03d', __time % 1000))"},
}

// toSQLite rewrites the LTS-only expressions of a generated query. Only
// the generator's own fixed texts are rewritten; none of its string
// literals contains them.
var toSQLite = func() *strings.Replacer {
	var pairs []string
	for _, p := range timeExprs {
		pairs = append(pairs, p[0], p[1])
	}
	return strings.NewReplacer(pairs...)
}()

func (g *Generator) timed() bool { return g.To > g.From }

func (g *Generator) pick(opts ...string) string { return opts[g.Rng.IntN(len(opts))] }

func (g *Generator) instant() int64 { return g.From + g.Rng.Int64N(g.To-g.From+1) }

func (g *Generator) num(depth int) string {
	if depth <= 0 {
		return g.pick("n1", "n2", "f1", "n1", "n2", fmt.Sprint(g.Rng.IntN(21)-10), "2.5")
	}
	switch g.Rng.IntN(8) {
	case 0:
		return fmt.Sprintf("(%s %s %s)", g.num(depth-1), g.pick("+", "-", "*"), g.num(depth-1))
	case 1:
		return fmt.Sprintf("abs(%s)", g.num(depth-1))
	case 2:
		if x := g.num(0); !strings.HasPrefix(x, "-") {
			return "-" + x
		}
		return "-(" + g.num(0) + ")" // "--" starts a comment
	case 3:
		return fmt.Sprintf("case when %s then %s else %s end", g.cond(depth-1), g.num(depth-1), g.num(depth-1))
	case 4:
		return fmt.Sprintf("coalesce(%s, %s)", g.num(0), g.num(0))
	case 5:
		return fmt.Sprintf("(n2 / %d)", g.Rng.IntN(9)+1)
	case 6:
		return fmt.Sprintf("(n1 %% %d)", g.Rng.IntN(5)+2)
	}
	return g.num(0)
}

func (g *Generator) str(depth int) string {
	switch g.Rng.IntN(6) {
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

func (g *Generator) strLit() string {
	return g.pick("'a'", "'b'", "'c'", "'x'", "'yy'", "'zz z'", "'A'", "'a%b'")
}

func (g *Generator) cond(depth int) string {
	n := g.Rng.IntN(11)
	if depth <= 0 {
		n = g.Rng.IntN(6)
	}
	cmp := g.pick("=", "!=", "<>", "<", "<=", ">", ">=")
	switch n {
	case 0:
		return fmt.Sprintf("%s %s %s", g.num(0), cmp, g.num(0))
	case 1:
		return fmt.Sprintf("%s %s %s", g.str(0), cmp, g.strLit())
	case 2:
		return fmt.Sprintf("%s %sbetween %d and %d", g.num(0), g.pick("", "not "), g.Rng.IntN(40)-20, g.Rng.IntN(600))
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
	case 9:
		if g.timed() {
			a, b := g.instant(), g.instant()
			if g.Rng.IntN(2) == 0 {
				return fmt.Sprintf("__time %s %d", cmp, a)
			}
			return fmt.Sprintf("__time between %d and %d", min(a, b), max(a, b))
		}
	}
	return fmt.Sprintf("%s %sin (%d, %d, %d)", g.num(0), g.pick("", "not "), g.Rng.IntN(21)-10, g.Rng.IntN(21)-10, g.Rng.IntN(1000))
}

func (g *Generator) agg() string {
	switch g.Rng.IntN(9) {
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

// timeExpr is one of timeExprs' LTS texts; buckets only, unless all.
func (g *Generator) timeExpr(all bool) string {
	n := len(timeExprs)
	if !all {
		n-- // from_unixtime is last: not a bucket
	}
	return timeExprs[g.Rng.IntN(n)][0]
}

// items joins select items, naming them c0, c1, ... with Aliases.
func (g *Generator) items(exprs []string) string {
	if !g.Aliases {
		return strings.Join(exprs, ", ")
	}
	named := make([]string, len(exprs))
	for i, e := range exprs {
		named[i] = fmt.Sprintf("%s as c%d", e, i)
	}
	return strings.Join(named, ", ")
}

// Next returns a new query.
func (g *Generator) Next() Query {
	var b strings.Builder
	where := ""
	if g.Rng.IntN(4) > 0 {
		where = " where " + g.cond(2)
	}
	switch g.Rng.IntN(3) {
	case 0: // grouped
		keys := []string{"s1", "s2", "(n1 % 3)", "lower(s2)", "n1"}
		if g.timed() {
			keys = append(keys, g.timeExpr(false))
		}
		g.Rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		keys = keys[:g.Rng.IntN(3)]
		exprs := append([]string(nil), keys...)
		for range g.Rng.IntN(3) + 1 {
			exprs = append(exprs, g.agg())
		}
		fmt.Fprintf(&b, "select %s from log%s", g.items(exprs), where)
		if len(keys) > 0 {
			fmt.Fprintf(&b, " group by %s", strings.Join(keys, ", "))
			if g.Rng.IntN(3) == 0 {
				fmt.Fprintf(&b, " having %s > %d", g.pick("count(*)", "sum(n2)", "max(n1)"), g.Rng.IntN(300))
			}
			var order []string
			for _, k := range keys {
				order = append(order, k+g.pick("", " asc", " desc"))
			}
			fmt.Fprintf(&b, " order by %s", strings.Join(order, ", "))
			if g.Rng.IntN(2) == 0 {
				fmt.Fprintf(&b, " limit %d", g.Rng.IntN(10)+1)
				if g.Rng.IntN(3) == 0 {
					fmt.Fprintf(&b, " offset %d", g.Rng.IntN(5))
				}
			}
		}
	case 1: // plain rows
		var exprs []string
		for range g.Rng.IntN(3) + 1 {
			e := g.pick(g.num(2), g.str(1), "__time", "s1")
			if g.timed() && g.Rng.IntN(5) == 0 {
				e = g.timeExpr(true)
			}
			exprs = append(exprs, e)
		}
		var order []string
		for i := range exprs {
			order = append(order, fmt.Sprintf("%d%s", i+1, g.pick("", " desc")))
		}
		order = append(order, "__time"+g.pick("", " desc"))
		fmt.Fprintf(&b, "select %s from log%s order by %s limit %d", g.items(exprs), where, strings.Join(order, ", "), g.Rng.IntN(30)+1)
		if g.Rng.IntN(3) == 0 {
			fmt.Fprintf(&b, " offset %d", g.Rng.IntN(20))
		}
	default: // distinct
		cols := []string{"s1", "s2", "(n1 % 4)", "upper(s1)"}
		g.Rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
		cols = cols[:g.Rng.IntN(2)+1]
		fmt.Fprintf(&b, "select distinct %s from log%s order by %s", g.items(cols), where, strings.Join(cols, ", "))
	}
	q := b.String()
	return Query{LTS: q, SQLite: toSQLite.Replace(q)}
}
