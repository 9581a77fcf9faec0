package main

import (
	"fmt"
	"slices"
	"strings"
)

// match marks the operations that one of patterns serves, and returns the
// patterns that serve none of them, sorted and without duplicates.
//
// Patterns are net/http ServeMux patterns, "METHOD /path". logtank names its
// path wildcards as it likes, so a wildcard matches an SDK parameter in the
// same position whatever either is called.
func match(ops []operation, patterns []string) ([]string, error) {
	byRoute := make(map[string][]string)
	for _, p := range patterns {
		f := strings.Fields(p)
		if len(f) != 2 || !strings.HasPrefix(f[1], "/") {
			return nil, fmt.Errorf("pattern %q: want \"METHOD /path\"", p)
		}
		r := route(f[0], f[1])
		byRoute[r] = append(byRoute[r], p)
	}
	used := make(map[string]bool)
	for i := range ops {
		r := route(ops[i].method, ops[i].path)
		if _, ok := byRoute[r]; ok {
			ops[i].implemented = true
			used[r] = true
		}
	}
	var unmatched []string
	for r, ps := range byRoute {
		if !used[r] {
			unmatched = append(unmatched, ps...)
		}
	}
	slices.Sort(unmatched)
	return slices.Compact(unmatched), nil
}

// route is the key on which operations and patterns meet: the method and the
// path with every wildcard segment written "{}". That covers a pattern's
// trailing {name...} too, which serves the SDK's single last parameter.
func route(method, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "{}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}
