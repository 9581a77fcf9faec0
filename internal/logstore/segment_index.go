package logstore

import (
	"encoding/binary"

	"logtank/internal/logstore/wal"
)

// The segment index (docs/format/segment.md, "Index"): the numbers of the
// segments a compacted one replaces, the block count, where the bloom
// section starts, then one entry per block. Encoder and decoder sit side
// by side; segment_index_test.go checks that they agree and that every
// damaged or truncated index is refused by name.

// Bounds that no valid index exceeds, checked before any number becomes a
// length, so that a damaged index can never make a read allocate or slice
// out of range.
const (
	// indexMaxRows bounds the rows of one block (writers cut at blockMaxRows).
	indexMaxRows = 1 << 20
	// indexMaxRaw bounds a chunk's decompressed bytes: writers cut a block
	// once it holds blockMaxBytes, and a row is at most a WAL record.
	indexMaxRaw = blockMaxBytes + wal.MaxRecord
)

// appendIndex appends an index holding the block entries (appended by
// appendBlockMeta) of blocks blocks.
func appendIndex(dst []byte, replaces []uint64, blocks int, bloomStart int64, dictLen, dictRaw int, entries []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(replaces)))
	for _, seq := range replaces {
		dst = binary.AppendUvarint(dst, seq)
	}
	dst = binary.AppendUvarint(dst, uint64(blocks))
	dst = binary.AppendUvarint(dst, uint64(bloomStart))
	dst = binary.AppendUvarint(dst, uint64(dictLen))
	dst = binary.AppendUvarint(dst, uint64(dictRaw))
	return append(dst, entries...)
}

// appendBlockMeta appends m's index entry (version segmentVersion). Its
// label sets are m.labelSets, its filter m.bloomWords words long.
func appendBlockMeta(dst []byte, m *blockMeta) []byte {
	dst = binary.AppendVarint(dst, m.minLine)
	dst = binary.AppendVarint(dst, m.maxLine)
	dst = binary.AppendUvarint(dst, uint64(m.rows))
	dst = binary.AppendUvarint(dst, uint64(m.offset))
	dst = binary.AppendUvarint(dst, uint64(m.lineLen))
	dst = binary.AppendUvarint(dst, uint64(m.labelLen))
	dst = binary.AppendUvarint(dst, uint64(m.contentLen))
	dst = binary.AppendUvarint(dst, uint64(m.contentRaw))
	dst = binary.AppendUvarint(dst, uint64(m.postingsLen))
	dst = binary.AppendUvarint(dst, m.minSeq)
	dst = binary.AppendUvarint(dst, m.maxSeq-m.minSeq)
	dst = binary.AppendUvarint(dst, uint64(m.seqLen))
	dst = binary.AppendUvarint(dst, uint64(len(m.columns)))
	for _, c := range m.columns {
		dst = appendUvarintString(dst, c.name)
		dst = append(dst, byte(c.typ))
		dst = binary.AppendUvarint(dst, uint64(c.off))
		dst = binary.AppendUvarint(dst, uint64(c.packedLen))
		dst = binary.AppendUvarint(dst, uint64(c.rawLen))
	}
	dst = binary.AppendUvarint(dst, uint64(len(m.labelSets)))
	for i, s := range m.labelSets {
		dst = s.appendTo(dst)
		dst = binary.AppendUvarint(dst, uint64(m.labelRows[i]))
	}
	return binary.AppendUvarint(dst, uint64(m.bloomWords))
}

// decodeIndex decodes the index raw of a version-version segment at path
// of size bytes whose index starts at indexOff. The segment it returns has
// its blocks and ranges; the caller sets its file.
func decodeIndex(raw []byte, version byte, path string, size, indexOff int64) (*segment, error) {
	r := &reader{b: raw}
	s := &segment{path: path, size: size, bloomEnd: indexOff}
	nrep := r.uvarint()
	if nrep > uint64(len(r.b)) {
		return nil, corruptf(path, -1, "index", "%d replaced segments in %d bytes", nrep, len(r.b))
	}
	for range nrep {
		s.replaces = append(s.replaces, r.uvarint())
	}
	count := r.uvarint()
	bloomStart := r.uvarint()
	if r.err == nil && (bloomStart < 8 || bloomStart > uint64(indexOff) || count > uint64(len(r.b))) {
		return nil, corruptf(path, -1, "index", "%d blocks in %d bytes, filters at %d before the index at %d", count, len(r.b), bloomStart, indexOff)
	}
	s.bloomStart = int64(bloomStart)
	if version >= 4 {
		dictLen, dictRaw := r.uvarint(), r.uvarint()
		if r.err == nil && (8+dictLen > bloomStart || dictRaw > dictMaxBytes || (dictLen == 0) != (dictRaw == 0)) {
			return nil, corruptf(path, -1, "index", "template dictionary of %d bytes (%d decompressed) before the filters at %d", dictLen, dictRaw, bloomStart)
		}
		s.dictLen, s.dictRaw = int(dictLen), int(dictRaw)
	}
	// Blocks usually share a few label sets: keep one copy of each.
	sets := map[string]Labels{}
	perSet := map[string]int{} // index in s.labelRows
	counted := true
	var bloomOffset int64
	for i := 0; uint64(i) < count && r.err == nil; i++ {
		m, err := readBlockMeta(r, version, path, i, size, sets)
		if err != nil {
			return nil, err
		}
		m.bloomOffset = bloomOffset
		bloomOffset += int64(m.bloomWords) * 8
		if m.end() > s.bloomStart || s.bloomStart+bloomOffset > indexOff {
			return nil, corruptf(path, i, "index", "chunks end at %d, filters at %d+%d, past their sections (%d, %d)", m.end(), s.bloomStart, bloomOffset, s.bloomStart, indexOff)
		}
		if len(s.blocks) == 0 {
			s.minSeq, s.maxSeq = m.minSeq, m.maxSeq
		}
		s.minSeq, s.maxSeq = min(s.minSeq, m.minSeq), max(s.maxSeq, m.maxSeq)
		s.blocks = append(s.blocks, m)
		s.rows += m.rows
		counted = counted && m.labelRows != nil
		for k, ls := range m.labelSets {
			if !counted {
				break
			}
			j, ok := perSet[ls.key()]
			if !ok {
				j = len(s.labelRows)
				perSet[ls.key()] = j
				s.labelRows = append(s.labelRows, LabelCount{Labels: ls})
			}
			s.labelRows[j].Rows += int64(m.labelRows[k])
		}
	}
	if !counted {
		s.labelRows = nil
	}
	if r.err != nil {
		return nil, corruptf(path, len(s.blocks), "index", "%v", r.err)
	}
	if len(s.blocks) > 0 {
		s.minLine, s.maxLine = s.blocks[0].minLine, s.blocks[len(s.blocks)-1].maxLine
	}
	return s, nil
}

// readBlockMeta reads block i's index entry. Every length and offset is
// checked against the file's size before it is used; sets shares label
// sets between blocks.
func readBlockMeta(r *reader, version byte, path string, i int, size int64, sets map[string]Labels) (blockMeta, error) {
	var m blockMeta
	bad := func(field string, v uint64) (blockMeta, error) {
		return blockMeta{}, corruptf(path, i, "index", "%s %d out of range", field, v)
	}
	// within reads a number that must not exceed limit.
	var failed string
	var failedV uint64
	within := func(field string, limit uint64) int {
		v := r.uvarint()
		if v > limit && failed == "" {
			failed, failedV = field, v
		}
		return int(min(v, limit))
	}
	file, maxRaw := uint64(size), uint64(indexMaxRaw)
	m.minLine = r.varint()
	m.maxLine = r.varint()
	m.rows = within("row count", indexMaxRows)
	m.offset = int64(within("offset", file))
	m.lineLen = within("line chunk length", file)
	m.labelLen = within("label chunk length", file)
	m.contentLen = within("content chunk length", file)
	m.contentRaw = within("content length", maxRaw)
	m.postingsLen = within("postings chunk length", file)
	if version >= 2 {
		m.minSeq = r.uvarint()
		m.maxSeq = m.minSeq + r.uvarint()
		m.seqLen = within("sequence chunk length", file)
		ncols := r.uvarint()
		if ncols > uint64(len(r.b)) {
			return bad("column count", ncols)
		}
		for range ncols {
			var c columnMeta
			c.name = r.string()
			if t := r.bytes(1); t != nil {
				c.typ = FieldType(t[0])
			}
			c.off = within("column offset", file)
			c.packedLen = within("column length", file)
			c.rawLen = within("column raw length", maxRaw)
			m.columns = append(m.columns, c)
		}
	}
	nsets := r.uvarint()
	if nsets > uint64(len(r.b)) {
		return bad("label set count", nsets)
	}
	setRows := 0
	for range nsets {
		ls := r.labels()
		if shared, ok := sets[ls.key()]; ok {
			ls = shared
		} else {
			sets[ls.key()] = ls
		}
		m.labelSets = append(m.labelSets, ls)
		if version >= 3 {
			n := within("label set row count", indexMaxRows)
			m.labelRows = append(m.labelRows, n)
			setRows += n
		}
	}
	m.bloomWords = within("filter length", file/8)
	switch {
	case r.err != nil:
		return blockMeta{}, corruptf(path, i, "index", "%v", r.err)
	case failed != "":
		return bad(failed, failedV)
	case m.rows == 0 || m.minLine > m.maxLine || m.offset < 8:
		return blockMeta{}, corruptf(path, i, "index", "%d rows, lines %d to %d, at offset %d", m.rows, m.minLine, m.maxLine, m.offset)
	case version >= 3 && setRows != m.rows:
		return blockMeta{}, corruptf(path, i, "index", "label sets count %d rows of %d", setRows, m.rows)
	}
	return m, nil
}
