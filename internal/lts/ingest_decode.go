package lts

import (
	"bytes"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/valyala/fastjson"

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
// each key spelt as documented and given once. It parses once into
// fastjson's reusable values (the Elasticsearch door's parser) instead of
// encoding/json's two passes (validate, then decode by reflection), and
// copies the logs of a request into one string rather than one allocation
// a line. ok is false for anything else (other keys or spellings, nulls,
// times as strings or floats, \u escapes, invalid UTF-8 or JSON): the
// caller then decodes with encoding/json, whose answers, errors included,
// stay the reference, so this only ever returns what encoding/json would.
func decodeHighAccuracy(b []byte) (highAccuracyRequest, bool) {
	// encoding/json's readings of \u escapes (lone surrogates) and of
	// invalid UTF-8 are its own: such bodies are left to it.
	if bytes.Contains(b, []byte(`\u`)) || !utf8.Valid(b) {
		return highAccuracyRequest{}, false
	}
	// The parser is lenient where JSON is not (leading zeros, control
	// characters in strings); its validator is not.
	if fastjson.ValidateBytes(b) != nil {
		return highAccuracyRequest{}, false
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(b)
	if err != nil {
		return highAccuracyRequest{}, false
	}
	top, err := v.Object()
	if err != nil {
		return highAccuracyRequest{}, false
	}
	var req highAccuracyRequest
	// logs gathers every log of the request, one after the other, in a
	// reused buffer as long as the body (the logs are shorter), copied
	// once at the end into the string the lines share.
	scratch := logBufs.Get().(*[]byte)
	defer logBufs.Put(scratch)
	logs := slices.Grow((*scratch)[:0], len(b))
	var ends []int // where each log ends in logs
	ok := true
	seen := map[string]bool{}
	top.Visit(func(key []byte, v *fastjson.Value) {
		k := string(key)
		if !ok || seen[k] {
			ok = false
			return
		}
		seen[k] = true
		switch k {
		case "contents":
			items, err := v.Array()
			if err != nil {
				ok = false
				return
			}
			req.Contents = make([]timedLog, len(items))
			ends = make([]int, 0, len(items))
			for i, item := range items {
				var sawTime, sawLog bool
				o, err := item.Object()
				if err != nil {
					ok = false
					return
				}
				o.Visit(func(key []byte, v *fastjson.Value) {
					switch {
					case !ok:
					case string(key) == "log_time_ns" && !sawTime:
						sawTime = true
						req.Contents[i].LogTimeNs, ok = integer(v)
					case string(key) == "log" && !sawLog && v.Type() == fastjson.TypeString:
						sawLog = true
						logs = append(logs, v.GetStringBytes()...)
					default:
						ok = false
					}
				})
				ends = append(ends, len(logs))
			}
		case "log_time_ns":
			// Clients that also speak the plain report API send it; this
			// API takes each line's own time and ignores it, as
			// encoding/json ignores a key the request does not have.
			_, ok = integer(v)
		case "labels":
			o, err := v.Object()
			if err != nil {
				ok = false
				return
			}
			req.Labels = make(map[string]string, o.Len())
			o.Visit(func(key []byte, v *fastjson.Value) {
				if v.Type() != fastjson.TypeString {
					ok = false
					return
				}
				// A repeated label keeps its last value, as in encoding/json.
				req.Labels[string(key)] = string(v.GetStringBytes())
			})
		default:
			ok = false
		}
	})
	if !ok {
		return highAccuracyRequest{}, false
	}
	*scratch = logs
	all := string(logs)
	start := 0
	for i, end := range ends {
		req.Contents[i].Log = all[start:end]
		start = end
	}
	return req, true
}

// parsers are reused across requests: a parser keeps its values' memory.
var parsers fastjson.ParserPool

// logBufs are decodeHighAccuracy's scratch buffers for a request's logs.
var logBufs = sync.Pool{New: func() any { return new([]byte) }}

// integer reads an integer literal that fits int64, as wire.Int would;
// fractions, exponents and numbers out of range fail here and are
// wire.Int's to judge. It allocates nothing for a good number: it runs
// once a line.
func integer(v *fastjson.Value) (wire.Int, bool) {
	if v.Type() != fastjson.TypeNumber {
		return wire.Int{}, false
	}
	n, err := v.Int64()
	if err != nil {
		return wire.Int{}, false
	}
	return wire.Int{Value: n, Set: true}, true
}
