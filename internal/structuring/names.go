package structuring

import "strings"

// Limits of a rule and of an index configuration, as documented by LTS.
const (
	// MaxFields is the most fields one rule (or index configuration) may
	// define, and the most a rule without a field list emits per line.
	MaxFields = 500
	// MaxFieldNameLen bounds a field name; LTS documents 256 for aliases and
	// no other bound, so names share it.
	MaxFieldNameLen = 256
)

// systemColumns are the columns every stored line already has: a field of
// that name would shadow them in search and SQL.
var systemColumns = []string{"__time", "line_num", "content"}

// CheckFieldName applies the field naming rule below to name, which rules
// and index configurations share. The error, an *Error, names field.
func CheckFieldName(field, name string) error {
	if err := checkFieldName(field, name); err != nil {
		return err // not the typed nil of a *Error
	}
	return nil
}

// checkFieldName applies the LTS field naming rule: 1-256 letters, digits,
// '_', '-' and '.', not starting or ending with '.', not ending with "__",
// and not a system column.
func checkFieldName(field, name string) *Error {
	if name == "" {
		return invalidf(field, "is required")
	}
	if len(name) > MaxFieldNameLen {
		return invalidf(field, "must be at most %d characters, got %d", MaxFieldNameLen, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return invalidf(field, "%q may contain only letters, digits, '_', '-' and '.', found %q", name, rune(c))
		}
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.HasSuffix(name, "__") {
		return invalidf(field, "%q must not start or end with '.' nor end with \"__\"", name)
	}
	for _, s := range systemColumns {
		if name == s {
			return invalidf(field, "%q is a system field (%s) and cannot be redefined", name, strings.Join(systemColumns, ", "))
		}
	}
	return nil
}
