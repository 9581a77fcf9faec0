package logsql

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// evaluator evaluates bound expressions column-at-a-time over a batch. Every
// result is a column indexed by row number; only the rows in the selection
// vector sel are defined. Scratch columns are owned per node and reused
// across batches, so one evaluator serves one goroutine.
type evaluator struct {
	fc      fctx
	scratch []*Column
	fbufs   [][]float64
	likes   map[int]*likeMatcher
	periods map[int]*period
	inLists map[int]*inLiterals
	// strBytes counts the bytes of the strings functions made for the
	// current batch, against strBudget: a query like nested replace() or
	// a long chain of || would otherwise grow without bound.
	strBytes, strBudget int64
	args                []Value
	ident               []int32
}

func newEvaluator(ctx context.Context, opts *Options, nodes int) *evaluator {
	return &evaluator{
		strBudget: opts.MaxMemoryBytes / int64(opts.Parallel+1),
		fc:        fctx{ctx: ctx, loc: opts.Location, now: opts.Now.UnixMilli(), regexps: map[string]*boundedRegexp{}},
		scratch:   make([]*Column, nodes),
		fbufs:     make([][]float64, 2*nodes),
		likes:     map[int]*likeMatcher{},
		inLists:   map[int]*inLiterals{},
		periods:   map[int]*period{},
	}
}

// identity returns the selection of all n rows.
func (ev *evaluator) identity(n int) []int32 {
	for len(ev.ident) < n {
		ev.ident = append(ev.ident, int32(len(ev.ident)))
	}
	return ev.ident[:n]
}

// out returns e's scratch column sized for n rows, with no nulls.
func (ev *evaluator) out(e *expr, n int) *Column {
	c := ev.scratch[e.idx]
	if c == nil {
		c = &Column{}
		ev.scratch[e.idx] = c
	}
	c.Type = e.typ
	c.Null = nil
	switch e.typ {
	case Long, Bool:
		if cap(c.Long) < n {
			c.Long = make([]int64, n)
		}
		c.Long = c.Long[:n]
	case Float:
		if cap(c.Float) < n {
			c.Float = make([]float64, n)
		}
		c.Float = c.Float[:n]
	case String:
		if cap(c.Str) < n {
			c.Str = make([]string, n)
		}
		c.Str = c.Str[:n]
	}
	return c
}

// nulls gives c a zeroed null mask of n rows (reusing its scratch buffer).
func nulls(c *Column, n int) []bool {
	if c.Null != nil {
		return c.Null
	}
	buf := c.Null[:0:cap(c.Null)]
	if cap(buf) < n {
		buf = make([]bool, n)
	} else {
		buf = buf[:n]
		clear(buf)
	}
	c.Null = buf
	return buf
}

var nullColumn = &Column{Type: Null}

func (ev *evaluator) eval(e *expr, b *Batch, sel []int32) (*Column, error) {
	if e.typ == Null {
		// Statically null (NULL literal, a column missing from the schema,
		// arithmetic on NULL): nothing to compute.
		return nullColumn, nil
	}
	switch e.kind {
	case eColumn:
		c := b.Cols[e.name]
		if c == nil || e.typ == Null {
			return nullColumn, nil
		}
		return ev.as(e, c, b, sel), nil
	case eLiteral:
		out := ev.out(e, b.Len)
		for _, r := range sel {
			setValue(out, int(r), e.val)
		}
		return out, nil
	case eStar:
		return nullColumn, nil
	case eUnary:
		return ev.evalUnary(e, b, sel)
	case eBinary:
		switch e.op {
		case "AND", "OR":
			return ev.evalLogic(e, b, sel)
		case "=", "!=", "<", "<=", ">", ">=":
			return ev.evalCompare(e, b, sel)
		case "||":
			return ev.evalFunc(e, b, sel, funcs["concat"])
		}
		return ev.evalArith(e, b, sel)
	case eIsNull:
		x, err := ev.eval(e.args[0], b, sel)
		if err != nil {
			return nil, err
		}
		out := ev.out(e, b.Len)
		for _, r := range sel {
			v := int64(0)
			if x.IsNull(int(r)) != e.not {
				v = 1
			}
			out.Long[r] = v
		}
		return out, nil
	case eIn:
		return ev.evalIn(e, b, sel)
	case eLike:
		return ev.evalLike(e, b, sel)
	case eCast:
		x, err := ev.eval(e.args[0], b, sel)
		if err != nil {
			return nil, err
		}
		return ev.as(e, x, b, sel), nil
	case eCase:
		return ev.evalCase(e, b, sel)
	case eFunc:
		if e.fn.agg {
			return nil, errAt(e.pos, "aggregate %s is not allowed here", aggName(e))
		}
		if c, ok, err := ev.evalTimeRound(e, b, sel); ok || err != nil {
			return c, err
		}
		return ev.evalFunc(e, b, sel, e.fn)
	}
	return nil, errAt(e.pos, "cannot evaluate expression")
}

func setValue(c *Column, r int, v Value) {
	if v.Type == Null {
		nulls(c, len(c.Long)+len(c.Float)+len(c.Str))[r] = true
		return
	}
	switch c.Type {
	case Long:
		c.Long[r] = v.asLong()
	case Bool:
		if v.asBool() {
			c.Long[r] = 1
		} else {
			c.Long[r] = 0
		}
	case Float:
		c.Float[r] = v.asFloat()
	case String:
		if v.Type == String {
			c.Str[r] = v.Str
		} else {
			c.Str[r] = v.String()
		}
	}
}

// convertInto writes src converted to out.Type for the selected rows.
func convertInto(out, src *Column, sel []int32) {
	if src.Type == Null {
		nm := nulls(out, len(out.Long)+len(out.Float)+len(out.Str))
		for _, r := range sel {
			nm[r] = true
		}
		return
	}
	switch {
	case out.Type == Float && src.Type == Long:
		for _, r := range sel {
			out.Float[r] = float64(src.Long[r])
		}
	case out.Type == Long && src.Type == Bool:
		copy(out.Long, src.Long)
	default:
		for _, r := range sel {
			setValue(out, int(r), src.Value(int(r)))
		}
		return
	}
	if src.Null != nil {
		nm := nulls(out, len(out.Long)+len(out.Float))
		for _, r := range sel {
			nm[r] = src.Null[r]
		}
	}
}

// mergeNulls marks out null where any input is null.
func mergeNulls(out *Column, n int, sel []int32, ins ...*Column) {
	for _, in := range ins {
		if in.Null == nil {
			continue
		}
		nm := nulls(out, n)
		for _, r := range sel {
			if in.Null[r] {
				nm[r] = true
			}
		}
	}
}

// floats returns c as float64 values (converting into a scratch buffer).
func (ev *evaluator) floats(c *Column, sel []int32, slot int, n int) []float64 {
	if c.Type == Float {
		return c.Float
	}
	buf := ev.fbufs[slot]
	if cap(buf) < n {
		buf = make([]float64, n)
		ev.fbufs[slot] = buf
	}
	buf = buf[:n]
	switch c.Type {
	case Long, Bool:
		for _, r := range sel {
			buf[r] = float64(c.Long[r])
		}
	case String:
		for _, r := range sel {
			buf[r] = parseFloat(c.Str[r])
		}
	}
	return buf
}

func (ev *evaluator) evalUnary(e *expr, b *Batch, sel []int32) (*Column, error) {
	x, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, err
	}
	out := ev.out(e, b.Len)
	if x.Type == Null || e.typ == Null {
		convertInto(out, nullColumn, sel)
		return out, nil
	}
	if e.op == "NOT" {
		bs, bn := ev.bools(x, sel, e.idx, b.Len)
		for _, r := range sel {
			out.Long[r] = 1 - bs[r]
		}
		if bn != nil {
			nm := nulls(out, b.Len)
			for _, r := range sel {
				nm[r] = bn[r]
			}
		}
		return out, nil
	}
	if e.typ == Long {
		for _, r := range sel {
			out.Long[r] = -x.Long[r]
		}
	} else {
		f := ev.floats(x, sel, 2*e.idx, b.Len)
		for _, r := range sel {
			out.Float[r] = -f[r]
		}
	}
	mergeNulls(out, b.Len, sel, x)
	return out, nil
}

// bools returns x as 0/1 values plus its null mask.
func (ev *evaluator) bools(x *Column, sel []int32, slot int, n int) ([]int64, []bool) {
	switch x.Type {
	case Bool:
		return x.Long, x.Null
	case Null:
		c := &Column{Type: Bool, Long: make([]int64, n)}
		nm := nulls(c, n)
		for i := range nm {
			nm[i] = true
		}
		return c.Long, nm
	}
	c := &Column{Type: Bool, Long: make([]int64, n)}
	convertInto(c, x, sel)
	return c.Long, c.Null
}

func (ev *evaluator) evalLogic(e *expr, b *Batch, sel []int32) (*Column, error) {
	l, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, err
	}
	r, err := ev.eval(e.args[1], b, sel)
	if err != nil {
		return nil, err
	}
	lv, ln := ev.bools(l, sel, 0, b.Len)
	rv, rn := ev.bools(r, sel, 0, b.Len)
	out := ev.out(e, b.Len)
	and := e.op == "AND"
	if ln == nil && rn == nil {
		if and {
			for _, i := range sel {
				out.Long[i] = lv[i] & rv[i]
			}
		} else {
			for _, i := range sel {
				out.Long[i] = lv[i] | rv[i]
			}
		}
		return out, nil
	}
	nm := nulls(out, b.Len)
	for _, i := range sel {
		lnull := ln != nil && ln[i]
		rnull := rn != nil && rn[i]
		a, c := lv[i], rv[i]
		if and {
			switch {
			case !lnull && a == 0, !rnull && c == 0:
				out.Long[i] = 0
			case lnull || rnull:
				nm[i] = true
			default:
				out.Long[i] = 1
			}
		} else {
			switch {
			case !lnull && a == 1, !rnull && c == 1:
				out.Long[i] = 1
			case lnull || rnull:
				nm[i] = true
			default:
				out.Long[i] = 0
			}
		}
	}
	return out, nil
}

// cmpTruth maps a comparison outcome (-1, 0, 1 → index 0..2) to 0/1 per operator.
func cmpTruth(op string) [3]int64 {
	switch op {
	case "=":
		return [3]int64{0, 1, 0}
	case "!=":
		return [3]int64{1, 0, 1}
	case "<":
		return [3]int64{1, 0, 0}
	case "<=":
		return [3]int64{1, 1, 0}
	case ">":
		return [3]int64{0, 0, 1}
	}
	return [3]int64{0, 1, 1} // >=
}

func (ev *evaluator) evalCompare(e *expr, b *Batch, sel []int32) (*Column, error) {
	l, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, err
	}
	out := ev.out(e, b.Len)
	truth := cmpTruth(e.op)
	lit := e.args[1]
	if lit.kind == eLiteral && lit.val.Type != Null && l.Type != Null {
		// Column against a constant: the common filter shape.
		switch {
		case (l.Type == Long || l.Type == Bool) && (lit.val.Type == Long || lit.val.Type == Bool):
			k := lit.val.asLong()
			for _, r := range sel {
				x := l.Long[r]
				c := 1
				if x < k {
					c = 0
				} else if x > k {
					c = 2
				}
				out.Long[r] = truth[c]
			}
		case l.Type == String && lit.val.Type == String && (e.op == "=" || e.op == "!="):
			k := lit.val.Str
			hit := truth[1]
			for _, r := range sel {
				if l.Str[r] == k {
					out.Long[r] = hit
				} else {
					out.Long[r] = 1 - hit
				}
			}
		case l.Type == String && lit.val.Type == String:
			k := lit.val.Str
			for _, r := range sel {
				out.Long[r] = truth[strings.Compare(l.Str[r], k)+1]
			}
		default:
			k := lit.val.asFloat()
			f := ev.floats(l, sel, 2*e.idx, b.Len)
			for _, r := range sel {
				out.Long[r] = truth[cmpFloat(f[r], k)+1]
			}
		}
		mergeNulls(out, b.Len, sel, l)
		return out, nil
	}
	r, err := ev.eval(e.args[1], b, sel)
	if err != nil {
		return nil, err
	}
	if l.Type == Null || r.Type == Null {
		convertInto(out, nullColumn, sel)
		return out, nil
	}
	isInt := func(t Type) bool { return t == Long || t == Bool }
	switch {
	case isInt(l.Type) && isInt(r.Type):
		for _, i := range sel {
			x, y := l.Long[i], r.Long[i]
			c := 1
			if x < y {
				c = 0
			} else if x > y {
				c = 2
			}
			out.Long[i] = truth[c]
		}
	case l.Type == String && r.Type == String:
		for _, i := range sel {
			out.Long[i] = truth[strings.Compare(l.Str[i], r.Str[i])+1]
		}
	default:
		lf := ev.floats(l, sel, 2*e.idx, b.Len)
		rf := ev.floats(r, sel, 2*e.idx+1, b.Len)
		for _, i := range sel {
			out.Long[i] = truth[cmpFloat(lf[i], rf[i])+1]
		}
	}
	mergeNulls(out, b.Len, sel, l, r)
	return out, nil
}

func (ev *evaluator) evalArith(e *expr, b *Batch, sel []int32) (*Column, error) {
	l, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, err
	}
	r, err := ev.eval(e.args[1], b, sel)
	if err != nil {
		return nil, err
	}
	out := ev.out(e, b.Len)
	if l.Type == Null || r.Type == Null || e.typ == Null {
		convertInto(out, nullColumn, sel)
		return out, nil
	}
	mergeNulls(out, b.Len, sel, l, r)
	if e.typ == Long {
		x, y, o := l.Long, r.Long, out.Long
		if addSubMul(e.op, x, y, o, sel) {
			return out, nil
		}
		switch e.op {
		case "/", "%":
			for _, i := range sel {
				switch d := y[i]; {
				case d == 0:
					nulls(out, b.Len)[i] = true
				case d == -1: // avoids the MinInt64 / -1 trap
					if e.op == "/" {
						o[i] = -x[i]
					} else {
						o[i] = 0
					}
				case e.op == "/":
					o[i] = x[i] / d
				default:
					o[i] = x[i] % d
				}
			}
		}
		return out, nil
	}
	x := ev.floats(l, sel, 2*e.idx, b.Len)
	y := ev.floats(r, sel, 2*e.idx+1, b.Len)
	o := out.Float
	if addSubMul(e.op, x, y, o, sel) {
		return out, nil
	}
	switch e.op {
	case "/":
		for _, i := range sel {
			if y[i] == 0 {
				nulls(out, b.Len)[i] = true
			} else {
				o[i] = x[i] / y[i]
			}
		}
	case "%":
		for _, i := range sel {
			if y[i] == 0 {
				nulls(out, b.Len)[i] = true
			} else {
				o[i] = math.Mod(x[i], y[i])
			}
		}
	}
	return out, nil
}

func (ev *evaluator) evalIn(e *expr, b *Batch, sel []int32) (*Column, error) {
	x, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, err
	}
	// find reports whether row ri's value v is in the list, and whether
	// the list held a null there (which makes a miss unknown).
	var find func(ri int, v Value) (found, sawNull bool)
	if lits := ev.inList(e); lits != nil {
		find = func(_ int, v Value) (bool, bool) { return lits.has(v), lits.hasNull }
	} else {
		list := make([]*Column, len(e.args)-1)
		for i, a := range e.args[1:] {
			if list[i], err = ev.eval(a, b, sel); err != nil {
				return nil, err
			}
		}
		find = func(ri int, v Value) (found, sawNull bool) {
			for _, c := range list {
				if c.IsNull(ri) {
					sawNull = true
				} else if compareValues(v, c.Value(ri)) == 0 {
					return true, sawNull
				}
			}
			return false, sawNull
		}
	}
	out := ev.out(e, b.Len)
	hit, miss := int64(1), int64(0)
	if e.not {
		hit, miss = 0, 1
	}
	for _, r := range sel {
		ri := int(r)
		if x.IsNull(ri) {
			nulls(out, b.Len)[r] = true
			continue
		}
		found, sawNull := find(ri, x.Value(ri))
		switch {
		case found:
			out.Long[r] = hit
		case sawNull:
			nulls(out, b.Len)[r] = true
		default:
			out.Long[r] = miss
		}
	}
	return out, nil
}

func (ev *evaluator) evalLike(e *expr, b *Batch, sel []int32) (*Column, error) {
	x, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, err
	}
	out := ev.out(e, b.Len)
	hit, miss := int64(1), int64(0)
	if e.not {
		hit, miss = 0, 1
	}
	var m *likeMatcher
	var pat *Column
	if p := e.args[1]; p.kind == eLiteral && p.val.Type != Null {
		if m = ev.likes[e.idx]; m == nil {
			m = compileLike(p.val.String())
			ev.likes[e.idx] = m
		}
	} else if pat, err = ev.eval(e.args[1], b, sel); err != nil {
		return nil, err
	}
	for _, r := range sel {
		ri := int(r)
		if x.IsNull(ri) || pat != nil && pat.IsNull(ri) {
			nulls(out, b.Len)[r] = true
			continue
		}
		mm := m
		if mm == nil {
			mm = compileLike(pat.Value(ri).String())
		}
		var s string
		if x.Type == String {
			s = x.Str[r]
		} else {
			s = x.Value(ri).String()
		}
		if mm.match(s, ev.fc.stopped) {
			out.Long[r] = hit
		} else {
			out.Long[r] = miss
		}
	}
	return out, ev.fc.ctx.Err()
}

func (ev *evaluator) evalCase(e *expr, b *Batch, sel []int32) (*Column, error) {
	out := ev.out(e, b.Len)
	rest := append([]int32(nil), sel...)
	for i := 0; i+1 < len(e.args) && len(rest) > 0; i += 2 {
		c, err := ev.eval(e.args[i], b, rest)
		if err != nil {
			return nil, err
		}
		cv, cn := ev.bools(c, rest, 0, b.Len)
		var hit, miss []int32
		for _, r := range rest {
			if (cn == nil || !cn[r]) && cv[r] != 0 {
				hit = append(hit, r)
			} else {
				miss = append(miss, r)
			}
		}
		if len(hit) > 0 {
			th, err := ev.eval(e.args[i+1], b, hit)
			if err != nil {
				return nil, err
			}
			for _, r := range hit {
				setValue(out, int(r), th.Value(int(r)))
			}
		}
		rest = miss
	}
	if len(rest) == 0 {
		return out, nil
	}
	if e.els == nil {
		nm := nulls(out, b.Len)
		for _, r := range rest {
			nm[r] = true
		}
		return out, nil
	}
	el, err := ev.eval(e.els, b, rest)
	if err != nil {
		return nil, err
	}
	for _, r := range rest {
		setValue(out, int(r), el.Value(int(r)))
	}
	return out, nil
}

// evalFunc runs a scalar function row by row on Values.
func (ev *evaluator) evalFunc(e *expr, b *Batch, sel []int32, fn *funcDef) (*Column, error) {
	cols := make([]*Column, len(e.args))
	for i, a := range e.args {
		c, err := ev.eval(a, b, sel)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	out := ev.out(e, b.Len)
	if cap(ev.args) < len(cols) {
		ev.args = make([]Value, len(cols))
	}
	args := ev.args[:len(cols)]
	nm := []bool(nil)
	for _, r := range sel {
		// A function may be slow on one row (a regular expression over a
		// long line): look at the query's end before each.
		if ev.fc.stopped() {
			return nil, ev.fc.ctx.Err()
		}
		ri := int(r)
		null := false
		for i, c := range cols {
			args[i] = c.Value(ri)
			null = null || args[i].Type == Null
		}
		if null && !fn.nullSafe {
			if nm == nil {
				nm = nulls(out, b.Len)
			}
			nm[r] = true
			continue
		}
		v, err := fn.eval(&ev.fc, args)
		if err == nil && v.Type == String {
			if ev.strBytes += int64(len(v.Str)); ev.strBytes > ev.strBudget {
				err = &Error{Pos: -1, Msg: fmt.Sprintf("the query makes more than %d bytes of text per batch of rows; narrow it with WHERE or a search, or shorten the texts it builds", ev.strBudget)}
			}
		}
		if err != nil {
			if le, ok := err.(*Error); ok && le.Pos < 0 {
				return nil, &Error{Pos: e.pos, Msg: le.Msg + " in " + strings.ToUpper(fn.name) + " at position " + itoa(e.pos)}
			}
			return nil, err
		}
		setValue(out, ri, v)
	}
	return out, nil
}

// evalTimeRound is the vector path of time_floor/time_ceil(long, 'fixed period').
func (ev *evaluator) evalTimeRound(e *expr, b *Batch, sel []int32) (*Column, bool, error) {
	if e.name != "time_floor" && e.name != "time_ceil" || len(e.args) != 2 || e.args[0].typ != Long ||
		e.args[1].kind != eLiteral {
		return nil, false, nil
	}
	p := ev.periods[e.idx]
	if p == nil {
		pp, err := parsePeriod(e.args[1].val.String())
		if err != nil {
			return nil, false, &Error{Pos: e.pos, Msg: err.(*Error).Msg + " in " + strings.ToUpper(e.name) + " at position " + itoa(e.pos)}
		}
		p = &pp
		ev.periods[e.idx] = p
	}
	if p.fixed == 0 || ev.fc.loc != time.UTC {
		return nil, false, nil
	}
	x, err := ev.eval(e.args[0], b, sel)
	if err != nil {
		return nil, true, err
	}
	out := ev.out(e, b.Len)
	if x.Type == Null {
		convertInto(out, nullColumn, sel)
		return out, true, nil
	}
	d := p.fixed
	ceil := e.name == "time_ceil"
	for _, r := range sel {
		v := x.Long[r]
		f := floorDiv(v, d) * d
		if ceil && f != v {
			f += d
		}
		out.Long[r] = f
	}
	mergeNulls(out, b.Len, sel, x)
	return out, true, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// addSubMul computes o = x op y over the selected rows for +, - and *,
// reporting whether op was one of them.
func addSubMul[T int64 | float64](op string, x, y, o []T, sel []int32) bool {
	switch op {
	case "+":
		for _, i := range sel {
			o[i] = x[i] + y[i]
		}
	case "-":
		for _, i := range sel {
			o[i] = x[i] - y[i]
		}
	case "*":
		for _, i := range sel {
			o[i] = x[i] * y[i]
		}
	default:
		return false
	}
	return true
}

// as returns column c in e's type, converting the selected rows into e's
// output column when the types differ.
func (ev *evaluator) as(e *expr, c *Column, b *Batch, sel []int32) *Column {
	if c.Type == e.typ {
		return c
	}
	out := ev.out(e, b.Len)
	convertInto(out, c, sel)
	return out
}

// inLiterals is an IN list of literals, read once per query instead of
// once per batch, with sets for the lookups that need no conversion: a
// string among strings, an integer among integers. Other mixes compare
// value by value, as the general path does.
type inLiterals struct {
	values  []Value
	hasNull bool
	strs    map[string]struct{} // every value a string
	longs   map[int64]struct{}  // every value a Long or Bool
}

// inList returns e's list when every item is a literal, else nil.
func (ev *evaluator) inList(e *expr) *inLiterals {
	if l, ok := ev.inLists[e.idx]; ok {
		return l
	}
	l := &inLiterals{}
	allStr, allLong := true, true
	for _, a := range e.args[1:] {
		if a.kind != eLiteral {
			l = nil
			break
		}
		switch a.val.Type {
		case Null:
			l.hasNull = true
			continue
		case String:
			allLong = false
		case Long, Bool:
			allStr = false
		default:
			allStr, allLong = false, false
		}
		l.values = append(l.values, a.val)
	}
	if l != nil {
		switch {
		case allStr:
			l.strs = make(map[string]struct{}, len(l.values))
			for _, v := range l.values {
				l.strs[v.Str] = struct{}{}
			}
		case allLong:
			l.longs = make(map[int64]struct{}, len(l.values))
			for _, v := range l.values {
				l.longs[v.asLong()] = struct{}{}
			}
		}
	}
	ev.inLists[e.idx] = l
	return l
}

// has reports whether v is in the list.
func (l *inLiterals) has(v Value) bool {
	switch {
	case l.strs != nil && v.Type == String:
		_, ok := l.strs[v.Str]
		return ok
	case l.longs != nil && (v.Type == Long || v.Type == Bool):
		_, ok := l.longs[v.asLong()]
		return ok
	}
	return slices.ContainsFunc(l.values, func(w Value) bool { return compareValues(v, w) == 0 })
}

// startBatch starts the accounting of a new batch of rows.
func (ev *evaluator) startBatch() { ev.strBytes = 0 }
