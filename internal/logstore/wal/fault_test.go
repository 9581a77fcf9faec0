package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"logtank/internal/vfs"
)

const testDir = "/data/wal"

func openMem(t *testing.T, m *vfs.MemFS, opts Options) ([]string, *WAL) {
	t.Helper()
	opts.FS = m
	if opts.RetryInterval == 0 {
		opts.RetryInterval = 5 * time.Millisecond
	}
	var got []string
	w, err := Open(testDir, opts, func(rec []byte) error {
		got = append(got, string(rec))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, w
}

// appendUntil appends rec until the WAL takes it, for at most a second,
// asking for a recovery attempt before each try.
func appendUntil(t *testing.T, w *WAL, rec string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		_, err := w.Append([]byte(rec))
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the WAL did not recover: %v", err)
		}
		retryNow(w)
		time.Sleep(time.Millisecond)
	}
}

// retryNow does what the retry timer does when it fires.
func retryNow(w *WAL) {
	w.mu.Lock()
	w.retry = true
	w.cond.Signal()
	w.mu.Unlock()
}

func failOn(kind vfs.OpKind, err error) vfs.Rule {
	return func(op vfs.Op) error {
		if op.Kind == kind && strings.HasSuffix(op.Path, fileSuffix) {
			return err
		}
		return nil
	}
}

// TestFaults fails one append in each way a disk fails, and checks that the
// batch is refused, that appends are refused until the fault clears, that
// they resume by themselves, and that exactly the acknowledged records are
// replayed, after a clean close and after a power cut.
func TestFaults(t *testing.T) {
	for _, fault := range []struct {
		name  string
		set   func(m *vfs.MemFS)
		clear func(m *vfs.MemFS)
		want  error
	}{
		{"ENOSPC mid-record", func(m *vfs.MemFS) { m.SetCapacity(m.Used() + 20) }, func(m *vfs.MemFS) { m.SetCapacity(0) }, vfs.ENOSPC},
		{"EIO on write (short write)", func(m *vfs.MemFS) { m.SetRule(failOn(vfs.OpWrite, vfs.EIO)) }, func(m *vfs.MemFS) { m.SetRule(nil) }, vfs.EIO},
		{"EIO on sync", func(m *vfs.MemFS) { m.SetRule(failOn(vfs.OpSync, vfs.EIO)) }, func(m *vfs.MemFS) { m.SetRule(nil) }, vfs.EIO},
		{"ENOSPC on sync", func(m *vfs.MemFS) { m.SetRule(failOn(vfs.OpSync, vfs.ENOSPC)) }, func(m *vfs.MemFS) { m.SetRule(nil) }, vfs.ENOSPC},
	} {
		t.Run(fault.name, func(t *testing.T) {
			m := vfs.NewMem()
			// No timer retries during the test: a retry that recovered
			// (truncating a torn record frees space) before the checks
			// below would make them depend on scheduling; appendUntil
			// asks for retries itself.
			_, w := openMem(t, m, Options{RetryInterval: time.Hour})
			var acked []string
			for i := range 3 {
				rec := fmt.Sprintf("before-%d", i)
				appendUntil(t, w, rec)
				acked = append(acked, rec)
			}
			fault.set(m)
			_, err := w.Append(bytes.Repeat([]byte("x"), 100))
			var we *WriteError
			if !errors.As(err, &we) || !errors.Is(err, fault.want) {
				t.Fatalf("append under the fault: %v, want a WriteError of %v", err, fault.want)
			}
			if w.Err() == nil {
				t.Fatal("the WAL does not report its failure")
			}
			retryNow(w) // a recovery attempt while the fault lasts fails
			time.Sleep(20 * time.Millisecond)
			if _, err := w.Append([]byte("refused")); err == nil {
				t.Fatal("an append was taken while the fault lasts")
			}
			fault.clear(m)
			for i := range 3 {
				rec := fmt.Sprintf("after-%d", i)
				appendUntil(t, w, rec)
				acked = append(acked, rec)
			}
			if w.Err() != nil {
				t.Fatalf("recovered WAL still reports %v", w.Err())
			}
			image := m.CrashImage()
			w.Close()
			for name, fsys := range map[string]*vfs.MemFS{"close": m, "power cut": image} {
				got, w2 := openMem(t, fsys, Options{})
				w2.Close()
				if fmt.Sprint(got) != fmt.Sprint(acked) {
					t.Errorf("after a %s: replayed %q, want %q", name, got, acked)
				}
			}
		})
	}
}

func TestFailedRotationKeepsTheCurrentFile(t *testing.T) {
	m := vfs.NewMem()
	_, w := openMem(t, m, Options{})
	appendUntil(t, w, "one")
	m.SetRule(failOn(vfs.OpCreate, vfs.ENOSPC))
	if _, err := w.Rotate(); !errors.Is(err, vfs.ENOSPC) {
		t.Fatalf("rotate on a full disk: %v", err)
	}
	if _, err := w.Append([]byte("two")); err != nil {
		t.Fatalf("append after a failed rotation: %v", err)
	}
	m.SetRule(nil)
	if _, err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, w2 := openMem(t, m, Options{})
	w2.Close()
	if fmt.Sprint(got) != "[one two]" {
		t.Fatalf("replayed %q", got)
	}
}

// damageOlder writes two files, flips a byte in the second record of the
// older one, and returns the filesystem.
func damageOlder(t *testing.T) *vfs.MemFS {
	m := vfs.NewMem()
	_, w := openMem(t, m, Options{})
	appendUntil(t, w, "a1")
	appendUntil(t, w, "a2")
	appendUntil(t, w, "a3")
	w.Rotate()
	appendUntil(t, w, "b1")
	w.Close()
	path := filepath.Join(testDir, name(1))
	f, _ := m.OpenReadWrite(path)
	f.Truncate(0)
	var b []byte
	b = appendFileHeader(b)
	b = appendRecord(b, []byte("a1"))
	rec2 := len(b)
	b = appendRecord(b, []byte("a2"))
	b = appendRecord(b, []byte("a3"))
	b[rec2+recordHeaderSize] ^= 0x40
	f.Write(b)
	f.Sync()
	f.Close()
	return m
}

func TestDamagedOlderFileIsQuarantined(t *testing.T) {
	m := damageOlder(t)
	got, w := openMem(t, m, Options{})
	d := w.Damage()
	w.Close()
	if fmt.Sprint(got) != "[a1 b1]" {
		t.Fatalf("replayed %q, want what is readable", got)
	}
	if len(d) != 1 || d[0].Newest || d[0].Quarantined != "/data/quarantine/0000000000000001.wal" ||
		d[0].Err.File != name(1) || d[0].Err.Offset != fileHeaderSize+recordHeaderSize+2 || !strings.Contains(d[0].Err.Reason, "checksum") {
		t.Fatalf("damage %+v", d)
	}
	copied, err := vfs.ReadFile(m, d[0].Quarantined)
	if err != nil || !bytes.Contains(copied, []byte("a3")) {
		t.Fatalf("the quarantined copy is not the damaged file: %v", err)
	}
	// The damaged file now ends at its last good record: the next start is clean.
	got, w = openMem(t, m, Options{Strict: true})
	if len(w.Damage()) != 0 || fmt.Sprint(got) != "[a1 b1]" {
		t.Fatalf("second start: %q, damage %v", got, w.Damage())
	}
	w.Close()
}

func TestStrictRefusesDamagedOlderFile(t *testing.T) {
	m := damageOlder(t)
	_, err := Open(testDir, Options{FS: m, Strict: true}, func([]byte) error { return nil })
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.File != name(1) {
		t.Fatalf("strict open: %v", err)
	}
	d, err := Check(m, testDir)
	if err != nil || len(d) != 1 || d[0].Quarantined != "" {
		t.Fatalf("check: %v %v", d, err)
	}
	if ok, _ := vfs.Exists(m, "/data/quarantine"); ok {
		t.Fatal("check changed the folder")
	}
}

func TestOSFilesystem(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{}, func([]byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	w.Append([]byte("x"))
	w.Close()
	if _, err := os.Stat(filepath.Join(dir, name(1))); err != nil {
		t.Fatal(err)
	}
}
