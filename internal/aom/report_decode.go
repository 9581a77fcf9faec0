package aom

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"logtank/internal/wire"
)

// decodeReport parses a report body. Reports are the hot path of metric
// ingestion, and encoding/json spends more time on them than everything
// else together, so a fast path reads the documented layout directly.
// Anything it does not expect (escapes, numbers in strings, nulls where a
// value belongs, keys in another case, unknown or repeated fields) sends the body to
// the generic decoder instead, so both paths accept and reject the same
// bodies and the errors keep their wording. FuzzDecodeReport holds them to
// the same answers.
func decodeReport(body []byte) ([]*reportItem, error) {
	if items, ok := fastReport(body); ok {
		return items, nil
	}
	var items []*reportItem
	err := decodeBody(body, &items, func(format string, args ...any) *wire.Error {
		return detail(ErrInvalidParam, format, args...)
	})
	return items, err
}

// scanner reads JSON tokens from b; every method reports false for input
// it does not handle, which abandons the fast path.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether c comes next, consuming it.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// null consumes a null literal if one comes next.
func (s *scanner) null() bool {
	s.ws()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid UTF-8.
func (s *scanner) str() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start := s.i
	ascii := true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(raw) {
				return "", false
			}
			return string(raw), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// number reads a JSON number and returns its text.
func (s *scanner) number() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return nil, false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return s.b[start:s.i], true
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// object reads the members of an object, handing each key to field, which
// reads the value. A repeated key abandons the fast path: encoding/json
// merges repeated objects in ways not worth copying.
func (s *scanner) object(field func(key string) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	var seenKeys [4]string
	seen := seenKeys[:0]
	for {
		key, ok := s.str()
		if !ok || slices.Contains(seen, key) || !s.next(':') || !field(key) {
			return false
		}
		seen = append(seen, key)
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// array reads the elements of an array with elem.
func (s *scanner) array(elem func() bool) bool {
	if !s.next('[') {
		return false
	}
	if s.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.next(']') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// fastReport parses a report body of the documented layout, or reports
// false.
func fastReport(body []byte) ([]*reportItem, bool) {
	s := &scanner{b: body}
	items := []*reportItem{}
	ok := s.array(func() bool {
		it := &reportItem{}
		items = append(items, it)
		return s.object(func(key string) bool { return s.itemField(it, key) })
	})
	s.ws()
	if !ok || s.i != len(s.b) {
		return nil, false
	}
	return items, true
}

func (s *scanner) itemField(it *reportItem, key string) bool {
	switch key {
	case "collect_time":
		text, ok := s.number()
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(string(text), 10, 64)
		if err != nil {
			return false // a fraction, an exponent or out of range: the generic path decides
		}
		it.CollectTime = wire.Int{Value: n, Set: true}
		return true
	case "metric":
		m := &reportMetric{}
		it.Metric = m
		return s.object(func(key string) bool {
			switch key {
			case "namespace":
				v, ok := s.str()
				m.Namespace = v
				return ok
			case "dimensions":
				m.Dimensions = []dimension{}
				return s.array(func() bool {
					var d dimension
					ok := s.object(func(key string) bool {
						var ok bool
						switch key {
						case "name":
							d.Name, ok = s.str()
						case "value":
							d.Value, ok = s.str()
						}
						return ok
					})
					m.Dimensions = append(m.Dimensions, d)
					return ok
				})
			}
			return false
		})
	case "values":
		it.Values = []reportValue{}
		return s.array(func() bool {
			var v reportValue
			ok := s.object(func(key string) bool { return s.valueField(&v, key) })
			it.Values = append(it.Values, v)
			return ok
		})
	}
	return false
}

func (s *scanner) valueField(v *reportValue, key string) bool {
	var ok bool
	switch key {
	case "metric_name":
		v.MetricName, ok = s.str()
	case "unit":
		v.Unit, ok = s.str()
	case "type":
		if s.null() {
			v.Type = nil
			return true
		}
		var t string
		t, ok = s.str()
		v.Type = &t
	case "value":
		var text []byte
		if text, ok = s.number(); ok {
			f, err := strconv.ParseFloat(string(text), 64)
			ok = err == nil
			v.Value = wire.Float{Value: f, Set: true}
		}
	}
	return ok
}
