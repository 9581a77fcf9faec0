package structuring

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// NginxCombined is nginx's predefined "combined" format, the format of an
// nginx rule that gives none.
const NginxCombined = `log_format combined '$remote_addr - $remote_user [$time_local] ` +
	`"$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';`

// MaxLogFormatLen bounds a log_format line.
const MaxLogFormatLen = 4096

// nginxTypes are the types of the nginx variables that hold numbers; every
// other variable is a string. Variables that may hold lists ("0.1, 0.2" for
// upstream_response_time behind several upstreams) are strings too.
var nginxTypes = map[string]Type{
	"status":              Long,
	"body_bytes_sent":     Long,
	"bytes_sent":          Long,
	"request_length":      Long,
	"connection":          Long,
	"connection_requests": Long,
	"pid":                 Long,
	"server_port":         Long,
	"remote_port":         Long,
	"request_time":        Float,
	"msec":                Float,
}

// seqParser matches a line against a sequence literal, variable, literal,
// ... compiled from a log_format: each variable's value runs up to the next
// occurrence of the literal that follows it (to the end of the line for a
// final variable). Text after the final literal is ignored, so formats
// extended with trailing fields still match their prefix.
type seqParser struct {
	prefix string
	vars   []seqVar
	fields []FieldSpec
	slots  []int // variable index of each field
	regex  string
}

type seqVar struct {
	name string
	stop string // the literal after the variable; "" for a final one
}

// parseLogFormat reads `log_format name [escape=...] 'part' 'part'...;` (or
// just the format text) into the format string it describes.
func parseLogFormat(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLogFormatLen {
		return "", invalidf("log_format", "must be at most %d characters, got %d", MaxLogFormatLen, len(s))
	}
	if rest, ok := strings.CutPrefix(s, "log_format"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
		fs := strings.Fields(rest)
		if len(fs) < 2 {
			return "", invalidf("log_format", "must be `log_format <name> '<format>';`")
		}
		rest = strings.TrimSpace(rest)
		rest = strings.TrimSpace(rest[len(fs[0]):]) // the format's name
		if strings.HasPrefix(rest, "escape=") {
			i := strings.IndexAny(rest, " \t")
			if i < 0 {
				return "", invalidf("log_format", "has no format after %s", rest)
			}
			rest = strings.TrimSpace(rest[i:])
		}
		s = rest
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";"))
	if s == "" {
		return "", invalidf("log_format", "has no format")
	}
	if s[0] != '\'' && s[0] != '"' {
		return s, nil // a bare format
	}
	var b strings.Builder
	for s != "" {
		q := s[0]
		if q != '\'' && q != '"' {
			return "", invalidf("log_format", "has text %q outside the quoted format strings", s)
		}
		i := 1
		for ; i < len(s) && s[i] != q; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		if i == len(s) {
			return "", invalidf("log_format", "has an unterminated %c string", q)
		}
		s = strings.TrimSpace(s[i+1:])
	}
	return b.String(), nil
}

// compileFormat builds the matcher of an nginx format string.
func compileFormat(format string) (*seqParser, *Error) {
	p := &seqParser{}
	var lit strings.Builder
	pending := -1 // the variable waiting for its stop literal
	flush := func() {
		if pending >= 0 {
			p.vars[pending].stop = lit.String()
		} else {
			p.prefix = lit.String()
		}
		lit.Reset()
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '$' {
			lit.WriteByte(c)
			continue
		}
		name, n := varName(format[i+1:])
		if name == "" {
			lit.WriteByte(c) // a '$' not followed by a name is literal text
			continue
		}
		i += n
		if pending >= 0 && lit.Len() == 0 {
			return nil, invalidf("log_format", "has $%s right after $%s: two variables need text between them", name, p.vars[pending].name)
		}
		for _, v := range p.vars {
			if v.name == name {
				return nil, invalidf("log_format", "uses $%s twice", name)
			}
		}
		flush()
		p.vars = append(p.vars, seqVar{name: name})
		pending = len(p.vars) - 1
	}
	if pending < 0 {
		return nil, invalidf("log_format", "has no $variable, so it yields no field")
	}
	flush()
	p.regex = p.generateRegex()
	return p, nil
}

// generateRegex writes the format as an RE2 expression with one group per
// variable, the "regex" the GET answer and the v3 nginx param carry. The
// matcher itself does not use it: literal search is several times faster.
func (p *seqParser) generateRegex() string {
	var b strings.Builder
	b.WriteString("^")
	b.WriteString(regexp.QuoteMeta(p.prefix))
	for _, v := range p.vars {
		if v.stop == "" {
			b.WriteString("(.*)")
			continue
		}
		r, _ := utf8.DecodeRuneInString(v.stop)
		b.WriteString("([^")
		b.WriteString(regexp.QuoteMeta(string(r)))
		b.WriteString("]*)")
		b.WriteString(regexp.QuoteMeta(v.stop))
	}
	return b.String()
}

// varName reads an nginx variable name at the start of s: `name` of
// letters, digits and '_', or `{name}`; n is the bytes consumed.
func varName(s string) (name string, n int) {
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 2 {
			return "", 0
		}
		name = s[1:end]
		for i := 0; i < len(name); i++ {
			if !isVarByte(name[i]) {
				return "", 0
			}
		}
		return name, end + 1
	}
	for n < len(s) && isVarByte(s[n]) {
		n++
	}
	return s[:n], n
}

func isVarByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func compileNginx(r *Rule) (*seqParser, *Error) {
	src := r.LogFormat
	if strings.TrimSpace(src) == "" {
		src = NginxCombined
	}
	format, err := parseLogFormat(src)
	if err != nil {
		return nil, err
	}
	p, err := compileFormat(format)
	if err != nil {
		return nil, err
	}
	return p, p.bind(r.Fields, "log_format")
}

// bind maps the configured fields onto the format's variables; with no
// configured fields every variable is a field, typed by nginxTypes.
func (p *seqParser) bind(fields []FieldSpec, source string) *Error {
	if len(fields) == 0 {
		for i, v := range p.vars {
			if err := checkFieldName(source+" $"+v.name, v.name); err != nil {
				return err
			}
			p.fields = append(p.fields, FieldSpec{Key: v.name, Name: v.name, Type: nginxTypes[v.name]})
			p.slots = append(p.slots, i)
		}
		return nil
	}
	for i, f := range fields {
		slot := -1
		for j, v := range p.vars {
			if v.name == f.Key {
				slot = j
			}
		}
		if slot < 0 {
			return invalidf(fmt.Sprintf("demo_fields[%d].fieldName", i), "%q is not a variable of %s", f.Key, source)
		}
		p.slots = append(p.slots, slot)
	}
	p.fields = fields
	return nil
}

func (p *seqParser) parse(line string, dst []Field) ([]Field, Result) {
	if !strings.HasPrefix(line, p.prefix) {
		return dst, Result{}
	}
	var buf [24]string
	vals := buf[:0]
	rest := line[len(p.prefix):]
	for _, v := range p.vars {
		if v.stop == "" {
			vals = append(vals, rest)
			rest = ""
			continue
		}
		i := strings.Index(rest, v.stop)
		if i < 0 {
			return dst, Result{}
		}
		vals = append(vals, rest[:i])
		rest = rest[i+len(v.stop):]
	}
	return fill(p.fields, dst, true, func(i int) (string, bool) { return vals[p.slots[i]], true })
}

// GeneratedRegex returns the RE2 expression equivalent to an nginx or
// built-in rule's format, one group per variable in order ("" for other
// kinds or an invalid format).
func GeneratedRegex(r *Rule) string {
	var p *seqParser
	var err *Error
	switch r.Kind {
	case KindNginx:
		p, err = compileNginx(&Rule{LogFormat: r.LogFormat})
	case KindBuiltIn:
		p, err = compileBuiltIn(&Rule{Template: r.Template})
	default:
		return ""
	}
	if err != nil {
		return ""
	}
	return p.regex
}
