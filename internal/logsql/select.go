package logsql

import (
	"container/heap"
	"slices"
	"strings"
)

// sortRow is a candidate output row of an ORDER BY query.
type sortRow struct {
	keys []Value
	vals []Value
	seq  int64 // arrival order, the final tie-breaker
}

// topK keeps the best k rows (k < 0: all rows) with the worst on top of a heap.
type topK struct {
	k     int64
	desc  []bool
	rows  []sortRow
	bytes int64
}

func compareRows(desc []bool, a, b *sortRow) int {
	for i, d := range desc {
		c := orderValues(a.keys[i], b.keys[i])
		if d {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

func (t *topK) Len() int           { return len(t.rows) }
func (t *topK) Less(i, j int) bool { return compareRows(t.desc, &t.rows[i], &t.rows[j]) > 0 }
func (t *topK) Swap(i, j int)      { t.rows[i], t.rows[j] = t.rows[j], t.rows[i] }
func (t *topK) Push(x any)         { t.rows = append(t.rows, x.(sortRow)) }
func (t *topK) Pop() any {
	x := t.rows[len(t.rows)-1]
	t.rows = t.rows[:len(t.rows)-1]
	return x
}

// full reports whether a row must beat the current worst to enter.
func (t *topK) full() bool { return t.k >= 0 && int64(len(t.rows)) >= t.k }

func rowBytes(vals []Value) int64 {
	n := int64(len(vals)) * 56
	for _, v := range vals {
		n += int64(len(v.Str))
	}
	return n
}

// cloneStrings detaches kept values from the batch's memory.
func cloneStrings(vals []Value) {
	for i := range vals {
		if vals[i].Type == String {
			vals[i].Str = strings.Clone(vals[i].Str)
		}
	}
}

// selectRows runs a query without grouping: a scan that stops early when
// only LIMIT is given, or a bounded top-k for ORDER BY ... LIMIT.
func (r *run) selectRows(src Source) (*Result, error) {
	q := r.q
	bd := &binder{types: r.types}
	where, err := bd.bind(q.where)
	if err != nil {
		return nil, err
	}
	var items []*expr
	for _, it := range q.items {
		if it.star {
			for _, c := range r.schema {
				e, _ := bd.bind(&expr{kind: eColumn, name: c.Name})
				items = append(items, e)
			}
			continue
		}
		e, err := bd.bind(it.e)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	order := make([]*expr, len(q.orderBy))
	desc := make([]bool, len(q.orderBy))
	for i, o := range q.orderBy {
		if order[i], err = bd.bind(o.e); err != nil {
			return nil, err
		}
		desc[i] = o.desc
	}
	conds := conjuncts(where)
	res := r.resultHeader()
	if q.limit == 0 {
		return res, nil
	}
	cols := r.columnsFor()

	if len(order) == 0 {
		ev := newEvaluator(r.ctx, &r.opts, bd.nodes)
		var bufs [2][]int32
		itemCols := make([]*Column, len(items))
		skip := q.offset
		var used int64
		err := r.scan(src, cols, 1, func(_ int, b *Batch) error {
			ev.startBatch()
			sel, err := ev.filter(conds, b, ev.identity(b.Len), &bufs)
			if err != nil || len(sel) == 0 {
				return err
			}
			if int64(len(sel)) <= skip {
				skip -= int64(len(sel))
				return nil
			}
			sel = sel[skip:]
			skip = 0
			if q.limit >= 0 && int64(len(sel)) > q.limit-int64(len(res.Rows)) {
				sel = sel[:q.limit-int64(len(res.Rows))]
			}
			for i, e := range items {
				if itemCols[i], err = ev.eval(e, b, sel); err != nil {
					return err
				}
			}
			for _, row := range sel {
				vals := make([]Value, len(items))
				for i, c := range itemCols {
					vals[i] = c.Value(int(row))
				}
				cloneStrings(vals)
				used += rowBytes(vals)
				res.Rows = append(res.Rows, vals)
			}
			if used > r.opts.MaxMemoryBytes {
				return r.errMemory()
			}
			if q.limit >= 0 && int64(len(res.Rows)) >= q.limit {
				return ErrStop
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return res, nil
	}

	k := int64(-1)
	if q.limit >= 0 {
		k = q.offset + q.limit
	}
	type worker struct {
		ev       *evaluator
		bufs     [2][]int32
		top      topK
		keyCols  []*Column
		itemCols []*Column
		seq      int64
		mem      int64
	}
	workers := make([]*worker, r.opts.Parallel)
	for i := range workers {
		workers[i] = &worker{ev: newEvaluator(r.ctx, &r.opts, bd.nodes), top: topK{k: k, desc: desc},
			keyCols: make([]*Column, len(order)), itemCols: make([]*Column, len(items)), seq: int64(i) << 40}
	}
	err = r.scan(src, cols, r.opts.Parallel, func(wi int, b *Batch) error {
		w := workers[wi]
		w.ev.startBatch()
		sel, err := w.ev.filter(conds, b, w.ev.identity(b.Len), &w.bufs)
		if err != nil || len(sel) == 0 {
			return err
		}
		for i, e := range order {
			if w.keyCols[i], err = w.ev.eval(e, b, sel); err != nil {
				return err
			}
		}
		itemsReady := false
		cand := sortRow{keys: make([]Value, len(order))}
		// One non-null long key (ORDER BY __time): reject rows against the
		// heap's worst key without building Values.
		fastLong := len(order) == 1 && w.keyCols[0].Type == Long && w.keyCols[0].Null == nil
		for _, row := range sel {
			ri := int(row)
			if fastLong && w.top.full() {
				if thr := w.top.rows[0].keys[0]; thr.Type == Long {
					x := w.keyCols[0].Long[row]
					if desc[0] && x <= thr.Long || !desc[0] && x >= thr.Long {
						w.seq++
						continue
					}
				}
			}
			for i, c := range w.keyCols {
				cand.keys[i] = c.Value(ri)
			}
			w.seq++
			cand.seq = w.seq
			if w.top.full() && compareRows(desc, &cand, &w.top.rows[0]) >= 0 {
				continue
			}
			if !itemsReady {
				for i, e := range items {
					if w.itemCols[i], err = w.ev.eval(e, b, sel); err != nil {
						return err
					}
				}
				itemsReady = true
			}
			keep := sortRow{keys: slices.Clone(cand.keys), vals: make([]Value, len(items)), seq: cand.seq}
			for i, c := range w.itemCols {
				keep.vals[i] = c.Value(ri)
			}
			cloneStrings(keep.keys)
			cloneStrings(keep.vals)
			w.top.bytes += rowBytes(keep.keys) + rowBytes(keep.vals)
			heap.Push(&w.top, keep)
			if w.top.k >= 0 && int64(len(w.top.rows)) > w.top.k {
				old := heap.Pop(&w.top).(sortRow)
				w.top.bytes -= rowBytes(old.keys) + rowBytes(old.vals)
			}
		}
		if r.memory.Add(w.top.bytes-w.mem) > r.opts.MaxMemoryBytes {
			return r.errMemory()
		}
		w.mem = w.top.bytes
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []sortRow
	for _, w := range workers {
		all = append(all, w.top.rows...)
	}
	slices.SortFunc(all, func(a, b sortRow) int { return compareRows(desc, &a, &b) })
	if int64(len(all)) <= q.offset {
		return res, nil
	}
	all = all[q.offset:]
	if q.limit >= 0 && int64(len(all)) > q.limit {
		all = all[:q.limit]
	}
	for _, row := range all {
		res.Rows = append(res.Rows, row.vals)
	}
	return res, nil
}
