package aom

import (
	"math"
	"testing"

	jsoniter "github.com/json-iterator/go"
	"github.com/prometheus/prometheus/util/jsonutil"
)

// TestPromNumbersMatchPrometheus compares the encoder's timestamps and
// values with those of Prometheus' own JSON helpers.
func TestPromNumbersMatchPrometheus(t *testing.T) {
	times := []int64{0, 1, 10, 100, 999, 1000, 1001, 1050, 1500, -1, -1500, 1700000000123, math.MaxInt64 / 2}
	values := []float64{0, 1, -1, 0.1, 1.5, 1e-6, 9.99e-7, 1e21, 1e20, 123456789.123456789, 1.0 / 3, math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, math.MaxFloat64, -0.0}
	for _, ts := range times {
		want := prometheusJSON(func(s *jsoniter.Stream) { jsonutil.MarshalTimestamp(ts, s) })
		p := &promWriter{}
		p.timestamp(ts)
		if string(p.buf) != want {
			t.Errorf("timestamp %d: %s, Prometheus writes %s", ts, p.buf, want)
		}
	}
	for _, v := range values {
		want := prometheusJSON(func(s *jsoniter.Stream) { jsonutil.MarshalFloat(v, s) })
		p := &promWriter{}
		p.float(v)
		if string(p.buf) != want {
			t.Errorf("value %v: %s, Prometheus writes %s", v, p.buf, want)
		}
	}
}

func prometheusJSON(write func(*jsoniter.Stream)) string {
	s := jsoniter.ConfigCompatibleWithStandardLibrary.BorrowStream(nil)
	defer jsoniter.ConfigCompatibleWithStandardLibrary.ReturnStream(s)
	write(s)
	return string(s.Buffer())
}

func TestPromStringsAreJSON(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       `"plain"`,
		`q"b\`:        `"q\"b\\"`,
		"tab\tnl\n":   `"tab\tnl\n"`,
		"\x01":        `"\u0001"`,
		"日本":          `"日本"`,
		"bad\xffutf8": `"bad\ufffdutf8"`,
		"\u2028":      `"\u2028"`,
	} {
		p := &promWriter{}
		p.str(in)
		if string(p.buf) != want {
			t.Errorf("%q: %s, want %s", in, p.buf, want)
		}
	}
}
