package logstore

import (
	"container/heap"
	"context"
	"math/bits"
	"runtime"
	"sort"
	"sync"
	"unsafe"

	"logtank/internal/workpool"
)

// Matcher decides which rows a scan returns.
type Matcher interface {
	// Match reports whether one row matches.
	Match(content string, label func(key string) (string, bool)) bool
	// MayMatch reports whether some row of a block may match, given whether
	// a (lower-case) token may occur in the block and whether a label pair
	// occurs in it (value "" asks for the key only). It must not say false
	// when a row could match.
	MayMatch(hasToken func(tok string) bool, hasLabel func(key, value string) bool) bool
}

// RowsMatcher is a Matcher that can also evaluate a whole block from the
// row bitmaps of its frequent tokens (see logquery's Query.Rows), which
// lets counts skip decoding the rows.
type RowsMatcher interface {
	Matcher
	Rows(rows func(tok string) ([]uint64, bool), n int) ([]uint64, bool)
}

// NeedleMatcher is a Matcher that can name words every matching row's
// content holds as substrings, in ASCII lower case (see logquery's
// Query.Needles): rows, and whole blocks, without them are passed over
// before Match tokenises them.
type NeedleMatcher interface {
	Matcher
	Needles() []string
}

// Scan selects rows of a stream: line numbers in [Start, End], in
// ascending order or, with Desc, descending, that match Matcher (all rows
// when nil).
type Scan struct {
	Start, End int64
	Desc       bool
	Matcher    Matcher
	// SeqAfter and SeqUpTo, when SeqUpTo > 0, keep only the rows of batches
	// whose sequence numbers are in (SeqAfter, SeqUpTo] (see Store.Seq).
	SeqAfter, SeqUpTo uint64
	// Fields asks for the rows' structured fields.
	Fields bool
	// wholeRows reads every part of the rows, sequence numbers and fields
	// included, as compaction must to rewrite them.
	wholeRows bool
	// ctx is the scan's request, set by Rows, Count and Blocks: once it
	// is done the matcher is no longer asked, so a slow matcher stops
	// within a row, and the scan returns ctx's error. stop reports it for
	// a StopMatcher.
	ctx  context.Context
	stop func() bool
	// ahead is how many candidate blocks a row scan decodes ahead of the
	// one it reads (see cursor.ahead): one scan-wide figure, so that the
	// segment after the first starts at the depth the scan has reached
	// rather than with a block read in line.
	ahead int
}

// withContext binds the scan to its request.
func (sc *Scan) withContext(ctx context.Context) {
	sc.ctx = ctx
	sc.stop = func() bool { return ctx.Err() != nil }
}

// cancelled reports whether the scan's request is done.
func (sc *Scan) cancelled() bool { return sc.ctx != nil && sc.ctx.Err() != nil }

// seqs reports whether the scan filters by sequence number.
func (sc *Scan) seqs() bool { return sc.SeqUpTo > 0 }

// seqRange reports whether some row with a sequence number in [lo, hi]
// may pass the scan's sequence filter.
func (sc *Scan) seqRange(lo, hi uint64) bool {
	return !sc.seqs() || (hi > sc.SeqAfter && lo <= sc.SeqUpTo)
}

// snapshot is what a scan reads of a stream: segments and memtable rows as
// they were when it started. Files stay open while the snapshot is used
// because a segment is closed only after it left every list; reads of a
// removed file fail cleanly rather than returning wrong rows.
type snapshot struct {
	segs []*segment
	// mem holds each memtable's rows in the scan's range, sorted by line.
	mem [][]row
}

func (s *Store) snapshot(streamID string, sc Scan) snapshot {
	st := s.existing(streamID)
	if st == nil {
		return snapshot{}
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	var snap snapshot
	for _, seg := range st.segs {
		if seg.maxLine >= sc.Start && seg.minLine <= sc.End && sc.seqRange(seg.minSeq, seg.maxSeq) {
			snap.segs = append(snap.segs, seg)
		}
	}
	for _, m := range append(append([]*memtable(nil), st.frozen...), st.active) {
		if m.inOrder {
			// Rows arrived in order: the range is a sub-slice, no copy.
			rows := m.rows[:len(m.rows):len(m.rows)]
			lo := sort.Search(len(rows), func(i int) bool { return rows[i].line >= sc.Start })
			hi := sort.Search(len(rows), func(i int) bool { return rows[i].line > sc.End })
			if lo < hi {
				snap.mem = append(snap.mem, rows[lo:hi])
			}
			continue
		}
		var in []row
		for _, r := range m.rows {
			if r.line >= sc.Start && r.line <= sc.End {
				in = append(in, r)
			}
		}
		if len(in) > 0 {
			sort.Slice(in, func(i, j int) bool { return in[i].line < in[j].line })
			snap.mem = append(snap.mem, in)
		}
	}
	return snap
}

// labelFuncs caches a label lookup function per label set, so matching a
// row does not allocate one.
type labelFuncs map[*Label]func(string) (string, bool)

func (lf labelFuncs) get(ls Labels) func(string) (string, bool) {
	if len(ls) == 0 {
		return noLabels
	}
	f, ok := lf[&ls[0]]
	if !ok {
		f = ls.Get
		lf[&ls[0]] = f
	}
	return f
}

func noLabels(string) (string, bool) { return "", false }

func (sc *Scan) match(lf labelFuncs, r row) bool {
	if sc.seqs() && (r.seq() <= sc.SeqAfter || r.seq() > sc.SeqUpTo) {
		return false
	}
	if sc.Matcher == nil {
		return true
	}
	if sc.cancelled() {
		return false
	}
	label := lf.get(r.labels)
	if sm, ok := sc.Matcher.(StopMatcher); ok && sc.stop != nil {
		labelOrField := label
		if fs := r.fields(); len(fs) > 0 && sc.fieldSearch() {
			labelOrField = fieldsToo(label, fs)
		}
		return sm.MatchStop(r.content, label, labelOrField, sc.stop)
	}
	if fs := r.fields(); len(fs) > 0 && sc.fieldSearch() {
		return sc.Matcher.(FieldMatcher).MatchFields(r.content, label, fieldsToo(label, fs))
	}
	return sc.Matcher.Match(r.content, label)
}

// StopMatcher is a Matcher whose work on one row can be long (wildcards
// over a long line): a scan with a context hands it stop, which reports
// that the scan's request is over, and the matcher gives up on the row.
// labelOrField answers field searches from the labels, then the row's
// structured fields (as FieldMatcher's MatchFields).
type StopMatcher interface {
	Matcher
	MatchStop(content string, label, labelOrField func(key string) (string, bool), stop func() bool) bool
}

// FieldMatcher is a Matcher whose field searches may name structured
// fields: a scan with one reads the rows' fields, and asks MatchFields of
// rows that have some, giving both the labels and a lookup that falls
// back from the labels to the fields (as text).
type FieldMatcher interface {
	Matcher
	SearchesFields() bool
	MatchFields(content string, label, labelOrField func(key string) (string, bool)) bool
}

func (sc *Scan) fieldSearch() bool {
	fm, ok := sc.Matcher.(FieldMatcher)
	return ok && fm.SearchesFields()
}

// fieldsToo answers a key from the labels, then from the fields.
func fieldsToo(labels func(string) (string, bool), fields []Field) func(string) (string, bool) {
	return func(key string) (string, bool) {
		if v, ok := labels(key); ok {
			return v, true
		}
		for _, f := range fields {
			if f.Name == key {
				return f.As(FieldString).Str, true
			}
		}
		return "", false
	}
}

// candidates lists the blocks of seg the scan must read, in scan order,
// reading the bloom filters of the blocks in its range when the scan has
// a matcher.
func (sc *Scan) candidates(seg *segment) ([]int, error) {
	p := bloomBuffers.Get().(*[]byte)
	blocks, section, err := sc.candidatesInto(seg, *p)
	if section.b != nil {
		*p = section.b
	}
	bloomBuffers.Put(p)
	return blocks, err
}

// bloomBuffers holds buffers for bloom sections that are read, used and
// let go within one call.
var bloomBuffers = sync.Pool{New: func() any { return new([]byte) }}

// bloomLoans lends a count the buffers of the bloom sections it reads
// (the whole range's filters, which it keeps until its blocks are done),
// from bloomBuffers until release.
type bloomLoans []*[]byte

// candidatesAndBlooms is candidates that also returns the filters it read
// (none when the scan has no matcher), into a buffer of the loans.
func (l *bloomLoans) candidatesAndBlooms(sc *Scan, seg *segment) ([]int, bloomSection, error) {
	p := bloomBuffers.Get().(*[]byte)
	*l = append(*l, p)
	blocks, section, err := sc.candidatesInto(seg, *p)
	if section.b != nil {
		*p = section.b
	}
	return blocks, section, err
}

// release gives the buffers back: the sections read must no longer be used.
func (l bloomLoans) release() {
	for _, p := range l {
		bloomBuffers.Put(p)
	}
}

// candidatesInto is candidatesAndBlooms reading the filters into dst's
// memory when it is large enough.
func (sc *Scan) candidatesInto(seg *segment, dst []byte) ([]int, bloomSection, error) {
	// Blocks are in line order: those in the range are consecutive.
	first := sort.Search(len(seg.blocks), func(i int) bool { return seg.blocks[i].maxLine >= sc.Start })
	last := sort.Search(len(seg.blocks), func(i int) bool { return seg.blocks[i].minLine > sc.End }) - 1
	var out []int
	var buf []byte
	var section bloomSection
	for i := first; i <= last; i++ {
		m := &seg.blocks[i]
		if !sc.seqRange(m.minSeq, m.maxSeq) {
			continue
		}
		if sc.Matcher != nil {
			if section.b == nil {
				var err error
				if section, err = seg.readBloomRange(dst, i, last); err != nil {
					return nil, bloomSection{}, err
				}
			}
			bl := section.of(m)
			if !sc.Matcher.MayMatch(func(tok string) bool {
				var h uint64
				h, buf = tokenHash(tok, buf)
				return bl.has(h)
			}, m.hasLabel) {
				continue
			}
		}
		out = append(out, i)
	}
	if sc.Desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, section, nil
}

// Rows calls fn with the scan's rows in order until fn returns false.
// Segments are merged lazily: a block is decoded only when its first line
// could be next, so a scan that stops early reads few blocks. When ctx is
// done the scan stops and Rows returns ctx's error.
func (s *Store) Rows(ctx context.Context, streamID string, sc Scan, fn func(Row) bool) error {
	sc.withContext(ctx)
	snap := s.snapshot(streamID, sc)
	lf := labelFuncs{}
	h := &cursorHeap{desc: sc.Desc}
	// Memtable rows are matched as the scan reaches them.
	for _, rows := range snap.mem {
		c := &cursor{rows: rows, desc: sc.Desc, lazy: &sc, lf: lf}
		if c.skip(); !c.done() {
			heap.Push(h, c)
		}
	}
	// A segment's candidate blocks are worked out (reading its bloom
	// filters) only when the segment could hold the next row, so a scan that
	// stops early reads few filters.
	for _, seg := range snap.segs {
		heap.Push(h, &cursor{seg: seg, desc: sc.Desc, unplanned: true})
	}
	for n := 1; ; n++ {
		r, ok, err := h.next(&sc, lf)
		if err != nil {
			return err
		}
		if !ok || n%1024 == 0 && sc.cancelled() {
			return ctx.Err()
		}
		if !fn(Row{Line: r.line, Labels: r.labels, Content: r.content, Seq: r.seq(), Fields: r.fields()}) {
			return nil
		}
	}
}

// next returns the next row in scan order across the heap's cursors,
// loading blocks as they come up.
func (h *cursorHeap) next(sc *Scan, lf labelFuncs) (row, bool, error) {
	for h.Len() > 0 {
		c := h.cs[0]
		if c.pending() {
			if err := c.load(sc, lf); err != nil {
				return row{}, false, err
			}
		} else {
			r := c.row()
			c.next()
			h.settle(c)
			return r, true, nil
		}
		h.settle(c)
	}
	return row{}, false, nil
}

// settle puts the top cursor back in order, or drops it when done.
func (h *cursorHeap) settle(c *cursor) {
	if c.done() {
		heap.Pop(h)
	} else {
		heap.Fix(h, 0)
	}
}

// cursor walks one source in scan order: a segment's candidate blocks, or
// matching memtable rows (sorted ascending).
type cursor struct {
	desc bool
	// segment source
	seg    *segment
	blocks []int
	bi     int
	// rows of the loaded block (or the memtable), ascending; pos counts
	// rows consumed in scan order
	rows []row
	pos  int
	// unplanned: the segment's candidate blocks are not known yet.
	unplanned bool
	// lazy, for memtable rows: the scan whose matcher next applies.
	lazy *Scan
	lf   labelFuncs
	// ahead delivers the next candidate blocks in order, decoded in the
	// background; the scan's ahead is how many may be under way, doubled
	// at each block read up to one more than the CPUs (so that every core
	// decodes while the scan takes a block's rows), so that a scan that
	// stops after a block or two decodes little it does not need, and a
	// long scan for a rare word decodes blocks on every core.
	ahead []<-chan workpool.Result[loaded]
}

// skip moves a lazy cursor to its next matching row.
func (c *cursor) skip() {
	if c.lazy == nil {
		return
	}
	for c.pos < len(c.rows) && !c.lazy.match(c.lf, c.row()) {
		c.pos++
	}
}

func (c *cursor) pending() bool {
	return c.pos >= len(c.rows) && c.seg != nil && (c.unplanned || c.bi < len(c.blocks))
}

func (c *cursor) done() bool {
	return c.pos >= len(c.rows) && (c.seg == nil || (!c.unplanned && c.bi >= len(c.blocks)))
}

func (c *cursor) row() row {
	if c.desc {
		return c.rows[len(c.rows)-1-c.pos]
	}
	return c.rows[c.pos]
}

func (c *cursor) next() {
	c.pos++
	c.skip()
}

// key orders cursors: the next row's line, or for a block not yet loaded
// the nearest line it can hold.
func (c *cursor) key() int64 {
	if c.pos < len(c.rows) {
		return c.row().line
	}
	if c.unplanned {
		if c.desc {
			return c.seg.maxLine
		}
		return c.seg.minLine
	}
	m := &c.seg.blocks[c.blocks[c.bi]]
	if c.desc {
		return m.maxLine
	}
	return m.minLine
}

func (c *cursor) load(sc *Scan, lf labelFuncs) error {
	if sc.cancelled() {
		return sc.ctx.Err()
	}
	if c.unplanned {
		blocks, err := sc.candidates(c.seg)
		c.blocks, c.unplanned = blocks, false
		if err == nil {
			c.decodeAhead(sc)
		}
		return err
	}
	var got loaded
	if len(c.ahead) > 0 {
		res := <-c.ahead[0]
		got = res.Value
		c.ahead[0] = nil
		c.ahead = c.ahead[1:]
		if res.Err != nil {
			got.err = res.Err
		}
	} else {
		got = loadBlock(c.seg, c.blocks[c.bi], sc, lf)
	}
	c.bi++
	if got.err != nil {
		return got.err
	}
	c.rows, c.pos = got.rows, 0
	sc.ahead = min(max(1, 2*sc.ahead), runtime.GOMAXPROCS(0)+1)
	c.decodeAhead(sc)
	return nil
}

// decodeAhead starts decoding the cursor's next candidate blocks, up to
// the scan's depth, on other cores while this one's rows are consumed: a
// scan for a rare word reads blocks back to back.
func (c *cursor) decodeAhead(sc *Scan) {
	for next := c.bi + len(c.ahead); len(c.ahead) < sc.ahead && next < len(c.blocks); next++ {
		seg, block := c.seg, c.blocks[next]
		c.ahead = append(c.ahead, workpool.Go(func() (loaded, error) {
			got := loadBlock(seg, block, sc, labelFuncs{})
			return got, got.err
		}))
	}
}

// extAt is row i's extension from a block's decoded sequence numbers and
// fields (either may be nil): prev when both rows have the same number and
// no fields, so that the rows of a batch share one.
func extAt(prev *rowExt, seqs []uint64, fields [][]Field, i int) *rowExt {
	if seqs == nil && fields == nil {
		return nil
	}
	var seq uint64
	var fs []Field
	if seqs != nil {
		seq = seqs[i]
	}
	if fields != nil {
		fs = fields[i]
	}
	if prev != nil && prev.seq == seq && len(fs) == 0 && len(prev.fields) == 0 {
		return prev
	}
	return &rowExt{seq: seq, fields: fs}
}

// loaded is a decoded block's rows that the scan selects, ascending.
type loaded struct {
	rows []row
	err  error
}

// loadBlock decodes a block into pooled buffers and copies out the
// contents of the rows the scan selects, all into one buffer: a search
// for a rare word keeps a few rows of each block it decodes, and a fresh
// (zeroed, then collected) buffer per block cost more than the copy.
func loadBlock(seg *segment, block int, sc *Scan, lf labelFuncs) loaded {
	scratch := blockScratches.Get().(*blockScratch)
	defer blockScratches.Put(scratch)
	d, err := seg.decodeBlock(block, scratch)
	if err != nil {
		return loaded{err: seg.skipDamaged(block, err, sc.wholeRows)}
	}
	var rows []row
	size := 0
	if err := seg.selectRows(block, d, sc, lf, sc.needleCheck(), sc.Fields, func(_ int, r row) {
		rows = append(rows, r)
		size += len(r.content)
	}); err != nil {
		return loaded{err: seg.skipDamaged(block, err, sc.wholeRows)}
	}
	buf := make([]byte, 0, size)
	for i := range rows {
		if n := len(rows[i].content); n > 0 {
			buf = append(buf, rows[i].content...)
			rows[i].content = unsafe.String(unsafe.SliceData(buf[len(buf)-n:]), n)
		}
	}
	return loaded{rows: rows}
}

// blockScratches holds decoding buffers for blocks whose rows are copied
// out before the buffers are let go.
var blockScratches = sync.Pool{New: func() any { return new(blockScratch) }}

type cursorHeap struct {
	desc bool
	cs   []*cursor
}

func (h *cursorHeap) Len() int { return len(h.cs) }
func (h *cursorHeap) Less(i, j int) bool {
	a, b := h.cs[i].key(), h.cs[j].key()
	if a == b {
		// A loaded row goes before a block that may start at the same line,
		// so equal keys never load blocks needlessly.
		return !h.cs[i].pending() && h.cs[j].pending()
	}
	if h.desc {
		return a > b
	}
	return a < b
}
func (h *cursorHeap) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *cursorHeap) Push(x any)    { h.cs = append(h.cs, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	c := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return c
}

// blockJob is a candidate block of a count, with the filters read for it.
type blockJob struct {
	seg    *segment
	block  int
	blooms bloomSection
}

// bitmapMatcher is the scan's matcher when counts may evaluate it from
// blocks' token bitmaps, else nil.
func (sc *Scan) bitmapMatcher() RowsMatcher {
	rm, _ := sc.Matcher.(RowsMatcher)
	if sc.seqs() {
		// Bitmaps know nothing of sequence numbers.
		return nil
	}
	return rm
}

// Count returns how many rows the scan selects and, when n > 0, how many
// fall in each of n windows [Start+i*step, Start+(i+1)*step), the last
// window also taking any rows after it. Blocks are decoded and matched by
// one worker per CPU.
func (s *Store) Count(ctx context.Context, streamID string, sc Scan, step int64, n int) (int64, []int64, error) {
	sc.withContext(ctx)
	snap := s.snapshot(streamID, sc)
	if n <= 0 || step <= 0 {
		n, step = 0, 0
	}
	// counter adds matching rows to its own total and buckets.
	type counter struct {
		total   int64
		buckets []int64
		lf      labelFuncs
	}
	newCounter := func() *counter { return &counter{buckets: make([]int64, n), lf: labelFuncs{}} }
	add := func(c *counter, line int64) {
		c.total++
		if n > 0 {
			c.buckets[min((line-sc.Start)/step, int64(n-1))]++
		}
	}
	main := newCounter()
	for _, rows := range snap.mem {
		for _, r := range rows {
			if sc.match(main.lf, r) {
				add(main, r.line)
			}
		}
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
	}
	var jobs []blockJob
	var loans bloomLoans
	defer loans.release()
	for _, seg := range snap.segs {
		blocks, blooms, err := loans.candidatesAndBlooms(&sc, seg)
		if err != nil {
			return 0, nil, err
		}
		for _, bi := range blocks {
			m := &seg.blocks[bi]
			if sc.Matcher == nil && n == 0 && !sc.seqs() && m.minLine >= sc.Start && m.maxLine <= sc.End {
				main.total += int64(m.rows)
				continue
			}
			jobs = append(jobs, blockJob{seg, bi, blooms})
		}
	}
	rm := sc.bitmapMatcher()
	// countBitmap counts a block from its frequent-token bitmaps; false
	// when they cannot decide it.
	countBitmap := func(c *counter, j blockJob, scratch *blockScratch) (bool, error) {
		m := &j.seg.blocks[j.block]
		set, ok, err := j.seg.matchBitmap(j.block, j.blooms, rm, scratch)
		if err != nil || !ok {
			return false, err
		}
		inside := m.minLine >= sc.Start && m.maxLine <= sc.End
		if inside && (n == 0 || (m.minLine-sc.Start)/step == (m.maxLine-sc.Start)/step || (m.minLine-sc.Start)/step >= int64(n-1)) {
			k := int64(0)
			for _, w := range set {
				k += int64(bits.OnesCount64(w))
			}
			c.total += k
			if n > 0 {
				c.buckets[min((m.minLine-sc.Start)/step, int64(n-1))] += k
			}
			return true, nil
		}
		lines, err := j.seg.readLines(j.block)
		if err != nil {
			return false, err
		}
		for i, line := range lines {
			if set[i/64]&(1<<(i%64)) != 0 && line >= sc.Start && line <= sc.End {
				add(c, line)
			}
		}
		return true, nil
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(jobs), 1))
	counters := make([]*counter, workers)
	scratches := make([]blockScratch, workers)
	needles := make([]*needleCheck, workers)
	for w := range workers {
		counters[w], needles[w] = newCounter(), sc.needleCheck()
	}
	err := workpool.Run(ctx, workers, len(jobs), func(w, ji int) error {
		c, j, nc := counters[w], jobs[ji], needles[w]
		if rm != nil {
			if done, err := countBitmap(c, j, &scratches[w]); err != nil || done {
				return j.seg.skipDamaged(j.block, err, false)
			}
		}
		d, err := j.seg.decodeBlock(j.block, &scratches[w])
		if err != nil {
			return j.seg.skipDamaged(j.block, err, false)
		}
		if err := j.seg.selectRows(j.block, d, &sc, c.lf, nc, false, func(_ int, r row) { add(c, r.line) }); err != nil {
			return j.seg.skipDamaged(j.block, err, false)
		}
		return ctx.Err()
	})
	if err != nil {
		return 0, nil, err
	}
	for _, c := range counters {
		main.total += c.total
		for i, v := range c.buckets {
			main.buckets[i] += v
		}
	}
	if n == 0 {
		return main.total, nil, nil
	}
	return main.total, main.buckets, nil
}

// matchBitmap evaluates rm over block i from its frequent-token bitmaps
// and its bloom filter (in blooms): the rows
// that match, or false when the bitmaps cannot decide.
func (s *segment) matchBitmap(i int, blooms bloomSection, rm RowsMatcher, scratch *blockScratch) ([]uint64, bool, error) {
	m := &s.blocks[i]
	postings, err := s.readPostings(i, scratch)
	if err != nil || postings == nil {
		return nil, false, err
	}
	bl := blooms.of(m)
	zeros := make([]uint64, (m.rows+63)/64)
	var buf []byte
	set, ok := rm.Rows(func(tok string) ([]uint64, bool) {
		var h uint64
		h, buf = tokenHash(tok, buf)
		if b, ok := postings.bitmap(h); ok {
			return b, true
		}
		if !bl.has(h) {
			return zeros, true
		}
		return nil, false
	}, m.rows)
	return set, ok, nil
}
