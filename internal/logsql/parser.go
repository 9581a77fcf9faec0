package logsql

import (
	"math"
	"strconv"
	"strings"
)

var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "GROUP": true, "BY": true, "HAVING": true,
	"ORDER": true, "LIMIT": true, "OFFSET": true, "AND": true, "OR": true, "NOT": true,
	"IN": true, "IS": true, "NULL": true, "LIKE": true, "BETWEEN": true, "CASE": true,
	"WHEN": true, "THEN": true, "ELSE": true, "END": true, "AS": true, "ASC": true,
	"DESC": true, "DISTINCT": true, "ALL": true, "TRUE": true, "FALSE": true, "CAST": true,
	"FILTER": true, "JOIN": true, "UNION": true, "ON": true, "INNER": true, "LEFT": true,
	"RIGHT": true, "FULL": true, "CROSS": true, "OVER": true, "WITH": true, "INTERSECT": true,
	"EXCEPT": true,
}

type selectItem struct {
	e     *expr
	alias string
	star  bool
	name  string // output column name
}

type orderItem struct {
	e    *expr
	desc bool
}

type parser struct {
	sql   string
	toks  []token
	i     int
	depth int // nested operands: parentheses, calls, CASE, NOT, signs
}

// MaxNesting bounds how deeply expressions nest (parentheses, function
// calls, CASE, NOT and signs). The parser and the evaluator recurse once
// per level, so without a bound a query of nested parentheses would
// overflow the stack, which no recover can catch.
const MaxNesting = 200

// nest enters one more level of nesting; the caller leaves it with
// p.depth-- when done.
func (p *parser) nest() error {
	if p.depth++; p.depth > MaxNesting {
		return errAt(p.peek().pos, "the expression nests deeper than %d levels", MaxNesting)
	}
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) isKw(k string) bool { return p.peek().upper() == k }
func (p *parser) acceptKw(k string) bool {
	if p.isKw(k) {
		p.i++
		return true
	}
	return false
}
func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}
func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}
func (p *parser) unexpected() *Error {
	t := p.peek()
	if t.kind == tEOF {
		return syntaxErr(t.pos, "unexpected end of input")
	}
	return syntaxErr(t.pos, "unexpected %s", t.describe())
}
func (p *parser) expectKw(k string) error {
	if !p.acceptKw(k) {
		t := p.peek()
		if t.kind == tEOF {
			return syntaxErr(t.pos, "expected %s but the query ended", k)
		}
		return syntaxErr(t.pos, "expected %s but found %s", k, t.describe())
	}
	return nil
}
func (p *parser) expectOp(op string) error {
	if !p.acceptOp(op) {
		t := p.peek()
		if t.kind == tEOF {
			return syntaxErr(t.pos, "expected %q but the query ended", op)
		}
		return syntaxErr(t.pos, "expected %q but found %s", op, t.describe())
	}
	return nil
}

// lastEnd is the end offset of the most recently consumed token.
func (p *parser) lastEnd() int {
	if p.i == 0 {
		return 0
	}
	return p.toks[p.i-1].end
}

func (p *parser) parseQuery(q *Query) error {
	if !p.acceptKw("SELECT") {
		return p.unexpected()
	}
	if p.acceptKw("DISTINCT") {
		q.distinct = true
	} else {
		p.acceptKw("ALL")
	}
	for {
		if p.isOp("*") {
			t := p.next()
			q.items = append(q.items, selectItem{star: true, e: &expr{kind: eStar, pos: t.pos, end: t.end}})
		} else {
			e, err := p.parseExpr()
			if err != nil {
				return err
			}
			it := selectItem{e: e, name: p.display(e.pos, e.end)}
			if e.kind == eColumn {
				it.name = e.name
			}
			if p.acceptKw("AS") {
				t := p.next()
				if t.kind != tIdent && t.kind != tQIdent && t.kind != tString {
					p.i--
					return syntaxErr(t.pos, "expected an alias after AS but found %s", t.describe())
				}
				it.alias = t.text
			} else if t := p.peek(); t.kind == tQIdent || t.kind == tIdent && !reserved[t.upper()] {
				p.next()
				it.alias = t.text
			}
			if it.alias != "" {
				it.name = it.alias
			}
			q.items = append(q.items, it)
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		t := p.peek()
		switch {
		case t.kind == tOp && t.text == "(":
			return errAt(t.pos, "unsupported subquery in FROM")
		case t.kind == tIdent && !reserved[t.upper()] || t.kind == tQIdent:
			p.next()
			if !strings.EqualFold(t.text, "log") {
				return &Error{Pos: t.pos, Msg: "unsupported table " + strconv.Quote(t.text) + " at position " + strconv.Itoa(t.pos) + ": only log can be queried"}
			}
		default:
			return syntaxErr(t.pos, "expected a table name after FROM but found %s", t.describe())
		}
	}
	var err error
	if p.acceptKw("WHERE") {
		if q.where, err = p.parseExpr(); err != nil {
			return err
		}
	}
	if p.acceptKw("GROUP") {
		if err := p.expectKw("BY"); err != nil {
			return err
		}
		if q.groupBy, err = p.parseGroupList(); err != nil {
			return err
		}
	}
	if p.acceptKw("HAVING") {
		if q.having, err = p.parseExpr(); err != nil {
			return err
		}
	}
	if p.acceptKw("ORDER") {
		if err := p.expectKw("BY"); err != nil {
			return err
		}
		for {
			e, err := p.parseExpr()
			if err != nil {
				return err
			}
			it := orderItem{e: e}
			if p.acceptKw("DESC") {
				it.desc = true
			} else {
				p.acceptKw("ASC")
			}
			q.orderBy = append(q.orderBy, it)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("LIMIT") {
		n, err := p.parseCount("LIMIT")
		if err != nil {
			return err
		}
		q.limit = n
		if p.acceptOp(",") { // LIMIT offset, count
			m, err := p.parseCount("LIMIT")
			if err != nil {
				return err
			}
			q.offset, q.limit = n, m
		}
	}
	if p.acceptKw("OFFSET") {
		m, err := p.parseCount("OFFSET")
		if err != nil {
			return err
		}
		q.offset = m
	}
	p.acceptOp(";")
	if p.peek().kind != tEOF {
		return p.unexpected()
	}
	return nil
}

func (p *parser) parseCount(what string) (int64, error) {
	t := p.next()
	if t.kind != tNumber {
		return 0, syntaxErr(t.pos, "%s needs a non-negative integer but found %s", what, t.describe())
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil || n < 0 {
		return 0, syntaxErr(t.pos, "%s needs a non-negative integer but found %s", what, t.describe())
	}
	return n, nil
}

// parseGroupList accepts "a, b", "(a)" and "(a, b)".
func (p *parser) parseGroupList() ([]*expr, error) {
	if p.isOp("(") {
		save := p.i
		p.next()
		list, err := p.parseExprList()
		if err == nil && p.acceptOp(")") {
			switch t := p.peek(); {
			case t.kind == tEOF, t.kind == tOp && t.text == ";",
				t.upper() == "HAVING", t.upper() == "ORDER", t.upper() == "LIMIT", t.upper() == "OFFSET":
				return list, nil
			}
		}
		p.i = save
	}
	return p.parseExprList()
}

func (p *parser) parseExprList() ([]*expr, error) {
	var list []*expr
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.acceptOp(",") {
			return list, nil
		}
	}
}

func (p *parser) parseExpr() (*expr, error) { return p.parseOr() }

func (p *parser) parseOr() (*expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKw("OR") {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: eBinary, op: "OR", args: []*expr{l, r}, pos: l.pos, end: r.end}
	}
	return l, nil
}

func (p *parser) parseAnd() (*expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isKw("AND") {
		p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: eBinary, op: "AND", args: []*expr{l, r}, pos: l.pos, end: r.end}
	}
	return l, nil
}

func (p *parser) parseNot() (*expr, error) {
	if p.isKw("NOT") {
		defer func() { p.depth-- }()
		if err := p.nest(); err != nil {
			return nil, err
		}
		t := p.next()
		e, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &expr{kind: eUnary, op: "NOT", args: []*expr{e}, pos: t.pos, end: e.end}, nil
	}
	return p.parsePredicate()
}

func (p *parser) parsePredicate() (*expr, error) {
	l, err := p.parseAdditive()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind == tOp {
			switch t.text {
			case "=", "!=", "<>", "<", "<=", ">", ">=":
				p.next()
				r, err := p.parseAdditive()
				if err != nil {
					return nil, err
				}
				op := t.text
				if op == "<>" {
					op = "!="
				}
				l = &expr{kind: eBinary, op: op, args: []*expr{l, r}, pos: l.pos, end: r.end}
				continue
			}
			return l, nil
		}
		if t.upper() == "IS" {
			p.next()
			not := p.acceptKw("NOT")
			if err := p.expectKw("NULL"); err != nil {
				return nil, err
			}
			l = &expr{kind: eIsNull, not: not, args: []*expr{l}, pos: l.pos, end: p.lastEnd()}
			continue
		}
		not := false
		if t.upper() == "NOT" {
			switch p.peekAt(1).upper() {
			case "IN", "LIKE", "BETWEEN":
				p.next()
				not = true
			default:
				return l, nil
			}
		}
		switch p.peek().upper() {
		case "IN":
			p.next()
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			if p.isKw("SELECT") {
				return nil, errAt(p.peek().pos, "unsupported subquery in IN")
			}
			list, err := p.parseExprList()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			l = &expr{kind: eIn, not: not, args: append([]*expr{l}, list...), pos: l.pos, end: p.lastEnd()}
		case "LIKE":
			p.next()
			r, err := p.parseAdditive()
			if err != nil {
				return nil, err
			}
			l = &expr{kind: eLike, not: not, args: []*expr{l, r}, pos: l.pos, end: r.end}
		case "BETWEEN":
			p.next()
			lo, err := p.parseAdditive()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("AND"); err != nil {
				return nil, err
			}
			hi, err := p.parseAdditive()
			if err != nil {
				return nil, err
			}
			ge := &expr{kind: eBinary, op: ">=", args: []*expr{l, lo}, pos: l.pos, end: lo.end}
			le := &expr{kind: eBinary, op: "<=", args: []*expr{l, hi}, pos: l.pos, end: hi.end}
			b := &expr{kind: eBinary, op: "AND", args: []*expr{ge, le}, pos: l.pos, end: hi.end}
			if not {
				b = &expr{kind: eUnary, op: "NOT", args: []*expr{b}, pos: l.pos, end: hi.end}
			}
			l = b
		default:
			return l, nil
		}
	}
}

func (p *parser) parseAdditive() (*expr, error) {
	l, err := p.parseMul()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") || p.isOp("||") {
		op := p.next().text
		r, err := p.parseMul()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: eBinary, op: op, args: []*expr{l, r}, pos: l.pos, end: r.end}
	}
	return l, nil
}

func (p *parser) parseMul() (*expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		op := p.next().text
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &expr{kind: eBinary, op: op, args: []*expr{l, r}, pos: l.pos, end: r.end}
	}
	return l, nil
}

func (p *parser) parseUnary() (*expr, error) {
	defer func() { p.depth-- }()
	if err := p.nest(); err != nil {
		return nil, err
	}
	if p.isOp("-") || p.isOp("+") {
		t := p.next()
		if t.text == "-" && p.peek().kind == tNumber {
			n := p.next()
			e, err := numberLiteral("-"+n.text, t.pos)
			if err != nil {
				return nil, err
			}
			e.end = n.end
			return e, nil
		}
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if t.text == "+" {
			return e, nil
		}
		return &expr{kind: eUnary, op: "-", args: []*expr{e}, pos: t.pos, end: e.end}, nil
	}
	return p.parsePrimary()
}

func numberLiteral(text string, pos int) (*expr, error) {
	if !strings.ContainsAny(text, ".eE") {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return &expr{kind: eLiteral, val: Value{Type: Long, Long: n}, pos: pos}, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, syntaxErr(pos, "malformed number %q", text)
	}
	return &expr{kind: eLiteral, val: Value{Type: Float, Float: f}, pos: pos}, nil
}

func (p *parser) parsePrimary() (*expr, error) {
	t := p.peek()
	switch t.kind {
	case tNumber:
		p.next()
		e, err := numberLiteral(t.text, t.pos)
		if err != nil {
			return nil, err
		}
		e.end = t.end
		return e, nil
	case tString:
		p.next()
		return &expr{kind: eLiteral, val: Value{Type: String, Str: t.text}, pos: t.pos, end: t.end}, nil
	case tQIdent:
		p.next()
		return &expr{kind: eColumn, name: t.text, pos: t.pos, end: t.end}, nil
	case tOp:
		if t.text == "(" {
			p.next()
			if p.isKw("SELECT") {
				return nil, errAt(p.peek().pos, "unsupported subquery")
			}
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			// The span includes the parentheses so display names keep them.
			e.pos, e.end = t.pos, p.lastEnd()
			return e, nil
		}
		return nil, p.unexpected()
	case tIdent:
		switch t.upper() {
		case "NULL":
			p.next()
			return &expr{kind: eLiteral, pos: t.pos, end: t.end}, nil
		case "TRUE", "FALSE":
			p.next()
			return &expr{kind: eLiteral, val: Value{Type: Bool, Bool: t.upper() == "TRUE"}, pos: t.pos, end: t.end}, nil
		case "CASE":
			return p.parseCase()
		case "CAST":
			return p.parseCast()
		}
		if p.peekAt(1).kind == tOp && p.peekAt(1).text == "(" {
			return p.parseCall()
		}
		if reserved[t.upper()] {
			return nil, p.unexpected()
		}
		p.next()
		return &expr{kind: eColumn, name: t.text, pos: t.pos, end: t.end}, nil
	}
	return nil, p.unexpected()
}

func (p *parser) parseCase() (*expr, error) {
	t := p.next()
	e := &expr{kind: eCase, pos: t.pos}
	var operand *expr
	if !p.isKw("WHEN") {
		var err error
		if operand, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	for p.acceptKw("WHEN") {
		w, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if operand != nil {
			w = &expr{kind: eBinary, op: "=", args: []*expr{operand, w}, pos: w.pos, end: w.end}
		}
		if err := p.expectKw("THEN"); err != nil {
			return nil, err
		}
		th, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		e.args = append(e.args, w, th)
	}
	if len(e.args) == 0 {
		return nil, syntaxErr(p.peek().pos, "CASE needs at least one WHEN but found %s", p.peek().describe())
	}
	if p.acceptKw("ELSE") {
		var err error
		if e.els, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("END"); err != nil {
		return nil, err
	}
	e.end = p.lastEnd()
	return e, nil
}

var castTypes = map[string]Type{
	"VARCHAR": String, "STRING": String, "CHAR": String, "TEXT": String,
	"BIGINT": Long, "LONG": Long, "INT": Long, "INTEGER": Long, "SMALLINT": Long, "TINYINT": Long,
	"DOUBLE": Float, "FLOAT": Float, "REAL": Float, "DECIMAL": Float,
	"BOOLEAN": Bool, "BOOL": Bool,
}

func (p *parser) parseCast() (*expr, error) {
	t := p.next()
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectKw("AS"); err != nil {
		return nil, err
	}
	tt := p.next()
	typ, ok := castTypes[tt.upper()]
	if !ok {
		return nil, errAt(tt.pos, "unsupported CAST target type %s", tt.describe())
	}
	if tt.upper() == "VARCHAR" || tt.upper() == "DECIMAL" || tt.upper() == "CHAR" {
		// VARCHAR(n) / DECIMAL(p, s): the size does not change our types.
		if p.acceptOp("(") {
			for !p.acceptOp(")") {
				if p.peek().kind == tEOF {
					return nil, p.unexpected()
				}
				p.next()
			}
		}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return &expr{kind: eCast, typ: typ, args: []*expr{x}, pos: t.pos, end: p.lastEnd()}, nil
}

func (p *parser) parseCall() (*expr, error) {
	t := p.next()
	name := strings.ToLower(t.text)
	p.next() // (
	def := lookupFunc(name)
	if def == nil {
		return nil, &Error{Pos: t.pos, Msg: "unsupported function " + strconv.Quote(t.text) + " at position " + strconv.Itoa(t.pos)}
	}
	e := &expr{kind: eFunc, name: def.name, fn: def, pos: t.pos}
	switch {
	case p.isOp(")"):
	case p.isOp("*") && p.peekAt(1).kind == tOp && p.peekAt(1).text == ")":
		s := p.next()
		if def.name != "count" {
			return nil, errAt(s.pos, "%s(*) is not supported, only COUNT(*)", strings.ToUpper(name))
		}
		e.args = []*expr{{kind: eStar, pos: s.pos, end: s.end}}
	default:
		if p.acceptKw("DISTINCT") {
			if def.name != "count" {
				return nil, errAt(t.pos, "DISTINCT is only supported in COUNT, not in %s", strings.ToUpper(name))
			}
			e.distinct = true
		} else {
			p.acceptKw("ALL")
		}
		if def.name == "strpos" && name == "position" {
			// POSITION(sub IN str) is strpos(str, sub).
			sub, err := p.parseAdditive()
			if err != nil {
				return nil, err
			}
			if p.acceptKw("IN") {
				str, err := p.parseAdditive()
				if err != nil {
					return nil, err
				}
				e.args = []*expr{str, sub}
				break
			}
			e.args = []*expr{sub}
			if p.acceptOp(",") {
				rest, err := p.parseExprList()
				if err != nil {
					return nil, err
				}
				e.args = append(e.args, rest...)
			}
			break
		}
		args, err := p.parseExprList()
		if err != nil {
			return nil, err
		}
		e.args = args
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	e.end = p.lastEnd()
	if n := len(e.args); n < def.minArgs || def.maxArgs >= 0 && n > def.maxArgs {
		return nil, errAt(t.pos, "wrong number of arguments to %s: %d", strings.ToUpper(name), n)
	}
	if p.isKw("FILTER") {
		f := p.next()
		if !def.agg {
			return nil, errAt(f.pos, "FILTER is only allowed after an aggregate, not after %s", strings.ToUpper(name))
		}
		if err := p.expectOp("("); err != nil {
			return nil, err
		}
		if err := p.expectKw("WHERE"); err != nil {
			return nil, err
		}
		cond, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		e.filter = cond
		e.end = p.lastEnd()
	}
	if p.isKw("OVER") {
		return nil, errAt(p.peek().pos, "unsupported window function OVER")
	}
	return e, nil
}

// display renders the source text of [pos, end) the way result columns are
// named: keywords and function names lower-cased, whitespace collapsed to one
// space and dropped inside parentheses and before commas.
func (p *parser) display(pos, end int) string {
	var b strings.Builder
	var prev *token
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == tEOF || t.pos < pos || t.end > end {
			continue
		}
		if prev != nil && prev.end < t.pos && !(prev.kind == tOp && prev.text == "(") &&
			!(t.kind == tOp && (t.text == ")" || t.text == ",")) {
			b.WriteByte(' ')
		}
		switch t.kind {
		case tString:
			b.WriteString("'" + strings.ReplaceAll(t.text, "'", "''") + "'")
		case tQIdent:
			b.WriteString(`"` + strings.ReplaceAll(t.text, `"`, `""`) + `"`)
		case tIdent:
			next := p.toks[i+1]
			if reserved[t.upper()] || next.kind == tOp && next.text == "(" {
				b.WriteString(strings.ToLower(t.text))
			} else {
				b.WriteString(t.text)
			}
		default:
			b.WriteString(t.text)
		}
		prev = t
	}
	return b.String()
}
