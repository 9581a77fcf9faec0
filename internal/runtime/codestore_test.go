package runtime

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
