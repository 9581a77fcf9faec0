package structuring

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONNesting bounds how deep a line's JSON may nest; deeper lines are
// unparsed. Logs never come near it, and the bound keeps skipping a value
// free of recursion and allocation.
const maxJSONNesting = 512

// jsonParser is a json rule. It scans the line's bytes once, without
// reflection or intermediate maps: objects up to layers levels are
// flattened into dotted paths, anything deeper and every array is kept as
// its compact JSON text.
type jsonParser struct {
	layers int
	fields []FieldSpec
	byPath map[string]int // configured path -> field index; nil keeps all
}

func compileJSON(r *Rule) (*jsonParser, *Error) {
	layers := r.Layers
	if layers == 0 {
		layers = DefaultLayers
	}
	if layers < MinLayers || layers > MaxLayers {
		return nil, invalidf("layers", "must be between %d and %d, got %d", MinLayers, MaxLayers, r.Layers)
	}
	p := &jsonParser{layers: layers}
	if len(r.Fields) == 0 {
		return p, nil
	}
	p.fields = r.Fields
	p.byPath = make(map[string]int, len(r.Fields))
	for i, f := range r.Fields {
		if f.Key == "" {
			return nil, invalidf(fmt.Sprintf("demo_fields[%d].fieldName", i), "is required")
		}
		if j, dup := p.byPath[f.Key]; dup {
			return nil, invalidf(fmt.Sprintf("demo_fields[%d].fieldName", i), "%q is already used by demo_fields[%d]", f.Key, j)
		}
		p.byPath[f.Key] = i
	}
	return p, nil
}

type jsonKind uint8

const (
	jsonString jsonKind = iota
	jsonNumber
	jsonBool
	jsonNull
	jsonCompound // object or array, as compact text
)

// jsonScan is the state of one parse; it lives on the caller's stack.
type jsonScan struct {
	p    *jsonParser
	s    string
	i    int
	keys [MaxLayers]string
	dst  []Field
	base int
	seen [(MaxFields + 63) / 64]uint64 // configured fields found
	bad  [(MaxFields + 63) / 64]uint64 // configured fields that did not convert
}

func (p *jsonParser) parse(line string, dst []Field) ([]Field, Result) {
	sc := jsonScan{p: p, s: line, dst: dst, base: len(dst)}
	for i := range p.fields {
		sc.dst = append(sc.dst, Field{Name: p.fields[i].Name, Type: p.fields[i].Type})
	}
	sc.ws()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '{' || !sc.object(1) {
		return dst[:sc.base], Result{}
	}
	if sc.ws(); sc.i != len(sc.s) {
		return dst[:sc.base], Result{}
	}
	if p.byPath == nil {
		return sc.dst, Result{Matched: true}
	}
	// Configured fields: one per field in rule order; those the line did not
	// have get their default and count as failed.
	res := Result{Matched: true}
	out := sc.dst
	for w := range sc.seen {
		res.Failed += bits.OnesCount64(sc.bad[w])
	}
	for i := range p.fields {
		if sc.seen[i/64]&(1<<(i%64)) == 0 {
			res.Failed++ // still holding the default written above
		}
	}
	return out, res
}

// ws skips JSON whitespace and reports whether there was any.
func (sc *jsonScan) ws() bool {
	start := sc.i
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
			continue
		}
		break
	}
	return sc.i > start
}

// object reads the object at sc.i (a '{') whose keys are at depth.
func (sc *jsonScan) object(depth int) bool {
	sc.i++
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
		sc.i++
		return true
	}
	for {
		if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
			return false
		}
		raw, esc, ok := sc.str()
		if !ok {
			return false
		}
		key := raw
		if esc {
			key = unescape(raw)
		}
		sc.keys[depth-1] = key
		sc.ws()
		if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
			return false
		}
		sc.i++
		sc.ws()
		if !sc.value(depth) {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.s) {
			return false
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
			sc.ws()
		case '}':
			sc.i++
			return true
		default:
			return false
		}
	}
}

// value reads the value of the key sc.keys[depth-1] and emits it.
func (sc *jsonScan) value(depth int) bool {
	if sc.i >= len(sc.s) {
		return false
	}
	start := sc.i
	switch c := sc.s[sc.i]; {
	case c == '"':
		raw, esc, ok := sc.str()
		if !ok {
			return false
		}
		if esc {
			raw = unescape(raw)
		}
		sc.emit(depth, jsonString, raw)
	case c == '{' && depth < sc.p.layers:
		return sc.object(depth + 1)
	case c == '{' || c == '[':
		ws, ok := sc.skipCompound()
		if !ok {
			return false
		}
		text := sc.s[start:sc.i]
		if ws {
			text = compact(text)
		}
		sc.emit(depth, jsonCompound, text)
	case c == '-' || c >= '0' && c <= '9':
		if !sc.number() {
			return false
		}
		sc.emit(depth, jsonNumber, sc.s[start:sc.i])
	case strings.HasPrefix(sc.s[sc.i:], "true"):
		sc.i += 4
		sc.emit(depth, jsonBool, "true")
	case strings.HasPrefix(sc.s[sc.i:], "false"):
		sc.i += 5
		sc.emit(depth, jsonBool, "false")
	case strings.HasPrefix(sc.s[sc.i:], "null"):
		sc.i += 4
		sc.emit(depth, jsonNull, "")
	default:
		return false
	}
	return true
}

// emit records one leaf value found at path sc.keys[:depth].
func (sc *jsonScan) emit(depth int, kind jsonKind, text string) {
	var pb [256]byte
	path := sc.keys[0]
	var pathBytes []byte
	if depth > 1 {
		pathBytes = pb[:0]
		for d := 0; d < depth; d++ {
			if d > 0 {
				pathBytes = append(pathBytes, '.')
			}
			pathBytes = append(pathBytes, sc.keys[d]...)
		}
	}
	if sc.p.byPath != nil {
		var idx int
		var ok bool
		if pathBytes != nil {
			idx, ok = sc.p.byPath[string(pathBytes)] // no allocation: map index by converted bytes
		} else {
			idx, ok = sc.p.byPath[path]
		}
		if !ok || kind == jsonNull {
			return
		}
		f := &sc.p.fields[idx]
		out := &sc.dst[sc.base+idx]
		w, bit := idx/64, uint64(1)<<(idx%64)
		sc.seen[w] |= bit
		if set(out, f.Type, text) {
			sc.bad[w] &^= bit
		} else {
			sc.bad[w] |= bit
		}
		return
	}
	if kind == jsonNull {
		return
	}
	var out Field
	switch kind {
	case jsonNumber:
		if v, err := strconv.ParseInt(text, 10, 64); err == nil {
			out = Field{Type: Long, Int: v}
		} else {
			v, _ := parseFloat(text)
			out = Field{Type: Float, Float: v}
		}
	default:
		out = Field{Type: String, Str: text}
	}
	if pathBytes != nil {
		for i := sc.base; i < len(sc.dst); i++ {
			if sc.dst[i].Name == string(pathBytes) {
				out.Name = sc.dst[i].Name
				sc.dst[i] = out
				return
			}
		}
		path = string(pathBytes)
	} else {
		for i := sc.base; i < len(sc.dst); i++ {
			if sc.dst[i].Name == path {
				out.Name = path
				sc.dst[i] = out
				return
			}
		}
	}
	if len(sc.dst)-sc.base >= MaxFields {
		return
	}
	out.Name = path
	sc.dst = append(sc.dst, out)
}

// str reads the string at sc.i (a '"'), returning its raw contents and
// whether they hold escapes.
func (sc *jsonScan) str() (raw string, esc, ok bool) {
	s := sc.s
	i := sc.i + 1
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			sc.i = i + 1
			return s[start:i], esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				return "", false, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex4(s[i+2:i+6]) {
					return "", false, false
				}
				i += 6
			default:
				return "", false, false
			}
		case c < 0x20:
			return "", false, false
		default:
			i++
		}
	}
	return "", false, false
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads a JSON number at sc.i: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func (sc *jsonScan) number() bool {
	s, i := sc.s, sc.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	sc.i = i
	return true
}

// skipCompound validates and skips the object or array at sc.i without
// recursion, reporting whether it holds whitespace outside its strings.
func (sc *jsonScan) skipCompound() (ws, ok bool) {
	const (
		wantValue        = iota // a value, or ']' right after '['
		wantKey                 // a key, or '}' right after '{'
		wantColon               //
		wantCommaOrClose        //
	)
	var isObj [maxJSONNesting / 64]uint64
	depth := 0
	closeAllowed := false
	state := wantValue
	for {
		if sc.ws() {
			ws = true
		}
		if sc.i >= len(sc.s) {
			return ws, false
		}
		c := sc.s[sc.i]
		switch state {
		case wantValue:
			switch {
			case c == '{' || c == '[':
				if depth == maxJSONNesting {
					return ws, false
				}
				w, bit := depth/64, uint64(1)<<(depth%64)
				if c == '{' {
					isObj[w] |= bit
					state = wantKey
				} else {
					isObj[w] &^= bit
				}
				depth++
				sc.i++
				closeAllowed = true
				continue
			case c == ']' && closeAllowed:
				depth--
				sc.i++
			case c == '"':
				if _, _, ok := sc.str(); !ok {
					return ws, false
				}
			case c == '-' || c >= '0' && c <= '9':
				if !sc.number() {
					return ws, false
				}
			case strings.HasPrefix(sc.s[sc.i:], "true"), strings.HasPrefix(sc.s[sc.i:], "null"):
				sc.i += 4
			case strings.HasPrefix(sc.s[sc.i:], "false"):
				sc.i += 5
			default:
				return ws, false
			}
			state = wantCommaOrClose
		case wantKey:
			switch {
			case c == '}' && closeAllowed:
				depth--
				sc.i++
				state = wantCommaOrClose
			case c == '"':
				if _, _, ok := sc.str(); !ok {
					return ws, false
				}
				state = wantColon
			default:
				return ws, false
			}
		case wantColon:
			if c != ':' {
				return ws, false
			}
			sc.i++
			state = wantValue
		case wantCommaOrClose:
			obj := isObj[(depth-1)/64]&(1<<((depth-1)%64)) != 0
			switch {
			case c == ',':
				sc.i++
				if obj {
					state = wantKey
				} else {
					state = wantValue
				}
			case c == '}' && obj, c == ']' && !obj:
				sc.i++
				depth--
			default:
				return ws, false
			}
		}
		closeAllowed = false
		if depth == 0 {
			return ws, true
		}
	}
}

// compact removes the whitespace outside strings of a valid JSON text.
func compact(s string) string {
	b := make([]byte, 0, len(s))
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			b = append(b, c)
			if c == '\\' && i+1 < len(s) {
				i++
				b = append(b, s[i])
			} else if c == '"' {
				inStr = false
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			inStr = c == '"'
			b = append(b, c)
		}
	}
	return string(b)
}

// unescape decodes the escapes of a valid JSON string's contents. A lone
// surrogate becomes U+FFFD, as encoding/json does.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2 = hex4(s[i+3 : i+7])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\', '/'
			b = append(b, s[i])
		}
	}
	return string(b)
}

func hex4(s string) rune {
	v, _ := strconv.ParseUint(s, 16, 32)
	return rune(v)
}
