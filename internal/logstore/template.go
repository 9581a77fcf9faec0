package logstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// The contents chunk of a version 4 block stores each row as a template and
// its variables (docs/format/segment.md, "Contents"): a word
// holding a digit (a number, an id, an address, a time) is a variable, the
// rest of the line is its template. Rows of one template share the
// template's bytes, and the values of one variable slot of one template sit
// together in a column, so the compressor sees similar values side by side
// instead of interleaved with the text between them.

// varMark stands for a variable in a template. A row whose content holds it
// is stored raw, so a template never holds it as text and a variable never
// contains it (variables are made of word bytes only), which lets it end
// each value in a column too.
const varMark = 0

// byteClass tells the bytes a variable is made of (wordByte): letters,
// digits, '_', '.' and '-', so that an address, a dotted version, a
// negative number or an id like blk_-1608 stays one value; and the digits
// among them (digitByte), which make a word a variable.
var byteClass [256]uint8

const (
	wordByte  = 1
	digitByte = 2
)

func init() {
	for c := range 256 {
		b := byte(c)
		switch {
		case b >= '0' && b <= '9':
			byteClass[c] = wordByte | digitByte
		case b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '.' || b == '-':
			byteClass[c] = wordByte
		}
	}
}

// contentsEncoder builds a block's contents chunk row by row. Its zero value
// is ready; reset makes it ready for the next block, keeping its memory.
type contentsEncoder struct {
	total int
	// index maps a template to its number; templates lists them in order,
	// with base[t] the first of template t's columns.
	index     map[string]int
	templates []string
	base      []int
	// ids holds each row's uvarint template number plus one (0: raw).
	ids []byte
	raw []byte
	// cols holds each column's values, each followed by varMark; used
	// says how many of cols (kept for their memory) this block uses.
	cols [][]byte
	used int
	// scratch for the row being split: its template, and where each of its
	// variables starts and ends (offsets, not strings, which would cost a
	// write barrier each; a row is at most a WAL record, 64 MiB)
	tpl  []byte
	vars []int32
}

func (e *contentsEncoder) reset() {
	clear(e.index)
	e.total = 0
	e.templates, e.base = e.templates[:0], e.base[:0]
	e.ids, e.raw = e.ids[:0], e.raw[:0]
	for i := range e.used {
		e.cols[i] = e.cols[i][:0]
	}
	e.used = 0
}

// add appends a row.
func (e *contentsEncoder) add(content string) {
	e.total += len(content)
	if strings.IndexByte(content, varMark) >= 0 {
		e.ids = append(e.ids, 0)
		e.raw = binary.AppendUvarint(e.raw, uint64(len(content)))
		e.raw = append(e.raw, content...)
		return
	}
	e.split(content)
	tpl, vars := e.tpl, e.vars
	if e.index == nil {
		e.index = map[string]int{}
	}
	t, ok := e.index[string(tpl)]
	if !ok {
		t = len(e.templates)
		e.index[string(tpl)] = t
		e.templates = append(e.templates, string(tpl))
		e.base = append(e.base, e.used)
		e.used += len(vars) / 2
		for len(e.cols) < e.used {
			e.cols = append(e.cols, nil)
		}
	}
	e.ids = binary.AppendUvarint(e.ids, uint64(t)+1)
	cols := e.cols[e.base[t]:]
	for k := 0; k < len(vars); k += 2 {
		cols[k/2] = append(append(cols[k/2], content[vars[k]:vars[k+1]]...), varMark)
	}
}

// split cuts content (which must not hold varMark) into its template, in
// e.tpl, and its variables, in e.vars.
func (e *contentsEncoder) split(content string) {
	tpl, vars := e.tpl[:0], e.vars[:0]
	for i := 0; i < len(content); {
		c := content[i]
		if byteClass[c] == 0 {
			tpl = append(tpl, c)
			i++
			continue
		}
		j, class := i, uint8(0)
		for ; j < len(content); j++ {
			k := byteClass[content[j]]
			if k == 0 {
				break
			}
			class |= k
		}
		if class&digitByte != 0 {
			tpl = append(tpl, varMark)
			vars = append(vars, int32(i), int32(j))
		} else {
			tpl = append(tpl, content[i:j]...)
		}
		i = j
	}
	e.tpl, e.vars = tpl, vars
}

// appendTo appends the chunk of the rows added since the last reset.
func (e *contentsEncoder) appendTo(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(e.total))
	dst = binary.AppendUvarint(dst, uint64(len(e.templates)))
	for _, t := range e.templates {
		dst = binary.AppendUvarint(dst, uint64(len(t)))
		dst = append(dst, t...)
	}
	dst = append(dst, e.ids...)
	dst = binary.AppendUvarint(dst, uint64(len(e.raw)))
	dst = append(dst, e.raw...)
	for _, c := range e.cols[:e.used] {
		dst = binary.AppendUvarint(dst, uint64(len(c)))
	}
	for _, c := range e.cols[:e.used] {
		dst = append(dst, c...)
	}
	return dst
}

// contentsDecoder rebuilds rows from a version 4 contents chunk. Its zero
// value is ready; it keeps its memory from block to block. It holds
// offsets into the chunk rather than slices of it: updating a slice in the
// heap costs a write barrier, and a cursor moves once per variable.
type contentsDecoder struct {
	// pieces holds every template's text cut at its variables, as start
	// and end offsets: template t is pieces[2*first[t]:2*first[t+1]], a
	// variable between two pieces, and its columns start at first[t]-t
	// (each template has one piece more than variables).
	pieces []int
	first  []int
	ids    []int
	// cols holds the start of what is left to read of each variable
	// column; ends its end.
	cols, ends []int
}

// decode appends the contents of a chunk of rows rows to dst, and the
// length of each row to lens; content i is the lens[i] bytes after content
// i-1. Every count, length and index is checked against the chunk, so a
// damaged chunk is an error, never a panic or an allocation larger than
// maxContent.
func (d *contentsDecoder) decode(dst []byte, lens []int, src []byte, rows, maxContent int) ([]byte, []int, error) {
	r := &reader{b: src}
	off := func() int { return len(src) - len(r.b) }
	total := r.uvarint()
	if r.err != nil || total > uint64(maxContent) {
		return nil, nil, fmt.Errorf("contents of %d bytes, more than %d", total, maxContent)
	}
	nt := r.uvarint()
	if r.err != nil || nt > uint64(len(r.b)) {
		return nil, nil, fmt.Errorf("%d templates in %d bytes", nt, len(r.b))
	}
	d.pieces, d.first = d.pieces[:0], d.first[:0]
	for t := range int(nt) {
		n := r.uvarint()
		start := off()
		tpl := r.bytes(n)
		if r.err != nil {
			return nil, nil, fmt.Errorf("template %d: %w", t, r.err)
		}
		d.first = append(d.first, len(d.pieces)/2)
		for {
			i := bytes.IndexByte(tpl, varMark)
			if i < 0 {
				d.pieces = append(d.pieces, start, start+len(tpl))
				break
			}
			d.pieces = append(d.pieces, start, start+i)
			start += i + 1
			tpl = tpl[i+1:]
		}
	}
	d.first = append(d.first, len(d.pieces)/2)
	ncols := len(d.pieces)/2 - int(nt)
	d.ids = slices.Grow(d.ids[:0], rows)[:rows]
	for i := range d.ids {
		id := r.uvarint()
		if id > nt {
			return nil, nil, fmt.Errorf("row %d names template %d of %d", i, id, nt)
		}
		d.ids[i] = int(id)
	}
	rawLen := r.uvarint()
	rawStart := off()
	r.bytes(rawLen)
	if r.err != nil {
		return nil, nil, fmt.Errorf("rows and raw rows: %w", r.err)
	}
	raw := &reader{b: src[rawStart:off()]}
	if ncols > len(r.b) {
		return nil, nil, fmt.Errorf("%d variable columns in %d bytes", ncols, len(r.b))
	}
	d.cols = slices.Grow(d.cols[:0], ncols)[:ncols]
	d.ends = slices.Grow(d.ends[:0], ncols)[:ncols]
	sum := uint64(0)
	for c := range d.ends {
		n := r.uvarint()
		sum += n
		if n > uint64(len(r.b)) || sum > uint64(len(r.b)) {
			return nil, nil, fmt.Errorf("variable column %d of %d bytes, past the chunk's end", c, n)
		}
		d.ends[c] = int(n)
	}
	if r.err != nil || sum != uint64(len(r.b)) {
		return nil, nil, fmt.Errorf("variable columns of %d bytes in %d", sum, len(r.b))
	}
	pos := off()
	for c, n := range d.ends {
		d.cols[c], d.ends[c] = pos, pos+n
		pos += n
	}
	// Rows are written straight into out, which holds total bytes after
	// dst: a row that would run past it is an error.
	start := len(dst)
	out := slices.Grow(dst, int(total))[:start+int(total)]
	w := start
	overrun := func(i int) error { return fmt.Errorf("row %d ends past the %d content bytes", i, total) }
	lens = slices.Grow(lens[:0], rows)[:rows]
	for i, id := range d.ids {
		rowStart := w
		if id == 0 {
			v := raw.bytes(raw.uvarint())
			if raw.err != nil {
				return nil, nil, fmt.Errorf("raw row %d: %w", i, raw.err)
			}
			if len(v) > len(out)-w {
				return nil, nil, overrun(i)
			}
			w += copy(out[w:], v)
			lens[i] = w - rowStart
			continue
		}
		pieces := d.pieces[2*d.first[id-1] : 2*d.first[id]]
		c := d.first[id-1] - (id - 1)
		for k := 0; ; k += 2 {
			p := src[pieces[k]:pieces[k+1]]
			if len(p) > len(out)-w {
				return nil, nil, overrun(i)
			}
			w += copy(out[w:], p)
			if k+2 == len(pieces) {
				break
			}
			// A variable: its bytes up to the next varMark of its
			// column, copied as they are scanned (values are short).
			j, end := d.cols[c], d.ends[c]
			for ; j < end && src[j] != varMark; j++ {
				if w == len(out) {
					return nil, nil, overrun(i)
				}
				out[w] = src[j]
				w++
			}
			if j == end {
				return nil, nil, fmt.Errorf("row %d: variable %d past the end of its column", i, k/2)
			}
			d.cols[c] = j + 1
			c++
		}
		lens[i] = w - rowStart
	}
	if w != len(out) {
		return nil, nil, fmt.Errorf("rows of %d bytes, want %d", w-start, total)
	}
	dst = out
	if len(raw.b) != 0 {
		return nil, nil, fmt.Errorf("%d raw bytes left over", len(raw.b))
	}
	for c, p := range d.cols {
		if p != d.ends[c] {
			return nil, nil, fmt.Errorf("variable column %d: %d bytes left over", c, d.ends[c]-p)
		}
	}
	return dst, lens, nil
}
