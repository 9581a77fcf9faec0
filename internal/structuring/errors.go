package structuring

import "fmt"

// ErrorKind classifies a validation failure so that the service can map it
// onto its own catalogue (LTS: NotInList -> LTS.1901, Invalid -> LTS.0009).
type ErrorKind uint8

const (
	// Invalid is a value that is missing, malformed or out of range.
	Invalid ErrorKind = iota
	// NotInList is a value outside an enumeration; Msg reads
	// "<field> is not in the list [<values>]".
	NotInList
)

// Error is a rule or index configuration that cannot be accepted. Field is
// the request's name for the field at fault (e.g. "regex_rules",
// "demo_fields[2].fieldName", "fields[0].fieldType"); Msg is the whole
// message for the client and always names that field.
type Error struct {
	Field string
	Kind  ErrorKind
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

func invalidf(field, format string, args ...any) *Error {
	return &Error{Field: field, Kind: Invalid, Msg: field + " " + fmt.Sprintf(format, args...)}
}

func notInList(field, list string) *Error {
	return &Error{Field: field, Kind: NotInList, Msg: field + " is not in the list [" + list + "]"}
}
