package iam

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestAnswerKeysSorted: every answer declares its fields in the sorted
// order of their JSON keys, the order the API has always written (the
// order Go gives map keys), so a field added out of place cannot move the
// keys that follow it.
func TestAnswerKeysSorted(t *testing.T) {
	for _, answer := range []any{
		tokenAnswer{}, projectsAnswer{}, projectAnswer{}, domainsAnswer{}, domainAnswer{},
		usersAnswer{}, userAnswer{}, credentialsAnswer{}, credentialAnswer{},
	} {
		checkSorted(t, reflect.TypeOf(answer), map[reflect.Type]bool{})
	}
}

func checkSorted(t *testing.T, typ reflect.Type, seen map[reflect.Type]bool) {
	t.Helper()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || seen[typ] {
		return
	}
	seen[typ] = true
	var keys []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Errorf("%s.%s has no JSON key", typ, f.Name)
		}
		keys = append(keys, name)
		checkSorted(t, f.Type, seen)
	}
	if !slices.IsSorted(keys) {
		t.Errorf("%s declares its keys %v out of sorted order", typ, keys)
	}
}
