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
