package logsql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Query is a parsed and checked SQL statement. It is immutable and safe to
// Run concurrently.
type Query struct {
	sql      string
	distinct bool
	items    []selectItem
	where    *expr
	having   *expr
	groupBy  []*expr
	groupBys []string // display names of the GROUP BY expressions
	orderBy  []orderItem
	limit    int64 // -1: none
	offset   int64

	// Analysis. For an aggregate query keys and aggs feed the grouping stage
	// and post/postHaving/postOrder are rewritten over their results (eRef
	// idx < len(keys): key; otherwise aggregate idx-len(keys)).
	aggregate  bool
	keys       []*expr
	aggs       []*expr
	post       []*expr
	postHaving *expr
	postOrder  []orderItem
	star       bool
	columns    []string
}

// Parse parses and checks sql. Every error is an *Error.
func Parse(sql string) (*Query, error) { return parse(sql, false) }

// ParseShowingGroups is Parse for the legacy structured query, whose
// answers also show every GROUP BY column the select list leaves out.
func ParseShowingGroups(sql string) (*Query, error) { return parse(sql, true) }

// MaxQueryLength is the longest SQL text, in bytes, that Parse reads: the
// documented limit of the LTS query APIs.
const MaxQueryLength = 102400

func parse(sql string, showGroups bool) (*Query, error) {
	if len(sql) > MaxQueryLength {
		return nil, &Error{Pos: MaxQueryLength, Msg: fmt.Sprintf("the query is %d bytes long, at most %d are allowed", len(sql), MaxQueryLength)}
	}
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{sql: sql, toks: toks}
	q := &Query{sql: sql, limit: -1}
	if err := p.parseQuery(q); err != nil {
		return nil, err
	}
	for _, g := range q.groupBy {
		name := p.display(g.pos, g.end)
		if g.kind == eColumn {
			name = g.name
		}
		q.groupBys = append(q.groupBys, strings.TrimSuffix(strings.TrimPrefix(name, "("), ")"))
	}
	if showGroups {
		for _, g := range q.groupBy {
			if g.kind != eColumn || slices.ContainsFunc(q.items, func(it selectItem) bool {
				return !it.star && (it.alias == g.name || (it.e.kind == eColumn && it.e.name == g.name))
			}) {
				continue
			}
			q.items = append(q.items, selectItem{e: &expr{kind: eColumn, name: g.name, pos: g.pos, end: g.end}, name: g.name})
		}
	}
	if err := q.checkSize(); err != nil {
		return nil, err
	}
	if err := q.analyze(); err != nil {
		return nil, err
	}
	return q, nil
}

// MaxExpressionNodes bounds the columns, literals, operators and calls of
// one query, the literal values of IN lists excepted (they are looked up
// in a set). Each is evaluated into a column for every batch of rows on
// every worker, so their number bounds the query's working memory and the
// work per row.
const MaxExpressionNodes = 2000

// checkSize refuses a query with more than MaxExpressionNodes, at the
// node past the bound.
func (q *Query) checkSize() error {
	n, at := 0, -1
	var count func(e *expr) bool
	count = func(e *expr) bool {
		if n++; n > MaxExpressionNodes && at < 0 {
			at = e.pos
		}
		if e.kind == eIn {
			e.args[0].walk(count)
			for _, a := range e.args[1:] {
				if a.kind != eLiteral {
					a.walk(count)
				}
			}
			return false
		}
		return at < 0
	}
	for _, it := range q.items {
		it.e.walk(count)
	}
	q.where.walk(count)
	q.having.walk(count)
	for _, g := range q.groupBy {
		g.walk(count)
	}
	for _, o := range q.orderBy {
		o.e.walk(count)
	}
	if at >= 0 {
		return errAt(at, "the query has more than %d operators, columns, values and calls", MaxExpressionNodes)
	}
	return nil
}

// GroupBy returns the names of the GROUP BY expressions as written (a
// column's name, an alias, or the expression text).
func (q *Query) GroupBy() []string { return append([]string(nil), q.groupBys...) }

// Columns returns the source columns the query reads, sorted by first use.
// When SelectsAll is true the query also reads every column of the schema.
func (q *Query) Columns() []string { return append([]string(nil), q.columns...) }

// SelectsAll reports whether the query uses SELECT *.
func (q *Query) SelectsAll() bool { return q.star }

// IsAggregate reports whether the query groups rows (GROUP BY, an aggregate
// function or SELECT DISTINCT).
func (q *Query) IsAggregate() bool { return q.aggregate }

func aggName(e *expr) string { return strings.ToUpper(e.name) }

func (q *Query) analyze() error {
	// GROUP BY may name a select alias or a 1-based position.
	for i, g := range q.groupBy {
		r, err := q.resolveItemRef(g, "GROUP BY")
		if err != nil {
			return err
		}
		if r != nil {
			q.groupBy[i] = r
			g = r
		}
		if err := noAggregate(g, "GROUP BY"); err != nil {
			return err
		}
	}
	if q.where != nil {
		if err := noAggregate(q.where, "WHERE"); err != nil {
			return err
		}
	}
	for i, o := range q.orderBy {
		r, err := q.resolveItemRef(o.e, "ORDER BY")
		if err != nil {
			return err
		}
		if r != nil {
			q.orderBy[i].e = r
		}
	}
	hasAgg := false
	for _, it := range q.items {
		if it.star {
			q.star = true
			continue
		}
		hasAgg = hasAgg || it.e.hasAggregate()
	}
	for _, o := range q.orderBy {
		hasAgg = hasAgg || o.e.hasAggregate()
	}
	if q.having != nil {
		hasAgg = true
	}
	q.keys = q.groupBy
	if q.distinct && !hasAgg && len(q.keys) == 0 && !q.star {
		for _, it := range q.items {
			q.keys = append(q.keys, it.e)
		}
		q.distinct = false
	}
	q.aggregate = hasAgg || len(q.keys) > 0
	if q.aggregate {
		if q.star {
			for _, it := range q.items {
				if it.star {
					return errAt(it.e.pos, "SELECT * cannot be combined with GROUP BY or aggregates")
				}
			}
		}
		for _, it := range q.items {
			e, err := q.rewrite(it.e)
			if err != nil {
				return err
			}
			q.post = append(q.post, e)
		}
		if q.having != nil {
			e, err := q.rewrite(q.aliasesToItems(q.having))
			if err != nil {
				return err
			}
			q.postHaving = e
		}
		for _, o := range q.orderBy {
			e, err := q.rewrite(q.aliasesToItems(o.e))
			if err != nil {
				return err
			}
			q.postOrder = append(q.postOrder, orderItem{e: e, desc: o.desc})
		}
	}
	// Source columns, in order of first use.
	seen := map[string]bool{}
	add := func(e *expr) {
		e.walk(func(n *expr) bool {
			if n.kind == eColumn && !seen[n.name] {
				seen[n.name] = true
				q.columns = append(q.columns, n.name)
			}
			if n.isAggregate() && (n.name == "earliest" || n.name == "latest") && !seen[timeColumn] {
				seen[timeColumn] = true
				q.columns = append(q.columns, timeColumn)
			}
			return true
		})
	}
	add(q.where)
	if q.aggregate {
		for _, k := range q.keys {
			add(k)
		}
		for _, a := range q.aggs {
			add(a)
		}
	} else {
		for _, it := range q.items {
			if !it.star {
				add(it.e)
			}
		}
		for _, o := range q.orderBy {
			add(o.e)
		}
	}
	return nil
}

// timeColumn is the system column holding the log time in epoch ms.
const timeColumn = "__time"

// resolveItemRef maps a bare alias or a position to a copy of the select
// item's expression; it returns nil when e is neither.
func (q *Query) resolveItemRef(e *expr, clause string) (*expr, error) {
	switch {
	case e.kind == eColumn:
		for _, it := range q.items {
			if !it.star && it.alias != "" && it.alias == e.name {
				return it.e.clone(), nil
			}
		}
	case e.kind == eLiteral && e.val.Type == Long:
		n := e.val.Long
		if n < 1 || n > int64(len(q.items)) {
			return nil, errAt(e.pos, "%s position %d is not in the select list", clause, n)
		}
		it := q.items[n-1]
		if it.star {
			return nil, errAt(e.pos, "%s position %d refers to *", clause, n)
		}
		return it.e.clone(), nil
	}
	return nil, nil
}

// aliasesToItems replaces references to select aliases inside e (HAVING s > 1)
// with the aliased expressions, unless the name is also a group key.
func (q *Query) aliasesToItems(e *expr) *expr {
	if e.kind == eColumn {
		for _, k := range q.keys {
			if k.kind == eColumn && k.name == e.name {
				return e
			}
		}
		if r, _ := q.resolveItemRef(e, ""); r != nil {
			return r
		}
		return e
	}
	c := *e
	c.args = make([]*expr, len(e.args))
	for i, a := range e.args {
		c.args[i] = q.aliasesToItems(a)
	}
	if e.els != nil {
		c.els = q.aliasesToItems(e.els)
	}
	return &c
}

func noAggregate(e *expr, clause string) error {
	var err error
	e.walk(func(n *expr) bool {
		if err == nil && n.isAggregate() {
			err = errAt(n.pos, "aggregate %s is not allowed in %s", aggName(n), clause)
		}
		return err == nil
	})
	return err
}

// rewrite replaces group keys and aggregates in a post-aggregation
// expression with references to the grouping stage's output.
func (q *Query) rewrite(e *expr) (*expr, error) {
	k := e.key()
	for i, g := range q.keys {
		if g.key() == k {
			return &expr{kind: eRef, idx: i, pos: e.pos, end: e.end}, nil
		}
	}
	switch {
	case e.isAggregate():
		for _, a := range e.args {
			if a.hasAggregate() {
				return nil, errAt(a.pos, "nested aggregate in %s is not allowed", aggName(e))
			}
		}
		if e.filter != nil {
			if err := noAggregate(e.filter, "FILTER"); err != nil {
				return nil, err
			}
		}
		if e.name == "count" && len(e.args) == 0 {
			return nil, errAt(e.pos, "COUNT needs an argument or *")
		}
		if e.name == "approx_quantile_ds" {
			p := e.args[1]
			if p.kind != eLiteral || (p.val.Type != Float && p.val.Type != Long) || p.val.asFloat() < 0 || p.val.asFloat() > 1 {
				return nil, errAt(p.pos, "APPROX_QUANTILE_DS needs a constant probability between 0 and 1")
			}
		}
		for i, a := range q.aggs {
			if a.key() == k {
				return &expr{kind: eRef, idx: len(q.keys) + i, pos: e.pos, end: e.end}, nil
			}
		}
		q.aggs = append(q.aggs, e)
		return &expr{kind: eRef, idx: len(q.keys) + len(q.aggs) - 1, pos: e.pos, end: e.end}, nil
	case e.kind == eColumn:
		return nil, &Error{Pos: e.pos, Msg: "column " + strconv.Quote(e.name) + " must appear in GROUP BY or be used in an aggregate (at position " + strconv.Itoa(e.pos) + ")"}
	case e.kind == eStar:
		return nil, errAt(e.pos, "* is only allowed in COUNT(*)")
	}
	c := *e
	c.args = make([]*expr, len(e.args))
	for i, a := range e.args {
		r, err := q.rewrite(a)
		if err != nil {
			return nil, err
		}
		c.args[i] = r
	}
	if e.els != nil {
		r, err := q.rewrite(e.els)
		if err != nil {
			return nil, err
		}
		c.els = r
	}
	return &c, nil
}

// outerAggregate is the first aggregate met walking e from the root.
func outerAggregate(e *expr) string {
	name := ""
	e.walk(func(n *expr) bool {
		if name == "" && n.isAggregate() {
			name = n.name
		}
		return name == ""
	})
	return name
}

// AlsoSelect returns a copy of a query without grouping that also selects
// the given source columns, each under its output name, after its own
// items (the legacy API adds line_num and the raw content this way). An
// aggregate query is returned as it is.
func (q *Query) AlsoSelect(columns, names []string) *Query {
	if q.aggregate {
		return q
	}
	c := *q
	c.items = slices.Clone(q.items)
	c.columns = slices.Clone(q.columns)
	for i, col := range columns {
		c.items = append(c.items, selectItem{e: &expr{kind: eColumn, name: col}, name: names[i]})
		if !slices.Contains(c.columns, col) {
			c.columns = append(c.columns, col)
		}
	}
	return &c
}

// Limit returns the query's LIMIT, or -1 when it has none.
func (q *Query) Limit() int64 { return q.limit }

// WithLimit returns a copy of the query with another LIMIT.
func (q *Query) WithLimit(n int64) *Query {
	c := *q
	c.limit = n
	return &c
}
