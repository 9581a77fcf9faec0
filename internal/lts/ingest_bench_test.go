package lts

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkDecodeHighAccuracy decodes a 1,000-line high-accuracy body of
// ~150-byte lines, each with its own time, as shippers send it.
func BenchmarkDecodeHighAccuracy(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var body strings.Builder
	body.WriteString(`{"labels":{"host":"h1","app":"bench"},"contents":[`)
	for i := range 1000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"log_time_ns":%d,"log":"2026-11-22 10:%02d:%02d,%03d INFO [worker-%d] OrderService order %d placed by user %d from 10.%d.%d.%d in %d ms"}`,
			1_795_000_000_000_000_000+int64(i)*1_000_000, rng.IntN(60), rng.IntN(60), rng.IntN(1000), rng.IntN(64), rng.Int64N(1e9), rng.IntN(1e6),
			rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(500))
	}
	body.WriteString(`]}`)
	data := []byte(body.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		req, ok := decodeHighAccuracy(data)
		if !ok || len(req.Contents) != 1000 {
			b.Fatalf("decoded %d lines, fast path %v", len(req.Contents), ok)
		}
	}
}
