package logsql

import (
	"encoding/binary"
	"math"
	"strings"
	"unsafe"
)

// groupTable maps group keys to dense group ids. Single string and single
// long keys get specialised maps; other shapes encode the key into a reused
// buffer, so assigning a row to an existing group never allocates.
type groupTable struct {
	mode      byte // 0: no keys, 's': one string, 'l': one long-like, 'g': generic
	strs      map[string]int32
	longs     map[int64]int32
	gen       map[string]int32
	nullGroup int32
	keys      [][]Value // per key column, the key value of each group
	n         int
	keyBytes  int64
	buf       []byte
	// cache remembers recent string keys by their data pointer: sources that
	// decode dictionary columns hand out the same string header again and
	// again, and a pointer hit skips hashing. The cached pointer keeps its
	// memory alive, so a hit always means equal contents.
	cache [256]strCacheEntry
}

type strCacheEntry struct {
	p   *byte
	n   int
	gid int32
}

func newGroupTable(keyTypes []Type) *groupTable {
	t := &groupTable{nullGroup: -1, keys: make([][]Value, len(keyTypes))}
	switch {
	case len(keyTypes) == 0:
		t.mode = 0
		t.n = 1 // the single group of an aggregate without GROUP BY
	case len(keyTypes) == 1 && keyTypes[0] == String:
		t.mode = 's'
		t.strs = map[string]int32{}
		for i := range t.cache {
			t.cache[i].gid = -1
		}
	case len(keyTypes) == 1 && (keyTypes[0] == Long || keyTypes[0] == Bool):
		t.mode = 'l'
		t.longs = map[int64]int32{}
	default:
		t.mode = 'g'
		t.gen = map[string]int32{}
	}
	return t
}

func (t *groupTable) newGroup(vals ...Value) int32 {
	g := int32(t.n)
	t.n++
	for i, v := range vals {
		if v.Type == String {
			v.Str = strings.Clone(v.Str)
			t.keyBytes += int64(len(v.Str))
		}
		t.keys[i] = append(t.keys[i], v)
	}
	t.keyBytes += int64(len(vals)) * int64(unsafe.Sizeof(Value{}))
	return g
}

// memBytes estimates the table's footprint.
func (t *groupTable) memBytes() int64 {
	return t.keyBytes + int64(t.n)*48
}

// assign writes the group id of each selected row into gids[row].
func (t *groupTable) assign(keys []*Column, sel []int32, gids []int32) {
	switch t.mode {
	case 0:
		for _, r := range sel {
			gids[r] = 0
		}
	case 's':
		c := keys[0]
		if c.Type != String {
			t.assignGeneric(keys, sel, gids)
			return
		}
		for _, r := range sel {
			if c.Null != nil && c.Null[r] {
				if t.nullGroup < 0 {
					t.nullGroup = t.newGroup(Value{})
				}
				gids[r] = t.nullGroup
				continue
			}
			s := c.Str[r]
			p := unsafe.StringData(s)
			e := &t.cache[(uintptr(unsafe.Pointer(p))>>4^uintptr(len(s)))&255]
			if e.p == p && e.n == len(s) && e.gid >= 0 {
				gids[r] = e.gid
				continue
			}
			g, ok := t.strs[s]
			if !ok {
				g = t.newGroup(Value{Type: String, Str: s})
				t.strs[t.keys[0][g].Str] = g
			}
			*e = strCacheEntry{p: p, n: len(s), gid: g}
			gids[r] = g
		}
	case 'l':
		c := keys[0]
		if c.Type != Long && c.Type != Bool {
			t.assignGeneric(keys, sel, gids)
			return
		}
		typ := c.Type
		for _, r := range sel {
			if c.Null != nil && c.Null[r] {
				if t.nullGroup < 0 {
					t.nullGroup = t.newGroup(Value{})
				}
				gids[r] = t.nullGroup
				continue
			}
			v := c.Long[r]
			g, ok := t.longs[v]
			if !ok {
				val := Value{Type: Long, Long: v}
				if typ == Bool {
					val = Value{Type: Bool, Bool: v != 0}
				}
				g = t.newGroup(val)
				t.longs[v] = g
			}
			gids[r] = g
		}
	default:
		t.assignGeneric(keys, sel, gids)
	}
}

func (t *groupTable) assignGeneric(keys []*Column, sel []int32, gids []int32) {
	if (t.mode == 's' || t.mode == 'l') && keys[0].Type == Null {
		if t.nullGroup < 0 {
			t.nullGroup = t.newGroup(Value{})
		}
		for _, r := range sel {
			gids[r] = t.nullGroup
		}
		return
	}
	if t.gen == nil {
		t.gen = map[string]int32{}
	}
	vals := make([]Value, len(keys))
	for _, r := range sel {
		ri := int(r)
		t.buf = t.buf[:0]
		for _, c := range keys {
			t.buf = appendKey(t.buf, c.Value(ri))
		}
		g, ok := t.gen[string(t.buf)]
		if !ok {
			for i, c := range keys {
				vals[i] = c.Value(ri)
			}
			g = t.newGroup(vals...)
			t.gen[string(t.buf)] = g
			t.keyBytes += int64(len(t.buf))
		}
		gids[r] = g
	}
}

// lookup finds or creates the group for key values (used when merging).
func (t *groupTable) lookup(vals []Value) int32 {
	switch t.mode {
	case 0:
		return 0
	case 's':
		if vals[0].Type == String {
			g, ok := t.strs[vals[0].Str]
			if !ok {
				g = t.newGroup(vals[0])
				t.strs[t.keys[0][g].Str] = g
			}
			return g
		}
	case 'l':
		if vals[0].Type == Long || vals[0].Type == Bool {
			k := vals[0].asLong()
			g, ok := t.longs[k]
			if !ok {
				g = t.newGroup(vals[0])
				t.longs[k] = g
			}
			return g
		}
	}
	if (t.mode == 's' || t.mode == 'l') && vals[0].Type == Null {
		if t.nullGroup < 0 {
			t.nullGroup = t.newGroup(Value{})
		}
		return t.nullGroup
	}
	if t.gen == nil {
		t.gen = map[string]int32{}
	}
	t.buf = t.buf[:0]
	for _, v := range vals {
		t.buf = appendKey(t.buf, v)
	}
	g, ok := t.gen[string(t.buf)]
	if !ok {
		g = t.newGroup(vals...)
		t.gen[string(t.buf)] = g
	}
	return g
}

// appendKey encodes v so that equal values (as grouping sees them) encode
// equally and the encoding is self-delimiting.
func appendKey(b []byte, v Value) []byte {
	b = append(b, byte(v.Type))
	switch v.Type {
	case Bool:
		if v.Bool {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case Long:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Long))
	case Float:
		f := v.Float
		if f == 0 {
			f = 0 // -0 groups with +0
		}
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	case String:
		b = binary.AppendUvarint(b, uint64(len(v.Str)))
		b = append(b, v.Str...)
	}
	return b
}
