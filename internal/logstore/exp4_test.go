package logstore

import (
	"bufio"
	"os"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

func TestExpDict(t *testing.T) {
	f, err := os.Open("/tmp/fmt4/lines-1m.txt")
	if err != nil {
		t.Skip(err)
	}
	sc := bufio.NewScanner(f)
	var lines []string
	for sc.Scan() && len(lines) < 200*1024 {
		lines = append(lines, sc.Text())
	}
	var chunks [][]byte
	var e contentsEncoder
	tset := map[string]bool{}
	var tdict []byte
	for i := 0; i < len(lines); i += 1024 {
		e.reset()
		for _, l := range lines[i : i+1024] {
			e.add(l)
		}
		chunks = append(chunks, e.appendTo(nil))
		for _, tp := range e.templates {
			if !tset[tp] {
				tset[tp] = true
				tdict = append(tdict, tp...)
			}
		}
	}
	plain, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	et, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithEncoderDictRaw(1, tdict))
	dp, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	dt, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderDictRaw(1, tdict))
	for round := 0; round < 3; round++ {
		var a, c int
		var ta, tc, da, dc time.Duration
		var out, dec []byte
		for _, ch := range chunks {
			t0 := time.Now()
			out = plain.EncodeAll(ch, out[:0])
			ta += time.Since(t0)
			a += len(out)
			t0 = time.Now()
			dec, _ = dp.DecodeAll(out, dec[:0])
			da += time.Since(t0)
			t0 = time.Now()
			out = et.EncodeAll(ch, out[:0])
			tc += time.Since(t0)
			c += len(out)
			t0 = time.Now()
			dec, _ = dt.DecodeAll(out, dec[:0])
			dc += time.Since(t0)
		}
		n := float64(len(lines))
		t.Logf("plain %.2f B/line enc %v dec %v | dict(%d B) %.2f B/line enc %v dec %v", float64(a)/n, ta, da, len(tdict), float64(c)/n, tc, dc)
	}
	t0 := time.Now()
	for range 100 {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderDictRaw(1, tdict))
		d.Close()
	}
	t.Logf("new decoder with dict: %v", time.Since(t0)/100)
}
