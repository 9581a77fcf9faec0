package ltscore

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/logsql"
	"logtank/internal/logstore"
)

// SQL limits: a query without LIMIT returns at most maxSQLRows rows.
const maxSQLRows = 1000

// The system columns every stream has in SQL, besides its fields.
const (
	colTime    = "__time"
	colLine    = "line_num"
	colContent = "content"
)

// logSource is a stream's rows in a time range, selected by a search, as
// SQL sees them: structured fields as columns (what SELECT * shows), and
// the system columns and labels that a query may name.
type logSource struct {
	logs   *logstore.Store
	id     string
	sc     logstore.Scan
	fields map[string]logstore.FieldType
	labels []string
	schema []logsql.ColumnInfo
}

func (c *Core) sqlSource(id string, sc logstore.Scan) *logSource {
	fields, labels := c.logs.Schema(id)
	src := &logSource{logs: c.logs, id: id, sc: sc, fields: fields, labels: labels}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		src.schema = append(src.schema, logsql.ColumnInfo{Name: n, Type: sqlType(fields[n])})
	}
	return src
}

func sqlType(t logstore.FieldType) logsql.Type {
	switch t {
	case logstore.FieldLong:
		return logsql.Long
	case logstore.FieldFloat:
		return logsql.Float
	}
	return logsql.String
}

func (src *logSource) Schema() []logsql.ColumnInfo { return src.schema }

func (src *logSource) HiddenColumns() []logsql.ColumnInfo {
	out := []logsql.ColumnInfo{{Name: colTime, Type: logsql.Long}, {Name: colLine, Type: logsql.Long}, {Name: colContent, Type: logsql.String}}
	for _, l := range src.labels {
		out = append(out, logsql.ColumnInfo{Name: l, Type: logsql.String})
	}
	return out
}

// parts says what of the rows the named columns need.
func (src *logSource) parts(columns []string) (logstore.Parts, []string) {
	p := logstore.Parts{Types: src.fields}
	var labels []string
	for _, c := range columns {
		switch {
		case src.fields[c] != 0:
			p.Fields = append(p.Fields, c)
		case c == colTime || c == colLine:
			p.Lines = true
		case c == colContent:
			p.Contents = true
		case slices.Contains(src.labels, c):
			p.Labels = true
			labels = append(labels, c)
		}
	}
	return p, labels
}

func (src *logSource) Scan(ctx context.Context, columns []string, parallel int, fn func(worker int, b *logsql.Batch) error) error {
	parts, labels := src.parts(columns)
	if parallel > 1 {
		return src.logs.Blocks(ctx, src.id, src.sc, parts, parallel, func(w int, b *logstore.Block) error {
			return fn(w, toBatch(b, labels))
		})
	}
	// In order, newest first: rows are merged across segments one by one.
	sc := src.sc
	sc.Desc, sc.Fields = true, len(parts.Fields) > 0
	var rows []logstore.Row
	var err error
	flush := func() {
		err = fn(0, toBatch(logstore.BlockOf(rows, parts), labels))
		rows = rows[:0]
	}
	serr := src.logs.Rows(ctx, src.id, sc, func(r logstore.Row) bool {
		rows = append(rows, r)
		if len(rows) == 1024 {
			flush()
		}
		return err == nil
	})
	if err == nil && serr == nil && len(rows) > 0 {
		flush()
	}
	return errors.Join(serr, err, ctx.Err())
}

// CountBy counts the rows by label values from the log engine's block
// metadata (see logstore.CountLabels), or all of them (logstore.Count);
// it cannot count by a structured field or a system column.
func (src *logSource) CountBy(ctx context.Context, columns []string) (*logsql.Batch, []int64, bool, error) {
	for _, c := range columns {
		if src.fields[c] != 0 || c == colTime || c == colLine || c == colContent || !slices.Contains(src.labels, c) {
			return nil, nil, false, nil
		}
	}
	if len(columns) == 0 {
		// A plain count: the engine's row count needs no labels, whatever
		// the segments' version.
		n, _, err := src.logs.Count(ctx, src.id, src.sc, 0, 0)
		if err != nil {
			return nil, nil, false, err
		}
		return &logsql.Batch{Len: 1, Cols: map[string]*logsql.Column{}}, []int64{n}, true, nil
	}
	counts, err := src.logs.CountLabels(ctx, src.id, src.sc)
	if err != nil {
		return nil, nil, false, err
	}
	b := &logstore.Block{Len: len(counts), Labels: make([]logstore.Labels, len(counts))}
	rows := make([]int64, len(counts))
	for i, c := range counts {
		b.Labels[i], rows[i] = c.Labels, c.Rows
	}
	return toBatch(b, columns), rows, true, nil
}

// toBatch presents a block's columns under their SQL names.
func toBatch(b *logstore.Block, labels []string) *logsql.Batch {
	out := &logsql.Batch{Len: b.Len, Cols: make(map[string]*logsql.Column, len(b.Fields)+3)}
	if b.Lines != nil {
		ms := make([]int64, b.Len)
		for i, l := range b.Lines {
			ms[i] = l / msToNs
		}
		out.Cols[colTime] = &logsql.Column{Type: logsql.Long, Long: ms}
		out.Cols[colLine] = &logsql.Column{Type: logsql.Long, Long: b.Lines}
	}
	if b.Contents != nil {
		out.Cols[colContent] = &logsql.Column{Type: logsql.String, Str: b.Contents}
	}
	for _, key := range labels {
		col := &logsql.Column{Type: logsql.String, Str: make([]string, b.Len), Null: make([]bool, b.Len)}
		for i, ls := range b.Labels {
			v, ok := ls.Get(key)
			col.Str[i], col.Null[i] = v, !ok
		}
		out.Cols[key] = col
	}
	for name, c := range b.Fields {
		out.Cols[name] = &logsql.Column{Type: sqlType(c.Type), Str: c.Str, Long: c.Long, Float: c.Float, Null: c.Null}
	}
	return out
}

// MaxSQLChars bounds the SQL text of every SQL API, as documented.
const MaxSQLChars = logsql.MaxQueryLength

// SQLRequest is SQL over a stream's lines in a window, optionally only
// the lines a search selects.
type SQLRequest struct {
	Project, Group, Stream string
	// Window bounds the lines' times (see TimeWindow).
	Window Window
	// Search selects the lines SQL sees (every line when empty).
	Search string
	SQL    string
	// Field names the request field that held the query, in errors.
	Field string
	// Legacy is the seed's structured query: the answer also shows every
	// GROUP BY column the select list leaves out.
	Legacy bool
	// AlsoOriginal adds each line's line_num and log_content (Legacy).
	AlsoOriginal bool
	// Location is the time zone of the time functions (UTC when nil).
	Location *time.Location
	// History, when not empty, is noted in the stream's SQL history
	// (ListHistorySql) once the query succeeds.
	History string
}

// SQL runs a query over a stream's lines. Rows of a query without LIMIT
// are capped at maxSQLRows. Errors in the query are LTS.0009 naming the
// position and the construct.
func (c *Core) SQL(ctx context.Context, req SQLRequest) (*logsql.Result, error) {
	if err := c.follow(ctx, req.Stream); err != nil {
		return nil, err
	}
	_, m, err := c.matcher(req.Stream, req.Search, nil)
	if err != nil {
		return nil, err
	}
	q, err := parseSQL(req.Field, req.SQL, req.Legacy)
	if err != nil {
		return nil, err
	}
	if req.AlsoOriginal {
		q = q.AlsoSelect([]string{colLine, colContent}, []string{"line_num", "log_content"})
	}
	ref, err := c.stream(ctx, req.Project, req.Group, req.Stream)
	if err != nil {
		return nil, err
	}
	res, err := c.runSQL(ctx, req.Project, req.Field, q, ref.ID, logstore.Scan{Start: req.Window.Start, End: req.Window.End, Matcher: m}, req.Location)
	if err == nil && req.History != "" {
		c.recordSQL(ref, req.History)
	}
	return res, err
}

// runSQL runs q over the stream's rows that sc selects, as one of the
// project's queries.
func (c *Core) runSQL(ctx context.Context, project, field string, q *logsql.Query, streamID string, sc logstore.Scan, loc *time.Location) (*logsql.Result, error) {
	if loc == nil {
		loc = time.UTC
	}
	var res *logsql.Result
	err := c.gate.query(ctx, project, func(ctx context.Context) error {
		var err error
		res, err = q.Run(ctx, c.sqlSource(streamID, sc), logsql.Options{Location: loc, Parallel: runtime.GOMAXPROCS(0), Now: c.now()})
		if err != nil {
			if e := sqlError(field, err); e != nil {
				return e
			}
			return &apierr.Internal{Err: ErrStructQuery, Cause: err}
		}
		return nil
	})
	return res, err
}

// parseSQL parses a query of a request field, refusing what the engine
// does not support with the position and the construct.
func parseSQL(field, sql string, legacy bool) (*logsql.Query, error) {
	parse := logsql.Parse
	if legacy {
		parse = logsql.ParseShowingGroups
	}
	q, err := parse(sql)
	if err != nil {
		if e := sqlError(field, err); e != nil {
			return nil, e
		}
		return nil, Invalid("%s: %v", field, err)
	}
	if !q.IsAggregate() && q.Limit() < 0 {
		q = q.WithLimit(maxSQLRows)
	}
	return q, nil
}

// sqlError is LTS.0009 for the engine's own errors (syntax, unsupported
// constructs, limits), nil for any other.
func sqlError(field string, err error) error {
	var qe *logsql.Error
	if errors.As(err, &qe) {
		return Invalid("%s: %s", field, qe.Msg)
	}
	return nil
}

// SplitPipe splits "search | SQL" at the first "|" outside quotes; without
// one, the whole text is the first part. A search of a lone "*", as LTS
// writes "every line" before a pipe, is empty.
func SplitPipe(text string) (string, string) {
	search, sql := splitAtPipe(text)
	if search == "*" && sql != "" {
		search = ""
	}
	return search, sql
}

func splitAtPipe(text string) (string, string) {
	var quote rune
	for i, c := range text {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '|':
			if i+1 < len(text) && text[i+1] == '|' {
				continue
			}
			if i > 0 && text[i-1] == '|' {
				continue
			}
			return strings.TrimSpace(text[:i]), strings.TrimSpace(text[i+1:])
		}
	}
	return strings.TrimSpace(text), ""
}
