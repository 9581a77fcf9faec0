package logstore

import (
	"encoding/binary"
	"errors"
	"sort"
	"strings"
)

// Label is one key=value pair attached to a log row.
type Label struct{ Key, Value string }

// Labels is a set of labels sorted by key. Rows of one ingested batch share
// one Labels value.
type Labels []Label

// LabelsFromMap returns the labels of m, sorted.
func LabelsFromMap(m map[string]string) Labels {
	ls := make(Labels, 0, len(m))
	for k, v := range m {
		ls = append(ls, Label{k, v})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Key < ls[j].Key })
	return ls
}

// Get returns the value of key.
func (ls Labels) Get(key string) (string, bool) {
	for _, l := range ls {
		if l.Key == key {
			return l.Value, true
		}
	}
	return "", false
}

// Map returns the labels as a map.
func (ls Labels) Map() map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Key] = l.Value
	}
	return m
}

// key is a canonical string form, for interning.
func (ls Labels) key() string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Key)
		b.WriteByte(0)
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}

func appendUvarintString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func (ls Labels) appendTo(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ls)))
	for _, l := range ls {
		dst = appendUvarintString(dst, l.Key)
		dst = appendUvarintString(dst, l.Value)
	}
	return dst
}

var errCorrupt = errors.New("logstore: corrupt data")

// reader decodes the varint encodings of the formats, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errCorrupt, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = errCorrupt, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.err, r.b = errCorrupt, nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes(r.uvarint())) }

func (r *reader) labels() Labels {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errCorrupt
		return nil
	}
	ls := make(Labels, 0, n)
	for range n {
		k := r.string()
		v := r.string()
		ls = append(ls, Label{k, v})
	}
	return ls
}
