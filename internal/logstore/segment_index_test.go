package logstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"logtank/internal/vfs"
)

func sampleMeta() blockMeta {
	return blockMeta{
		minLine: 1000, maxLine: 2000, rows: 3, offset: 8,
		lineLen: 10, labelLen: 11, contentLen: 12, contentRaw: 40, postingsLen: 13,
		minSeq: 7, maxSeq: 9, seqLen: 5,
		columns: []columnMeta{
			{colKey: colKey{"status", FieldLong}, off: 51, packedLen: 6, rawLen: 24},
			{colKey: colKey{"path", FieldString}, off: 57, packedLen: 8, rawLen: 30},
		},
		labelSets:  []Labels{LabelsFromMap(map[string]string{"host": "a"}), LabelsFromMap(map[string]string{"host": "b", "app": "x"})},
		labelRows:  []int{1, 2},
		bloomWords: 4,
	}
}

func TestBlockMetaRoundTrip(t *testing.T) {
	m := sampleMeta()
	b := appendBlockMeta(nil, &m)
	// 2+2 varint lines, 1 rows, 1 offset, 5 lengths, 1+1+1 seqs,
	// 1 column count, 2 columns (1+6 name, 1 type, 1+1+1), (1+4, 1, 1+1+1),
	// 1 set count, sets (1 + 1+4+1+1, 1 rows) and (1 + 1+3+1+1 + 1+4+1+1,
	// 1 rows), 1 words.
	if want := 2 + 2 + 1 + 1 + 5 + 3 + 1 + (7 + 1 + 3) + (5 + 1 + 3) + 1 + 9 + 15 + 1; len(b) != want {
		t.Fatalf("entry of %d bytes, want %d", len(b), want)
	}
	r := &reader{b: b}
	got, err := readBlockMeta(r, segmentVersion, "f", 0, 1000, map[string]Labels{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.b) != 0 {
		t.Fatalf("%d bytes left after the entry", len(r.b))
	}
	if fmt.Sprint(got) != fmt.Sprint(m) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
	idx := appendIndex(nil, []uint64{3, 4}, 1, 100, 0, 0, b)
	s, err := decodeIndex(idx, segmentVersion, "f", 1000, 140)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(s.replaces) != "[3 4]" || len(s.blocks) != 1 || s.bloomStart != 100 || s.minLine != 1000 || s.maxLine != 2000 || s.rows != 3 || s.minSeq != 7 || s.maxSeq != 9 {
		t.Fatalf("decoded index %+v", s)
	}
}

func TestBlockMetaCorruption(t *testing.T) {
	m := sampleMeta()
	entry := appendBlockMeta(nil, &m)
	idx := appendIndex(nil, nil, 1, 100, 0, 0, entry)
	var ce *CorruptError
	for n := range len(idx) {
		_, err := decodeIndex(idx[:n], segmentVersion, "f", 1000, 140)
		if !errors.As(err, &ce) || ce.File != "f" || ce.Part != "index" {
			t.Fatalf("index cut to %d of %d bytes: %v", n, len(idx), err)
		}
	}
	f := func(name string, edit func(m *blockMeta), size int64, wantField string) {
		t.Helper()
		m := sampleMeta()
		edit(&m)
		_, err := decodeIndex(appendIndex(nil, nil, 1, 100, 0, 0, appendBlockMeta(nil, &m)), segmentVersion, "f", size, 140)
		if !errors.As(err, &ce) || ce.Block != 0 || !strings.Contains(err.Error(), wantField) {
			t.Fatalf("%s: %v, want a block 0 error naming %q", name, err, wantField)
		}
	}
	f("chunk past the file", func(m *blockMeta) { m.contentLen = 5000 }, 1000, "content chunk length 5000")
	f("huge row count", func(m *blockMeta) { m.rows = 1 << 40 }, 1000, "row count")
	f("no rows", func(m *blockMeta) { m.rows = 0 }, 1000, "0 rows")
	f("lines backwards", func(m *blockMeta) { m.minLine = 3000 }, 1000, "lines 3000 to 2000")
	f("chunks into the filters", func(m *blockMeta) { m.columns[1].off = 95 }, 1000, "past their sections")
	f("filters into the index", func(m *blockMeta) { m.bloomWords = 6 }, 1000, "past their sections")
	f("column past the file", func(m *blockMeta) { m.columns[1].packedLen = 2000 }, 1000, "column length 2000")
	f("label sets miscount", func(m *blockMeta) { m.labelRows[1] = 5 }, 1000, "count 6 rows of 3")
}

// A version 2 entry has no row counts per label set: the decoder leaves
// them unknown.
func TestBlockMetaVersion2(t *testing.T) {
	m := sampleMeta()
	b := appendBlockMeta(nil, &m)
	// Drop the count byte after each label set (8 and 14 bytes long, then
	// the filter length's byte) to make it a version 2 entry.
	set1 := len(b) - 1 - 15 - 9
	var v2 []byte
	v2 = append(v2, b[:set1+8]...)
	v2 = append(v2, b[set1+9:set1+9+14]...)
	v2 = append(v2, b[len(b)-1])
	got, err := readBlockMeta(&reader{b: v2}, 2, "f", 0, 1000, map[string]Labels{})
	if err != nil {
		t.Fatal(err)
	}
	m.labelRows = nil
	if fmt.Sprint(got) != fmt.Sprint(m) {
		t.Fatalf("version 2:\n got %+v\nwant %+v", got, m)
	}
}

// sampleSegment writes a small segment with fields into a MemFS and
// returns the file's bytes and where its index lies.
func sampleSegment(t testing.TB) (data []byte, off, n int64) {
	m := vfs.NewMem()
	vfs.MkdirAll(m, "/s")
	rows := make([]row, 2500)
	for i := range rows {
		rows[i] = row{line: base + int64(i), labels: hostA, content: fmt.Sprintf("line %d common", i),
			ext: &rowExt{seq: uint64(i / 100), fields: []Field{{Name: "n", Type: FieldLong, Long: int64(i)}}}}
	}
	seg, err := writeSegment(m, "/s/1.seg", rows, spaceTokenizer{}, false)
	if err != nil {
		t.Fatal(err)
	}
	seg.close()
	data, _ = vfs.ReadFile(m, "/s/1.seg")
	t16 := data[len(data)-trailerSize:]
	return data, int64(binary.LittleEndian.Uint64(t16[0:8])), int64(binary.LittleEndian.Uint32(t16[8:12]))
}

// FuzzSegmentIndex feeds damaged indexes to the decoder, and reads every
// block of a real segment through each index it accepts: a damaged index
// may be refused, or make block reads fail, but never panic or allocate
// without bound.
func FuzzSegmentIndex(f *testing.F) {
	data, off, n := sampleSegment(f)
	raw, err := decompress(nil, data[off:off+n])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add([]byte{0, 1, 8})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := vfs.NewMem()
		vfs.WriteFile(m, "/seg", data)
		file, _ := m.Open("/seg")
		s, err := decodeIndex(raw, segmentVersion, "/seg", int64(len(data)), off)
		if err != nil {
			return
		}
		s.f = file
		if _, err := s.readBlooms(nil); err != nil {
			t.Fatalf("the bloom section of an accepted index cannot be read: %v", err)
		}
		var scratch blockScratch
		for i := range s.blocks {
			s.readBlock(i)
			s.readSeqs(i)
			s.readFields(i)
			s.readPostings(i, nil)
			s.readPostings(i, &scratch)
			s.readLines(i)
		}
	})
}

func TestSegmentChecksumCoversTheIndex(t *testing.T) {
	data, off, n := sampleSegment(t)
	if crc32.Checksum(data[off:off+n], castagnoli) != binary.LittleEndian.Uint32(data[len(data)-trailerSize+12:]) {
		t.Fatal("the trailer's checksum is not the index's")
	}
	m := vfs.NewMem()
	for i := off; i < off+n; i += max(1, n/7) {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x10
		vfs.WriteFile(m, "/seg", bad)
		_, err := openSegment(m, "/seg")
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Part != "index" || ce.Block != -1 {
			t.Fatalf("flipped index byte %d: %v", i, err)
		}
	}
}
