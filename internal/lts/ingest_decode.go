package lts

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"logtank/internal/wire"
)

// highAccuracyRequest is the body of the high-accuracy report API.
type highAccuracyRequest struct {
	Contents []timedLog        `json:"contents"`
	Labels   map[string]string `json:"labels"`
}

// decodeHighAccuracy reads the body shippers send by the million, in the
// shape they send it: contents as objects holding an integer log_time_ns
// and a log, labels as strings, perhaps an integer log_time_ns beside them,
// each key spelt as documented and given once. It does in one pass what
// encoding/json does in two (validate, then decode by reflection), and
// copies the logs of a request into one string rather than one allocation
// a line. ok is false for anything else (other keys or spellings, nulls,
// times as strings or floats, invalid JSON): the caller then decodes with
// encoding/json, whose answers, errors included, stay the reference, so
// this only ever returns what encoding/json would.
func decodeHighAccuracy(b []byte) (highAccuracyRequest, bool) {
	var req highAccuracyRequest
	d := fastDecoder{b: b}
	var logs []byte // every log of the request, one after the other
	var ends []int  // where each log ends in logs
	var sawContents, sawTime, sawLabels bool
	member := func(key []byte) bool {
		switch {
		case string(key) == "contents" && !sawContents:
			sawContents = true
			req.Contents = []timedLog{}
			return d.array(func() bool {
				var l timedLog
				var sawTime, sawLog bool
				ok := d.object(func(key []byte) bool {
					var ok bool
					switch {
					case string(key) == "log_time_ns" && !sawTime:
						sawTime = true
						l.LogTimeNs, ok = d.int()
					case string(key) == "log" && !sawLog:
						sawLog = true
						logs, ok = d.appendString(logs)
					}
					return ok
				})
				req.Contents = append(req.Contents, l)
				ends = append(ends, len(logs))
				return ok
			})
		case string(key) == "log_time_ns" && !sawTime:
			// Clients that also speak the plain report API send it; this
			// API takes each line's own time and ignores it, as
			// encoding/json ignores a key the request does not have.
			sawTime = true
			_, ok := d.int()
			return ok
		case string(key) == "labels" && !sawLabels:
			sawLabels = true
			req.Labels = map[string]string{}
			return d.object(func(key []byte) bool {
				v, ok := d.appendString(nil)
				req.Labels[string(key)] = string(v)
				return ok
			})
		}
		return false
	}
	if !d.object(member) || !d.end() {
		return highAccuracyRequest{}, false
	}
	all := string(logs)
	start := 0
	for i, end := range ends {
		req.Contents[i].Log = all[start:end]
		start = end
	}
	return req, true
}

// fastDecoder reads the few JSON shapes decodeHighAccuracy accepts. Every
// method returns false on anything it does not read exactly as
// encoding/json would.
type fastDecoder struct {
	b   []byte
	off int
}

func (d *fastDecoder) space() {
	for d.off < len(d.b) {
		switch d.b[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

func (d *fastDecoder) consume(c byte) bool {
	d.space()
	if d.off < len(d.b) && d.b[d.off] == c {
		d.off++
		return true
	}
	return false
}

// end tells whether nothing but white space follows.
func (d *fastDecoder) end() bool {
	d.space()
	return d.off == len(d.b)
}

// object reads an object, calling member with each key once the decoder
// stands before its value; member reads the value.
func (d *fastDecoder) object(member func(key []byte) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	for {
		key, ok := d.rawString()
		if !ok || !d.consume(':') || !member(key) {
			return false
		}
		if d.consume('}') {
			return true
		}
		if !d.consume(',') {
			return false
		}
	}
}

// array reads an array, calling elem before each element.
func (d *fastDecoder) array(elem func() bool) bool {
	if !d.consume('[') {
		return false
	}
	if d.consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.consume(']') {
			return true
		}
		if !d.consume(',') {
			return false
		}
	}
}

// rawString reads a string without escapes and returns its bytes, which
// alias the body.
func (d *fastDecoder) rawString() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.off
	for i := start; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			d.off = i + 1
			return d.b[start:i], utf8.Valid(d.b[start:i])
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// appendString reads a string and appends its value to dst. The escapes
// of one byte are decoded here; a string with \u escapes is left to
// encoding/json, so that surrogates and their errors mean what they mean
// there.
func (d *fastDecoder) appendString(dst []byte) ([]byte, bool) {
	d.space()
	if d.off >= len(d.b) || d.b[d.off] != '"' {
		return dst, false
	}
	start, n := d.off, len(dst)
	run := start + 1 // the unescaped bytes not yet appended start here
	for i := run; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			d.off = i + 1
			dst = append(dst, d.b[run:i]...)
			return dst, utf8.Valid(dst[n:])
		case c == '\\' && i+1 < len(d.b):
			e, ok := unescape(d.b[i+1])
			if !ok {
				return d.unquote(dst[:n], start)
			}
			dst = append(append(dst, d.b[run:i]...), e)
			i++
			run = i + 1
		case c < 0x20:
			return dst, false
		}
	}
	return dst, false
}

// unquote decodes the string at start with encoding/json.
func (d *fastDecoder) unquote(dst []byte, start int) ([]byte, bool) {
	end := start + 1
	for end < len(d.b) && d.b[end] != '"' {
		if d.b[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(d.b) {
		return dst, false
	}
	var s string
	if json.Unmarshal(d.b[start:end+1], &s) != nil {
		return dst, false
	}
	d.off = end + 1
	return append(dst, s...), true
}

// unescape is the byte a one-byte JSON escape stands for.
func unescape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// int reads an integer literal that fits int64, as wire.Int would.
func (d *fastDecoder) int() (wire.Int, bool) {
	d.space()
	start := d.off
	i := start
	if i < len(d.b) && d.b[i] == '-' {
		i++
	}
	digits := i
	for i < len(d.b) && d.b[i] >= '0' && d.b[i] <= '9' {
		i++
	}
	// JSON numbers have no leading zeros; fractions and exponents are
	// wire.Int's to judge.
	if i == digits || (d.b[digits] == '0' && i > digits+1) {
		return wire.Int{}, false
	}
	if i < len(d.b) && (d.b[i] == '.' || d.b[i] == 'e' || d.b[i] == 'E') {
		return wire.Int{}, false
	}
	v, err := strconv.ParseInt(string(d.b[start:i]), 10, 64)
	if err != nil {
		return wire.Int{}, false
	}
	d.off = i
	return wire.Int{Value: v, Set: true}, true
}
