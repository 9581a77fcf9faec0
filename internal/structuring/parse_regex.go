package structuring

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// regexParser is a custom_regex rule: each field is one capture group.
type regexParser struct {
	re     *regexp.Regexp
	groups []int // capture group number of each field
	fields []FieldSpec
}

func compileRegex(r *Rule) (*regexParser, *Error) {
	if r.Regex == "" {
		return nil, invalidf("regex_rules", "is required when parse_type is custom_regex")
	}
	if strings.Contains(r.Regex, "(?<=") || strings.Contains(r.Regex, "(?<!") {
		return nil, invalidf("regex_rules", "is invalid: lookbehind ((?<= and (?<!) is not supported")
	}
	// Go's RE2 reads the (?<name>...) group form the LTS console writes
	// (since Go 1.22) as well as (?P<name>...).
	re, err := regexp.Compile(r.Regex)
	if err != nil {
		return nil, invalidf("regex_rules", "is invalid: %s", regexReason(err))
	}
	if re.NumSubexp() == 0 {
		return nil, invalidf("regex_rules", "has no capture group, so it yields no field")
	}
	names := re.SubexpNames()
	p := &regexParser{re: re}
	if len(r.Fields) == 0 {
		// Without a field list, the named groups are the fields; a regex
		// with only positional groups names them field1..fieldN.
		named := false
		for _, n := range names[1:] {
			named = named || n != ""
		}
		for g, n := range names {
			if g == 0 || named && n == "" {
				continue
			}
			name := n
			if name == "" {
				name = "field" + strconv.Itoa(g)
			}
			if err := checkFieldName(fmt.Sprintf("regex_rules group %d", g), name); err != nil {
				return nil, err
			}
			p.groups = append(p.groups, g)
			p.fields = append(p.fields, FieldSpec{Key: n, Index: g, Name: name, Type: String})
		}
		return p, nil
	}
	for i, f := range r.Fields {
		g := -1
		if f.Key != "" {
			g = re.SubexpIndex(f.Key)
		}
		if g < 0 && f.Index >= 1 && f.Index <= re.NumSubexp() {
			g = f.Index
		}
		if g < 0 {
			return nil, invalidf(fmt.Sprintf("demo_fields[%d]", i),
				"names no capture group of regex_rules (fieldName %q, index %d; the regex has %d groups)", f.Key, f.Index, re.NumSubexp())
		}
		p.groups = append(p.groups, g)
	}
	p.fields = r.Fields
	return p, nil
}

func (p *regexParser) parse(line string, dst []Field) ([]Field, Result) {
	m := p.re.FindStringSubmatchIndex(line)
	if m == nil {
		return dst, Result{}
	}
	return fill(p.fields, dst, false, func(i int) (string, bool) {
		g := p.groups[i]
		if m[2*g] < 0 {
			return "", false
		}
		return line[m[2*g]:m[2*g+1]], true
	})
}

// regexReason is the part of a regexp error worth showing: what is wrong and
// where, without Go's "error parsing regexp:" prefix.
func regexReason(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
	}
	return err.Error()
}
