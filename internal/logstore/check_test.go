package logstore

import (
	"strings"
	"testing"

	"logtank/internal/vfs"
)

func TestCheckAndRepair(t *testing.T) {
	m, path := damagedStore(t)
	s := openMemStore(t, m, Options{})
	b := s.existing(sid).segs[0].blocks[2]
	s.Close()
	data, _ := vfs.ReadFile(m, path)
	data[b.offset+int64(b.lineLen/2)] ^= 0xff
	vfs.WriteFile(m, path, data)

	rep, err := Check(m, memDir, false, spaceTokenizer{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Segments != 1 || len(rep.Damaged) != 1 || len(rep.Damaged[0].Blocks) != 1 || rep.Damaged[0].Blocks[2] == nil || rep.Damaged[0].Rows != b.rows {
		t.Fatalf("check found %+v", rep)
	}
	if msg := rep.Damaged[0].Blocks[2].Error(); !strings.Contains(msg, path+" block 2 lines") {
		t.Fatalf("damage not named: %s", msg)
	}
	if len(rep.Repairs) != 0 {
		t.Fatalf("check without repair repaired: %v", rep.Repairs)
	}

	rep, err = Check(m, memDir, true, spaceTokenizer{})
	if err != nil || len(rep.Repairs) != 1 {
		t.Fatalf("repair: %v %v", rep.Repairs, err)
	}
	rep, err = Check(m, memDir, false, spaceTokenizer{})
	if err != nil || len(rep.Damaged) != 0 || rep.Segments != 1 {
		t.Fatalf("after the repair: %+v %v", rep, err)
	}
	s = openMemStore(t, m, Options{Strict: true})
	defer s.Close()
	if got := len(collectRows(t, s, Scan{Start: 0, End: 1 << 62}, 1<<30)); got != 3000-b.rows {
		t.Fatalf("%d rows after the repair, want %d", got, 3000-b.rows)
	}
	if s.Damaged(sid) {
		t.Fatal("a repaired store reports damage")
	}
	if n, _ := m.ReadDir(memDir + "/quarantine/segments"); len(n) != 1 {
		t.Fatalf("quarantine holds %d files", len(n))
	}
}
