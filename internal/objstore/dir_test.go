package objstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newDirFixture(t *testing.T) (*Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatalf("NewDir: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d, root
}

func TestDirContract(t *testing.T) {
	d, root := newDirFixture(t)
	testContract(t, fixture{store: d, mkBucket: func(t *testing.T, name string) {
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}})
}

func TestDirCreatesRootNotBuckets(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "b")
	d, err := NewDir(root)
	if err != nil {
		t.Fatalf("NewDir on a missing root: %v", err)
	}
	defer d.Close()
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		t.Fatalf("root not created: %v", err)
	}
	err = d.Put(context.Background(), "bkt", "k", bytes.NewReader([]byte("x")), 1)
	wantIs(t, "Put into a missing bucket", err, ErrNoBucket)
	if _, err := os.Stat(filepath.Join(root, "bkt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("bucket folder exists after a failed Put: %v", err)
	}
	if _, err := NewDir(""); err == nil {
		t.Fatal("NewDir(\"\"): nil error")
	}
}

// TestDirEscapes tries to reach files outside the root through keys, bucket
// names and a symbolic link planted inside a bucket.
func TestDirEscapes(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Mkdir(filepath.Join(root, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(parent, "secret")
	if err := os.WriteFile(secret, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(parent, filepath.Join(root, "bkt", "link")); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ bucket, key string }{
		{"bkt", "../../secret"},
		{"bkt", "../secret"},
		{"bkt", "/etc/passwd"},
		{"bkt", "a/../../../secret"},
		{"..", "secret"},
		{"bkt/..", "secret"},
	}
	for _, c := range cases {
		err := d.Put(ctx, c.bucket, c.key, bytes.NewReader([]byte("pwned")), 5)
		wantIs(t, "Put("+c.bucket+", "+c.key+")", err, ErrInvalidName)
		if !strings.Contains(err.Error(), c.key) && !strings.Contains(err.Error(), c.bucket) {
			t.Errorf("error %q does not name the bad name", err)
		}
		_, err = d.Get(ctx, c.bucket, c.key)
		wantIs(t, "Get("+c.bucket+", "+c.key+")", err, ErrInvalidName)
	}
	// Through the symbolic link: os.Root refuses to follow it outside.
	if rc, err := d.Get(ctx, "bkt", "link/secret"); err == nil {
		rc.Close()
		t.Fatal("Get through a symlink leaving the root succeeded")
	}
	if err := d.Put(ctx, "bkt", "link/new", bytes.NewReader([]byte("pwned")), 5); err == nil {
		t.Fatal("Put through a symlink leaving the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(parent, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a file was written outside the root: %v", err)
	}
	if data, _ := os.ReadFile(secret); string(data) != "outside" {
		t.Fatalf("the file outside the root changed: %q", data)
	}
	wantList(t, d, "bkt", "") // the symlink is not an object
}

// TestDirKeyConflicts covers the one way Dir differs from S3: a key cannot be
// both an object and a folder of objects; Delete prunes emptied folders so the
// name becomes free again.
func TestDirKeyConflicts(t *testing.T) {
	ctx := context.Background()
	d, root := newDirFixture(t)
	if err := os.Mkdir(filepath.Join(root, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	put(t, d, "bkt", "a/b/c", "deep")
	err := d.Put(ctx, "bkt", "a/b", bytes.NewReader([]byte("x")), 1)
	if err == nil || !strings.Contains(err.Error(), "folder of other objects") {
		t.Fatalf("Put over a folder: %v, want a conflict error", err)
	}
	err = d.Put(ctx, "bkt", "a/b/c/d", bytes.NewReader([]byte("x")), 1)
	if err == nil || !strings.Contains(err.Error(), "parent of the key is an existing object") {
		t.Fatalf("Put under an object: %v, want a conflict error", err)
	}
	wantMissing(t, d, "bkt", "a/b") // a folder is not an object
	if err := d.Delete(ctx, "bkt", "a/b"); err != nil {
		t.Fatalf("Delete of a folder name: %v, want nil", err)
	}
	wantGet(t, d, "bkt", "a/b/c", "deep")
	if err := d.Delete(ctx, "bkt", "a/b/c"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "bkt", "a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("emptied folders not pruned: %v", err)
	}
	put(t, d, "bkt", "a", "now a file")
	wantList(t, d, "bkt", "", "a")
	if fi, err := os.Stat(filepath.Join(root, "bkt")); err != nil || !fi.IsDir() {
		t.Fatalf("the bucket folder itself was pruned: %v", err)
	}
}

// TestDirHidesOrphanTempFiles: a crash between writing and renaming leaves a
// temporary file; it must never show up as an object.
func TestDirHidesOrphanTempFiles(t *testing.T) {
	d, root := newDirFixture(t)
	if err := os.MkdirAll(filepath.Join(root, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bkt", tempPrefix+"crashed"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	put(t, d, "bkt", "real", "whole")
	wantList(t, d, "bkt", "", "real")
	wantList(t, d, "bkt", ".objstore")
}

// TestDirPutLeavesNoTempFile checks the bucket folder itself, not just List,
// after a failed Put.
func TestDirPutLeavesNoTempFile(t *testing.T) {
	d, root := newDirFixture(t)
	if err := os.MkdirAll(filepath.Join(root, "bkt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(context.Background(), "bkt", "k", &failingReader{left: 1000}, 2000); !errors.Is(err, errSourceBroke) {
		t.Fatalf("Put: %v, want the reader's error", err)
	}
	ents, err := os.ReadDir(filepath.Join(root, "bkt"))
	if err != nil || len(ents) != 0 {
		t.Fatalf("bucket folder after a failed Put: %v entries, %v", ents, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Put(ctx, "bkt", "k", bytes.NewReader([]byte("x")), 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "bkt")); len(ents) != 0 {
		t.Fatalf("bucket folder after a cancelled Put: %v", ents)
	}
}
