package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"logtank/internal/logquery"
	"logtank/internal/logstore"
)

func TestCheckCommand(t *testing.T) {
	data := t.TempDir()
	const id = "c54dbc58-0fd8-48ed-b007-6d54981427a7"
	s, err := logstore.Open(filepath.Join(data, "logs"), logstore.Options{Tokenizer: logquery.DefaultTokenizer()}, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	entries := make([]logstore.Entry, 5000)
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC).UnixNano()
	for i := range entries {
		entries[i] = logstore.Entry{TimeNs: at + int64(i), Content: fmt.Sprintf("line %d of the check test", i)}
	}
	if _, err := s.Append(id, nil, entries); err != nil {
		t.Fatal(err)
	}
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(data, "logs", "streams", id, "*", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments %v", segs)
	}
	b, _ := os.ReadFile(segs[0])
	b[len(b)/4] ^= 0xff
	os.WriteFile(segs[0], b, 0o600)

	var out bytes.Buffer
	err = runCheck(t.Context(), []string{"--data", data}, &out)
	if err == nil || !strings.Contains(out.String(), "damaged: segment "+segs[0]+" block ") {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := runCheck(t.Context(), []string{"--data", data, "--repair"}, &out); err != nil || !strings.Contains(out.String(), "repaired: replaced "+segs[0]) {
		t.Fatalf("check --repair: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := runCheck(t.Context(), []string{"--data", data}, &out); err != nil || !strings.Contains(out.String(), "no damage found") {
		t.Fatalf("check after the repair: %v\n%s", err, out.String())
	}
}
