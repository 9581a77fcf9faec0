package logstore

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// roundTrip encodes lines as one block's contents chunk and decodes it.
func roundTrip(t testing.TB, lines []string) {
	t.Helper()
	var e contentsEncoder
	var d contentsDecoder
	for _, l := range lines {
		e.add(l)
	}
	chunk := e.appendTo(nil)
	all, lens, err := d.decode([]byte("prefix"), nil, chunk, len(lines), 1<<30)
	if err != nil {
		t.Fatalf("decoding %d lines: %v", len(lines), err)
	}
	if !bytes.HasPrefix(all, []byte("prefix")) {
		t.Fatalf("decode did not append to dst: %q", all[:min(len(all), 10)])
	}
	all = all[len("prefix"):]
	if len(lens) != len(lines) {
		t.Fatalf("%d lengths for %d lines", len(lens), len(lines))
	}
	for i, l := range lines {
		if got := string(all[:lens[i]]); got != l {
			t.Fatalf("line %d: got %q, want %q", i, got, l)
		}
		all = all[lens[i]:]
	}
	if len(all) != 0 {
		t.Fatalf("%d bytes after the last line", len(all))
	}
	// The encoder starts afresh after reset, with its memory.
	e.reset()
	e.add("x 1")
	if _, lens, err := d.decode(nil, nil, e.appendTo(nil), 1, 1<<30); err != nil || len(lens) != 1 || lens[0] != 3 {
		t.Fatalf("after reset: %v %v", lens, err)
	}
}

func TestContentsCodecRoundTrip(t *testing.T) {
	huge := strings.Repeat("word 123 ", 200_000)
	for _, lines := range [][]string{
		{""},
		{"", "", ""},
		{"plain words only", "plain words only"},
		{"12345", "0", "-1", "007", "1.2.3.4", "99999999999999999999999999"},
		{"user 42 logged in from 10.0.0.1:8080", "user 43 logged in from 10.0.0.2:8081", "other 1"},
		{"a\x00b 12", "\x00", "12\x00", "x 1"},
		{"\xff\xfe 12 \xc3", "caf\xc3\xa9 3 ✓", "\x01\x02 5"},
		{huge, "short 1"},
		{"trailing 1 ", " leading 2", "  ", "1", "a1b2c3", "_-.", "-", "1-", "x=1,y=2;z=[3]"},
		{"blk_-1608999687919862906 src: /10.250.19.102:54106", "tab\t1\n2\r3"},
	} {
		roundTrip(t, lines)
	}
}

// loghubDir holds the loghub sample logs (one folder per system, each with
// a *_2k.log file); LOGHUB_DIR overrides where.
func loghubDir() string {
	if d := os.Getenv("LOGHUB_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "datasets", "loghub")
}

func readLoghub(t testing.TB) map[string][]string {
	files, _ := filepath.Glob(filepath.Join(loghubDir(), "*", "*_2k.log"))
	if len(files) == 0 {
		t.Skipf("no loghub samples in %s (set LOGHUB_DIR)", loghubDir())
	}
	out := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out[filepath.Base(filepath.Dir(f))] = append(out[filepath.Base(filepath.Dir(f))], sc.Text())
		}
	}
	return out
}

// TestContentsCodecLoghub is the differential test of the template
// encoding: every line of every loghub system comes back byte for byte, in
// blocks as the writer cuts them, and the chunk is smaller than the lines.
func TestContentsCodecLoghub(t *testing.T) {
	systems := readLoghub(t)
	if len(systems) < 10 {
		t.Fatalf("%d loghub systems, want all 10", len(systems))
	}
	for name, lines := range systems {
		for i := 0; i < len(lines); i += blockMaxRows {
			roundTrip(t, lines[i:min(i+blockMaxRows, len(lines))])
		}
		var e contentsEncoder
		raw := 0
		for _, l := range lines[:blockMaxRows] {
			e.add(l)
			raw += len(l)
		}
		if chunk := e.appendTo(nil); len(chunk) > raw+len(lines) {
			t.Errorf("%s: chunk of %d bytes for %d content bytes", name, len(chunk), raw)
		}
	}
}

// TestContentsDecodeDamaged: every truncation and every single-byte change
// of a chunk is an error or another valid decoding, never a panic, and a
// chunk that promises more than the limit is refused before allocating.
func TestContentsDecodeDamaged(t *testing.T) {
	var e contentsEncoder
	lines := []string{"user 42 from 10.0.0.1", "user 43 from 10.0.0.2", "a\x00b", "done"}
	for _, l := range lines {
		e.add(l)
	}
	chunk := e.appendTo(nil)
	var d contentsDecoder
	for n := range len(chunk) {
		if _, _, err := d.decode(nil, nil, chunk[:n], len(lines), 1<<20); err == nil {
			t.Fatalf("a chunk cut to %d of %d bytes decoded", n, len(chunk))
		}
	}
	for i := range chunk {
		for _, b := range []byte{0, 1, 0x7f, 0xff, chunk[i] + 1} {
			bad := slices.Clone(chunk)
			bad[i] = b
			d.decode(nil, nil, bad, len(lines), 1<<20)
		}
	}
	if _, _, err := d.decode(nil, nil, chunk, len(lines), 10); err == nil || !strings.Contains(err.Error(), "more than 10") {
		t.Fatalf("a chunk over the limit: %v", err)
	}
	if _, _, err := d.decode(nil, nil, chunk, len(lines)+1, 1<<20); err == nil {
		t.Fatal("a chunk decoded as one row more than it holds")
	}
}

func FuzzContentsRoundTrip(f *testing.F) {
	f.Add([]byte("user 42 from 10.0.0.1\nuser 43 from 10.0.0.2\n\n\x00\n\xff 1"), byte('\n'))
	f.Add([]byte("12345"), byte(' '))
	f.Fuzz(func(t *testing.T, b []byte, sep byte) {
		roundTrip(t, strings.Split(string(b), string([]byte{sep})))
	})
}

func FuzzContentsDecode(f *testing.F) {
	var e contentsEncoder
	for _, l := range []string{"user 42 from 10.0.0.1", "a\x00b", "", "x"} {
		e.add(l)
	}
	f.Add(e.appendTo(nil), 4)
	f.Add([]byte{0, 0}, 0)
	f.Fuzz(func(t *testing.T, chunk []byte, rows int) {
		if rows < 0 || rows > 1<<12 {
			return
		}
		var d contentsDecoder
		all, lens, err := d.decode(nil, nil, chunk, rows, 1<<20)
		if err != nil {
			return
		}
		sum := 0
		for _, n := range lens {
			sum += n
		}
		if len(lens) != rows || sum != len(all) {
			t.Fatalf("%d lengths adding up to %d for %d rows of %d bytes", len(lens), sum, rows, len(all))
		}
		// A chunk that decodes encodes back to the same rows.
		lines := make([]string, rows)
		for i, n := range lens {
			lines[i], all = string(all[:n]), all[n:]
		}
		roundTrip(t, lines)
	})
}

func BenchmarkContentsCodec(b *testing.B) {
	rows := benchRows(blockMaxRows)
	var raw int64
	for _, r := range rows {
		raw += int64(len(r.content))
	}
	var e contentsEncoder
	b.Run("encode", func(b *testing.B) {
		var chunk []byte
		b.SetBytes(raw)
		for b.Loop() {
			e.reset()
			for _, r := range rows {
				e.add(r.content)
			}
			chunk = e.appendTo(chunk[:0])
		}
	})
	e.reset()
	for _, r := range rows {
		e.add(r.content)
	}
	chunk := e.appendTo(nil)
	b.Run("decode", func(b *testing.B) {
		var d contentsDecoder
		var dst []byte
		var lens []int
		var err error
		b.SetBytes(raw)
		for b.Loop() {
			if dst, lens, err = d.decode(dst[:0], lens, chunk, len(rows), 1<<30); err != nil {
				b.Fatal(err)
			}
		}
	})
}
