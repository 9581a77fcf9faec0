package runtime

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheckPackage(t *testing.T) {
	if err := CheckPackage(zipOf(t, file{"index.py", 0, "x"}, file{"lib/util.py", 0, "y"}, file{"./a/../b.py", 0, "z"})); err != nil {
		t.Fatalf("a valid package: %v", err)
	}
	for name, pkg := range map[string][]byte{
		"not a zip":  []byte("plain text"),
		"climbs out": zipOf(t, file{"../escape.py", 0, "x"}),
		"absolute":   zipOf(t, file{"/etc/cron.d/x", 0, "x"}),
		"deep climb": zipOf(t, file{"a/../../escape.py", 0, "x"}),
	} {
		if err := CheckPackage(pkg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestStoreUnpackAndPrune(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// An archive made without Unix modes (as on Windows) still gets an
	// executable bootstrap.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", CreatorVersion: 0})
	w.Write([]byte("#!/bin/sh\n"))
	w, _ = zw.Create("data/notes.txt")
	w.Write([]byte("notes"))
	zw.Close()
	d1, err := s.Put("f", buf.Bytes())
	if err != nil || d1 != Digest(buf.Bytes()) || len(d1) != 128 {
		t.Fatalf("put: %q %v", d1, err)
	}
	dir, err := s.Unpacked("f", d1)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Fatalf("bootstrap mode: %v %v", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data", "notes.txt")); err != nil || string(b) != "notes" {
		t.Fatalf("notes: %q %v", b, err)
	}
	d2, err := s.Put("f", zipOf(t, file{"index.py", 0o640, "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Prune("f", map[string]bool{d2: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("f", d1); err == nil {
		t.Fatal("pruned package still there")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("pruned tree still there")
	}
	if _, err := s.Get("f", d2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("f", strings.Repeat("../", 10)); err == nil {
		t.Fatal("a bad digest read a file")
	}
	if err := s.RemoveFunction("f"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("f", d2); err == nil {
		t.Fatal("removed package still there")
	}
}

// Sweep removes the packages keep does not name that were stored before
// its time, with their unpacked trees, and the function's folder once
// empty; a package stored since stays whatever keep says; the runtime's
// own folders are not functions.
func TestStoreSweep(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".runtime"), 0o700); err != nil {
		t.Fatal(err)
	}
	old, err := s.Put("f", zipOf(t, file{"index.py", 0o640, "old"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unpacked("f", old); err != nil {
		t.Fatal(err)
	}
	kept, _ := s.Put("f", zipOf(t, file{"index.py", 0o640, "kept"}))
	fresh, _ := s.Put("f", zipOf(t, file{"index.py", 0o640, "fresh"}))
	gone, _ := s.Put("g", zipOf(t, file{"index.py", 0o640, "gone"}))
	cut := time.Now().Add(time.Hour)
	// fresh was stored after the sweep's time, the others two hours ago.
	for p, at := range map[string]time.Time{
		filepath.Join(dir, "f", old+".zip"): time.Now().Add(-2 * time.Hour), filepath.Join(dir, "f", kept+".zip"): time.Now().Add(-2 * time.Hour),
		filepath.Join(dir, "g", gone+".zip"): time.Now().Add(-2 * time.Hour), filepath.Join(dir, "f", fresh+".zip"): cut.Add(time.Minute),
	} {
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := s.Functions()
	if err != nil || strings.Join(ids, ",") != "f,g" {
		t.Fatalf("functions %q, %v", ids, err)
	}
	if err := s.Sweep("f", map[string]bool{kept: true}, cut); err != nil {
		t.Fatal(err)
	}
	if err := s.Sweep("g", map[string]bool{}, cut); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	want := []string{filepath.Join(dir, "f", fresh+".zip"), filepath.Join(dir, "f", kept+".zip")}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("left %q, want %q", left, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "g")); !os.IsNotExist(err) {
		t.Fatalf("the folder of a function with nothing left: %v", err)
	}
}

// A package stored again (a code change back to an older package) or used
// (Touch, as each invocation of a node with a packages bucket does) counts
// as stored now: a sweep whose keep was read before the change that names
// it leaves it.
func TestStoreSweepLeavesWhatWasStoredOrUsedSince(t *testing.T) {
	dir := t.TempDir()
	s, err := NewStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-2 * time.Hour)
	var digests []string
	for _, text := range []string{"stored again", "used", "idle"} {
		pkg := zipOf(t, file{"index.py", 0o640, text})
		d, err := s.Put("f", pkg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dir, "f", d+".zip"), long, long); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	if again, err := s.Put("f", zipOf(t, file{"index.py", 0o640, "stored again"})); err != nil || again != digests[0] {
		t.Fatal(again, err)
	}
	if held, err := s.Touch("f", digests[1]); !held || err != nil {
		t.Fatalf("touch: %v, %v", held, err)
	}
	if held, err := s.Touch("f", Digest([]byte("never stored"))); held || err != nil {
		t.Fatalf("touch of a package never stored: %v, %v", held, err)
	}
	if err := s.Sweep("f", map[string]bool{}, time.Now().Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, true, false} {
		if _, err := s.Get("f", digests[i]); (err == nil) != want {
			t.Errorf("package %d: held %v after the sweep, want %v", i, err == nil, want)
		}
	}
}
