package logquery

import (
	"math"
	"strconv"
	"strings"
)

// numRange is a numeric interval; comparisons are intervals with an
// infinite end.
type numRange struct {
	lo, hi         float64
	loIncl, hiIncl bool
}

func (r numRange) contains(f float64) bool {
	if f < r.lo || f == r.lo && !r.loIncl {
		return false
	}
	return f < r.hi || f == r.hi && r.hiIncl
}

// comparison returns the interval of `key op n`.
func comparison(op string, n float64) numRange {
	switch op {
	case ">":
		return numRange{lo: n, hi: math.Inf(1), hiIncl: true}
	case ">=":
		return numRange{lo: n, hi: math.Inf(1), loIncl: true, hiIncl: true}
	case "<":
		return numRange{lo: math.Inf(-1), hi: n, loIncl: true}
	case "<=":
		return numRange{lo: math.Inf(-1), hi: n, loIncl: true, hiIncl: true}
	}
	return numRange{lo: n, hi: n, loIncl: true, hiIncl: true}
}

// parseNumber parses a decimal number (surrounding spaces allowed). The
// syntax check first keeps strconv from allocating an error for the
// non-numeric label values a scan meets on every line.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if !isDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// isDecimal reports whether s is [+-]digits[.digits][e[+-]digits] with at
// least one digit before the exponent (no hex, inf, nan or underscores).
func isDecimal(s string) bool {
	i, digits := 0, 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
