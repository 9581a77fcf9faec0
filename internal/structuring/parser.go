package structuring

// Parser is a compiled Rule. It is immutable and safe for concurrent use.
type Parser struct {
	kind   Kind
	lp     lineParser
	fields []FieldSpec // nil when the fields depend on each line
	tags   []TagSpec
}

// lineParser is one structuring method. parse appends the line's fields to
// dst and returns it; it must not retain dst or line.
type lineParser interface {
	parse(line string, dst []Field) ([]Field, Result)
}

// Compile validates r and builds its parser. The error is an *Error.
func Compile(r *Rule) (*Parser, error) {
	p, err := compile(r)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func compile(r *Rule) (*Parser, *Error) {
	if err := r.checkFields(); err != nil {
		return nil, err
	}
	p := &Parser{kind: r.Kind, tags: r.Tags}
	var err *Error
	switch r.Kind {
	case KindJSON:
		p.lp, err = compileJSON(r)
		if len(r.Fields) > 0 {
			p.fields = r.Fields
		}
	case KindRegex:
		var rp *regexParser
		rp, err = compileRegex(r)
		if rp != nil {
			p.lp, p.fields = rp, rp.fields
		}
	case KindSplit:
		p.lp, err = compileSplit(r)
		if len(r.Fields) > 0 {
			p.fields = r.Fields
		}
	case KindNginx:
		var sp *seqParser
		sp, err = compileNginx(r)
		if sp != nil {
			p.lp, p.fields = sp, sp.fields
		}
	case KindBuiltIn:
		var sp *seqParser
		sp, err = compileBuiltIn(r)
		if sp != nil {
			p.lp, p.fields = sp, sp.fields
		}
	default:
		err = notInList("parse_type", kindList)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Kind returns the structuring method.
func (p *Parser) Kind() Kind { return p.kind }

// Fields returns the fields every matched line gets, in output order, or
// nil when they depend on the line (json or split without a field list).
// The caller must not modify it.
func (p *Parser) Fields() []FieldSpec { return p.fields }

// CaptureGroups returns the capture group number of each of Fields for a
// custom_regex rule, nil for other methods. The caller must not modify it.
func (p *Parser) CaptureGroups() []int {
	if rp, ok := p.lp.(*regexParser); ok {
		return rp.groups
	}
	return nil
}

// Parse structures one line, appending its fields to dst (pass dst[:0] of
// a reused slice to avoid allocating). See the package comment for the
// contract.
func (p *Parser) Parse(line string, dst []Field) ([]Field, Result) {
	return p.lp.parse(line, dst)
}

// Tags converts the rule's tag fields from a line's labels, appending them
// to dst; label returns a label's value. It returns how many tags were
// missing or did not convert (each then has its type's default).
func (p *Parser) Tags(label func(name string) (string, bool), dst []Field) ([]Field, int) {
	failed := 0
	for _, t := range p.tags {
		dst = append(dst, Field{Name: t.Name})
		v, ok := label(t.Name)
		if !set(&dst[len(dst)-1], t.Type, v) || !ok {
			failed++
		}
	}
	return dst, failed
}

// fill appends the configured fields with values taken by get, which
// returns a field's raw text and whether it was present. A missing value,
// or "-" when dashIsEmpty (access logs write "-" for "none"), gets the
// default; only missing or unconvertible values count as failed.
func fill(fields []FieldSpec, dst []Field, dashIsEmpty bool, get func(i int) (string, bool)) ([]Field, Result) {
	res := Result{Matched: true}
	for i := range fields {
		f := &fields[i]
		dst = append(dst, Field{Name: f.Name, Type: f.Type})
		raw, ok := get(i)
		if !ok {
			res.Failed++
			continue
		}
		if dashIsEmpty && raw == "-" && f.Type != String {
			continue
		}
		if !set(&dst[len(dst)-1], f.Type, raw) {
			res.Failed++
		}
	}
	return dst, res
}
