package vfs

import (
	"errors"
	"path/filepath"
	"testing"
)

func write(t *testing.T, fsys FS, name, data string, sync bool) File {
	t.Helper()
	f, err := fsys.CreateTrunc(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func content(fsys FS, name string) string {
	b, err := ReadFile(fsys, name)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

func TestCrashKeepsOnlySynced(t *testing.T) {
	m := NewMem()
	if err := MkdirAll(m, "/d/e"); err != nil {
		t.Fatal(err)
	}
	write(t, m, "/d/e/synced", "kept", true).Close()
	write(t, m, "/d/e/unsynced", "lost", false).Close()
	if err := m.SyncDir("/d/e"); err != nil {
		t.Fatal(err)
	}
	write(t, m, "/d/e/nodirsync", "data", true).Close()
	f, _ := m.OpenAppend("/d/e/synced")
	f.Write([]byte(" and more"))
	f.Close()

	c := m.CrashImage()
	for name, want := range map[string]string{
		"/d/e/synced":    "kept",
		"/d/e/unsynced":  "",
		"/d/e/nodirsync": "<open /d/e/nodirsync: file does not exist>",
	} {
		if got := content(c, name); got != want {
			t.Errorf("%s after the crash: %q, want %q", name, got, want)
		}
	}
	if got := content(m, "/d/e/synced"); got != "kept and more" {
		t.Errorf("before the crash the file reads %q", got)
	}
}

func TestRenameNeedsDirSync(t *testing.T) {
	m := NewMem()
	MkdirAll(m, "/d")
	if err := WriteFile(m, "/d/f", []byte("one")); err != nil {
		t.Fatal(err)
	}
	write(t, m, "/d/g.tmp", "two", true).Close()
	m.Rename("/d/g.tmp", "/d/f")
	if got := content(m.CrashImage(), "/d/f"); got != "one" {
		t.Fatalf("an unsynced rename survived the crash: %q", got)
	}
	m.SyncDir("/d")
	if got := content(m.CrashImage(), "/d/f"); got != "two" {
		t.Fatalf("a synced rename was lost: %q", got)
	}
}

func TestFailedSyncLosesDirtyBytes(t *testing.T) {
	m := NewMem()
	f := write(t, m, "/f", "good.", true)
	m.SyncDir("/")
	f.Write([]byte("dirty"))
	m.SetRule(func(op Op) error {
		if op.Kind == OpSync {
			return EIO
		}
		return nil
	})
	if err := f.Sync(); !errors.Is(err, EIO) {
		t.Fatalf("sync: %v", err)
	}
	m.SetRule(nil)
	f.Write([]byte(".next"))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := content(m.CrashImage(), "/f"); got != "good.\x00\x00\x00\x00\x00.next" {
		t.Fatalf("crash image after a failed then a good sync: %q", got)
	}
	// Truncating the lost bytes away and writing them again makes them durable.
	f.Close()
	rw, _ := m.OpenReadWrite("/f")
	rw.Truncate(5)
	rw.Close()
	a, _ := m.OpenAppend("/f")
	a.Write([]byte("dirty"))
	a.Sync()
	if got := content(m.CrashImage(), "/f"); got != "good.dirty" {
		t.Fatalf("crash image after rewriting: %q", got)
	}
}

func TestCapacityAndRules(t *testing.T) {
	m := NewMem()
	m.SetCapacity(10)
	f, _ := m.Create("/f")
	n, err := f.Write([]byte("0123456789abc"))
	if n != 10 || !errors.Is(err, ENOSPC) {
		t.Fatalf("write past capacity: %d, %v", n, err)
	}
	f.Truncate(4)
	f.Close()
	f, _ = m.OpenAppend("/f")
	if n, err := f.Write([]byte("xyz")); n != 3 || err != nil {
		t.Fatalf("write after freeing space: %d, %v", n, err)
	}
	if m.Used() != 7 {
		t.Fatalf("used %d", m.Used())
	}
	m.SetCapacity(0)
	m.SetRule(func(op Op) error {
		if op.Kind == OpWrite && filepath.Base(op.Path) == "f" {
			return EIO
		}
		return nil
	})
	if n, err := f.Write([]byte("abcd")); n != 2 || !errors.Is(err, EIO) {
		t.Fatalf("failing write: %d, %v (want a short write)", n, err)
	}
	m.SetRule(func(op Op) error {
		if op.Kind == OpRename {
			return EIO
		}
		return nil
	})
	if err := WriteFile(m, "/g", []byte("x")); !errors.Is(err, EIO) {
		t.Fatalf("WriteFile with failing rename: %v", err)
	}
	if entries, _ := m.ReadDir("/"); len(entries) != 1 || entries[0].Name() != "f" {
		t.Fatalf("a failed WriteFile left %v", entries)
	}
}

func TestCrashAfter(t *testing.T) {
	m := NewMem()
	m.CrashAfter(3)
	if err := MkdirAll(m, "/a"); err != nil { // mkdir, syncdir
		t.Fatal(err)
	}
	if _, err := m.Create("/a/f"); !errors.Is(err, ErrCrashed) {
		t.Fatalf("the third change did not crash: %v", err)
	}
	if _, err := m.Stat("/a"); !errors.Is(err, ErrCrashed) {
		t.Fatalf("a read after the crash: %v", err)
	}
	img := m.Crashed()
	if img == nil {
		t.Fatal("no crash image")
	}
	if ok, _ := Exists(img, "/a"); !ok {
		t.Fatal("the synced folder is missing from the image")
	}
	if ok, _ := Exists(img, "/a/f"); ok {
		t.Fatal("the file created at the crash exists")
	}
}

func TestRemovedFileStaysReadable(t *testing.T) {
	m := NewMem()
	write(t, m, "/f", "data", true).Close()
	f, _ := m.Open("/f")
	m.Remove("/f")
	buf := make([]byte, 4)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "data" {
		t.Fatalf("read through an open file after remove: %q %v", buf, err)
	}
}

func TestOSWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	for _, data := range []string{"first", "second"} {
		if err := WriteFile(OS, name, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got := content(OS, name); got != data {
			t.Fatalf("read %q, want %q", got, data)
		}
	}
	if entries, err := OS.ReadDir(dir); len(entries) != 1 || err != nil {
		t.Fatalf("files left beside the written one: %v %v", entries, err)
	}
}
