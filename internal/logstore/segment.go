package logstore

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/klauspost/compress/zstd"

	"logtank/internal/vfs"
)

const (
	segmentMagic   = "LTSEG\x00"
	segmentVersion = 4
	trailerMagic   = "LTSEGEND"
	trailerSize    = 24
	// Blocks are small so that a bloom filter rules out most of them for a
	// rare token, and a block read for a few hits costs little.
	blockMaxRows  = 1024
	blockMaxBytes = 256 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	encoderPool = sync.Pool{New: func() any {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		return e
	}}
	// writerPool holds the large write buffers of segment files, so that
	// frequent small flushes do not allocate and clear one each.
	writerPool  = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 1<<20) }}
	decoderPool = sync.Pool{New: func() any {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		return d
	}}
)

func compress(dst, src []byte) []byte {
	e := encoderPool.Get().(*zstd.Encoder)
	dst = e.EncodeAll(src, dst)
	encoderPool.Put(e)
	return dst
}

func decompress(dst, src []byte) ([]byte, error) {
	d := decoderPool.Get().(*zstd.Decoder)
	out, err := d.DecodeAll(src, dst)
	decoderPool.Put(d)
	return out, err
}

// row is one log row in memory. Rows are many: what not every row needs
// sits behind ext, which the rows of a batch share when they have no
// fields.
type row struct {
	line    int64
	labels  Labels
	content string
	ext     *rowExt
}

// rowExt is the rest of a row.
type rowExt struct {
	// seq is the store-wide sequence number of the batch that brought the
	// row: it orders rows by arrival, as line numbers order them by time.
	seq    uint64
	fields []Field
}

func (r *row) seq() uint64 {
	if r.ext == nil {
		return 0
	}
	return r.ext.seq
}

func (r *row) fields() []Field {
	if r.ext == nil {
		return nil
	}
	return r.ext.fields
}

// withExt returns ext for a row of a batch numbered seq: shared when the
// row has no fields.
func withExt(shared *rowExt, seq uint64, fields []Field) *rowExt {
	if len(fields) == 0 {
		return shared
	}
	return &rowExt{seq: seq, fields: fields}
}

// blockMeta is a block's entry in a segment index.
type blockMeta struct {
	minLine, maxLine int64
	rows             int
	offset           int64
	lineLen          int
	labelLen         int
	contentLen       int
	contentRaw       int
	postingsLen      int
	minSeq, maxSeq   uint64
	seqLen           int
	columns          []columnMeta
	labelSets        []Labels
	// labelRows counts the block's rows of each label set (version 3 on; nil
	// before), so that counts by label need no row data.
	labelRows []int
	// bloomOffset and bloomWords locate the block's filter in the file's
	// bloom section; filters are read per query, not kept in memory, so
	// memory does not grow with the data.
	bloomOffset int64
	bloomWords  int
}

// columnMeta locates a field column of a block: its chunk starts off bytes
// after the block.
type columnMeta struct {
	colKey
	off, packedLen, rawLen int
}

// extraOffset is where the block's sequence chunk starts, after the four
// chunks every version has; the field columns follow it.
func (m *blockMeta) extraOffset() int64 {
	return m.offset + int64(m.lineLen+m.labelLen+m.contentLen+m.postingsLen)
}

func (m *blockMeta) end() int64 {
	end := m.extraOffset() + int64(m.seqLen)
	if n := len(m.columns); n > 0 {
		end = m.offset + int64(m.columns[n-1].off+m.columns[n-1].packedLen)
	}
	return end
}

// hasLabel reports whether some row of the block may have the label (a
// value "" asks for the key only, which a structured field also answers).
func (m *blockMeta) hasLabel(key, value string) bool {
	for _, ls := range m.labelSets {
		if v, ok := ls.Get(key); ok && (value == "" || v == value) {
			return true
		}
	}
	if value == "" {
		for _, c := range m.columns {
			if c.name == key {
				return true
			}
		}
	}
	return false
}

// segment is an open segment file: its index in memory, its blocks read on demand.
type segment struct {
	path    string
	version byte
	day     string
	num     uint64 // the file number, its name
	f       vfs.File
	// inPlace marks a segment read where another node stored it (Attach,
	// Reference): f is not a file of the store's folder, and path is its
	// name there, never removed by the store.
	inPlace bool
	size    int64
	blocks  []blockMeta
	minLine int64
	maxLine int64
	rows    int
	// labelRows counts the file's rows per label set, so that a count by
	// label over a whole segment reads no block entry (nil when some
	// block lacks its counts: versions 1 and 2).
	labelRows []LabelCount
	// minSeq and maxSeq bound the batch sequence numbers of the rows.
	minSeq, maxSeq uint64
	// The bloom section, [bloomStart, bloomEnd) in the file.
	bloomStart, bloomEnd int64
	// dictLen is the compressed length of the template dictionary, at
	// offset 8, and dictRaw its length (0: none, and before version 4).
	// decoders holds zstd decoders that know it: a pool that the garbage
	// collector empties, so an idle segment keeps no copy in memory.
	dictLen, dictRaw int
	decoders         sync.Pool
	// replaces lists the segments compacted into this one.
	replaces []uint64
	// stream is the stream the segment belongs to, and dmg where the
	// store records damage found in it (nil: reads fail on damage);
	// damaged is set once a block could not be read.
	stream  string
	dmg     *damageLog
	damaged atomic.Bool
	// schema is the segment's part of Store.Schema, worked out once.
	schema struct {
		once sync.Once
		segmentSchema
	}
}

// readBlooms reads the segment's bloom section, into dst's memory when it
// is large enough.
func (s *segment) readBlooms(dst []byte) ([]byte, error) {
	n := int(s.bloomEnd - s.bloomStart)
	b := dst[:0]
	if cap(b) < n {
		b = make([]byte, n)
	}
	b = b[:n]
	if _, err := s.f.ReadAt(b, s.bloomStart); err != nil {
		return nil, corruptPart(s.path, -1, "bloom filters", err)
	}
	return b, nil
}

// bloomSection is part of a segment's bloom section in memory: its bytes
// from offset from of the section on.
type bloomSection struct {
	b    []byte
	from int64
}

// readBloomRange reads the filters of blocks first to last (the ones a
// scan's time range reaches, so a query over an hour of a day's segment
// reads an hour's filters), into dst's memory when it is large enough.
func (s *segment) readBloomRange(dst []byte, first, last int) (bloomSection, error) {
	from, to := s.blocks[first].bloomOffset, s.blocks[last].bloomOffset+int64(s.blocks[last].bloomWords)*8
	b := dst[:0]
	if int64(cap(b)) < to-from {
		b = make([]byte, to-from)
	}
	b = b[:to-from]
	if _, err := s.f.ReadAt(b, s.bloomStart+from); err != nil {
		return bloomSection{}, corruptPart(s.path, -1, "bloom filters", err)
	}
	return bloomSection{b: b, from: from}, nil
}

// of returns block m's filter, which the section must hold.
func (bs bloomSection) of(m *blockMeta) bloom {
	if m.bloomWords == 0 {
		return nil
	}
	return bloom(bs.b[m.bloomOffset-bs.from : m.bloomOffset-bs.from+int64(m.bloomWords)*8])
}

// Tokenizer splits contents into the tokens the bloom filters hold.
type Tokenizer interface {
	EachToken(s string, fn func(tok string))
}

// writeSegment writes rows (sorted by line) to path atomically and opens
// it, with a template dictionary when asked and there are dictMinRows rows
// or more.
func writeSegment(fsys vfs.FS, path string, rows []row, tok Tokenizer, withDict bool) (*segment, error) {
	var dict []byte
	if withDict && len(rows) >= dictMinRows {
		dict = templateDict(rows)
	}
	return writeSegmentDict(fsys, path, rows, tok, dict)
}

// writeSegmentDict writes rows (sorted by line) to path atomically, with dict as
// the template dictionary, and opens it.
func writeSegmentDict(fsys vfs.FS, path string, rows []row, tok Tokenizer, dict []byte) (*segment, error) {
	i := 0
	return writeSegmentFrom(fsys, path, func() (row, bool, error) {
		if i == len(rows) {
			return row{}, false, nil
		}
		i++
		return rows[i-1], true, nil
	}, nil, tok, dict)
}

// writeSegmentFrom writes the rows next yields (in line order) to path
// atomically and opens it. replaces names the segments (by file number,
// in the same folder) whose rows the new one holds: they are removed when it
// is opened, should a crash have left them behind. dict, when not empty, is
// the segment's template dictionary.
func writeSegmentFrom(fsys vfs.FS, path string, next func() (row, bool, error), replaces []uint64, tok Tokenizer, dict []byte) (*segment, error) {
	err := vfs.WriteAtomic(fsys, path, func(f io.Writer) error {
		bw := writerPool.Get().(*bufio.Writer)
		bw.Reset(f)
		defer writerPool.Put(bw)
		w := &segmentWriter{w: bw, tok: tok, replaces: replaces}
		if err := w.write([]byte(segmentMagic + string([]byte{segmentVersion, 0}))); err != nil {
			return err
		}
		if len(dict) > 0 {
			packed := compress(nil, dict)
			if err := w.write(packed); err != nil {
				return err
			}
			w.dictLen, w.dictRaw = len(packed), len(dict)
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithEncoderDictRaw(dictID, dict))
			if err != nil {
				return err
			}
			defer enc.Close()
			w.dictEnc = enc
		}
		block := make([]row, 0, blockMaxRows)
		size := 0
		for {
			r, more, err := next()
			if err != nil {
				return err
			}
			if more {
				block = append(block, r)
				size += len(r.content)
			}
			if len(block) > 0 && (!more || len(block) == blockMaxRows || size >= blockMaxBytes) {
				if err := w.block(block); err != nil {
					return err
				}
				block, size = block[:0], 0
			}
			if !more {
				break
			}
		}
		if err := w.finish(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		// The file may be in place with its folder unsynced. Its rows are
		// still the caller's to write again: left here, it would hold them
		// twice after a restart. (No other segment has its number.)
		fsys.Remove(path)
		return nil, err
	}
	return openSegment(fsys, path)
}

type segmentWriter struct {
	w        io.Writer
	off      int64
	tok      Tokenizer
	index    []byte
	blocks   int
	replaces []uint64
	// seen maps a token hash to its entry in stats.
	seen  tokenTable
	stats []tokenStat
	// rowHashes lists each row's distinct token hashes, row after row;
	// rowEnds[i] is where row i's end.
	rowHashes []uint64
	rowEnds   []int32
	postings  []byte
	// blooms holds the filters until the bloom section is written.
	blooms []byte
	// contents builds each block's contents chunk; dictEnc compresses it
	// against the segment's template dictionary of dictLen bytes (dictRaw
	// decompressed) when there is one.
	contents         contentsEncoder
	dictEnc          *zstd.Encoder
	dictLen, dictRaw int
	// scratch buffers reused across blocks
	lines, labels, contentChunk, packed, hashBuf, seqs, column []byte
}

func (w *segmentWriter) write(b []byte) error {
	n, err := w.w.Write(b)
	w.off += int64(n)
	return err
}

func (w *segmentWriter) block(rows []row) error {
	var sets []Labels
	var setRows []int
	setIndex := map[string]int{}
	set := 0
	w.labels = w.labels[:0]
	w.contents.reset()
	w.seen.reset(w.stats)
	w.stats = w.stats[:0]
	w.rowHashes, w.rowEnds = w.rowHashes[:0], w.rowEnds[:0]
	for ri, r := range rows {
		// The rows of a batch share one label slice: only a new slice
		// needs its key built and looked up.
		if ri == 0 || !sameLabels(r.labels, rows[ri-1].labels) {
			k := r.labels.key()
			i, ok := setIndex[k]
			if !ok {
				i = len(sets)
				setIndex[k] = i
				sets = append(sets, r.labels)
				setRows = append(setRows, 0)
			}
			set = i
		}
		setRows[set]++
		w.labels = binary.AppendUvarint(w.labels, uint64(set))
		w.contents.add(r.content)
		w.tok.EachToken(r.content, func(tok string) {
			var h uint64
			h, w.hashBuf = tokenHash(tok, w.hashBuf)
			i, seen := w.seen.get(h)
			if !seen {
				i = int32(len(w.stats))
				w.seen.put(h, i, w.stats)
				w.stats = append(w.stats, tokenStat{h: h, lastRow: -1})
			}
			st := &w.stats[i]
			if st.lastRow == int32(ri) {
				return
			}
			st.lastRow, st.rows = int32(ri), st.rows+1
			w.rowHashes = append(w.rowHashes, h)
		})
		w.rowEnds = append(w.rowEnds, int32(len(w.rowHashes)))
	}
	w.lines = appendLineChunk(w.lines[:0], rows)
	w.contentChunk = w.contents.appendTo(w.contentChunk[:0])
	meta := blockMeta{minLine: rows[0].line, maxLine: rows[len(rows)-1].line, rows: len(rows), offset: w.off, contentRaw: len(w.contentChunk)}
	meta.minSeq, meta.maxSeq = rows[0].seq(), rows[0].seq()
	var cols []colKey
	seenCol := map[colKey]bool{}
	for _, r := range rows {
		meta.minSeq, meta.maxSeq = min(meta.minSeq, r.seq()), max(meta.maxSeq, r.seq())
		for _, f := range r.fields() {
			k := colKey{f.Name, f.Type}
			if !seenCol[k] {
				seenCol[k] = true
				cols = append(cols, k)
			}
		}
	}
	w.seqs = w.seqs[:0]
	for _, r := range rows {
		w.seqs = binary.AppendUvarint(w.seqs, r.seq()-meta.minSeq)
	}
	w.postings = w.buildPostings(len(rows))
	for i, chunk := range [][]byte{w.lines, w.labels, w.contentChunk, w.postings, w.seqs} {
		if i == 2 && w.dictEnc != nil {
			w.packed = w.dictEnc.EncodeAll(chunk, w.packed[:0])
		} else {
			w.packed = compress(w.packed[:0], chunk)
		}
		if err := w.write(w.packed); err != nil {
			return err
		}
		switch i {
		case 0:
			meta.lineLen = len(w.packed)
		case 1:
			meta.labelLen = len(w.packed)
		case 2:
			meta.contentLen = len(w.packed)
		case 3:
			meta.postingsLen = len(w.packed)
		case 4:
			meta.seqLen = len(w.packed)
		}
	}
	for _, k := range cols {
		raw := encodeColumn(w.column[:0], k, rows)
		w.column = raw
		w.packed = compress(w.packed[:0], raw)
		meta.columns = append(meta.columns, columnMeta{colKey: k, off: int(w.off - meta.offset), packedLen: len(w.packed), rawLen: len(raw)})
		if err := w.write(w.packed); err != nil {
			return err
		}
	}
	bl := newBloom(len(w.stats))
	for _, st := range w.stats {
		bl.add(st.h)
	}
	w.blooms = append(w.blooms, bl...)
	meta.labelSets, meta.labelRows, meta.bloomWords = sets, setRows, len(bl)/8
	w.index = appendBlockMeta(w.index, &meta)
	w.blocks++
	return nil
}

// sameLabels tells whether a and b are the same slice, not merely equal.
func sameLabels(a, b Labels) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// tokenTable maps the token hashes of a block to their index in the
// block's stats: open addressing with linear probing, which costs a
// fraction of a Go map on this hot path (every token of every row). A slot
// holds index+1, 0 being empty.
type tokenTable struct {
	keys []uint64
	vals []int32
	n    int
}

func (t *tokenTable) get(h uint64) (int32, bool) {
	if len(t.keys) == 0 {
		return 0, false
	}
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch v := t.vals[i]; {
		case v == 0:
			return 0, false
		case t.keys[i] == h:
			return v - 1, true
		}
	}
}

// put adds h, growing the table (from stats, which hold every key) when it
// is half full.
func (t *tokenTable) put(h uint64, idx int32, stats []tokenStat) {
	if 2*(t.n+1) > len(t.keys) {
		size := max(1024, 2*len(t.keys))
		t.keys, t.vals, t.n = make([]uint64, size), make([]int32, size), 0
		for j, st := range stats {
			t.insert(st.h, int32(j))
		}
	}
	t.insert(h, idx)
}

func (t *tokenTable) insert(h uint64, idx int32) {
	mask := uint64(len(t.keys) - 1)
	i := h & mask
	for t.vals[i] != 0 {
		i = (i + 1) & mask
	}
	t.keys[i], t.vals[i] = h, idx+1
	t.n++
}

// reset empties the table of the keys in stats, keeping its memory.
func (t *tokenTable) reset(stats []tokenStat) {
	if t.n*8 < len(t.keys) {
		mask := uint64(len(t.keys) - 1)
		for _, st := range stats {
			for i := st.h & mask; t.vals[i] != 0; i = (i + 1) & mask {
				t.vals[i] = 0
			}
		}
	} else {
		clear(t.vals)
	}
	t.n = 0
}

// tokenStat counts the rows of a block that hold a token.
type tokenStat struct {
	h       uint64
	lastRow int32
	rows    int32
}

// Frequent tokens get a row bitmap in their block, so that counting them
// needs no decoding: a token qualifies when at least 1/postingsShare of
// the block's rows hold it, and a block keeps at most postingsMax of them.
const (
	postingsShare = 16
	postingsMax   = 128
)

// buildPostings encodes the row bitmaps of the block's frequent tokens:
// uvarint count, then per token its 8-byte hash and (rows+7)/8 bytes.
func (w *segmentWriter) buildPostings(rows int) []byte {
	type freq struct {
		h    uint64
		rows int32
	}
	var frequent []freq
	for _, st := range w.stats {
		if int(st.rows)*postingsShare >= rows {
			frequent = append(frequent, freq{st.h, st.rows})
		}
	}
	slices.SortFunc(frequent, func(a, b freq) int { return cmp.Compare(b.rows, a.rows) })
	frequent = frequent[:min(len(frequent), postingsMax)]
	slot := make(map[uint64]int, len(frequent))
	for i, f := range frequent {
		slot[f.h] = i
	}
	size := (rows + 7) / 8
	bitmaps := make([]byte, len(frequent)*size)
	start := int32(0)
	for ri, end := range w.rowEnds {
		for _, h := range w.rowHashes[start:end] {
			if i, ok := slot[h]; ok {
				bitmaps[i*size+ri/8] |= 1 << (ri % 8)
			}
		}
		start = end
	}
	out := binary.AppendUvarint(w.postings[:0], uint64(len(frequent)))
	for i, f := range frequent {
		out = binary.LittleEndian.AppendUint64(out, f.h)
		out = append(out, bitmaps[i*size:(i+1)*size]...)
	}
	return out
}

// postings is a block's decoded postings chunk; bitmaps are converted to
// words only for the tokens a query asks about.
type postings struct {
	raw  []byte // after the count: per token an 8-byte hash and size bytes
	n    int
	size int
	rows int
}

// bitmap returns the row bitmap of the token with hash h, as 64-bit words.
func (p *postings) bitmap(h uint64) ([]uint64, bool) {
	stride := 8 + p.size
	for i := range p.n {
		e := p.raw[i*stride:]
		if binary.LittleEndian.Uint64(e) != h {
			continue
		}
		words := make([]uint64, (p.rows+63)/64)
		for j, c := range e[8:stride] {
			words[j/8] |= uint64(c) << (8 * (j % 8))
		}
		return words, true
	}
	return nil, false
}

// readPostings returns block i's frequent-token bitmaps (nil when the block
// has none). With scratch, it reads into scratch's buffers, and the result
// is valid until scratch is used again.
func (s *segment) readPostings(i int, scratch *blockScratch) (*postings, error) {
	m := &s.blocks[i]
	if m.postingsLen == 0 {
		return nil, nil
	}
	off := m.offset + int64(m.lineLen+m.labelLen+m.contentLen)
	var raw []byte
	var err error
	if scratch == nil {
		raw, err = s.readChunk(i, "postings", off, m.postingsLen, nil)
	} else {
		scratch.raw = slices.Grow(scratch.raw[:0], m.postingsLen)[:m.postingsLen]
		if _, err = s.f.ReadAt(scratch.raw, off); err != nil {
			return nil, corruptPart(s.path, i, "postings", err)
		}
		if raw, err = decompress(scratch.postings[:0], scratch.raw); err != nil {
			return nil, corruptPart(s.path, i, "postings", err)
		}
		scratch.postings = raw
	}
	if err != nil {
		return nil, err
	}
	r := &reader{b: raw}
	n := r.uvarint()
	size := (m.rows + 7) / 8
	if r.err != nil || n*uint64(8+size) > uint64(len(r.b)) {
		return nil, corruptf(s.path, i, "postings", "%d bitmaps of %d bytes in %d bytes", n, 8+size, len(r.b))
	}
	return &postings{raw: r.b, n: int(n), size: size, rows: m.rows}, nil
}

func (w *segmentWriter) finish() error {
	bloomStart := w.off
	if err := w.write(w.blooms); err != nil {
		return err
	}
	packed := compress(nil, appendIndex(nil, w.replaces, w.blocks, bloomStart, w.dictLen, w.dictRaw, w.index))
	off := w.off
	if err := w.write(packed); err != nil {
		return err
	}
	var t [trailerSize]byte
	binary.LittleEndian.PutUint64(t[0:8], uint64(off))
	binary.LittleEndian.PutUint32(t[8:12], uint32(len(packed)))
	binary.LittleEndian.PutUint32(t[12:16], crc32.Checksum(packed, castagnoli))
	copy(t[16:], trailerMagic)
	return w.write(t[:])
}

func openSegment(fsys vfs.FS, path string) (*segment, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	s, err := readSegmentIndex(f, path)
	if err != nil {
		f.Close()
		return nil, corruptPart(path, -1, "index", err)
	}
	return s, nil
}

func readSegmentIndex(f vfs.File, path string) (*segment, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := info.Size()
	if size < 8+trailerSize {
		return nil, corruptf(path, -1, "file", "%d bytes, too short for a header and a trailer", size)
	}
	hdr := make([]byte, 8)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return nil, err
	}
	if string(hdr[:6]) != segmentMagic {
		return nil, corruptf(path, -1, "header", "magic %q, want %q", hdr[:6], segmentMagic)
	}
	version := hdr[6]
	if version < 1 || version > segmentVersion {
		return nil, corruptf(path, -1, "header", "format version %d, this server reads 1 to %d", hdr[6], segmentVersion)
	}
	var t [trailerSize]byte
	if _, err := f.ReadAt(t[:], size-trailerSize); err != nil {
		return nil, err
	}
	if string(t[16:]) != trailerMagic {
		return nil, corruptf(path, -1, "trailer", "magic %q, want %q (a truncated file?)", t[16:], trailerMagic)
	}
	off := int64(binary.LittleEndian.Uint64(t[0:8]))
	n := int64(binary.LittleEndian.Uint32(t[8:12]))
	if off < 8 || off+n > size-trailerSize {
		return nil, corruptf(path, -1, "trailer", "index at %d (+%d bytes) lies outside the %d-byte file", off, n, size)
	}
	packed := make([]byte, n)
	if _, err := f.ReadAt(packed, off); err != nil {
		return nil, err
	}
	if got, want := crc32.Checksum(packed, castagnoli), binary.LittleEndian.Uint32(t[12:16]); got != want {
		return nil, corruptf(path, -1, "index", "checksum %08x, want %08x", got, want)
	}
	raw, err := decompress(nil, packed)
	if err != nil {
		return nil, corruptf(path, -1, "index", "decompressing: %v", err)
	}
	s, err := decodeIndex(raw, version, path, size, off)
	if err != nil {
		return nil, err
	}
	s.f, s.version = f, version
	return s, nil
}

// decodedBlock is a block's rows in memory.
type decodedBlock struct {
	lines    []int64
	labels   []Labels
	contents []string
	// all holds every content back to back; content i starts at offs[i].
	all  string
	offs []int
}

// readBlock decodes block i.
func (s *segment) readBlock(i int) (*decodedBlock, error) { return s.decodeBlock(i, nil) }

// blockScratch holds the buffers of decodeBlock for reuse by a caller that
// is done with one block before it reads the next.
type blockScratch struct {
	raw, lines, labels, contents []byte
	// postings receives a block's postings chunk (readPostings).
	postings []byte
	// chunk holds a version 4 contents chunk before its rows are rebuilt
	// into contents.
	chunk []byte
	cdec  contentsDecoder
	lens  []int
	d     decodedBlock
	// col receives field columns whose kept rows are copied out.
	col Column
}

// decodeBlock decodes block i. With scratch, it reuses its buffers and the
// result is valid until the next call with the same scratch; without, the
// result may be kept.
func (s *segment) decodeBlock(i int, scratch *blockScratch) (*decodedBlock, error) {
	m := &s.blocks[i]
	sc := scratch
	if sc == nil {
		sc = &blockScratch{}
	}
	corrupt := func(part string, err error) error { return corruptPart(s.path, i, part, err) }
	sc.raw = slices.Grow(sc.raw[:0], m.lineLen+m.labelLen+m.contentLen)[:m.lineLen+m.labelLen+m.contentLen]
	if _, err := s.f.ReadAt(sc.raw, m.offset); err != nil {
		return nil, corrupt("chunks", err)
	}
	var err error
	if sc.lines, err = decompress(sc.lines[:0], sc.raw[:m.lineLen]); err != nil {
		return nil, corrupt("lines", err)
	}
	if sc.labels, err = decompress(sc.labels[:0], sc.raw[m.lineLen:m.lineLen+m.labelLen]); err != nil {
		return nil, corrupt("labels", err)
	}
	d := &sc.d
	d.lines = slices.Grow(d.lines[:0], m.rows)[:m.rows]
	d.labels = slices.Grow(d.labels[:0], m.rows)[:m.rows]
	d.contents = slices.Grow(d.contents[:0], m.rows)[:m.rows]
	if err := decodeLines(d.lines, sc.lines, m.minLine, s.version); err != nil {
		return nil, corrupt("lines", err)
	}
	br := &reader{b: sc.labels}
	for i := range m.rows {
		li := br.uvarint()
		if li >= uint64(len(m.labelSets)) {
			return nil, corrupt("labels", fmt.Errorf("row %d names label set %d of %d", i, li, len(m.labelSets)))
		}
		d.labels[i] = m.labelSets[li]
	}
	if br.err != nil {
		return nil, corrupt("labels", br.err)
	}
	// The rows' contents point into sc.contents: a fresh buffer per block
	// without scratch.
	packed := sc.raw[m.lineLen+m.labelLen:]
	if s.version >= 4 {
		if sc.chunk, err = s.decompressContents(sc.chunk[:0], packed); err != nil {
			return nil, corrupt("contents", err)
		}
		if sc.contents, sc.lens, err = sc.cdec.decode(sc.contents[:0], sc.lens, sc.chunk, m.rows, indexMaxRaw); err != nil {
			return nil, corrupt("contents", err)
		}
	} else if sc.contents, sc.lens, err = decodeContentsV3(sc.contents, sc.lens, packed, m); err != nil {
		return nil, corrupt("contents", err)
	}
	// The contents buffer is never written again while the rows live (a new
	// one per block, or the caller's scratch it will not reuse before it is
	// done), so the rows' contents can point into it without a copy.
	all := unsafe.String(unsafe.SliceData(sc.contents), len(sc.contents))
	d.all = all
	d.offs = slices.Grow(d.offs[:0], m.rows)[:m.rows]
	pos := 0
	for i, n := range sc.lens {
		d.contents[i] = all[pos : pos+n]
		d.offs[i] = pos
		pos += n
	}
	return d, nil
}

// decodeContentsV3 decodes the contents chunk of a version 1 to 3 block
// (every row's length, then the contents back to back) into dst's memory,
// and each row's length into lens.
func decodeContentsV3(dst []byte, lens []int, packed []byte, m *blockMeta) ([]byte, []int, error) {
	if dst == nil {
		dst = make([]byte, 0, m.contentRaw)
	}
	raw, err := decompress(dst[:0], packed)
	if err != nil {
		return nil, nil, err
	}
	r := &reader{b: raw}
	lens = slices.Grow(lens[:0], m.rows)[:m.rows]
	for i := range lens {
		lens[i] = int(r.uvarint())
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	pos := 0
	for i, n := range lens {
		if n > len(r.b)-pos {
			return nil, nil, fmt.Errorf("row %d ends at %d, past the %d content bytes", i, pos+n, len(r.b))
		}
		pos += n
	}
	// The contents follow the lengths: move them to the buffer's start, so
	// that the rows point at the buffer as the version 4 path leaves it.
	n := copy(raw, r.b[:pos])
	return raw[:n], lens, nil
}

func (s *segment) close() error { return s.f.Close() }

// readDict returns the segment's template dictionary (nil when it has none).
func (s *segment) readDict() ([]byte, error) {
	if s.dictLen == 0 {
		return nil, nil
	}
	packed := make([]byte, s.dictLen)
	if _, err := s.f.ReadAt(packed, 8); err != nil {
		return nil, err
	}
	dict, err := decompress(make([]byte, 0, s.dictRaw), packed)
	if err != nil {
		return nil, fmt.Errorf("template dictionary: %w", err)
	}
	if len(dict) != s.dictRaw {
		return nil, fmt.Errorf("template dictionary of %d bytes, want %d", len(dict), s.dictRaw)
	}
	return dict, nil
}

// decompressContents decompresses a contents chunk, against the segment's
// template dictionary when it has one.
func (s *segment) decompressContents(dst, src []byte) ([]byte, error) {
	if s.dictLen == 0 {
		return decompress(dst, src)
	}
	d, ok := s.decoders.Get().(*zstd.Decoder)
	if !ok {
		dict, err := s.readDict()
		if err != nil {
			return nil, err
		}
		if d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderDictRaw(dictID, dict)); err != nil {
			return nil, err
		}
	}
	out, err := d.DecodeAll(src, dst)
	s.decoders.Put(d)
	return out, err
}

// readLines decodes only the line numbers of block i.
func (s *segment) readLines(i int) ([]int64, error) {
	m := &s.blocks[i]
	raw, err := s.readChunk(i, "lines", m.offset, m.lineLen, nil)
	if err != nil {
		return nil, err
	}
	out := make([]int64, m.rows)
	if err := decodeLines(out, raw, m.minLine, s.version); err != nil {
		return nil, corruptPart(s.path, i, "lines", err)
	}
	return out, nil
}

// readChunk reads the compressed chunk of n bytes at off and returns it
// decompressed (appended to dst).
func (s *segment) readChunk(block int, part string, off int64, n int, dst []byte) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := s.f.ReadAt(buf, off); err != nil {
		return nil, corruptPart(s.path, block, part, err)
	}
	raw, err := decompress(dst, buf)
	if err != nil {
		return nil, corruptPart(s.path, block, part, err)
	}
	return raw, nil
}

// readSeqs decodes the batch sequence numbers of block i (all zero in a
// version 1 segment, which predates them).
func (s *segment) readSeqs(i int) ([]uint64, error) {
	m := &s.blocks[i]
	out := make([]uint64, m.rows)
	if m.seqLen == 0 {
		return out, nil
	}
	raw, err := s.readChunk(i, "sequence numbers", m.extraOffset(), m.seqLen, nil)
	if err != nil {
		return nil, err
	}
	r := &reader{b: raw}
	for j := range out {
		out[j] = m.minSeq + r.uvarint()
	}
	if r.err != nil {
		return nil, corruptPart(s.path, i, "sequence numbers", r.err)
	}
	return out, nil
}

// readColumn decodes field column c of block i into col. The strings point
// into a fresh buffer, so col may be kept.
func (s *segment) readColumn(i int, c *columnMeta, col *Column) error {
	m := &s.blocks[i]
	raw, err := s.readChunk(i, "field "+c.name, m.offset+int64(c.off), c.packedLen, make([]byte, 0, c.rawLen))
	if err != nil {
		return err
	}
	if err := decodeColumn(raw, c.typ, m.rows, col); err != nil {
		return corruptPart(s.path, i, "field "+c.name, err)
	}
	return nil
}

// readFields decodes every field column of block i into per-row fields.
func (s *segment) readFields(i int) ([][]Field, error) {
	m := &s.blocks[i]
	out := make([][]Field, m.rows)
	var col Column
	for ci := range m.columns {
		c := &m.columns[ci]
		if err := s.readColumn(i, c, &col); err != nil {
			return nil, err
		}
		for r := range m.rows {
			if !col.present(r) {
				continue
			}
			f := Field{Name: c.name, Type: c.typ}
			switch c.typ {
			case FieldString:
				f.Str = col.Str[r]
			case FieldLong:
				f.Long = col.Long[r]
			case FieldFloat:
				f.Float = col.Float[r]
			}
			out[r] = append(out[r], f)
		}
	}
	return out, nil
}

// readLabelIndexes decodes only the label-set index of each row of block i.
func (s *segment) readLabelIndexes(i int) ([]int, error) {
	m := &s.blocks[i]
	raw, err := s.readChunk(i, "labels", m.offset+int64(m.lineLen), m.labelLen, nil)
	if err != nil {
		return nil, err
	}
	r := &reader{b: raw}
	out := make([]int, m.rows)
	for j := range out {
		li := r.uvarint()
		if li >= uint64(len(m.labelSets)) {
			return nil, corruptPart(s.path, i, "labels", fmt.Errorf("row %d names label set %d of %d", j, li, len(m.labelSets)))
		}
		out[j] = int(li)
	}
	if r.err != nil {
		return nil, corruptPart(s.path, i, "labels", r.err)
	}
	return out, nil
}
