package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster mode refuses a follow window no longer than the query timeout:
// a node could drop a stream while a query through it still reads it.
func TestServeRefusesAFollowWindowShorterThanAQuery(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cluster := []string{"--data", data, "--catalog", "postgres://nobody@127.0.0.1:1/none", "--segments-bucket", "b", "--segments-dir", t.TempDir()}
	for _, extra := range [][]string{
		{"--cluster-follow-for", "30s"},
		{"--query-timeout", "10m"},
		{"--cluster-follow-for", "1m", "--query-timeout", "1m"},
	} {
		err := runServe(context.Background(), append(append([]string{}, cluster...), extra...), io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--cluster-follow-for") {
			t.Fatalf("%v: %v", extra, err)
		}
	}
	// The defaults pass that check; the unreachable catalog is what fails.
	if err := runServe(context.Background(), cluster, io.Discard); err == nil || strings.Contains(err.Error(), "--cluster-follow-for") {
		t.Fatalf("the default follow window: %v", err)
	}
}

func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"1073741824": 1 << 30, "1GiB": 1 << 30, "1g": 1 << 30, "512MiB": 512 << 20,
		"512 MiB": 512 << 20, "3K": 3 << 10, "2TiB": 2 << 40, "100B": 100} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1GiB", "1.5GiB", "GiB", "1PiB", "9999999999TiB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, b)
		}
	}
	for in, want := range map[byteSize]string{1 << 30: "1GiB", 1536 << 20: "1536MiB", 1000: "1000", 5 << 40: "5TiB"} {
		if got := in.String(); got != want {
			t.Errorf("String(%d) = %q, want %q", int64(in), got, want)
		}
	}
}
