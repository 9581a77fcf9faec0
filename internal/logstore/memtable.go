package logstore

import (
	"cmp"
	"slices"
	"unsafe"
)

// memtable holds a stream's rows that are in the WAL but not yet in a
// segment. Rows are only appended, so a reader may keep a prefix of rows
// without a lock while writers go on.
type memtable struct {
	rows  []row
	bytes int64
	lines lineSet
	// inOrder stays true while rows arrive in increasing line order, which
	// lets scans skip sorting.
	inOrder bool
	// fields and labelKeys are what the rows hold, so that a stream's
	// schema is known without walking its rows.
	fields    map[string]FieldType
	labelKeys map[string]bool
}

// noteLabels records the label keys of rows added.
func (m *memtable) noteLabels(ls Labels) {
	if len(ls) == 0 {
		return
	}
	if m.labelKeys == nil {
		m.labelKeys = map[string]bool{}
	}
	for _, l := range ls {
		m.labelKeys[l.Key] = true
	}
}

// noteFields records the fields of rows added; rows of one rule repeat
// the same few, which are recorded once.
func (m *memtable) noteFields(rows []row) {
	var seen []colKey
	for i := range rows {
		for _, f := range rows[i].fields() {
			k := colKey{f.Name, f.Type}
			if slices.Contains(seen, k) {
				continue
			}
			seen = append(seen, k)
			if m.fields == nil {
				m.fields = map[string]FieldType{}
			}
			m.fields[f.Name] = f.Type
		}
	}
}

// newMemtable returns an empty memtable with room for rows rows, so that
// a stream whose previous memtable held that many does not grow its row
// slice by doubling (each step a fresh allocation, a copy, and memory the
// garbage collector must clear and scan).
func newMemtable(rows int) *memtable {
	m := &memtable{inOrder: true}
	if rows > 0 {
		m.rows = make([]row, 0, rows)
		m.lines.ordered = make([]int64, 0, rows)
	}
	return m
}

// rowOverhead approximates the memory a row costs beyond its content and
// fields: the row struct and its entry in the line set.
const rowOverhead = int64(unsafe.Sizeof(row{})) + 8

// lineSet holds the line numbers in use in a memtable, including those
// reserved by appends waiting for the WAL. Lines almost always arrive in
// increasing order: those go to a sorted slice (8 bytes each, binary
// search); the few that do not go to a map.
type lineSet struct {
	ordered []int64
	others  map[int64]struct{}
}

func (s *lineSet) add(line int64) {
	if n := len(s.ordered); n == 0 || line > s.ordered[n-1] {
		s.ordered = append(s.ordered, line)
		return
	}
	if s.others == nil {
		s.others = map[int64]struct{}{}
	}
	s.others[line] = struct{}{}
}

func (s *lineSet) has(line int64) bool {
	if n := len(s.ordered); n > 0 && line >= s.ordered[0] && line <= s.ordered[n-1] {
		if _, ok := slices.BinarySearch(s.ordered, line); ok {
			return true
		}
	}
	_, ok := s.others[line]
	return ok
}

// skip returns the first line number at or after line that the set does
// not hold, stepping over a run of consecutive held numbers at once.
func (s *lineSet) skip(line int64) int64 {
	if i, ok := slices.BinarySearch(s.ordered, line); ok {
		for i+1 < len(s.ordered) && s.ordered[i+1] == s.ordered[i]+1 {
			i++
		}
		line = s.ordered[i] + 1
	}
	for {
		if _, ok := s.others[line]; !ok {
			return line
		}
		line++
	}
}

// removeAll takes back the lines of a batch whose WAL write failed, in one
// pass however many there are.
func (s *lineSet) removeAll(lines []int64) {
	drop := make(map[int64]struct{}, len(lines))
	for _, l := range lines {
		drop[l] = struct{}{}
		delete(s.others, l)
	}
	s.ordered = slices.DeleteFunc(s.ordered, func(l int64) bool {
		_, ok := drop[l]
		return ok
	})
}

// add appends r and returns the memory it costs.
func (m *memtable) add(r row) int64 {
	if n := len(m.rows); n > 0 && r.line < m.rows[n-1].line {
		m.inOrder = false
	}
	m.rows = append(m.rows, r)
	size := r.size()
	m.bytes += size
	return size
}

// addRows appends rows, which cost bytes and are in line order among
// themselves when inOrder is set.
func (m *memtable) addRows(rows []row, inOrder bool, bytes int64) {
	if len(rows) == 0 {
		return
	}
	if n := len(m.rows); !inOrder || (n > 0 && rows[0].line < m.rows[n-1].line) {
		m.inOrder = false
	}
	m.rows = append(m.rows, rows...)
	m.bytes += bytes
}

// size is the memory a row costs.
func (r *row) size() int64 {
	return int64(len(r.content)) + rowOverhead + fieldBytes(r.fields())
}

// sortedRows returns the rows of the memtables in line order: those of one
// memtable whose rows arrived in order as they are, any others copied and
// sorted (scans may be reading the memtables, which are never changed).
func sortedRows(ms []*memtable) []row {
	if len(ms) == 1 && ms[0].inOrder {
		return ms[0].rows
	}
	n := 0
	for _, m := range ms {
		n += len(m.rows)
	}
	c := make([]row, 0, n)
	for _, m := range ms {
		c = append(c, m.rows...)
	}
	// Rows of concurrent batches arrive as interleaved ascending runs,
	// which pattern-defeating quicksort sorts in little more than a pass.
	slices.SortFunc(c, func(a, b row) int { return cmp.Compare(a.line, b.line) })
	return c
}
