package logsql

import (
	"strconv"
	"strings"
)

type exprKind uint8

const (
	eColumn  exprKind = iota // name
	eLiteral                 // val
	eStar                    // the * of COUNT(*)
	eUnary                   // op "-" or "NOT", args[0]
	eBinary                  // op, args[0], args[1]
	eFunc                    // name (lower case), args, distinct, filter
	eCase                    // args = when0, then0, when1, then1, ...; els
	eIn                      // args[0] IN args[1:], not
	eLike                    // args[0] LIKE args[1], not
	eIsNull                  // args[0] IS NULL, not
	eCast                    // args[0], typ
	eRef                     // reference to a computed column (group key or aggregate): idx
)

// expr is a node of the expression tree. One struct for every kind keeps the
// tree walks short; fields a kind does not use stay zero.
type expr struct {
	kind     exprKind
	pos, end int // source span
	op       string
	name     string
	val      Value
	args     []*expr
	els      *expr
	not      bool
	distinct bool
	filter   *expr
	typ      Type // cast target, then the bound result type
	idx      int  // eRef index; bound node id for scratch buffers
	fn       *funcDef
}

func (e *expr) clone() *expr {
	if e == nil {
		return nil
	}
	c := *e
	if e.args != nil {
		c.args = make([]*expr, len(e.args))
		for i, a := range e.args {
			c.args[i] = a.clone()
		}
	}
	c.els = e.els.clone()
	c.filter = e.filter.clone()
	return &c
}

// walk visits e and its descendants (not descending into nodes where f returns false).
func (e *expr) walk(f func(*expr) bool) {
	if e == nil || !f(e) {
		return
	}
	for _, a := range e.args {
		a.walk(f)
	}
	e.els.walk(f)
	e.filter.walk(f)
}

// key is a canonical rendering used to match expressions structurally
// (GROUP BY keys against the select list, duplicate aggregates).
func (e *expr) key() string {
	var b strings.Builder
	e.writeKey(&b)
	return b.String()
}

func (e *expr) writeKey(b *strings.Builder) {
	switch e.kind {
	case eColumn:
		b.WriteString(strconv.Quote(e.name))
	case eLiteral:
		b.WriteString(e.val.Type.String())
		b.WriteByte(':')
		b.WriteString(strconv.Quote(e.val.String()))
	case eStar:
		b.WriteByte('*')
	case eRef:
		b.WriteString("#" + strconv.Itoa(e.idx))
	default:
		b.WriteString(strconv.Itoa(int(e.kind)))
		b.WriteString(e.op)
		b.WriteString(e.name)
		if e.not {
			b.WriteString("!")
		}
		if e.distinct {
			b.WriteString("distinct ")
		}
		if e.kind == eCast {
			b.WriteString(e.typ.String())
		}
		b.WriteByte('(')
		for i, a := range e.args {
			if i > 0 {
				b.WriteByte(',')
			}
			a.writeKey(b)
		}
		if e.els != nil {
			b.WriteString(" else ")
			e.els.writeKey(b)
		}
		b.WriteByte(')')
		if e.filter != nil {
			b.WriteString(" filter ")
			e.filter.writeKey(b)
		}
	}
}

func (e *expr) isAggregate() bool {
	return e.kind == eFunc && e.fn != nil && e.fn.agg
}

func (e *expr) hasAggregate() bool {
	found := false
	e.walk(func(n *expr) bool {
		if n.isAggregate() {
			found = true
		}
		return !found
	})
	return found
}
