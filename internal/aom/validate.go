package aom

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"logtank/internal/metricstore"
	"logtank/internal/wire"
)

// Report limits, from the seed.
const (
	maxDimensions     = 50
	maxDimNameLen     = 32
	maxDimValueLen    = 64
	maxMetricNameLen  = 255
	maxUnitLen        = 32
	minNamespaceLen   = 3
	maxNamespaceLen   = 32
	maxCollectPastMS  = 24 * 60 * 60 * 1000
	maxCollectAheadMS = 30 * 60 * 1000
)

// decodeBody decodes a JSON body, turning a broken one into bad(reason).
func decodeBody(body []byte, v any, bad func(format string, args ...any) *wire.Error) error {
	err := wire.Decode(body, v)
	var fe *wire.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe) && fe.Field == "body":
		return bad("The body %s.", fe.Reason)
	case errors.As(err, &fe):
		return bad("The field %s %s.", fe.Field, fe.Reason)
	default:
		return bad("The body is not valid JSON.")
	}
}

// namespaceProblem says what is wrong with a namespace, or "" when nothing
// is: service.item, 3 to 32 characters, both parts starting with a letter
// and made of letters, digits and underscores.
func namespaceProblem(ns string) string {
	if n := len(ns); n < minNamespaceLen || n > maxNamespaceLen {
		return "namespace " + strconv.Quote(ns) + " must be 3 to 32 characters long"
	}
	service, item, ok := strings.Cut(ns, ".")
	if !ok || strings.Contains(item, ".") {
		return "namespace " + strconv.Quote(ns) + " must have the form service.item, with exactly one dot"
	}
	for _, part := range []string{service, item} {
		if !isIdentifier(part, false) || !isLetter(part[0]) {
			return "namespace " + strconv.Quote(ns) + ": service and item must start with a letter and hold only letters, digits and underscores"
		}
	}
	return ""
}

// reservedService returns the reserved service ns falls under, or "".
func (s *Service) reservedService(ns string) string {
	service, _, _ := strings.Cut(ns, ".")
	for _, r := range s.reserved {
		if strings.HasPrefix(service, r) {
			return r
		}
	}
	return ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentifier reports whether s is non-empty and made of letters, digits,
// underscores and (when colon) colons, not starting with a digit: a valid
// Prometheus label name, or metric name with colons.
func isIdentifier(s string, colon bool) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && c != '_' && !(colon && c == ':') {
			return false
		}
	}
	return true
}

// dimensionProblem says what is wrong with a dimension, or "". Names are
// valid Prometheus label names, because each dimension becomes a label; the
// store's own label names (_NAMESPACE_, and Prometheus' reserved __*) are
// refused.
func dimensionProblem(name, value string) string {
	switch n := utf8.RuneCountInString(name); {
	case n < 1 || n > maxDimNameLen:
		return "dimension name " + strconv.Quote(name) + " must be 1 to 32 characters long"
	case !isIdentifier(name, false):
		return "dimension name " + strconv.Quote(name) + " must start with a letter or underscore and hold only letters, digits and underscores"
	case name == metricstore.NamespaceLabel || strings.HasPrefix(name, "__"):
		return "dimension name " + strconv.Quote(name) + " is reserved"
	}
	if n := utf8.RuneCountInString(value); n < 1 || n > maxDimValueLen {
		return "the value of dimension " + strconv.Quote(name) + " must be 1 to 64 characters long"
	}
	return ""
}

// metricNameProblem says what is wrong with a metric name, or "": 1 to 255
// characters, a valid Prometheus metric name.
func metricNameProblem(name string) string {
	if n := len(name); n < 1 || n > maxMetricNameLen {
		return "metric_name " + strconv.Quote(name) + " must be 1 to 255 characters long"
	}
	if !isIdentifier(name, true) {
		return "metric_name " + strconv.Quote(name) + " must start with a letter, underscore or colon and hold only letters, digits, underscores and colons"
	}
	return ""
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
