package alarms

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// A condition is an SQL rule's condition_expression over its results: a
// column of the first query's rows by name (n > 10), or of the Nth
// query's first row as $N.name; numbers, 'strings' or "strings", + - * /
// %, comparisons (> >= < <= == = !=), && and || (or "and", "or"), !, and
// parentheses. It holds when it holds for some row of the first query.
type condition interface {
	eval(env condEnv) value
}

// condEnv resolves a column of query q (0 is the first) in the row under
// evaluation.
type condEnv func(q int, name string) (value, bool)

// value is a number, a string or a boolean; null when none is set.
type value struct {
	kind int // 0 null, 1 number, 2 string, 3 bool
	num  float64
	str  string
	b    bool
}

func (v value) truthy() bool {
	switch v.kind {
	case 1:
		return v.num != 0
	case 2:
		return v.str != ""
	case 3:
		return v.b
	}
	return false
}

func (v value) number() (float64, bool) {
	switch v.kind {
	case 1:
		return v.num, true
	case 2:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.str), 64)
		return f, err == nil
	case 3:
		if v.b {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func (v value) String() string {
	switch v.kind {
	case 1:
		return strconv.FormatFloat(v.num, 'f', -1, 64)
	case 2:
		return v.str
	case 3:
		return strconv.FormatBool(v.b)
	}
	return "null"
}

type (
	litNode struct{ v value }
	colNode struct {
		q    int
		name string
	}
	unaryNode struct {
		op string
		x  condition
	}
	binNode struct {
		op   string
		l, r condition
	}
)

func (n litNode) eval(condEnv) value { return n.v }

func (n colNode) eval(env condEnv) value {
	v, _ := env(n.q, n.name)
	return v
}

func (n unaryNode) eval(env condEnv) value {
	x := n.x.eval(env)
	if n.op == "!" {
		return value{kind: 3, b: !x.truthy()}
	}
	f, ok := x.number()
	if !ok {
		return value{}
	}
	return value{kind: 1, num: -f}
}

func (n binNode) eval(env condEnv) value {
	switch n.op {
	case "&&":
		return value{kind: 3, b: n.l.eval(env).truthy() && n.r.eval(env).truthy()}
	case "||":
		return value{kind: 3, b: n.l.eval(env).truthy() || n.r.eval(env).truthy()}
	}
	l, r := n.l.eval(env), n.r.eval(env)
	if l.kind == 0 || r.kind == 0 {
		return value{}
	}
	lf, lok := l.number()
	rf, rok := r.number()
	numeric := lok && rok && (l.kind != 2 || r.kind != 2)
	var cmp int
	if numeric {
		cmp = compareFloat(lf, rf)
	} else {
		cmp = strings.Compare(l.String(), r.String())
	}
	switch n.op {
	case ">":
		return value{kind: 3, b: cmp > 0}
	case ">=":
		return value{kind: 3, b: cmp >= 0}
	case "<":
		return value{kind: 3, b: cmp < 0}
	case "<=":
		return value{kind: 3, b: cmp <= 0}
	case "==":
		return value{kind: 3, b: cmp == 0}
	case "!=":
		return value{kind: 3, b: cmp != 0}
	}
	if !lok || !rok {
		return value{}
	}
	var out float64
	switch n.op {
	case "+":
		out = lf + rf
	case "-":
		out = lf - rf
	case "*":
		out = lf * rf
	case "/":
		if rf == 0 {
			return value{}
		}
		out = lf / rf
	case "%":
		if rf == 0 {
			return value{}
		}
		out = math.Mod(lf, rf)
	}
	return value{kind: 1, num: out}
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maxConditionLen bounds a condition's text, and so its parse depth.
const maxConditionLen = 1024

func parseCondition(text string) (condition, error) {
	if len(text) > maxConditionLen {
		return nil, fmt.Errorf("longer than %d characters", maxConditionLen)
	}
	p := &condParser{src: text}
	if err := p.lex(); err != nil {
		return nil, err
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return c, nil
}

type condToken struct {
	kind int // 'n' number, 's' string, 'c' column, 'o' operator
	text string
	q    int
}

type condParser struct {
	src  string
	toks []condToken
	pos  int
}

func (p *condParser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			p.toks = append(p.toks, condToken{kind: 'n', text: s[i:j]})
			i = j
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return fmt.Errorf("unterminated string at %d", i)
			}
			p.toks = append(p.toks, condToken{kind: 's', text: s[i+1 : i+1+j]})
			i += j + 2
		case c == '$':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			q, err := strconv.Atoi(s[i+1 : j])
			if err != nil || q < 1 || q > maxRequests || j >= len(s) || s[j] != '.' {
				return fmt.Errorf("bad query reference at %d (want $1.name to $%d.name)", i, maxRequests)
			}
			k := j + 1
			for k < len(s) && isIdent(rune(s[k])) {
				k++
			}
			if k == j+1 {
				return fmt.Errorf("bad query reference at %d (want $1.name to $%d.name)", i, maxRequests)
			}
			p.toks = append(p.toks, condToken{kind: 'c', text: s[j+1 : k], q: q - 1})
			i = k
		case isIdent(rune(c)):
			j := i
			for j < len(s) && isIdent(rune(s[j])) {
				j++
			}
			word := s[i:j]
			switch strings.ToLower(word) {
			case "and":
				p.toks = append(p.toks, condToken{kind: 'o', text: "&&"})
			case "or":
				p.toks = append(p.toks, condToken{kind: 'o', text: "||"})
			case "not":
				p.toks = append(p.toks, condToken{kind: 'o', text: "!"})
			default:
				p.toks = append(p.toks, condToken{kind: 'c', text: word})
			}
			i = j
		default:
			op := ""
			for _, o := range []string{">=", "<=", "==", "!=", "<>", "&&", "||", ">", "<", "=", "+", "-", "*", "/", "%", "(", ")", "!"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return fmt.Errorf("unexpected character %q at %d", c, i)
			}
			i += len(op)
			switch op {
			case "=":
				op = "=="
			case "<>":
				op = "!="
			}
			p.toks = append(p.toks, condToken{kind: 'o', text: op})
		}
	}
	if len(p.toks) == 0 {
		return fmt.Errorf("empty")
	}
	return nil
}

func isIdent(c rune) bool { return c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c) }

func (p *condParser) peekOp(ops ...string) string {
	if p.pos < len(p.toks) && p.toks[p.pos].kind == 'o' {
		for _, o := range ops {
			if p.toks[p.pos].text == o {
				return o
			}
		}
	}
	return ""
}

func (p *condParser) binary(next func() (condition, error), ops ...string) (condition, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for op := p.peekOp(ops...); op != ""; op = p.peekOp(ops...) {
		p.pos++
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = binNode{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *condParser) or() (condition, error) { return p.binary(p.and, "||") }
func (p *condParser) and() (condition, error) {
	return p.binary(p.cmp, "&&")
}
func (p *condParser) cmp() (condition, error) {
	return p.binary(p.sum, ">", ">=", "<", "<=", "==", "!=")
}
func (p *condParser) sum() (condition, error) { return p.binary(p.prod, "+", "-") }
func (p *condParser) prod() (condition, error) {
	return p.binary(p.unary, "*", "/", "%")
}

func (p *condParser) unary() (condition, error) {
	if op := p.peekOp("-", "!"); op != "" {
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return unaryNode{op: op, x: x}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (condition, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("unexpected end")
	}
	t := p.toks[p.pos]
	p.pos++
	switch t.kind {
	case 'n':
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.text)
		}
		return litNode{value{kind: 1, num: f}}, nil
	case 's':
		return litNode{value{kind: 2, str: t.text}}, nil
	case 'c':
		switch strings.ToLower(t.text) {
		case "true", "false":
			return litNode{value{kind: 3, b: strings.EqualFold(t.text, "true")}}, nil
		}
		return colNode{q: t.q, name: t.text}, nil
	}
	if t.text == "(" {
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peekOp(")") == "" {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return c, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}
