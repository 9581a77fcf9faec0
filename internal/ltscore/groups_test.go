package ltscore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"logtank/internal/apierr"
)

func code(err error) string {
	var e *apierr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return fmt.Sprint(err)
}

// TestGroupAndStreamRules: names, TTLs, tags and quotas are checked by the
// core, with the catalogue's errors, before anything is stored.
func TestGroupAndStreamRules(t *testing.T) {
	c, _ := openCore(t, Config{})
	ctx := context.Background()
	ttl := TTL{Days: 7, Set: true}
	for _, tc := range []struct {
		name string
		spec GroupSpec
		code string
	}{
		{"no name", GroupSpec{TTL: ttl}, "LTS.0009"},
		{"bad name", GroupSpec{Name: ".x", TTL: ttl}, "LTS.0009"},
		{"no ttl", GroupSpec{Name: "a"}, "LTS.0009"},
		{"ttl too long", GroupSpec{Name: "a", TTL: TTL{Days: 366, Set: true}}, "LTS.0009"},
		{"reserved tag", GroupSpec{Name: "a", TTL: ttl, Tags: []Tag{{Key: "_sys_x"}}}, "LTS.0009"},
		{"repeated tag", GroupSpec{Name: "a", TTL: ttl, Tags: []Tag{{Key: "k"}, {Key: "k"}}}, "LTS.0009"},
		{"exists", GroupSpec{Name: "g", TTL: ttl}, "LTS.0101"},
	} {
		if _, err := c.CreateGroup(ctx, project, tc.spec); code(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	g, err := c.CreateGroup(ctx, project, GroupSpec{Name: "web", TTL: ttl, Tags: []Tag{{Key: "team", Value: "a"}}})
	if err != nil || g.Tags["team"] != "a" {
		t.Fatalf("create: %+v %v", g, err)
	}
	for i := range MaxStreamsPerGroup {
		if _, err := c.CreateStream(ctx, project, g.ID, StreamSpec{Name: fmt.Sprintf("s%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateStream(ctx, project, g.ID, StreamSpec{Name: "one-more"}); code(err) != "LTS.0206" {
		t.Fatalf("stream quota: %v", err)
	}
	if _, err := c.CreateStream(ctx, project, "nope", StreamSpec{Name: "x"}); code(err) != "LTS.0201" {
		t.Fatalf("missing group: %v", err)
	}
	if _, err := c.UpdateStream(ctx, project, g.ID, "nope", StreamChange{TTL: ttl}); code(err) != "LTS.0208" {
		t.Fatalf("missing stream: %v", err)
	}
	if err := c.DeleteGroup(ctx, project, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Group(ctx, project, g.ID); code(err) != "LTS.0201" {
		t.Fatalf("deleted group: %v", err)
	}
}
