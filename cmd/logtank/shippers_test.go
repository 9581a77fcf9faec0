package main

import (
	"bytes"
	"context"
	"testing"
)

// TestShippersSettings: show prints the defaults, set changes only the
// flags given, and a refused value is the server's error.
func TestShippersSettings(t *testing.T) {
	conn, _ := testServer(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runShippers(context.Background(), append(args, conn...), &out)
		return out.String(), err
	}
	if out, err := run("show"); err != nil || out != "create_streams\tfalse\nttl_in_days\t7\n" {
		t.Fatalf("show: %q %v", out, err)
	}
	if out, err := run("set", "--create-streams"); err != nil || out != "create_streams\ttrue\nttl_in_days\t7\n" {
		t.Fatalf("set: %q %v", out, err)
	}
	if out, err := run("set", "--ttl", "30"); err != nil || out != "create_streams\ttrue\nttl_in_days\t30\n" {
		t.Fatalf("set --ttl: %q %v", out, err)
	}
	if out, err := run("set", "--ttl", "0"); err == nil {
		t.Fatalf("set --ttl 0: %q, no error", out)
	}
	if out, err := run("show"); err != nil || out != "create_streams\ttrue\nttl_in_days\t30\n" {
		t.Fatalf("show after a refused set: %q %v", out, err)
	}
}
