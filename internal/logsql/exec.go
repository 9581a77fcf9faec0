package logsql

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync/atomic"
	"time"
)

// run is the state of one Query.Run.
type run struct {
	q      *Query
	opts   Options
	ctx    context.Context
	schema []ColumnInfo
	types  map[string]Type
	memory atomic.Int64 // bytes of state held by all workers
}

// Run executes the query over src.
func (q *Query) Run(ctx context.Context, src Source, opts Options) (*Result, error) {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxGroups <= 0 {
		opts.MaxGroups = DefaultMaxGroups
	}
	if opts.MaxMemoryBytes <= 0 {
		opts.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 1
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	r := &run{q: q, opts: opts, ctx: ctx, schema: src.Schema(), types: map[string]Type{}}
	for _, c := range r.schema {
		r.types[c.Name] = c.Type
	}
	if h, ok := src.(HiddenColumns); ok {
		for _, c := range h.HiddenColumns() {
			if _, shown := r.types[c.Name]; !shown {
				r.types[c.Name] = c.Type
			}
		}
	}
	if q.aggregate {
		return r.aggregate(src)
	}
	return r.selectRows(src)
}

func (r *run) errMemory() *Error {
	return &Error{Pos: -1, Msg: fmt.Sprintf("the query needs more than %d bytes of memory; narrow it with WHERE or a search", r.opts.MaxMemoryBytes)}
}

func (r *run) errGroups() *Error {
	return &Error{Pos: -1, Msg: fmt.Sprintf("the query produces more than %d groups; narrow it with WHERE or a search", r.opts.MaxGroups)}
}

// scan runs the source scan, treating ErrStop as a normal end.
func (r *run) scan(src Source, cols []string, parallel int, fn func(int, *Batch) error) error {
	err := src.Scan(r.ctx, cols, parallel, func(w int, b *Batch) error {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		return fn(w, b)
	})
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// columnsFor lists the source columns to decode.
func (r *run) columnsFor() []string {
	if !r.q.star {
		return r.q.Columns()
	}
	cols := r.q.Columns()
	for _, c := range r.schema {
		if !slices.Contains(cols, c.Name) {
			cols = append(cols, c.Name)
		}
	}
	return cols
}

// conjuncts splits a condition on its top-level ANDs so WHERE can narrow the
// selection step by step.
func conjuncts(e *expr) []*expr {
	if e == nil {
		return nil
	}
	if e.kind == eBinary && e.op == "AND" {
		return append(conjuncts(e.args[0]), conjuncts(e.args[1])...)
	}
	return []*expr{e}
}

// filter narrows sel to the rows where every condition is true, writing
// into the two buffers alternately (a condition reads the previous output).
func (ev *evaluator) filter(conds []*expr, b *Batch, sel []int32, bufs *[2][]int32) ([]int32, error) {
	for k, c := range conds {
		if len(sel) == 0 {
			return sel, nil
		}
		col, err := ev.eval(c, b, sel)
		if err != nil {
			return nil, err
		}
		v, nm := ev.bools(col, sel, 0, b.Len)
		out := bufs[k%2][:0]
		if nm == nil {
			for _, i := range sel {
				if v[i] != 0 {
					out = append(out, i)
				}
			}
		} else {
			for _, i := range sel {
				if v[i] != 0 && !nm[i] {
					out = append(out, i)
				}
			}
		}
		bufs[k%2] = out
		sel = out
	}
	return sel, nil
}

// aggWorker is one worker's partial aggregation state.
type aggWorker struct {
	ev     *evaluator
	table  *groupTable
	aggs   []aggState
	gids   []int32
	selBuf [2][]int32
	subBuf [2][]int32
	keyCol []*Column
	mem    int64
}

func (r *run) aggregate(src Source) (*Result, error) {
	q := r.q
	bd := &binder{types: r.types}
	where, err := bd.bind(q.where)
	if err != nil {
		return nil, err
	}
	keys := make([]*expr, len(q.keys))
	keyTypes := make([]Type, len(q.keys))
	for i, k := range q.keys {
		if keys[i], err = bd.bind(k); err != nil {
			return nil, err
		}
		keyTypes[i] = keys[i].typ
	}
	aggs := make([]*expr, len(q.aggs))
	for i, a := range q.aggs {
		if aggs[i], err = bd.bind(a); err != nil {
			return nil, err
		}
	}
	timeExpr, _ := bd.bind(&expr{kind: eColumn, name: timeColumn})
	conds := conjuncts(where)
	seed := maphash.MakeSeed()
	workers := make([]*aggWorker, r.opts.Parallel)
	for i := range workers {
		w := &aggWorker{ev: newEvaluator(r.ctx, &r.opts, bd.nodes), table: newGroupTable(keyTypes), keyCol: make([]*Column, len(keys))}
		for _, a := range aggs {
			st := newAggState(a, seed)
			st.grow(w.table.n)
			w.aggs = append(w.aggs, st)
		}
		workers[i] = w
	}
	// fold adds a batch's rows to worker wi's groups; with weights, row i
	// stands for weights[i] source rows (only COUNTs are folded so).
	fold := func(wi int, b *Batch, weights []int64) error {
		w := workers[wi]
		if b.Len == 0 {
			return nil
		}
		w.ev.startBatch()
		sel, err := w.ev.filter(conds, b, w.ev.identity(b.Len), &w.selBuf)
		if err != nil || len(sel) == 0 {
			return err
		}
		for i, k := range keys {
			if w.keyCol[i], err = w.ev.eval(k, b, sel); err != nil {
				return err
			}
		}
		if cap(w.gids) < b.Len {
			w.gids = make([]int32, b.Len)
		}
		gids := w.gids[:b.Len]
		w.table.assign(w.keyCol, sel, gids)
		if w.table.n > r.opts.MaxGroups {
			return r.errGroups()
		}
		var ts *Column
		for i, a := range aggs {
			st := w.aggs[i]
			st.grow(w.table.n)
			sub := sel
			if a.filter != nil {
				if sub, err = w.ev.filter([]*expr{a.filter}, b, sel, &w.subBuf); err != nil {
					return err
				}
			}
			var x *Column
			switch {
			case len(a.args) == 1 && a.args[0].kind == eStar:
				x = nullColumn
			case a.name == "earliest" || a.name == "latest":
				if ts == nil {
					if ts, err = w.ev.eval(timeExpr, b, sel); err != nil {
						return err
					}
				}
				fallthrough
			default:
				if x, err = w.ev.eval(a.args[0], b, sub); err != nil {
					return err
				}
			}
			if weights != nil {
				st.(*countAgg).updateWeighted(gids, sub, x, weights)
			} else {
				st.update(gids, sub, x, ts)
			}
		}
		mem := w.table.memBytes()
		for _, st := range w.aggs {
			mem += st.mem()
		}
		if r.memory.Add(mem-w.mem) > r.opts.MaxMemoryBytes {
			return r.errMemory()
		}
		w.mem = mem
		return nil
	}
	counted := false
	if gc, ok := src.(GroupCounter); ok && onlyCounts(aggs) {
		b, weights, ok, err := gc.CountBy(r.ctx, r.q.Columns())
		if err != nil {
			return nil, err
		}
		if ok {
			if err := fold(0, b, weights); err != nil {
				return nil, err
			}
			counted = true
		}
	}
	if !counted {
		err = r.scan(src, r.q.Columns(), r.opts.Parallel, func(wi int, b *Batch) error { return fold(wi, b, nil) })
	}
	if err != nil {
		return nil, err
	}
	// Merge the partial states into worker 0.
	main := workers[0]
	vals := make([]Value, len(keys))
	for _, w := range workers[1:] {
		if w.table.n == 0 || len(keys) == 0 && w.mem == 0 {
			continue
		}
		mapping := make([]int32, w.table.n)
		for g := range mapping {
			for i := range keys {
				vals[i] = w.table.keys[i][g]
			}
			mapping[g] = main.table.lookup(vals)
		}
		if main.table.n > r.opts.MaxGroups {
			return nil, r.errGroups()
		}
		for i, st := range main.aggs {
			st.grow(main.table.n)
			st.merge(w.aggs[i], mapping)
		}
	}
	// The grouping stage's output: one row per group, keys then aggregates.
	n := main.table.n
	gb := &Batch{Len: n, Cols: map[string]*Column{}}
	colVals := make([]Value, n)
	for i := range keys {
		gb.Cols[refName(i)] = columnOf(main.table.keys[i][:n], keyTypes[i])
	}
	for i, st := range main.aggs {
		for g := 0; g < n; g++ {
			colVals[g] = st.result(g)
		}
		gb.Cols[refName(len(keys)+i)] = columnOf(colVals, aggs[i].typ)
	}
	return r.finishGroups(gb)
}

// onlyCounts reports whether every aggregate is a COUNT without DISTINCT:
// such a query's answer depends only on how many rows hold each
// combination of the values it reads, which a GroupCounter can tell.
func onlyCounts(aggs []*expr) bool {
	for _, a := range aggs {
		if a.name != "count" || a.distinct {
			return false
		}
	}
	return true
}

// columnOf builds a column from values; a long column that received floats
// (an overflowed SUM) becomes a float column.
func columnOf(vals []Value, t Type) *Column {
	for _, v := range vals {
		if v.Type != Null && v.Type != t {
			t = unify(t, v.Type)
		}
	}
	c := &Column{Type: t}
	n := len(vals)
	switch t {
	case Long, Bool:
		c.Long = make([]int64, n)
	case Float:
		c.Float = make([]float64, n)
	case String:
		c.Str = make([]string, n)
	}
	for i, v := range vals {
		if v.Type == Null {
			if t != Null {
				nulls(c, n)[i] = true
			}
			continue
		}
		setValue(c, i, v)
	}
	return c
}

// finishGroups applies HAVING, ORDER BY, DISTINCT, OFFSET/LIMIT and the
// select list to the grouping stage's output.
func (r *run) finishGroups(gb *Batch) (*Result, error) {
	q := r.q
	types := map[string]Type{}
	for name, c := range gb.Cols {
		types[name] = c.Type
	}
	bd := &binder{types: types}
	items := make([]*expr, len(q.post))
	var err error
	for i, e := range q.post {
		if items[i], err = bd.bind(e); err != nil {
			return nil, err
		}
	}
	having, err := bd.bind(q.postHaving)
	if err != nil {
		return nil, err
	}
	order := make([]orderItem, len(q.postOrder))
	for i, o := range q.postOrder {
		e, err := bd.bind(o.e)
		if err != nil {
			return nil, err
		}
		order[i] = orderItem{e: e, desc: o.desc}
	}
	ev := newEvaluator(r.ctx, &r.opts, bd.nodes)
	var buf [2][]int32
	sel, err := ev.filter(conjuncts(having), gb, slices.Clone(ev.identity(gb.Len)), &buf)
	if err != nil {
		return nil, err
	}
	if len(order) > 0 {
		keys := make([]*Column, len(order))
		for i, o := range order {
			if keys[i], err = ev.eval(o.e, gb, sel); err != nil {
				return nil, err
			}
			keys[i] = cloneColumn(keys[i])
		}
		slices.SortStableFunc(sel, func(a, b int32) int {
			for i, o := range order {
				c := orderValues(keys[i].Value(int(a)), keys[i].Value(int(b)))
				if o.desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	cols := make([]*Column, len(items))
	for i, e := range items {
		if cols[i], err = ev.eval(e, gb, sel); err != nil {
			return nil, err
		}
	}
	res := r.resultHeader()
	var seen map[string]bool
	var key []byte
	if q.distinct {
		seen = map[string]bool{}
	}
	skip := q.offset
	for _, g := range sel {
		row := make([]Value, len(cols))
		for i, c := range cols {
			row[i] = c.Value(int(g))
		}
		if seen != nil {
			key = key[:0]
			for _, v := range row {
				key = appendKey(key, v)
			}
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		if skip > 0 {
			skip--
			continue
		}
		if q.limit >= 0 && int64(len(res.Rows)) >= q.limit {
			break
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func cloneColumn(c *Column) *Column {
	return &Column{Type: c.Type, Long: slices.Clone(c.Long), Float: slices.Clone(c.Float), Str: slices.Clone(c.Str), Null: slices.Clone(c.Null)}
}

func (r *run) resultHeader() *Result {
	res := &Result{Rows: [][]Value{}}
	for _, it := range r.q.items {
		if it.star {
			for _, c := range r.schema {
				res.Columns = append(res.Columns, ResultColumn{Name: c.Name})
			}
			continue
		}
		res.Columns = append(res.Columns, ResultColumn{Name: it.name, Aggregate: outerAggregate(it.e)})
	}
	return res
}
