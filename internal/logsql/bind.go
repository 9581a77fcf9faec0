package logsql

import "strconv"

// binder assigns result types and scratch ids to a cloned expression tree.
type binder struct {
	types map[string]Type
	nodes int
}

func refName(i int) string { return "\x00" + strconv.Itoa(i) }

func (bd *binder) bind(e *expr) (*expr, error) {
	if e == nil {
		return nil, nil
	}
	e = e.clone()
	if err := bd.bindNode(e); err != nil {
		return nil, err
	}
	return e, nil
}

func (bd *binder) bindNode(e *expr) error {
	for _, a := range e.args {
		if err := bd.bindNode(a); err != nil {
			return err
		}
	}
	if e.els != nil {
		if err := bd.bindNode(e.els); err != nil {
			return err
		}
	}
	if e.filter != nil {
		if err := bd.bindNode(e.filter); err != nil {
			return err
		}
	}
	if e.kind == eRef {
		e.kind, e.name = eColumn, refName(e.idx)
	}
	e.idx, bd.nodes = bd.nodes, bd.nodes+1
	switch e.kind {
	case eColumn:
		e.typ = bd.types[e.name]
	case eLiteral:
		e.typ = e.val.Type
	case eStar:
		e.typ = Long
	case eUnary:
		if e.op == "NOT" {
			e.typ = Bool
		} else {
			e.typ = arithType(e.args[0].typ, Long)
		}
	case eBinary:
		l, r := e.args[0].typ, e.args[1].typ
		switch e.op {
		case "AND", "OR", "=", "!=", "<", "<=", ">", ">=":
			e.typ = Bool
		case "||":
			e.typ = String
		default:
			e.typ = arithType(l, r)
		}
	case eIn, eLike, eIsNull:
		e.typ = Bool
	case eCast:
		// typ already holds the target
	case eCase:
		t := Null
		for i := 1; i < len(e.args); i += 2 {
			t = unify(t, e.args[i].typ)
		}
		if e.els != nil {
			t = unify(t, e.els.typ)
		}
		e.typ = t
	case eFunc:
		ts := make([]Type, len(e.args))
		for i, a := range e.args {
			ts[i] = a.typ
		}
		e.typ = e.fn.ret(ts)
	}
	return nil
}

// arithType: integers stay integers; anything else (floats, strings parsed
// leniently) is a float. Null operands make the result null, typed as the
// other side.
func arithType(l, r Type) Type {
	isInt := func(t Type) bool { return t == Long || t == Bool || t == Null }
	if isInt(l) && isInt(r) {
		if l == Null && r == Null {
			return Null
		}
		return Long
	}
	return Float
}
