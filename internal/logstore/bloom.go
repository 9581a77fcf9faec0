package logstore

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

const (
	bloomBitsPerToken = 10
	bloomProbes       = 7
)

// bloom is a block's token filter (docs/format/segment.md). A nil filter
// may contain every token.
type bloom []uint64

func newBloom(tokens int) bloom {
	words := (tokens*bloomBitsPerToken + 63) / 64
	if words == 0 {
		words = 1
	}
	return make(bloom, words)
}

// tokenHash is the hash a filter stores for a token: xxhash64 of its ASCII
// lower-case form. buf is scratch space, returned for reuse.
func tokenHash(tok string, buf []byte) (uint64, []byte) {
	buf = buf[:0]
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return xxhash.Sum64(buf), buf
}

func (b bloom) add(h uint64) {
	h1, h2 := uint32(h), uint32(h>>32)
	m := uint32(len(b) * 64)
	for i := uint32(0); i < bloomProbes; i++ {
		bit := (h1 + i*h2) % m
		b[bit/64] |= 1 << (bit % 64)
	}
}

func (b bloom) has(h uint64) bool {
	if b == nil {
		return true
	}
	h1, h2 := uint32(h), uint32(h>>32)
	m := uint32(len(b) * 64)
	for i := uint32(0); i < bloomProbes; i++ {
		bit := (h1 + i*h2) % m
		if b[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

func (b bloom) appendTo(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	for _, w := range b {
		dst = binary.LittleEndian.AppendUint64(dst, w)
	}
	return dst
}

func (r *reader) bloom() bloom {
	n := r.uvarint()
	if n == 0 || n*8 > uint64(len(r.b)) {
		if n != 0 {
			r.err = errCorrupt
		}
		return nil
	}
	raw := r.bytes(n * 8)
	b := make(bloom, n)
	for i := range b {
		b[i] = binary.LittleEndian.Uint64(raw[i*8:])
	}
	return b
}
