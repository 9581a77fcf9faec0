package logstore

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// FieldType is the type of a structured field.
type FieldType uint8

// The structured field types; the numbers are stored in segments and the WAL.
const (
	FieldString FieldType = 1
	FieldLong   FieldType = 2
	FieldFloat  FieldType = 3
)

// Field is one structured value of a row, extracted from its content at
// ingestion. Exactly one of Str, Long and Float is meaningful, by Type.
type Field struct {
	Name  string
	Type  FieldType
	Str   string
	Long  int64
	Float float64
}

// As returns the field converted to type t, as SQL converts values: a
// number to its text, a text that is no number to 0.
func (f Field) As(t FieldType) Field {
	if f.Type == t {
		return f
	}
	out := Field{Name: f.Name, Type: t}
	switch t {
	case FieldString:
		switch f.Type {
		case FieldLong:
			out.Str = strconv.FormatInt(f.Long, 10)
		case FieldFloat:
			out.Str = strconv.FormatFloat(f.Float, 'f', -1, 64)
		}
	case FieldLong:
		switch f.Type {
		case FieldFloat:
			out.Long = int64(f.Float)
		case FieldString:
			if v, err := strconv.ParseInt(strings.TrimSpace(f.Str), 10, 64); err == nil {
				out.Long = v
			} else if v, err := strconv.ParseFloat(strings.TrimSpace(f.Str), 64); err == nil {
				out.Long = int64(v)
			}
		}
	case FieldFloat:
		switch f.Type {
		case FieldLong:
			out.Float = float64(f.Long)
		case FieldString:
			out.Float, _ = strconv.ParseFloat(strings.TrimSpace(f.Str), 64)
		}
	}
	return out
}

// fieldOverhead approximates a field's memory beyond its name and string.
const fieldOverhead = int64(unsafe.Sizeof(Field{}))

func fieldBytes(fs []Field) int64 {
	n := int64(0)
	for _, f := range fs {
		n += fieldOverhead + int64(len(f.Str))
	}
	return n
}

func appendField(dst []byte, f Field) []byte {
	dst = appendUvarintString(dst, f.Name)
	dst = append(dst, byte(f.Type))
	switch f.Type {
	case FieldString:
		dst = appendUvarintString(dst, f.Str)
	case FieldLong:
		dst = binary.AppendVarint(dst, f.Long)
	case FieldFloat:
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(f.Float))
	}
	return dst
}

func (r *reader) field() Field {
	f := Field{Name: r.string()}
	t := r.bytes(1)
	if r.err != nil {
		return f
	}
	f.Type = FieldType(t[0])
	switch f.Type {
	case FieldString:
		f.Str = r.string()
	case FieldLong:
		f.Long = r.varint()
	case FieldFloat:
		b := r.bytes(8)
		if r.err == nil {
			f.Float = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
	default:
		r.err, r.b = errCorrupt, nil
	}
	return f
}

// colKey names a field column of a block: the same name with two types
// (a rule changed within the block) makes two columns.
type colKey struct {
	name string
	typ  FieldType
}

// String columns are stored plainly or, when values repeat, as a
// dictionary of the distinct values and one index per row: decoding then
// makes each distinct string once, and equal values share memory, which
// grouping by them exploits.
const (
	stringsPlain = 0
	stringsDict  = 1
)

// encodeColumn encodes the values of one field column of a block's rows:
// a presence bitmap, then the present values (strings: a mode byte, then
// all lengths and all bytes, or a dictionary and indexes; longs: zig-zag
// varints; floats: 8 bytes each).
func encodeColumn(dst []byte, key colKey, rows []row) []byte {
	size := (len(rows) + 7) / 8
	start := len(dst)
	dst = append(dst, make([]byte, size)...)
	var strs []string
	// Rows of one rule list their fields in the same order: look where the
	// field was in the previous row first.
	hint := 0
	for i := range rows {
		fields := rows[i].fields()
		j := -1
		if hint < len(fields) && fields[hint].Name == key.name && fields[hint].Type == key.typ {
			j = hint
		} else {
			for k, f := range fields {
				if f.Name == key.name && f.Type == key.typ {
					j, hint = k, k
					break
				}
			}
		}
		if j < 0 {
			continue
		}
		f := &fields[j]
		dst[start+i/8] |= 1 << (i % 8)
		switch f.Type {
		case FieldString:
			strs = append(strs, f.Str)
		case FieldLong:
			dst = binary.AppendVarint(dst, f.Long)
		case FieldFloat:
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(f.Float))
		}
	}
	if key.typ == FieldString {
		dst = appendStrings(dst, strs)
	}
	return dst
}

func appendStrings(dst []byte, strs []string) []byte {
	index := map[string]int{}
	var dict []string
	for _, s := range strs {
		if _, ok := index[s]; !ok {
			index[s] = len(dict)
			dict = append(dict, s)
			// Values that barely repeat are stored plainly: stop counting.
			if len(dict)*2 > len(strs) {
				break
			}
		}
	}
	if len(dict)*2 > len(strs) {
		dst = append(dst, stringsPlain)
		for _, s := range strs {
			dst = binary.AppendUvarint(dst, uint64(len(s)))
		}
		for _, s := range strs {
			dst = append(dst, s...)
		}
		return dst
	}
	dst = append(dst, stringsDict)
	dst = binary.AppendUvarint(dst, uint64(len(dict)))
	for _, s := range dict {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
	}
	for _, s := range dict {
		dst = append(dst, s...)
	}
	for _, s := range strs {
		dst = binary.AppendUvarint(dst, uint64(index[s]))
	}
	return dst
}

// Column is one field's values over a block's rows. Null[i] tells that
// row i lacks the field (Null is nil when every row has it); the value
// slice of the column's Type holds one entry per row (zero where absent).
type Column struct {
	Type  FieldType
	Null  []bool
	Str   []string
	Long  []int64
	Float []float64
}

func (c *Column) present(i int) bool { return c.Null == nil || !c.Null[i] }

// decodeColumn decodes a column of n rows; strings point into raw, which
// the caller must not reuse while they live.
func decodeColumn(raw []byte, typ FieldType, n int, col *Column) error {
	size := (n + 7) / 8
	if len(raw) < size {
		return errCorrupt
	}
	bits := raw[:size]
	r := &reader{b: raw[size:]}
	col.Type = typ
	col.Null = nil
	for i := range n {
		if bits[i/8]&(1<<(i%8)) == 0 {
			if col.Null == nil {
				col.Null = make([]bool, n)
			}
			col.Null[i] = true
		}
	}
	switch typ {
	case FieldString:
		col.Str = resize(col.Str, n)
		return decodeStrings(r, col)
	case FieldLong:
		col.Long = resize(col.Long, n)
		for i := range n {
			col.Long[i] = 0
			if col.present(i) {
				col.Long[i] = r.varint()
			}
		}
	case FieldFloat:
		col.Float = resize(col.Float, n)
		for i := range n {
			col.Float[i] = 0
			if col.present(i) {
				b := r.bytes(8)
				if r.err != nil {
					break
				}
				col.Float[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
		}
	default:
		return errCorrupt
	}
	return r.err
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// decodeStrings reads the values of a string column after its bitmap.
func decodeStrings(r *reader, col *Column) error {
	mode := r.bytes(1)
	if r.err != nil {
		return r.err
	}
	n := len(col.Str)
	// lens are the plain values' lengths, or the dictionary's.
	count := 0
	switch mode[0] {
	case stringsPlain:
		for i := range n {
			if col.present(i) {
				count++
			}
		}
	case stringsDict:
		count = int(r.uvarint())
		if count > len(r.b) {
			return errCorrupt
		}
	default:
		return errCorrupt
	}
	lens := make([]int, count)
	total := 0
	for i := range lens {
		lens[i] = int(r.uvarint())
		total += lens[i]
	}
	if r.err != nil || total < 0 || total > len(r.b) {
		return errCorrupt
	}
	all := unsafe.String(unsafe.SliceData(r.b), total)
	values := make([]string, count)
	pos := 0
	for i, l := range lens {
		values[i] = all[pos : pos+l]
		pos += l
	}
	r.b = r.b[total:]
	k := 0
	for i := range n {
		col.Str[i] = ""
		if !col.present(i) {
			continue
		}
		if mode[0] == stringsPlain {
			col.Str[i] = values[k]
			k++
			continue
		}
		idx := r.uvarint()
		if idx >= uint64(count) {
			return errCorrupt
		}
		col.Str[i] = values[idx]
	}
	return r.err
}
