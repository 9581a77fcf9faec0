package logstore

// selectRows is the one rule of which rows of a block a scan selects,
// used by every scan (rows in order, counts, column scans): given the
// decoded block d of segment block i, it passes over a block and rows
// without the scan's needles, reads the sequence numbers and fields the
// scan needs (fields too when withFields), keeps the rows in the scan's
// range that its matcher takes, and calls fn with each, in ascending
// order, with its index in the block. Read errors are returned as they
// are; callers decide whether damage is skipped.
func (s *segment) selectRows(i int, d *decodedBlock, sc *Scan, lf labelFuncs, nc *needleCheck, withFields bool, fn func(k int, r row)) error {
	if nc != nil && !nc.block(d) {
		return nil
	}
	var seqs []uint64
	var err error
	if sc.seqs() || sc.wholeRows {
		if seqs, err = s.readSeqs(i); err != nil {
			return err
		}
	}
	var fields [][]Field
	if withFields || sc.wholeRows || sc.fieldSearch() {
		if fields, err = s.readFields(i); err != nil {
			return err
		}
	}
	var last *rowExt // shared by consecutive rows of a batch without fields
	for k, line := range d.lines {
		if line < sc.Start || line > sc.End || nc != nil && !nc.row(k) {
			continue
		}
		r := row{line: line, labels: d.labels[k], content: d.contents[k], ext: extAt(last, seqs, fields, k)}
		last = r.ext
		if sc.match(lf, r) {
			fn(k, r)
		}
	}
	return nil
}
