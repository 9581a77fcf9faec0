package lts

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"logtank/internal/logsql"
	"logtank/internal/logstore"
	"logtank/internal/wire"
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

func (s *Service) sqlSource(id string, sc logstore.Scan) *logSource {
	fields, labels := s.logs.Schema(id)
	src := &logSource{logs: s.logs, id: id, sc: sc, fields: fields, labels: labels}
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
		return nil, invalid("%s: %v", field, err)
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
		return invalid("%s: %s", field, qe.Msg)
	}
	return nil
}

// runSQL runs q over the stream's rows that sc selects.
func (s *Service) runSQL(ctx context.Context, field string, q *logsql.Query, id string, sc logstore.Scan, loc *time.Location) (*logsql.Result, error) {
	res, err := q.Run(ctx, s.sqlSource(id, sc), logsql.Options{Location: loc, Parallel: runtime.GOMAXPROCS(0), Now: s.now()})
	if err != nil {
		if e := sqlError(field, err); e != nil {
			return nil, e
		}
		return nil, &wire.Internal{Err: ErrStructQuery, Cause: err}
	}
	return res, nil
}

// legacyValue formats a value as the legacy structured query does: every
// value a string, sums and averages with three decimals.
func legacyValue(v logsql.Value, aggregate string) string {
	switch aggregate {
	case "sum", "avg", "min", "max":
		switch v.Type {
		case logsql.Long:
			return strconv.FormatFloat(float64(v.Long), 'f', 3, 64)
		case logsql.Float:
			return strconv.FormatFloat(v.Float, 'f', 3, 64)
		}
	}
	return v.String()
}

// legacyName is a result column's key in the legacy answer, where
// count(x) is shown as cnt(x).
func legacyName(c logsql.ResultColumn) string {
	if rest, ok := strings.CutPrefix(c.Name, "count("); ok && c.Aggregate == "count" {
		return "cnt(" + rest
	}
	return c.Name
}

type structQueryRequest struct {
	StartTime wire.Int  `json:"start_time"`
	EndTime   wire.Int  `json:"end_time"`
	SQL       string    `json:"sql_expression"`
	Original  wire.Bool `json:"original_content"`
}

// structQuery is the legacy structured query of seeds 000/001.
func (s *Service) structQuery(w http.ResponseWriter, r *http.Request) error {
	var req structQueryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	start, end, err := timeWindow(req.StartTime, req.EndTime)
	if err != nil {
		return err
	}
	sql := req.SQL
	if strings.TrimSpace(sql) == "" {
		sql = "SELECT *"
	}
	q, err := parseSQL("sql_expression", sql, true)
	if err != nil {
		return err
	}
	if req.Original.Value {
		q = q.AlsoSelect([]string{colLine, colContent}, []string{"line_num", "log_content"})
	}
	id, err := s.logStream(r, r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"))
	if err != nil {
		return err
	}
	res, err := s.runSQL(r.Context(), "sql_expression", q, id, logstore.Scan{Start: start, End: end}, time.UTC)
	if err != nil {
		return err
	}
	out := make([]map[string]string, 0, len(res.Rows))
	for _, row := range res.Rows {
		obj := make(map[string]string, len(row))
		for i, v := range row {
			obj[legacyName(res.Columns[i])] = legacyValue(v, res.Columns[i].Aggregate)
		}
		out = append(out, obj)
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"struct_logs": out})
	return nil
}

// resultRows renders a result as objects of strings, the shape of the
// current structured query and of analysisLogs.
func resultRows(res *logsql.Result) []map[string]string {
	out := make([]map[string]string, 0, len(res.Rows))
	for _, row := range res.Rows {
		obj := make(map[string]string, len(row))
		for i, v := range row {
			obj[res.Columns[i].Name] = v.String()
		}
		out = append(out, obj)
	}
	return out
}

type structQueryNewRequest struct {
	Query     string `json:"query"`
	Format    string `json:"format"`
	TimeRange *struct {
		StartTime   wire.Int  `json:"start_time"`
		EndTime     wire.Int  `json:"end_time"`
		SQLTimeZone string    `json:"sql_time_zone"`
		StartGt     wire.Bool `json:"start_time_gt"`
		EndLt       wire.Bool `json:"end_time_lt"`
	} `json:"time_range"`
	WhetherToRows wire.Bool `json:"whether_to_rows"`
}

// maxSQLChars bounds the current API's query text, as documented.
const maxSQLChars = 102400

// structQueryNew is the current structured query: SQL, or "search | SQL",
// over a time range.
func (s *Service) structQueryNew(w http.ResponseWriter, r *http.Request) error {
	var req structQueryNewRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Query) == "" {
		return invalid("query is required")
	}
	if len(req.Query) > maxSQLChars {
		return invalid("query must be at most %d characters", maxSQLChars)
	}
	if req.Format != "k-v" {
		return notInList("format", "k-v")
	}
	tr := req.TimeRange
	if tr == nil {
		return invalid("time_range is required")
	}
	start, end, err := timeWindow(tr.StartTime, tr.EndTime)
	if err != nil {
		return err
	}
	// The flags make an end of the range strict; by default both are in.
	if tr.StartGt.Value {
		start += msToNs
	}
	if tr.EndLt.Value {
		end -= msToNs
	}
	loc := time.UTC
	if tr.SQLTimeZone != "" {
		if loc, err = time.LoadLocation(tr.SQLTimeZone); err != nil {
			return invalid("time_range.sql_time_zone %q is not a time zone", tr.SQLTimeZone)
		}
	}
	search, sql := splitPipe(req.Query)
	if sql == "" {
		sql, search = search, ""
	}
	_, m, err := s.matcher(r.PathValue("log_stream_id"), search, nil)
	if err != nil {
		return err
	}
	q, err := parseSQL("query", sql, false)
	if err != nil {
		return err
	}
	project, stream := r.PathValue("project_id"), r.PathValue("log_stream_id")
	ref, ok := s.streams.get(stream)
	if !ok || ref.ProjectID != project {
		return ErrStreamNotFound
	}
	res, err := s.runSQL(r.Context(), "query", q, stream, logstore.Scan{Start: start, End: end, Matcher: m}, loc)
	if err != nil {
		return err
	}
	// columns, an addition of this server, keeps the select list's order,
	// which the objects of result cannot.
	wire.WriteJSON(w, http.StatusOK, map[string]any{"result": resultRows(res), "columns": resultColumns(res), "isQueryComplete": true})
	return nil
}

func resultColumns(res *logsql.Result) []string {
	out := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		out[i] = c.Name
	}
	return out
}

// splitPipe splits "search | SQL" at the first "|" outside quotes; without
// one, the whole text is the first part. A search of a lone "*", as LTS
// writes "every line" before a pipe, is empty.
func splitPipe(text string) (string, string) {
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
