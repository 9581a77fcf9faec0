package aom

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"

	"logtank/internal/metricstore"
)

// promFlushSize is how much encoded JSON is buffered before it goes to the
// client: a range query answer can be tens of megabytes, which should not
// sit in memory twice.
const promFlushSize = 64 << 10

// promWriter encodes the Prometheus HTTP API's JSON, append-style and
// streamed. Its number formats are those of Prometheus (util/jsonutil):
// timestamps as seconds with up to three decimals, sample values as strings.
// After a failed write it drops the rest.
type promWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (p *promWriter) raw(s string) { p.buf = append(p.buf, s...) }

func (p *promWriter) maybeFlush() {
	if len(p.buf) >= promFlushSize {
		p.flush()
	}
}

func (p *promWriter) flush() {
	if p.err == nil && len(p.buf) > 0 {
		_, p.err = p.w.Write(p.buf)
	}
	p.buf = p.buf[:0]
}

func (p *promWriter) timestamp(t int64) {
	if t < 0 {
		p.buf = append(p.buf, '-')
		t = -t
	}
	p.buf = strconv.AppendInt(p.buf, t/1000, 10)
	if frac := t % 1000; frac != 0 {
		p.buf = append(p.buf, '.')
		if frac < 100 {
			p.buf = append(p.buf, '0')
		}
		if frac < 10 {
			p.buf = append(p.buf, '0')
		}
		p.buf = strconv.AppendInt(p.buf, frac, 10)
	}
}

// float writes a sample value as a JSON string ("+Inf", "NaN" included).
func (p *promWriter) float(f float64) {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	p.buf = append(p.buf, '"')
	p.buf = strconv.AppendFloat(p.buf, f, format, -1, 64)
	p.buf = append(p.buf, '"')
}

// str writes s as a JSON string; invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func (p *promWriter) str(s string) {
	const hex = "0123456789abcdef"
	p.buf = append(p.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				p.buf = append(p.buf, '\\', c)
			case c == '\n':
				p.buf = append(p.buf, '\\', 'n')
			case c == '\r':
				p.buf = append(p.buf, '\\', 'r')
			case c == '\t':
				p.buf = append(p.buf, '\\', 't')
			case c < 0x20:
				p.buf = append(p.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				p.buf = append(p.buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			p.buf = append(p.buf, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			p.buf = append(p.buf, `\u202`...)
			p.buf = append(p.buf, hex[r&0xf])
		default:
			p.buf = append(p.buf, s[i:i+size]...)
		}
		i += size
	}
	p.buf = append(p.buf, '"')
}

func (p *promWriter) labels(ls labels.Labels) {
	p.buf = append(p.buf, '{')
	first := true
	ls.Range(func(l labels.Label) {
		if !first {
			p.buf = append(p.buf, ',')
		}
		first = false
		p.str(l.Name)
		p.buf = append(p.buf, ':')
		p.str(l.Value)
	})
	p.buf = append(p.buf, '}')
}

func (p *promWriter) strings(ss []string) {
	p.buf = append(p.buf, '[')
	for i, s := range ss {
		if i > 0 {
			p.buf = append(p.buf, ',')
		}
		p.str(s)
	}
	p.buf = append(p.buf, ']')
}

// histogram writes a native histogram as Prometheus does. Reports hold
// only floats, so a result has one only if PromQL built it.
func (p *promWriter) histogram(h *histogram.FloatHistogram) {
	p.raw(`{"count":`)
	p.float(h.Count)
	p.raw(`,"sum":`)
	p.float(h.Sum)
	found := false
	for it := h.AllBucketIterator(); it.Next(); {
		b := it.At()
		if b.Count == 0 {
			continue
		}
		if !found {
			p.raw(`,"buckets":[`)
		} else {
			p.raw(",")
		}
		found = true
		boundaries := 2 // open on both sides
		switch {
		case b.LowerInclusive && b.UpperInclusive:
			boundaries = 3
		case b.LowerInclusive:
			boundaries = 1
		case b.UpperInclusive:
			boundaries = 0
		}
		p.buf = append(p.buf, '[')
		p.buf = strconv.AppendInt(p.buf, int64(boundaries), 10)
		p.raw(",")
		p.float(b.Lower)
		p.raw(",")
		p.float(b.Upper)
		p.raw(",")
		p.float(b.Count)
		p.raw("]")
	}
	if found {
		p.raw("]")
	}
	p.raw("}")
}

func (p *promWriter) point(t int64, f float64) {
	p.buf = append(p.buf, '[')
	p.timestamp(t)
	p.buf = append(p.buf, ',')
	p.float(f)
	p.buf = append(p.buf, ']')
}

func (p *promWriter) histogramPoint(t int64, h *histogram.FloatHistogram) {
	p.buf = append(p.buf, '[')
	p.timestamp(t)
	p.buf = append(p.buf, ',')
	p.histogram(h)
	p.buf = append(p.buf, ']')
}

// writeQueryResult answers a query with its result in the standard
// envelope: {"status":"success","data":{"resultType","result"},"warnings"}.
// A failure to write means the client has gone; there is no one to tell.
func writeQueryResult(w http.ResponseWriter, res metricstore.Result, query string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	p := &promWriter{w: w, buf: make([]byte, 0, promFlushSize+4096)}
	p.raw(`{"status":"success","data":{"resultType":"`)
	switch v := res.Value.(type) {
	case promql.Matrix:
		p.raw(`matrix","result":[`)
		for i, s := range v {
			if i > 0 {
				p.raw(",")
			}
			p.raw(`{"metric":`)
			p.labels(s.Metric)
			if len(s.Floats) > 0 {
				p.raw(`,"values":[`)
				for k, pt := range s.Floats {
					if k > 0 {
						p.raw(",")
					}
					p.point(pt.T, pt.F)
					p.maybeFlush()
				}
				p.raw("]")
			}
			if len(s.Histograms) > 0 {
				p.raw(`,"histograms":[`)
				for k, pt := range s.Histograms {
					if k > 0 {
						p.raw(",")
					}
					p.histogramPoint(pt.T, pt.H)
					p.maybeFlush()
				}
				p.raw("]")
			}
			p.raw("}")
		}
		p.raw("]")
	case promql.Vector:
		p.raw(`vector","result":[`)
		for i, s := range v {
			if i > 0 {
				p.raw(",")
			}
			p.raw(`{"metric":`)
			p.labels(s.Metric)
			if s.H != nil {
				p.raw(`,"histogram":`)
				p.histogramPoint(s.T, s.H)
			} else {
				p.raw(`,"value":`)
				p.point(s.T, s.F)
			}
			p.raw("}")
			p.maybeFlush()
		}
		p.raw("]")
	case promql.Scalar:
		p.raw(`scalar","result":`)
		p.point(v.T, v.V)
	case promql.String:
		p.raw(`string","result":[`)
		p.timestamp(v.T)
		p.raw(",")
		p.str(v.V)
		p.raw("]")
	}
	p.raw("}")
	warnings, infos := res.Warnings.AsStrings(query, 10, 10)
	if len(warnings) > 0 {
		p.raw(`,"warnings":`)
		p.strings(warnings)
	}
	if len(infos) > 0 {
		p.raw(`,"infos":`)
		p.strings(infos)
	}
	p.raw("}")
	p.flush()
}
