package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryCount: --count prints the count alone, --lines adds the lines.
func TestQueryCount(t *testing.T) {
	conn, _ := testServer(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := commands[args[0]].run(context.Background(), append(args[1:], conn...), &out)
		return out.String(), err
	}
	group, err := run("groups", "create", "web")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run("streams", "create", "--group", strings.TrimSpace(group), "nginx"); err != nil {
		t.Fatalf("streams create: %v %s", err, out)
	}
	file := filepath.Join(t.TempDir(), "lines")
	if err := os.WriteFile(file, []byte("GET /a 200\nGET /b 500 error\nPOST /c 500 error\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sel := []string{"--group", "web", "--stream", "nginx"}
	if out, err := run(append([]string{"ingest", "--quiet", file}, sel...)...); err != nil {
		t.Fatalf("ingest: %v %s", err, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"error"}, "GET /b 500 error\nPOST /c 500 error\n"},
		{[]string{"--count", "error"}, "2\n"},
		{[]string{"--count", "--limit", "1"}, "3\n"},
		{[]string{"--count", "--lines", "error"}, "GET /b 500 error\nPOST /c 500 error\n"},
		{[]string{"--count", "--lines", "--limit", "1", "error"}, "GET /b 500 error\n"},
	} {
		if out, err := run(append(append([]string{"query"}, sel...), c.args...)...); err != nil || out != c.want {
			t.Fatalf("query %v: %q %v, want %q", c.args, out, err, c.want)
		}
	}
	var ue usageError
	if _, err := run(append([]string{"query", "--lines", "error"}, sel...)...); !errors.As(err, &ue) {
		t.Fatalf("--lines without --count: %v", err)
	}
}
