package aomforward

import (
	"strings"
	"testing"
)

// TestNewTakesOnlyANodesAddress: the metrics node is a scheme, a host and a
// port; a path, query, user or fragment would change what clients signed.
func TestNewTakesOnlyANodesAddress(t *testing.T) {
	f := func(base, wantErr string) {
		t.Helper()
		_, err := New(base, nil)
		switch {
		case wantErr == "" && err != nil:
			t.Fatalf("%q refused: %v", base, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Fatalf("%q: %v, want an error saying %q", base, err, wantErr)
		}
	}
	f("http://10.0.0.1:8102", "")
	f("https://metrics.example:8102/", "")
	f("10.0.0.1:8102", "want http://host:port")
	f("ftp://10.0.0.1", "want http://host:port")
	f("http://", "want http://host:port")
	f("http://10.0.0.1:8102/prefix", "only a scheme, a host and a port")
	f("http://10.0.0.1:8102?x=1", "only a scheme, a host and a port")
	f("http://u:p@10.0.0.1:8102", "only a scheme, a host and a port")
	f("http://10.0.0.1:8102#f", "only a scheme, a host and a port")
	f("http://[::1", "want http://host:port")
}
