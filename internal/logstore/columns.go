package logstore

import (
	"context"
	"runtime"
	"slices"

	"logtank/internal/workpool"
)

// Parts says which parts of the rows a column scan decodes: a query reads
// only the columns it needs.
type Parts struct {
	Lines, Contents, Labels bool
	// Fields names the structured fields to decode.
	Fields []string
	// Types gives the type a field is read as when its rows hold it with
	// another (its rule changed): values are converted, as SQL converts.
	Types map[string]FieldType
}

// Block is rows of one stream as columns, in no particular order across
// blocks (ascending line order within one).
type Block struct {
	Len      int
	Lines    []int64
	Contents []string
	Labels   []Labels
	// Fields holds the asked-for fields the rows have; a field none of the
	// rows has is absent.
	Fields map[string]*Column
}

// Blocks calls fn with the rows the scan selects, block by block, from up
// to workers goroutines at once (worker is 0..workers-1). Order is not
// kept: it is for aggregations. The scan's Desc is ignored. When fn
// returns an error, the scan stops and Blocks returns it. A block's slices
// are fn's only until it returns (their memory may serve the next block);
// the strings in them stay valid.
func (s *Store) Blocks(ctx context.Context, streamID string, sc Scan, parts Parts, workers int, fn func(worker int, b *Block) error) error {
	sc.withContext(ctx)
	snap := s.snapshot(streamID, sc)
	workers = max(1, min(workers, runtime.GOMAXPROCS(0)))
	type job struct {
		seg   *segment
		block int
		mem   []row
	}
	var jobs []job
	lf := labelFuncs{}
	for _, rows := range snap.mem {
		var sel []row
		for _, r := range rows {
			if sc.match(lf, r) {
				sel = append(sel, r)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for len(sel) > 0 {
			n := min(len(sel), blockMaxRows)
			jobs = append(jobs, job{mem: sel[:n]})
			sel = sel[n:]
		}
	}
	// Reading the segments' bloom filters is work too: done in parallel.
	candidates := make([][]int, len(snap.segs))
	if err := workpool.Run(ctx, workers, len(snap.segs), func(_, i int) error {
		var err error
		candidates[i], err = sc.candidates(snap.segs[i])
		return err
	}); err != nil {
		return err
	}
	for i, seg := range snap.segs {
		for _, bi := range candidates[i] {
			jobs = append(jobs, job{seg: seg, block: bi})
		}
	}
	lfs := make([]labelFuncs, workers)
	scratches := make([]blockScratch, workers)
	needles := make([]*needleCheck, workers)
	for w := range needles {
		needles[w] = sc.needleCheck()
	}
	return workpool.Run(ctx, workers, len(jobs), func(w, j int) error {
		if lfs[w] == nil {
			lfs[w] = labelFuncs{}
		}
		var b *Block
		var err error
		if jobs[j].mem != nil {
			b = memBlock(jobs[j].mem, parts)
		} else if b, err = jobs[j].seg.columnBlock(jobs[j].block, &sc, parts, lfs[w], &scratches[w], needles[w]); err != nil {
			return jobs[j].seg.skipDamaged(jobs[j].block, err, false)
		}
		if err := ctx.Err(); err != nil {
			// The matcher turned every row down once the scan was cancelled.
			return err
		}
		if b.Len == 0 {
			return nil
		}
		return fn(w, b)
	})
}

// memBlock turns memtable rows into a block.
func memBlock(rows []row, parts Parts) *Block {
	return buildBlock(len(rows), parts, func(i int) (int64, string, Labels, []Field) {
		r := &rows[i]
		return r.line, r.content, r.labels, r.fields()
	})
}

// BlockOf turns rows into the block a column scan would give.
func BlockOf(rows []Row, parts Parts) *Block {
	return buildBlock(len(rows), parts, func(i int) (int64, string, Labels, []Field) {
		r := &rows[i]
		return r.Line, r.Content, r.Labels, r.Fields
	})
}

func buildBlock(n int, parts Parts, get func(i int) (int64, string, Labels, []Field)) *Block {
	b := &Block{Len: n}
	if parts.Lines {
		b.Lines = make([]int64, n)
	}
	if parts.Contents {
		b.Contents = make([]string, n)
	}
	if parts.Labels {
		b.Labels = make([]Labels, n)
	}
	cols := make([]*Column, len(parts.Fields))
	for i := range n {
		line, content, labels, fields := get(i)
		if b.Lines != nil {
			b.Lines[i] = line
		}
		if b.Contents != nil {
			b.Contents[i] = content
		}
		if b.Labels != nil {
			b.Labels[i] = labels
		}
		for ci, name := range parts.Fields {
			for _, f := range fields {
				if f.Name != name {
					continue
				}
				if cols[ci] == nil {
					cols[ci] = newColumn(parts.typeOf(name, f.Type), n)
				}
				cols[ci].set(i, f)
				break
			}
		}
	}
	for ci, c := range cols {
		if c != nil {
			if b.Fields == nil {
				b.Fields = map[string]*Column{}
			}
			b.Fields[parts.Fields[ci]] = c
		}
	}
	return b
}

// typeOf is the type a field is read as: the one asked for, else its own.
func (p *Parts) typeOf(name string, own FieldType) FieldType {
	if t, ok := p.Types[name]; ok {
		return t
	}
	return own
}

// set stores f in row i, converted to the column's type.
func (c *Column) set(i int, f Field) {
	f = f.As(c.Type)
	c.Null[i] = false
	switch c.Type {
	case FieldString:
		c.Str[i] = f.Str
	case FieldLong:
		c.Long[i] = f.Long
	case FieldFloat:
		c.Float[i] = f.Float
	}
}

// newColumn returns a column of n rows, all null.
func newColumn(t FieldType, n int) *Column {
	c := &Column{Type: t, Null: make([]bool, n)}
	for i := range c.Null {
		c.Null[i] = true
	}
	switch t {
	case FieldString:
		c.Str = make([]string, n)
	case FieldLong:
		c.Long = make([]int64, n)
	case FieldFloat:
		c.Float = make([]float64, n)
	}
	return c
}

// columnBlock decodes the parts of block i, keeping the rows the scan
// selects.
func (s *segment) columnBlock(i int, sc *Scan, parts Parts, lf labelFuncs, scratch *blockScratch, nc *needleCheck) (*Block, error) {
	m := &s.blocks[i]
	inside := m.minLine >= sc.Start && m.maxLine <= sc.End
	// The rows must be looked at one by one unless the block lies wholly in
	// the scan's range and nothing else selects among them.
	filter := !inside || sc.Matcher != nil || sc.seqs()
	b := &Block{Len: m.rows}
	var keep []bool
	if filter || parts.Contents || parts.Labels {
		// The block's buffers are reused unless its contents leave with it.
		reuse := scratch
		if parts.Contents || parts.Labels {
			reuse = nil
		}
		d, err := s.decodeBlock(i, reuse)
		if err != nil {
			return nil, err
		}
		if filter {
			keep = make([]bool, m.rows)
			found := false
			if err := s.selectRows(i, d, sc, lf, nc, false, func(k int, _ row) { keep[k], found = true, true }); err != nil {
				return nil, err
			}
			if !found {
				return &Block{}, nil
			}
		}
		b.Lines, b.Contents, b.Labels = d.lines, d.contents, d.labels
	} else if parts.Lines {
		lines, err := s.readLines(i)
		if err != nil {
			return nil, err
		}
		b.Lines = lines
	}
	if !parts.Lines {
		b.Lines = nil
	}
	if !parts.Contents {
		b.Contents = nil
	}
	if !parts.Labels {
		b.Labels = nil
	}
	if keep != nil {
		b.compact(keep)
	}
	for _, name := range parts.Fields {
		col, err := s.fieldColumn(i, m, name, parts, keep, scratch)
		if err != nil {
			return nil, err
		}
		if col != nil {
			if b.Fields == nil {
				b.Fields = map[string]*Column{}
			}
			b.Fields[name] = col
		}
	}
	return b, nil
}

// fieldColumn decodes field name of block i, keeping the rows marked in
// keep (all when nil). A block holds one column per name and type: when a
// rule changed the type within the block, the columns are merged into the
// type asked for.
func (s *segment) fieldColumn(i int, m *blockMeta, name string, parts Parts, keep []bool, scratch *blockScratch) (*Column, error) {
	var found []*columnMeta
	for ci := range m.columns {
		if m.columns[ci].name == name {
			found = append(found, &m.columns[ci])
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	if len(found) == 1 && parts.typeOf(name, found[0].typ) == found[0].typ {
		// A filtered block keeps few rows: decode into the worker's column
		// and copy out the rows kept.
		col := &Column{}
		if keep != nil {
			col = &scratch.col
		}
		if err := s.readColumn(i, found[0], col); err != nil {
			return nil, err
		}
		if keep == nil {
			return col, nil
		}
		kept := &Column{Type: col.Type, Null: pick(col.Null, keep)}
		// The scratch column's slices of the other types are stale.
		switch col.Type {
		case FieldString:
			kept.Str = pick(col.Str, keep)
		case FieldLong:
			kept.Long = pick(col.Long, keep)
		case FieldFloat:
			kept.Float = pick(col.Float, keep)
		}
		return kept, nil
	}
	out := newColumn(parts.typeOf(name, found[0].typ), m.rows)
	for _, c := range found {
		var col Column
		if err := s.readColumn(i, c, &col); err != nil {
			return nil, err
		}
		for r := range m.rows {
			if col.present(r) {
				out.set(r, Field{Type: c.typ, Str: at(col.Str, r), Long: at(col.Long, r), Float: at(col.Float, r)})
			}
		}
	}
	if keep != nil {
		out.Null, out.Str, out.Long, out.Float = pick(out.Null, keep), pick(out.Str, keep), pick(out.Long, keep), pick(out.Float, keep)
	}
	return out, nil
}

func at[T any](s []T, i int) T {
	var zero T
	if i < len(s) {
		return s[i]
	}
	return zero
}

// compact keeps the rows marked in keep.
func (b *Block) compact(keep []bool) {
	n := 0
	for _, k := range keep {
		if k {
			n++
		}
	}
	if n == b.Len {
		return
	}
	b.Len = n
	b.Lines = pick(b.Lines, keep)
	b.Contents = pick(b.Contents, keep)
	b.Labels = pick(b.Labels, keep)
	for _, c := range b.Fields {
		c.Null = pick(c.Null, keep)
		c.Str = pick(c.Str, keep)
		c.Long = pick(c.Long, keep)
		c.Float = pick(c.Float, keep)
	}
}

func pick[T any](s []T, keep []bool) []T {
	if s == nil {
		return nil
	}
	out := s[:0:0]
	for i, k := range keep {
		if k {
			out = append(out, s[i])
		}
	}
	return out
}

// Schema lists the structured fields (with their newest types) and the
// label keys of a stream's rows, from the segment indexes and the
// memtables.
func (s *Store) Schema(streamID string) (map[string]FieldType, []string) {
	fields := map[string]FieldType{}
	labels := map[string]bool{}
	st := s.existing(streamID)
	if st == nil {
		return fields, nil
	}
	st.mu.RLock()
	// Segments come oldest first and memtables last: a field whose type
	// changed takes its newest type.
	for _, seg := range st.segs {
		sch := seg.segmentSchema()
		for _, c := range sch.fields {
			fields[c.name] = c.typ
		}
		for _, k := range sch.labels {
			labels[k] = true
		}
	}
	for _, m := range append(append([]*memtable(nil), st.frozen...), st.active) {
		for name, t := range m.fields {
			fields[name] = t
		}
		for k := range m.labelKeys {
			labels[k] = true
		}
	}
	st.mu.RUnlock()
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fields, keys
}

// segmentSchema is a segment's fields, each with the type of the last
// block that has it, and its label keys: what Schema reads of it, worked
// out from its blocks once (a segment never changes) rather than at every
// SQL query, which went through every block's label sets.
type segmentSchema struct {
	fields []colKey
	labels []string
}

func (s *segment) segmentSchema() *segmentSchema {
	s.schema.once.Do(func() {
		types := map[string]FieldType{}
		var names []string
		labels := map[string]bool{}
		for bi := range s.blocks {
			m := &s.blocks[bi]
			for _, c := range m.columns {
				if _, ok := types[c.name]; !ok {
					names = append(names, c.name)
				}
				types[c.name] = c.typ
			}
			for _, ls := range m.labelSets {
				for _, l := range ls {
					if !labels[l.Key] {
						labels[l.Key] = true
						s.schema.labels = append(s.schema.labels, l.Key)
					}
				}
			}
		}
		for _, name := range names {
			s.schema.fields = append(s.schema.fields, colKey{name, types[name]})
		}
	})
	return &s.schema.segmentSchema
}
