package wal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"logtank/internal/vfs"
)

func collect(t *testing.T, dir string) ([][]byte, *WAL) {
	t.Helper()
	var got [][]byte
	w, err := Open(dir, Options{}, func(rec []byte) error {
		got = append(got, bytes.Clone(rec))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, w
}

func TestAppendReplay(t *testing.T) {
	dir := t.TempDir()
	_, w := collect(t, dir)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				if _, err := w.Append([]byte(fmt.Sprintf("g%d-%03d", g, i))); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	got, w2 := collect(t, dir)
	defer w2.Close()
	if len(got) != 800 {
		t.Fatalf("replayed %d records, want 800", len(got))
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r)] = true
	}
	if len(seen) != 800 {
		t.Fatalf("%d distinct records", len(seen))
	}
}

func TestTornTailIsCut(t *testing.T) {
	for _, damage := range []struct {
		name string
		fn   func(path string, size int64)
	}{
		{"cut in payload", func(p string, n int64) { os.Truncate(p, n-3) }},
		{"cut in header", func(p string, n int64) { os.Truncate(p, n-14) }},
		{"flipped byte", func(p string, n int64) {
			f, _ := os.OpenFile(p, os.O_RDWR, 0)
			f.WriteAt([]byte{0xff}, n-2)
			f.Close()
		}},
		{"garbage appended", func(p string, n int64) {
			f, _ := os.OpenFile(p, os.O_RDWR|os.O_APPEND, 0)
			f.Write([]byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
			f.Close()
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			dir := t.TempDir()
			_, w := collect(t, dir)
			for i := range 3 {
				if _, err := w.Append([]byte(fmt.Sprintf("record-%d", i))); err != nil {
					t.Fatal(err)
				}
			}
			w.Close()
			path := filepath.Join(dir, name(1))
			info, _ := os.Stat(path)
			damage.fn(path, info.Size())
			got, w2 := collect(t, dir)
			want := 2
			if damage.name == "garbage appended" {
				want = 3
			}
			if len(got) != want {
				t.Fatalf("replayed %d records, want %d", len(got), want)
			}
			// The tail is gone for good: new records follow the good ones.
			w2.Append([]byte("after"))
			w2.Close()
			got, w3 := collect(t, dir)
			w3.Close()
			if len(got) != want+1 || string(got[len(got)-1]) != "after" {
				t.Fatalf("after reopening: %q", got)
			}
		})
	}
}

func TestRotateAndRemove(t *testing.T) {
	dir := t.TempDir()
	_, w := collect(t, dir)
	w.Append([]byte("old"))
	seq, err := w.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	w.Append([]byte("new"))
	if err := w.RemoveBefore(seq); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, w2 := collect(t, dir)
	w2.Close()
	if len(got) != 1 || string(got[0]) != "new" {
		t.Fatalf("after removing the old file: %q", got)
	}
}

func TestSegmentSizeRotates(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{SegmentSize: 1024}, func([]byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		w.Append(bytes.Repeat([]byte("x"), 100))
	}
	w.Close()
	seqs, _ := listFiles(vfs.OS, dir)
	if len(seqs) < 4 {
		t.Fatalf("%d files for 5 KiB with 1 KiB segments", len(seqs))
	}
	n := 0
	_, err = Open(dir, Options{}, func([]byte) error { n++; return nil })
	if err != nil || n != 50 {
		t.Fatalf("replayed %d, %v", n, err)
	}
}

func BenchmarkAppendParallel(b *testing.B) {
	w, err := Open(b.TempDir(), Options{}, func([]byte) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rec := bytes.Repeat([]byte("x"), 150*1000)
	b.SetBytes(int64(len(rec)))
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.Append(rec); err != nil {
				b.Error(err)
			}
		}
	})
}

func TestHeaderlessFileIsRemoved(t *testing.T) {
	dir := t.TempDir()
	_, w := collect(t, dir)
	w.Append([]byte("kept"))
	w.Close()
	// A crash right after a new file was created, before its header was on disk.
	os.WriteFile(filepath.Join(dir, name(2)), []byte("LTW"), 0o600)
	for range 3 {
		got, w := collect(t, dir)
		w.Close()
		if len(got) != 1 || string(got[0]) != "kept" {
			t.Fatalf("replayed %q", got)
		}
	}
}

// The flusher's two buffers take turns: records of every size, appended
// concurrently over many syncs, must come back byte for byte.
func TestRecordsSurviveBufferReuse(t *testing.T) {
	dir := t.TempDir()
	_, w := collect(t, dir)
	record := func(g, i int) []byte {
		n := 1 + (g*7919+i*104729)%6000
		return append([]byte(fmt.Sprintf("g%d-%04d:", g, i)), bytes.Repeat([]byte{byte('a' + (g+i)%26)}, n)...)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if _, err := w.Append(record(g, i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	got, w2 := collect(t, dir)
	defer w2.Close()
	want := map[string]bool{}
	for g := range 4 {
		for i := range 300 {
			want[string(record(g, i))] = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(got), len(want))
	}
	for _, r := range got {
		if !want[string(r)] {
			t.Fatalf("replayed a record that was never appended: %.40q (%d bytes)", r, len(r))
		}
		delete(want, string(r))
	}
}
