package logstore

import (
	"encoding/binary"
	"math"
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

// encodeColumn encodes the values of one field column of a block's rows:
// a presence bitmap, then the present values (strings: all lengths, then
// all bytes; longs: zig-zag varints; floats: 8 bytes each).
func encodeColumn(dst []byte, key colKey, rows []row) []byte {
	size := (len(rows) + 7) / 8
	start := len(dst)
	dst = append(dst, make([]byte, size)...)
	var strs []string
	for i, r := range rows {
		for _, f := range r.fields {
			if f.Name != key.name || f.Type != key.typ {
				continue
			}
			dst[start+i/8] |= 1 << (i % 8)
			switch f.Type {
			case FieldString:
				dst = binary.AppendUvarint(dst, uint64(len(f.Str)))
				strs = append(strs, f.Str)
			case FieldLong:
				dst = binary.AppendVarint(dst, f.Long)
			case FieldFloat:
				dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(f.Float))
			}
			break
		}
	}
	for _, s := range strs {
		dst = append(dst, s...)
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
		lens := make([]int, n)
		for i := range n {
			if col.present(i) {
				lens[i] = int(r.uvarint())
			}
		}
		if r.err != nil {
			return r.err
		}
		all := unsafe.String(unsafe.SliceData(r.b), len(r.b))
		pos := 0
		for i := range n {
			if pos+lens[i] > len(all) {
				return errCorrupt
			}
			col.Str[i] = all[pos : pos+lens[i]]
			pos += lens[i]
		}
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
