package logstore

import (
	"encoding/binary"
	"fmt"
)

// Line numbers are times in nanoseconds, but most sources stamp lines in
// milliseconds or seconds: a version 4 line chunk splits each row's delta
// into a quotient by the block's time unit and a remainder, in two runs, so
// that the remainders (all zero, but for rows moved by one to keep their
// numbers apart) compress to almost nothing and the quotients are small.

// lineUnits are the units tried, largest first; a unit is taken when it
// divides at least 7 of 8 deltas.
var lineUnits = [...]uint64{1e9, 1e6, 1e3}

// appendLineChunk appends the version 4 line chunk of rows to dst.
func appendLineChunk(dst []byte, rows []row) []byte {
	unit := uint64(1)
	for _, u := range lineUnits {
		n := 0
		for i := 1; i < len(rows); i++ {
			if uint64(rows[i].line-rows[i-1].line)%u == 0 {
				n++
			}
		}
		if 8*n >= 7*(len(rows)-1) {
			unit = u
			break
		}
	}
	dst = binary.AppendUvarint(dst, unit)
	for i := range rows {
		dst = binary.AppendUvarint(dst, uint64(rows[i].line-rows[max(i-1, 0)].line)/unit)
	}
	for i := range rows {
		dst = binary.AppendUvarint(dst, uint64(rows[i].line-rows[max(i-1, 0)].line)%unit)
	}
	return dst
}

// decodeLines decodes a line chunk of a block whose first line is minLine
// into out (one entry per row).
func decodeLines(out []int64, raw []byte, minLine int64, version byte) error {
	r := &reader{b: raw}
	line := minLine
	if version < 4 {
		for j := range out {
			line += int64(r.uvarint())
			out[j] = line
		}
		return r.err
	}
	unit := r.uvarint()
	if r.err != nil || unit == 0 {
		return fmt.Errorf("time unit %d", unit)
	}
	for j := range out {
		out[j] = int64(r.uvarint() * unit)
	}
	for j := range out {
		line += out[j] + int64(r.uvarint())
		out[j] = line
	}
	return r.err
}
