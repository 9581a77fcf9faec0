package logstore

import (
	"slices"
	"strings"
)

// needleCheck applies a scan's needles to decoded blocks: it finds the rows
// whose contents hold every needle, ignoring the case of ASCII letters,
// without writing a lower-cased copy of the block (see foldNeedle).
type needleCheck struct {
	// needles, the one with the rarest anchor first: it rules out most
	// rows, and the others are looked for in the rows that hold it.
	needles []foldNeedle
	// found[i] counts the needles, taken in order, that row i of the
	// block holds: it holds them all when found[i] == len(needles).
	found []uint8
	// held lists the rows that hold every needle looked for so far.
	held []int32
}

func (sc *Scan) needleCheck() *needleCheck {
	nm, ok := sc.Matcher.(NeedleMatcher)
	if !ok {
		return nil
	}
	c := &needleCheck{}
	for _, n := range nm.Needles() {
		if n != "" {
			c.needles = append(c.needles, newFoldNeedle(n))
		}
	}
	if len(c.needles) == 0 {
		return nil
	}
	slices.SortStableFunc(c.needles, func(a, b foldNeedle) int { return b.rank - a.rank })
	// found counts needles in a byte; a search never names that many.
	c.needles = c.needles[:min(len(c.needles), 255)]
	return c
}

// block finds the rows of the block whose contents hold every needle,
// which row then reports, and whether there is any. The first needle is
// searched for through the block's contents at once rather than row by
// row, jumping to the next row after a hit; the others only in the rows
// that hold the ones before, one row at a time when those rows are a
// small part of the block.
func (c *needleCheck) block(d *decodedBlock) bool {
	n := len(d.offs)
	c.found = slices.Grow(c.found[:0], n)[:n]
	clear(c.found)
	c.held = c.held[:0]
	for j := range c.needles {
		nd := &c.needles[j]
		if j > 0 && c.fewHeld(d) {
			kept := c.held[:0]
			for _, r := range c.held {
				next := anchorsAhead()
				if nd.index(d.contents[r], 0, &next) >= 0 {
					c.found[r] = uint8(j + 1)
					kept = append(kept, r)
				}
			}
			c.held = kept
		} else {
			c.held = c.held[:0]
			c.scan(d, j)
		}
		if len(c.held) == 0 {
			return false
		}
	}
	return true
}

// fewHeld reports whether the rows held so far are a small part of the
// block's contents (searching them one by one costs a call per row).
func (c *needleCheck) fewHeld(d *decodedBlock) bool {
	size := 0
	for _, r := range c.held {
		size += len(d.contents[r])
	}
	return size < len(d.all)/4
}

// scan searches the block's contents for needle j, marking and listing
// the rows that hold it and the needles before it.
func (c *needleCheck) scan(d *decodedBlock, j int) {
	nd := &c.needles[j]
	text, n := d.all, len(d.offs)
	next := anchorsAhead()
	for pos, r := 0, 0; ; {
		at := nd.index(text, pos, &next)
		if at < 0 {
			return
		}
		for r < n && d.offs[r]+len(d.contents[r]) <= at {
			r++
		}
		if r == n {
			return
		}
		end := d.offs[r] + len(d.contents[r])
		if at+len(nd.s) > end {
			// The match runs into the next row's content.
			pos = at + 1
			continue
		}
		if int(c.found[r]) == j {
			c.found[r] = uint8(j + 1)
			c.held = append(c.held, int32(r))
		}
		pos = end
	}
}

// row reports whether row i's content holds every needle (after block).
func (c *needleCheck) row(i int) bool { return int(c.found[i]) == len(c.needles) }

// foldNeedle searches text for a word in ASCII lower case, ignoring the
// case of ASCII letters in the text (other bytes match exactly, as the
// matcher's case folding does). Rather than lower-casing the text (a pass
// that writes every byte), it jumps between occurrences of the word's
// rarest byte, in both cases, with the fast single-byte search, and
// compares the word around each: logs hold few occurrences of a rare
// letter, and a needle's rarest byte is usually rare.
type foldNeedle struct {
	s string
	// at is the anchor byte's index in s; lo and up are that byte in
	// either case (equal when it is not a letter).
	at     int
	lo, up byte
	// rank is the anchor's place in byteRanks: higher is rarer.
	rank int
}

// byteRanks lists printable ASCII bytes (letters in lower case) from the
// most to the least frequent in log lines, as measured over the ten
// loghub systems: the anchor of a needle is its byte that comes last.
const byteRanks = " 0e1aron2tsci.d:-5437l896mufpbhgkv/=w[]_,yxj()qz@$\";*><{}'!#+|%?\\&^`~"

func newFoldNeedle(s string) foldNeedle {
	at, rank := 0, -1
	for i := 0; i < len(s); i++ {
		r := strings.IndexByte(byteRanks, s[i])
		if r < 0 {
			// Not listed (control bytes, upper case, UTF-8): rarest.
			r = len(byteRanks)
		}
		if r > rank {
			at, rank = i, r
		}
	}
	f := foldNeedle{s: s, at: at, lo: s[at], up: s[at], rank: rank}
	if 'a' <= f.lo && f.lo <= 'z' {
		f.up = f.lo - 'a' + 'A'
	}
	return f
}

// anchors caches where the anchor next occurs in text in each case, at
// or after the last position asked about; negative before the first
// search, len(text) when there is none.
type anchors struct{ lo, up int }

func anchorsAhead() anchors { return anchors{-1, -1} }

// index returns the first position at or after from where text holds the
// needle, or -1. Successive calls on the same text with from never
// decreasing share next.
func (f *foldNeedle) index(text string, from int, next *anchors) int {
	for {
		a := from + f.at
		if from+len(f.s) > len(text) {
			return -1
		}
		if next.lo < a {
			next.lo = indexByteFrom(text, a, f.lo)
		}
		c := next.lo
		if f.up != f.lo {
			if next.up < a {
				next.up = indexByteFrom(text, a, f.up)
			}
			c = min(c, next.up)
		}
		start := c - f.at
		if start+len(f.s) > len(text) {
			return -1
		}
		if f.equalAt(text, start) {
			return start
		}
		from = start + 1
	}
}

// indexByteFrom is the position of the first b in text at or after from,
// or len(text).
func indexByteFrom(text string, from int, b byte) int {
	if i := strings.IndexByte(text[from:], b); i >= 0 {
		return from + i
	}
	return len(text)
}

// equalAt reports whether text holds the needle at i, ignoring the case
// of ASCII letters in text.
func (f *foldNeedle) equalAt(text string, i int) bool {
	w := text[i : i+len(f.s)]
	if w == f.s {
		return true
	}
	for j := 0; j < len(w); j++ {
		c := w[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != f.s[j] {
			return false
		}
	}
	return true
}
