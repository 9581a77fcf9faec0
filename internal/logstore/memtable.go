package logstore

import "sort"

// memtable holds a stream's rows that are in the WAL but not yet in a
// segment. Rows are only appended, so a reader may keep a prefix of rows
// without a lock while writers go on.
type memtable struct {
	rows  []row
	bytes int64
	lines map[int64]struct{}
	// inOrder stays true while rows arrive in increasing line order, which
	// lets scans skip sorting.
	inOrder bool
}

func newMemtable() *memtable {
	return &memtable{lines: map[int64]struct{}{}, inOrder: true}
}

// rowOverhead approximates the memory a row costs beyond its content: the
// row struct and its entry in the line set.
const rowOverhead = 64

func (m *memtable) add(r row) {
	if n := len(m.rows); n > 0 && r.line < m.rows[n-1].line {
		m.inOrder = false
	}
	m.rows = append(m.rows, r)
	m.bytes += int64(len(r.content)) + rowOverhead
}

// sortedRows returns the rows in line order, sorting a copy when needed.
func sortedRows(rows []row, inOrder bool) []row {
	if inOrder {
		return rows
	}
	c := make([]row, len(rows))
	copy(c, rows)
	sort.Slice(c, func(i, j int) bool { return c[i].line < c[j].line })
	return c
}
