package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// ErrNotJSON reports a body that is not a JSON document at all.
var ErrNotJSON = errors.New("the request body is not valid JSON")

// FieldError reports a JSON document whose field has the wrong type.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Decode reads the JSON document in body into v. Unknown fields are ignored,
// because newer clients add fields. It returns ErrNotJSON for a body that is
// not JSON and a *FieldError for a well-formed body with a mistyped field.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrNotJSON
	}
	// Unmarshal reads the body in place (a Decoder would copy it first) and
	// refuses anything after the document.
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "body"
			}
			return &FieldError{Field: field, Reason: "must be " + jsonKind(te.Type.Kind().String())}
		default:
			return ErrNotJSON
		}
	}
	return nil
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "a number"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "a boolean"
	case goKind == "slice", goKind == "array":
		return "an array"
	default:
		return "an object"
	}
}

// Int is an integer that also accepts a JSON string holding one ("7"), as
// clients that copy the documentation's examples send. Set tells whether the
// field was present and not null.
type Int struct {
	Value int64
	Set   bool
}

func (n *Int) UnmarshalJSON(b []byte) error {
	s, null, err := numberText(b)
	if err != nil || null {
		*n = Int{}
		return err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[int64]()}
		}
		v = int64(f)
	}
	*n = Int{Value: v, Set: true}
	return nil
}

// Float is a number that also accepts a JSON string holding one ("35").
// Set tells whether the field was present and not null. A value beyond the
// float64 range is kept as ±Inf for the caller's range check.
type Float struct {
	Value float64
	Set   bool
}

func (n *Float) UnmarshalJSON(b []byte) error {
	s, null, err := numberText(b)
	if err != nil || null {
		*n = Float{}
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[float64]()}
	}
	*n = Float{Value: v, Set: true}
	return nil
}

// numberText is the text of a JSON number, or of a string holding one.
func numberText(b []byte) (text string, null bool, err error) {
	s := string(b)
	if s == "null" {
		return "", true, nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return "", false, err
		}
		s = strings.TrimSpace(s)
	}
	return s, false, nil
}

// Bool is a boolean that also accepts "true" and "false" as strings.
type Bool struct {
	Value bool
	Set   bool
}

func (v *Bool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "null":
		*v = Bool{}
	case "true":
		*v = Bool{Value: true, Set: true}
	case "false":
		*v = Bool{Value: false, Set: true}
	default:
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[bool]()}
	}
	return nil
}
