package wal

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func records(t *testing.T, b []byte) ([]string, error) {
	t.Helper()
	rr := &recordReader{r: bytes.NewReader(b), file: "f", off: 0}
	var out []string
	for {
		p, err := rr.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(p))
	}
}

func TestRecordRoundTrip(t *testing.T) {
	var b []byte
	want := []string{"a", "hello", strings.Repeat("x", 70000)}
	for _, p := range want {
		b = appendRecord(b, []byte(p))
	}
	if n := len(b); n != 3*recordHeaderSize+1+5+70000 {
		t.Fatalf("encoded %d bytes", n)
	}
	got, err := records(t, b)
	if err != nil || len(got) != 3 || got[0] != "a" || got[1] != "hello" || got[2] != want[2] {
		t.Fatalf("decoded %d records, %v", len(got), err)
	}
	hdr := appendFileHeader(nil)
	if len(hdr) != fileHeaderSize || readFileHeader(hdr) != nil {
		t.Fatalf("file header %q", hdr)
	}
	if err := readFileHeader(hdr[:5]); err != errNoHeader {
		t.Fatalf("short header: %v", err)
	}
	bad := append([]byte(nil), hdr...)
	bad[6] = 9
	if err := readFileHeader(bad); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("unknown version: %v", err)
	}
}

func TestRecordCorruption(t *testing.T) {
	good := appendRecord(nil, []byte("first"))
	second := appendRecord(nil, []byte("second record"))
	all := append(append([]byte(nil), good...), second...)
	f := func(name string, b []byte, wantRecords int, wantReason string) {
		t.Helper()
		got, err := records(t, b)
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: error %v, want a CorruptError", name, err)
		}
		if len(got) != wantRecords || ce.Offset != int64(len(good)) || !strings.Contains(ce.Reason, wantReason) {
			t.Fatalf("%s: %d records, %v", name, len(got), err)
		}
		if !strings.Contains(ce.Error(), "wal: f: record at offset 13") {
			t.Fatalf("%s: error does not name the file and offset: %v", name, ce)
		}
	}
	for cut := len(good) + 1; cut < len(good)+recordHeaderSize; cut++ {
		f("header cut", all[:cut], 1, "header cut")
	}
	for cut := len(good) + recordHeaderSize; cut < len(all); cut++ {
		f("payload cut", all[:cut], 1, "payload cut")
	}
	flipped := append([]byte(nil), all...)
	flipped[len(all)-1] ^= 1
	f("flipped payload byte", flipped, 1, "checksum")
	zero := append(append([]byte(nil), good...), make([]byte, 16)...)
	f("zeroed tail", zero, 1, "length 0")
	huge := append(append([]byte(nil), good...), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	f("length too large", huge, 1, "out of range")
}
