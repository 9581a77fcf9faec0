package logstore

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"logtank/internal/vfs"
)

const memDir = "/data/logs"

func openMemStore(t *testing.T, m *vfs.MemFS, opts Options) *Store {
	t.Helper()
	opts.FS = m
	opts.Tokenizer = spaceTokenizer{}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.RetryInterval == 0 {
		opts.RetryInterval = 5 * time.Millisecond
	}
	s, err := Open(memDir, opts, func(id string) bool { return id == sid })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// batchOf makes n entries whose contents say which batch they belong to.
func batchOf(name string, n int, at int64) []Entry {
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{TimeNs: at + int64(i), Content: fmt.Sprintf("%s-%d common", name, i)}
	}
	return entries
}

var hostA = LabelsFromMap(map[string]string{"host": "a"})

// contents returns how many times each content is stored.
func contents(t *testing.T, s *Store) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, r := range collectRows(t, s, Scan{Start: 0, End: 1 << 62}, 1<<30) {
		got[r.Content]++
	}
	return got
}

// checkExactly fails unless the store holds exactly the contents of the
// acknowledged batches, once each.
func checkExactly(t *testing.T, s *Store, acked map[string]int, what string) {
	t.Helper()
	got := contents(t, s)
	want := map[string]int{}
	for name, n := range acked {
		for i := range n {
			want[fmt.Sprintf("%s-%d common", name, i)] = 1
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d distinct rows, want %d", what, len(got), len(want))
	}
	for c, n := range got {
		if n != 1 || want[c] != 1 {
			t.Fatalf("%s: row %q stored %d times (acknowledged: %v)", what, c, n, want[c] == 1)
		}
	}
}

// TestFaults injects each disk failure into a running store: the failing
// write is refused with ErrUnavailable and a reason, reads go on, writes
// resume by themselves when the fault clears, and exactly the acknowledged
// rows remain, after a clean restart and after a power cut.
func TestFaults(t *testing.T) {
	walOrSegment := func(kind vfs.OpKind, err error) func(*vfs.MemFS) {
		return func(m *vfs.MemFS) {
			m.SetRule(func(op vfs.Op) error {
				if op.Kind == kind && (strings.HasSuffix(op.Path, ".wal") || strings.Contains(op.Path, ".seg")) {
					return err
				}
				return nil
			})
		}
	}
	for _, fault := range []struct {
		name   string
		set    func(*vfs.MemFS)
		reason string
	}{
		{"ENOSPC mid-record", func(m *vfs.MemFS) { m.SetCapacity(m.Used() + 50) }, RefusedDiskFull},
		{"EIO on write (short write)", walOrSegment(vfs.OpWrite, vfs.EIO), RefusedWriteFailed},
		{"EIO on sync", walOrSegment(vfs.OpSync, vfs.EIO), RefusedWriteFailed},
		{"ENOSPC on sync", walOrSegment(vfs.OpSync, vfs.ENOSPC), RefusedDiskFull},
		{"failed rename", walOrSegment(vfs.OpRename, vfs.EIO), ""},
	} {
		t.Run(fault.name, func(t *testing.T) {
			m := vfs.NewMem()
			s := openMemStore(t, m, Options{FlushInterval: time.Hour})
			acked := map[string]int{}
			for i := range 3 {
				name := fmt.Sprintf("before%d", i)
				if _, err := s.Append(sid, hostA, batchOf(name, 50, base+int64(i)*1000)); err != nil {
					t.Fatal(err)
				}
				acked[name] = 50
			}
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Append(sid, hostA, batchOf("inmem", 50, base+5000)); err != nil {
				t.Fatal(err)
			}
			acked["inmem"] = 50

			fault.set(m)
			_, appendErr := s.Append(sid, hostA, batchOf("refused", 200, base+9000))
			flushErr := s.Flush()
			if fault.reason == "" {
				// A failed rename hits only the segments: appends go on, the
				// flush fails and keeps the rows in the memtable and WAL.
				if appendErr != nil || flushErr == nil {
					t.Fatalf("append %v, flush %v", appendErr, flushErr)
				}
				acked["refused"] = 200
			} else {
				if !errors.Is(appendErr, ErrUnavailable) {
					t.Fatalf("append under the fault: %v, want ErrUnavailable", appendErr)
				}
				reason, err := s.WritesRefused()
				if reason != fault.reason || err == nil {
					t.Fatalf("WritesRefused = %q, %v; want %q", reason, err, fault.reason)
				}
			}
			// Reads go on.
			checkExactly(t, s, acked, "during the fault")

			m.SetCapacity(0)
			m.SetRule(nil)
			deadline := time.Now().Add(2 * time.Second)
			for {
				_, err := s.Append(sid, hostA, batchOf("after", 50, base+20000))
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("writes did not resume: %v", err)
				}
				time.Sleep(2 * time.Millisecond)
			}
			acked["after"] = 50
			if reason, err := s.WritesRefused(); reason != "" || err != nil {
				t.Fatalf("writes resumed but WritesRefused = %q, %v", reason, err)
			}
			if err := s.Flush(); err != nil {
				t.Fatalf("flush after the fault: %v", err)
			}
			if _, err := s.Append(sid, hostA, batchOf("last", 50, base+30000)); err != nil {
				t.Fatal(err)
			}
			acked["last"] = 50
			image := m.CrashImage()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for what, fsys := range map[string]*vfs.MemFS{"restart": m, "power cut": image} {
				s := openMemStore(t, fsys, Options{Strict: true})
				checkExactly(t, s, acked, what)
				s.Close()
			}
		})
	}
}

// TestFullMemtablesWithFailingFlushRefuse: when segments cannot be
// written, appends are taken until the memtables hold twice their budget,
// then refused (not left waiting), and taken again once flushes work.
func TestFullMemtablesWithFailingFlushRefuse(t *testing.T) {
	m := vfs.NewMem()
	s := openMemStore(t, m, Options{MemtableBytes: 16 << 10, FlushInterval: time.Hour})
	defer s.Close()
	m.SetRule(func(op vfs.Op) error {
		if op.Kind == vfs.OpCreate && strings.Contains(op.Path, ".seg.") && strings.HasSuffix(op.Path, ".tmp") {
			return vfs.ENOSPC
		}
		return nil
	})
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = s.Append(sid, hostA, batchOf(fmt.Sprint(i), 20, base+int64(i)*100))
	}
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, vfs.ENOSPC) {
		t.Fatalf("appends with full memtables and a full disk: %v", err)
	}
	if reason, _ := s.WritesRefused(); reason != RefusedDiskFull {
		t.Fatalf("WritesRefused reason %q", reason)
	}
	m.SetRule(nil)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, err = s.Append(sid, hostA, batchOf("after", 20, base+1e9)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes did not resume: %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// segmentFiles returns the stream's segment files.
func segmentFiles(t *testing.T, m *vfs.MemFS) []string {
	t.Helper()
	var out []string
	sdir := filepath.Join(memDir, "streams", sid)
	days, _ := m.ReadDir(sdir)
	for _, d := range days {
		files, _ := m.ReadDir(filepath.Join(sdir, d.Name()))
		for _, f := range files {
			out = append(out, filepath.Join(sdir, d.Name(), f.Name()))
		}
	}
	return out
}

// damagedStore writes 3000 rows (three blocks) into one segment and
// returns the filesystem and the segment's path.
func damagedStore(t *testing.T) (*vfs.MemFS, string) {
	m := vfs.NewMem()
	s := openMemStore(t, m, Options{FlushInterval: time.Hour})
	entries := make([]Entry, 3000)
	for i := range entries {
		entries[i] = Entry{TimeNs: base + int64(i), Content: fmt.Sprintf("row %d common", i)}
	}
	if _, err := s.Append(sid, hostA, entries); err != nil {
		t.Fatal(err)
	}
	s.Close()
	files := segmentFiles(t, m)
	if len(files) != 1 {
		t.Fatalf("segments %v", files)
	}
	return m, files[0]
}

func TestDamagedBlockIsSkipped(t *testing.T) {
	m, path := damagedStore(t)
	s := openMemStore(t, m, Options{})
	seg := s.existing(sid).segs[0]
	// Damage the contents chunk of the second block.
	b := seg.blocks[1]
	off := b.offset + int64(b.lineLen+b.labelLen+b.contentLen/2)
	s.Close()
	data, _ := vfs.ReadFile(m, path)
	data[off] ^= 0xff
	if err := vfs.WriteFile(m, path, data); err != nil {
		t.Fatal(err)
	}

	s = openMemStore(t, m, Options{Strict: true})
	defer s.Close()
	if s.Damaged(sid) {
		t.Fatal("damage reported before any read found it")
	}
	rows := collectRows(t, s, Scan{Start: 0, End: 1 << 62}, 1<<30)
	if len(rows) != 3000-b.rows {
		t.Fatalf("%d rows, want the %d of the intact blocks", len(rows), 3000-b.rows)
	}
	total, _, err := s.Count(t.Context(), sid, Scan{Start: 0, End: 1 << 62, Matcher: wordMatcher("common")}, 0, 0)
	if err != nil || total != int64(3000-b.rows) {
		t.Fatalf("count %d, %v", total, err)
	}
	if !s.Damaged(sid) {
		t.Fatal("the stream is not reported damaged")
	}
	if blocks, _, _ := s.DamageCounts(); blocks != 1 {
		t.Fatalf("%d damaged blocks counted, want 1", blocks)
	}
	_, err = s.existing(sid).segs[0].readBlock(1)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Block != 1 || ce.Part != "contents" || ce.File != path {
		t.Fatalf("reading the damaged block: %v", err)
	}
}

func TestTruncatedSegmentIsQuarantined(t *testing.T) {
	m, path := damagedStore(t)
	data, _ := vfs.ReadFile(m, path)
	if err := vfs.WriteFile(m, path, data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	_, err := Open(memDir, Options{FS: m, Tokenizer: spaceTokenizer{}, Strict: true}, func(string) bool { return true })
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.File != path || ce.Part != "trailer" {
		t.Fatalf("strict open of a truncated segment: %v", err)
	}
	s := openMemStore(t, m, Options{})
	defer s.Close()
	if !s.Damaged(sid) {
		t.Fatal("the stream is not reported damaged")
	}
	if _, segs, _ := s.DamageCounts(); segs != 1 {
		t.Fatalf("%d segments quarantined", segs)
	}
	if got := collectRows(t, s, Scan{Start: 0, End: 1 << 62}, 10); len(got) != 0 {
		t.Fatalf("%d rows from a quarantined segment", len(got))
	}
	moved := filepath.Join(memDir, "quarantine", "segments", sid+"-"+dayOf(base)+"-"+filepath.Base(path))
	if b, err := vfs.ReadFile(m, moved); err != nil || len(b) != len(data)/2 {
		t.Fatalf("quarantined copy: %d bytes, %v", len(b), err)
	}
	// New rows are taken and a restart is clean.
	if _, err := s.Append(sid, hostA, batchOf("new", 10, base)); err != nil {
		t.Fatal(err)
	}
}

// TestLeftoverTemporaryFilesGo: what a crash leaves of an atomic write
// (the seq file's and a segment's temporary copies) is removed at start.
func TestLeftoverTemporaryFilesGo(t *testing.T) {
	m, path := damagedStore(t)
	for _, name := range []string{memDir + "/seq.7.tmp", path + ".9.tmp"} {
		if err := vfs.WriteFile(m, name, []byte("half")); err != nil {
			t.Fatal(err)
		}
	}
	s := openMemStore(t, m, Options{})
	defer s.Close()
	for _, name := range []string{memDir + "/seq.7.tmp", path + ".9.tmp"} {
		if ok, _ := vfs.Exists(m, name); ok {
			t.Errorf("%s is still there", name)
		}
	}
	if got := len(collectRows(t, s, Scan{Start: 0, End: 1 << 62}, 1<<30)); got != 3000 {
		t.Fatalf("%d rows", got)
	}
}

// TestFlushInParts: a day holding more than a memtable budget is written as
// several segments at once; when one of them fails, none stays, the rows
// stay readable from the memtable, and the next flush writes them once.
func TestFlushInParts(t *testing.T) {
	const budget = 64 << 10
	// Parts are written on as many cores as Go runs on: at least two here.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0))))
	m := vfs.NewMem()
	s := openMemStore(t, m, Options{MemtableBytes: budget, FlushInterval: time.Hour})
	entries := batchOf("big", 2000, base+int64(time.Hour))
	var rowBytes int64
	for _, e := range entries {
		rowBytes += int64(len(e.Content)) + rowOverhead
	}
	want := min(runtime.GOMAXPROCS(0), int(rowBytes/(budget/flushPartShare)))
	if want < 2 {
		t.Fatalf("%d bytes of rows make %d part; the test needs more", rowBytes, want)
	}
	// Every second segment fails: whichever flush runs (the one the full
	// budget asks for, or this test's), one of its parts fails.
	var creates atomic.Int32
	m.SetRule(func(op vfs.Op) error {
		if op.Kind == vfs.OpCreate && strings.Contains(op.Path, ".seg.") && creates.Add(1)%2 == 0 {
			return vfs.EIO
		}
		return nil
	})
	if _, err := s.Append(sid, hostA, entries); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int{"big": 2000}
	if err := s.Flush(); !errors.Is(err, vfs.EIO) {
		t.Fatalf("flush with a failing part: %v, want EIO", err)
	}
	st := s.existing(sid)
	// A flush the full budget asked for may be retrying: wait for it.
	st.flushMu.Lock()
	st.mu.RLock()
	kept := len(st.segs)
	st.mu.RUnlock()
	segFiles := 0
	streamDir := filepath.Join(memDir, "streams", sid)
	days, _ := m.ReadDir(streamDir)
	for _, d := range days {
		files, err := m.ReadDir(filepath.Join(streamDir, d.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f.Name(), ".seg") {
				segFiles++
			}
		}
	}
	st.flushMu.Unlock()
	if kept != 0 || segFiles != 0 {
		t.Fatalf("after a failed part: %d segments kept, %d segment files left; want none", kept, segFiles)
	}
	checkExactly(t, s, acked, "after the failed flush")
	m.SetRule(nil)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	st.mu.RLock()
	kept = len(st.segs)
	st.mu.RUnlock()
	if kept != want {
		t.Fatalf("%d segments, want %d parts of one day", kept, want)
	}
	checkExactly(t, s, acked, "after the flush")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMemStore(t, m, Options{Strict: true})
	defer s.Close()
	checkExactly(t, s, acked, "after a restart")
}
