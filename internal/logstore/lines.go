package logstore

import (
	"errors"
	"slices"
	"sort"

	"logtank/internal/vfs"
)

// lineChecker answers which line numbers a stream's segments hold,
// keeping the blocks it decoded for the rest of one append or replay.
type lineChecker struct {
	blocks map[blockRef][]int64
	// err is the first block that could not be read. Appends treat such a
	// block's numbers as taken, so that none is given twice; replay
	// (unreadableFree) treats them as free, or it would drop acknowledged
	// rows as if they were on disk, when queries skip the damaged block.
	err            error
	unreadableFree bool
}

type blockRef struct {
	seg   *segment
	block int
}

// lines returns the line numbers of the block of seg that may hold line,
// and the block's highest number. Nil numbers with true mean the block
// holds every number of its range: it is dense (as many rows as numbers,
// which is what lines sharing one time become), or it cannot be read.
func (c *lineChecker) lines(seg *segment, line int64) ([]int64, int64, bool) {
	i := sort.Search(len(seg.blocks), func(i int) bool { return seg.blocks[i].maxLine >= line })
	if i == len(seg.blocks) || seg.blocks[i].minLine > line {
		return nil, 0, false
	}
	maxLine := seg.blocks[i].maxLine
	if int64(seg.blocks[i].rows) == maxLine-seg.blocks[i].minLine+1 {
		// Dense: no need to read it.
		return nil, maxLine, true
	}
	ref := blockRef{seg, i}
	if lines, ok := c.blocks[ref]; ok {
		return lines, maxLine, true
	}
	lines, err := seg.readLines(i)
	if err != nil {
		seg.skipDamaged(i, err, false)
		// A block unreadable for now outranks damage: the caller must
		// learn of it, since its numbers are unknown, not lost.
		if c.err == nil || errors.Is(err, vfs.ErrUnavailable) {
			c.err = err
		}
		return nil, maxLine, !c.unreadableFree
	}
	if c.blocks == nil {
		c.blocks = map[blockRef][]int64{}
	}
	c.blocks[ref] = lines
	return lines, maxLine, true
}

// skip returns the first line number at or after line that no segment of
// st holds, stepping over runs of consecutive numbers at once.
func (c *lineChecker) skip(st *stream, line int64) int64 {
	for {
		next := line
		for _, seg := range st.segs {
			if next < seg.minLine || next > seg.maxLine {
				continue
			}
			lines, maxLine, ok := c.lines(seg, next)
			if !ok {
				continue
			}
			if lines == nil {
				// A dense block's whole range is taken. Unreadable means
				// unknown: taken too, so that no number is given twice, and
				// stepped over at once rather than one number (and one
				// failed read) at a time.
				next = maxLine + 1
				continue
			}
			j, found := slices.BinarySearch(lines, next)
			if !found {
				continue
			}
			for j+1 < len(lines) && lines[j+1] == lines[j]+1 {
				j++
			}
			next = lines[j] + 1
		}
		if next == line {
			return line
		}
		line = next
	}
}

func (c *lineChecker) has(st *stream, line int64) bool { return c.skip(st, line) != line }

// nextFree returns the first line number at or after line that the
// stream does not use. The caller holds st.mu.
func (st *stream) nextFree(line int64, onDisk *lineChecker) int64 {
	for {
		next := st.active.lines.skip(line)
		for _, m := range st.frozen {
			next = m.lines.skip(next)
		}
		next = onDisk.skip(st, next)
		if next == line {
			return line
		}
		line = next
	}
}

// assign gives the entries of batches their line numbers in st and
// reserves them in the active memtable; st.mu must be held. The numbers
// depend only on the numbers the stream holds and the batches, so replicas
// that apply the same batches in the same order give the same numbers. It
// returns each batch's numbers as slices of one slice, all: the whole is
// what a failed write takes back; and the first segment block it could not
// read, whose numbers it took as used.
func (st *stream) assign(batches []Batch) (lines [][]int64, all []int64, unread error) {
	total := 0
	for _, b := range batches {
		total += len(b.Entries)
	}
	all = make([]int64, total)
	lines = make([][]int64, len(batches))
	var onDisk lineChecker
	next := all
	for g, b := range batches {
		ls := next[:len(b.Entries):len(b.Entries)]
		next = next[len(b.Entries):]
		for i, e := range b.Entries {
			line := e.TimeNs
			// Within a batch whose times do not go back, a line never goes
			// below the previous one: the batch keeps its order, and a batch
			// that overlaps another does not walk the same taken lines again.
			if i > 0 && e.TimeNs >= b.Entries[i-1].TimeNs && line <= ls[i-1] {
				line = ls[i-1] + 1
			}
			if line <= st.lastLine {
				line = st.nextFree(line, &onDisk)
			}
			if line > st.lastLine {
				st.lastLine = line
			}
			st.active.lines.add(line)
			ls[i] = line
		}
		lines[g] = ls
	}
	return lines, all, onDisk.err
}

// appendRows appends to rows the rows of batches numbered by lines, and
// says whether they stay in line order and what they cost in memory.
func appendRows(rows []row, batches []Batch, lines [][]int64, seq uint64) (out []row, inOrder bool, bytes int64) {
	shared := &rowExt{seq: seq}
	inOrder = true
	for g, b := range batches {
		for i, e := range b.Entries {
			r := row{line: lines[g][i], labels: b.Labels, content: e.Content, ext: withExt(shared, seq, e.Fields)}
			if n := len(rows); n > 0 && r.line < rows[n-1].line {
				inOrder = false
			}
			bytes += r.size()
			rows = append(rows, r)
		}
	}
	return rows, inOrder, bytes
}

// addBatches puts the rows of batches into the active memtable; st.mu
// must be held.
func (st *stream) addBatches(rows []row, batches []Batch, inOrder bool, bytes int64) {
	m := st.active
	m.addRows(rows, inOrder, bytes)
	for _, b := range batches {
		m.noteLabels(b.Labels)
	}
	m.noteFields(rows)
}
