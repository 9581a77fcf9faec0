package logstore

import "github.com/cespare/xxhash/v2"

const (
	bloomBitsPerToken = 8
	bloomProbes       = 5
)

// bloom is a block's token filter (docs/format/segment.md): bit i is bit
// i%8 of byte i/8, so the bytes on disk are the filter as it is used. A nil
// filter may contain every token.
type bloom []byte

func newBloom(tokens int) bloom {
	words := (tokens*bloomBitsPerToken + 63) / 64
	return make(bloom, max(words, 1)*8)
}

// tokenHash is the hash a filter stores for a token: xxhash64 of its ASCII
// lower-case form. buf is scratch space, returned for reuse.
func tokenHash(tok string, buf []byte) (uint64, []byte) {
	upper := false
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; 'A' <= c && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return xxhash.Sum64String(tok), buf
	}
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
	m := uint32(len(b) * 8)
	for i := uint32(0); i < bloomProbes; i++ {
		bit := (h1 + i*h2) % m
		b[bit/8] |= 1 << (bit % 8)
	}
}

func (b bloom) has(h uint64) bool {
	if b == nil {
		return true
	}
	h1, h2 := uint32(h), uint32(h>>32)
	m := uint32(len(b) * 8)
	for i := uint32(0); i < bloomProbes; i++ {
		bit := (h1 + i*h2) % m
		if b[bit/8]&(1<<(bit%8)) == 0 {
			return false
		}
	}
	return true
}
