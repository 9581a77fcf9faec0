package loki

import "testing"

// TestArrays counts the arrays of a JSON text, not brackets in strings.
func TestArrays(t *testing.T) {
	f := func(in string, want int) {
		t.Helper()
		if got := arrays([]byte(in)); got != want {
			t.Errorf("arrays(%s) = %d, want %d", in, got, want)
		}
	}
	f(`{}`, 0)
	f(`{"streams":[{"stream":{},"values":[["1","a"],["2","b"]]}]}`, 4)
	f(`[["1","[worker-3] done"]]`, 2)
	f(`[["1","a \"[quoted]\" \\"],["2","[["]]`, 3)
}
