package logsql

import (
	"math"
	"strconv"
	"strings"
)

// parseFloat is the lenient string→number conversion: text that is not a
// number becomes 0, the LTS type default.
func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !math.IsInf(f, 0) {
		return 0
	}
	return f
}

func parseLong(s string) int64 {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return floatToLong(parseFloat(s))
}

func floatToLong(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func (v Value) isNull() bool { return v.Type == Null }

func (v Value) asFloat() float64 {
	switch v.Type {
	case Bool:
		if v.Bool {
			return 1
		}
		return 0
	case Long:
		return float64(v.Long)
	case Float:
		return v.Float
	case String:
		return parseFloat(v.Str)
	}
	return 0
}

func (v Value) asLong() int64 {
	switch v.Type {
	case Bool:
		if v.Bool {
			return 1
		}
		return 0
	case Long:
		return v.Long
	case Float:
		return floatToLong(v.Float)
	case String:
		return parseLong(v.Str)
	}
	return 0
}

func (v Value) asBool() bool {
	switch v.Type {
	case Bool:
		return v.Bool
	case Long:
		return v.Long != 0
	case Float:
		return v.Float != 0
	case String:
		s := strings.TrimSpace(v.Str)
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
		return parseFloat(s) != 0
	}
	return false
}

// convert returns v as type t (null stays null).
func (v Value) convert(t Type) Value {
	if v.Type == Null || v.Type == t {
		return v
	}
	switch t {
	case Bool:
		return Value{Type: Bool, Bool: v.asBool()}
	case Long:
		return Value{Type: Long, Long: v.asLong()}
	case Float:
		return Value{Type: Float, Float: v.asFloat()}
	case String:
		return Value{Type: String, Str: v.String()}
	}
	return Value{}
}

// unify is the common type of two branches (CASE, COALESCE, IF...).
func unify(a, b Type) Type {
	switch {
	case a == Null:
		return b
	case b == Null || a == b:
		return a
	case a == String || b == String:
		return String
	case a == Float || b == Float:
		return Float
	}
	return Long // Bool with Long
}

// compareValues orders two non-null values of possibly different types:
// numbers numerically, strings bytewise, a string against a number as numbers.
func compareValues(a, b Value) int {
	if a.Type == String && b.Type == String {
		return strings.Compare(a.Str, b.Str)
	}
	if (a.Type == Long || a.Type == Bool) && (b.Type == Long || b.Type == Bool) {
		x, y := a.asLong(), b.asLong()
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return cmpFloat(a.asFloat(), b.asFloat())
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	case x != x && y != y:
		return 0
	case x != x:
		return -1
	}
	return 1
}

// orderValues is compareValues with null ordered first (smallest).
func orderValues(a, b Value) int {
	switch {
	case a.Type == Null && b.Type == Null:
		return 0
	case a.Type == Null:
		return -1
	case b.Type == Null:
		return 1
	}
	return compareValues(a, b)
}
