package logquery

import (
	"fmt"
	"strings"
)

// Parse parses keywords with the tokenizer t (nil: DefaultTokenizer()).
// Empty keywords, or only spaces, match everything. Errors are *Error.
func Parse(keywords string, t *Tokenizer) (*Query, error) {
	if t == nil {
		t = DefaultTokenizer()
	}
	q := &Query{tok: t}
	if len(keywords) > MaxKeywordsLength {
		return nil, syntaxError(keywords, MaxKeywordsLength, fmt.Sprintf("keywords are %d bytes long, at most %d are allowed; the excess starts", len(keywords), MaxKeywordsLength))
	}
	items, err := lex(keywords)
	if err != nil {
		return nil, err
	}
	if items[0].kind == itemEOF {
		return q, nil
	}
	p := &parser{src: keywords, items: items, q: q, seen: map[string]int{}}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if it := p.peek(); it.kind != itemEOF {
		return nil, p.unexpected(it)
	}
	q.root = root
	q.plan()
	return q, nil
}

// parser is a recursive-descent parser over the items of one keywords
// expression; it registers full-text atoms in q as it meets them.
type parser struct {
	src   string
	items []item
	next  int
	depth int // nested unary operands
	neg   int // NOTs around the current term: odd means negated
	q     *Query
	seen  map[string]int // atom key -> index in q.atoms
}

func (p *parser) peek() item { return p.items[p.next] }

func (p *parser) take() item {
	it := p.items[p.next]
	if it.kind != itemEOF {
		p.next++
	}
	return it
}

func (p *parser) errorAt(pos int, format string, args ...any) *Error {
	return syntaxError(p.src, pos, fmt.Sprintf(format, args...))
}

// unexpected reports an item that cannot stand where it is.
func (p *parser) unexpected(it item) *Error {
	switch it.kind {
	case itemEOF:
		return p.errorAt(it.pos, "missing search term")
	case itemAnd, itemOr, itemNot, itemIn:
		return p.errorAt(it.pos, "unexpected reserved word %q (quote it to search for it)", it.text)
	}
	return p.errorAt(it.pos, "unexpected %s", it.describe())
}

// or := and { OR and }
func (p *parser) or() (*node, *Error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == itemOr {
		right, err := p.operand(p.take(), p.and)
		if err != nil {
			return nil, err
		}
		left = join(nodeOr, left, right)
	}
	return left, nil
}

// and := unary { [AND] unary | NOT unary }; `a not b` is a AND NOT b.
func (p *parser) and() (*node, *Error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		var right *node
		switch it := p.peek(); it.kind {
		case itemAnd:
			right, err = p.operand(p.take(), p.unary)
		case itemNot:
			p.neg++
			right, err = p.operand(p.take(), p.unary)
			p.neg--
			right = &node{kind: nodeNot, kids: []*node{right}}
		case itemWord, itemQuoted, itemPhrase, itemLParen:
			right, err = p.unary()
		default:
			return left, nil
		}
		if err != nil {
			return nil, err
		}
		left = join(nodeAnd, left, right)
	}
}

// operand parses the operand of op with parse, naming op when it is missing.
func (p *parser) operand(op item, parse func() (*node, *Error)) (*node, *Error) {
	switch p.peek().kind {
	case itemWord, itemQuoted, itemPhrase, itemLParen, itemNot:
		return parse()
	}
	if it := p.peek(); it.kind != itemEOF {
		return nil, p.unexpected(it)
	}
	return nil, p.errorAt(op.pos, "missing search term after %s", op.describe())
}

// unary := NOT unary | primary
func (p *parser) unary() (*node, *Error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.errorAt(p.peek().pos, "keywords nested too deeply (more than %d levels)", maxDepth)
	}
	defer func() { p.depth-- }()
	if p.peek().kind != itemNot {
		return p.primary()
	}
	op := p.take()
	p.neg++
	kid, err := p.operand(op, p.unary)
	p.neg--
	if err != nil {
		return nil, err
	}
	return &node{kind: nodeNot, kids: []*node{kid}}, nil
}

// primary := ( or ) | phrase | key (: value | cmp number | in range) | word | quoted
func (p *parser) primary() (*node, *Error) {
	it := p.take()
	switch it.kind {
	case itemLParen:
		if p.peek().kind == itemRParen {
			return nil, p.errorAt(it.pos, "empty parentheses")
		}
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if close := p.take(); close.kind != itemRParen {
			if close.kind == itemEOF {
				return nil, p.errorAt(it.pos, "missing ')' for this '('")
			}
			return nil, p.unexpected(close)
		}
		return n, nil
	case itemPhrase:
		return p.content(it)
	case itemWord, itemQuoted:
		switch p.peek().kind {
		case itemColon:
			p.take()
			return p.field(it, p.take())
		case itemCmp:
			return p.comparison(it, p.take())
		case itemIn:
			p.take()
			return p.inRange(it)
		}
		return p.content(it)
	}
	return nil, p.unexpected(it)
}

// field parses `key:value`; content:x is the full-text x.
func (p *parser) field(key, v item) (*node, *Error) {
	if key.text == "" {
		return nil, p.errorAt(key.pos, "empty field name")
	}
	switch v.kind {
	case itemWord, itemQuoted, itemPhrase:
	case itemEOF:
		return nil, p.errorAt(key.pos, "missing value after %q:", key.text)
	default:
		return nil, p.unexpected(v)
	}
	if key.text == "content" {
		if v.kind == itemWord && v.text == "*" {
			return &node{kind: nodeAll}, nil
		}
		return p.content(v)
	}
	switch {
	case v.kind == itemWord && v.text == "*":
		return labelNode(key.text, labelCond{kind: labelPresent}), nil
	case v.kind == itemQuoted && v.text == "":
		return labelNode(key.text, labelCond{kind: labelEmpty}), nil
	}
	atoms, err := p.atoms(v)
	if err != nil {
		return nil, err
	}
	var n *node
	for _, a := range atoms {
		n = join(nodeAnd, n, labelNode(key.text, labelCond{kind: labelAtom, atom: a}))
	}
	return n, nil
}

func labelNode(key string, c labelCond) *node {
	c.key = key
	return &node{kind: nodeLabel, lab: &c}
}

// comparison parses `key op number`; `key=word` is `key:word`.
func (p *parser) comparison(key, op item) (*node, *Error) {
	v := p.take()
	if (v.kind == itemWord || v.kind == itemQuoted) && key.text != "content" {
		if f, ok := parseNumber(v.text); ok {
			return labelNode(key.text, labelCond{kind: labelNumber, num: comparison(op.text, f)}), nil
		}
	}
	if op.text == "=" {
		return p.field(key, v)
	}
	if key.text == "content" {
		return nil, p.errorAt(op.pos, "'%s' compares a label's number, not the content", op.text)
	}
	if v.kind == itemEOF {
		return nil, p.errorAt(op.pos, "'%s' needs a number after it", op.text)
	}
	return nil, p.errorAt(v.pos, "'%s' needs a number, got %s", op.text, v.describe())
}

// inRange parses the range of `key in [a b]` after `in`: [ ] are
// inclusive, ( ) exclusive, and the bounds are separated by spaces or a comma.
func (p *parser) inRange(key item) (*node, *Error) {
	open := p.take()
	if open.kind != itemLBracket && open.kind != itemLParen {
		return nil, p.errorAt(open.pos, "expected '[' or '(' after 'in', got %s", open.describe())
	}
	if key.text == "content" {
		return nil, p.errorAt(key.pos, "'in' ranges apply to a label's number, not the content")
	}
	var bounds []float64
	for {
		it := p.take()
		switch it.kind {
		case itemWord:
			for _, b := range strings.Split(it.text, ",") {
				if b == "" {
					continue
				}
				f, ok := parseNumber(b)
				if !ok {
					return nil, p.errorAt(it.pos, "range bound %q is not a number", b)
				}
				bounds = append(bounds, f)
			}
			continue
		case itemRBracket, itemRParen:
		case itemEOF:
			return nil, p.errorAt(open.pos, "missing ']' or ')' for this range")
		default:
			return nil, p.unexpected(it)
		}
		if len(bounds) != 2 {
			return nil, p.errorAt(open.pos, "a range needs two bounds, got %d", len(bounds))
		}
		if bounds[0] > bounds[1] {
			return nil, p.errorAt(open.pos, "range lower bound %g is greater than upper bound %g", bounds[0], bounds[1])
		}
		r := numRange{lo: bounds[0], hi: bounds[1], loIncl: open.kind == itemLBracket, hiIncl: it.kind == itemRBracket}
		return labelNode(key.text, labelCond{kind: labelNumber, num: r}), nil
	}
}

// content builds the full-text term of a word, quoted text or phrase.
func (p *parser) content(it item) (*node, *Error) {
	if it.kind == itemQuoted && it.text == "" {
		return &node{kind: nodeContentEmpty}, nil
	}
	atoms, err := p.atoms(it)
	if err != nil {
		return nil, err
	}
	var n *node
	for i := range atoms {
		idx, err := p.register(&atoms[i], it.pos)
		if err != nil {
			return nil, err
		}
		n = join(nodeAnd, n, &node{kind: nodeContent, idx: idx})
	}
	return n, nil
}

// atoms tokenises a search word, quoted text or phrase into the atoms that
// must all hold: one per token (wildcards only in bare words), or a single
// phrase atom.
func (p *parser) atoms(it item) ([]atom, *Error) {
	t := p.q.tok
	var atoms []atom
	var phrase []string
	for i := 0; ; {
		start, end := t.span(it.text, i)
		if start == end {
			break
		}
		i = end
		tok := it.text[start:end]
		switch {
		case it.kind == itemPhrase:
			phrase = append(phrase, t.Normalize(tok))
		case it.kind == itemWord && hasWildcard(tok):
			if tok[0] == '*' || tok[0] == '?' {
				return nil, wildcardError(p.src, it.pos+start, tok)
			}
			pat := compactStars(t.Normalize(tok))
			if n := strings.Count(pat, "*") + strings.Count(pat, "?"); len(pat) > maxWildcardLength || n > maxWildcards {
				return nil, p.errorAt(it.pos+start, "a word with wildcards may have at most %d bytes and %d wildcards, %q has %d and %d", maxWildcardLength, maxWildcards, tok, len(pat), n)
			}
			atoms = append(atoms, atom{kind: atomWildcard, text: pat})
		default:
			atoms = append(atoms, atom{kind: atomExact, text: t.Normalize(tok)})
		}
	}
	switch {
	case len(phrase) > maxPhrase:
		return nil, p.errorAt(it.pos, "phrase has %d tokens, at most %d are allowed", len(phrase), maxPhrase)
	case len(phrase) == 1:
		atoms = []atom{{kind: atomExact, text: phrase[0]}}
	case len(phrase) > 1:
		atoms = []atom{{kind: atomPhrase, phrase: phrase}}
	}
	if len(atoms) == 0 {
		return nil, p.errorAt(it.pos, "%s has no searchable token (only delimiters)", it.describe())
	}
	return atoms, nil
}

// register adds a full-text atom to the query, once per distinct atom,
// and remembers whether it is reached outside NOT (to highlight it).
func (p *parser) register(a *atom, pos int) (int, *Error) {
	k := a.key()
	idx, ok := p.seen[k]
	if !ok {
		if len(p.q.atoms) == maxAtoms {
			return 0, p.errorAt(pos, "too many search terms (at most %d distinct)", maxAtoms)
		}
		idx = len(p.q.atoms)
		p.seen[k] = idx
		p.q.atoms = append(p.q.atoms, *a)
		p.q.positive = append(p.q.positive, false)
	}
	if p.neg%2 == 0 {
		p.q.positive[idx] = true
	}
	return idx, nil
}

// join combines two nodes under an AND or OR, flattening chains; a nil
// left is the first operand.
func join(kind nodeKind, left, right *node) *node {
	if left == nil {
		return right
	}
	if left.kind == kind {
		left.kids = append(left.kids, right)
		return left
	}
	return &node{kind: kind, kids: []*node{left, right}}
}
