package logstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// DeleteStreams removes the streams it is told are gone, on disk and in
// memory, and leaves the others; reopened with the same decision, the
// write-ahead log does not bring them back.
func TestDeleteStreamsRemovesOnlyTheGone(t *testing.T) {
	dir := t.TempDir()
	ids := []string{"11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002", "11111111-0000-0000-0000-000000000003"}
	gone := func(id string) bool { return id == ids[1] }
	open := func(keep func(string) bool) *Store {
		s, err := Open(dir, Options{Tokenizer: spaceTokenizer{}}, keep)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	count := func(s *Store, id string) int {
		n, _, err := s.Count(context.Background(), id, Scan{End: 1 << 62}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	s := open(func(string) bool { return true })
	for _, id := range ids {
		if _, err := s.Append(id, nil, []Entry{{TimeNs: base, Content: "flushed"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := s.Append(id, nil, []Entry{{TimeNs: base + 1, Content: "in memory"}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteStreams(gone)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d streams: %v", n, err)
	}
	check := func(s *Store) {
		t.Helper()
		for _, id := range ids {
			want := 2
			if gone(id) {
				want = 0
			}
			if got := count(s, id); got != want {
				t.Fatalf("stream %s: %d rows, want %d", id, got, want)
			}
			_, err := os.Stat(filepath.Join(dir, "streams", id))
			if gone(id) != os.IsNotExist(err) {
				t.Fatalf("stream %s folder: %v", id, err)
			}
		}
	}
	check(s)
	if n, err := s.DeleteStreams(gone); err != nil || n != 0 {
		t.Fatalf("deleted again: %d %v", n, err)
	}
	s.Close()
	s = open(func(id string) bool { return !gone(id) })
	defer s.Close()
	check(s)
}
