package structuring

import (
	"math"
	"strconv"
)

// Type is the type of a structured field.
type Type uint8

// The field types of LTS structuring.
const (
	String Type = iota
	Long        // int64
	Float       // float64
)

var typeNames = [...]string{String: "string", Long: "long", Float: "float"}

// ParseType returns the type named s ("string", "long" or "float").
func ParseType(s string) (Type, bool) {
	for t, n := range typeNames {
		if n == s {
			return Type(t), true
		}
	}
	return String, false
}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// MarshalText writes the name of t, so a stored Rule reads "long".
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a type name.
func (t *Type) UnmarshalText(b []byte) error {
	v, ok := ParseType(string(b))
	if !ok {
		return &Error{Field: "type", Kind: NotInList, Msg: "type is not in the list [string, long, float]"}
	}
	*t = v
	return nil
}

// Field is one structured value of a line. Only the member of its Type is
// meaningful: Str for String, Int for Long, Float for Float.
type Field struct {
	Name  string
	Type  Type
	Str   string
	Int   int64
	Float float64
}

// AppendText appends the value as text: the string itself, a long in
// decimal, a float in the shortest form that reads back exactly.
func (f *Field) AppendText(dst []byte) []byte {
	switch f.Type {
	case Long:
		return strconv.AppendInt(dst, f.Int, 10)
	case Float:
		return strconv.AppendFloat(dst, f.Float, 'g', -1, 64)
	default:
		return append(dst, f.Str...)
	}
}

// Result tells how a line was structured.
type Result struct {
	// Matched is false when the line did not fit the rule at all; it then
	// has no fields.
	Matched bool
	// Failed counts the values that were missing or did not convert to
	// their field's type and were set to the type's default.
	Failed int
}

// set stores raw converted to typ into f and reports whether it converted;
// on failure f holds the type's default.
func set(f *Field, typ Type, raw string) bool {
	f.Type = typ
	f.Str, f.Int, f.Float = "", 0, 0
	switch typ {
	case Long:
		v, ok := parseLong(raw)
		f.Int = v
		return ok
	case Float:
		v, ok := parseFloat(raw)
		f.Float = v
		return ok
	default:
		f.Str = raw
		return true
	}
}

// parseLong reads a decimal integer, also accepting a number written with a
// fraction or exponent whose value is integral ("1.0", "2e3"), as JSON
// writers often produce.
func parseLong(s string) (int64, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	f, ok := parseFloat(s)
	if !ok || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// parseFloat reads a finite decimal number; "NaN", "Inf" and hexadecimal
// forms, which strconv accepts, are not log numbers.
func parseFloat(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
