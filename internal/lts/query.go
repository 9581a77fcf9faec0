package lts

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"logtank/internal/logsql"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// labelFilter is the "labels" of a query: an object, or (as one documented
// example sends) an array of one-key objects merged into one.
type labelFilter map[string]string

func (l *labelFilter) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err == nil {
		*l = m
		return nil
	}
	var list []map[string]string
	if err := json.Unmarshal(b, &list); err != nil {
		return &json.UnmarshalTypeError{Value: "labels", Type: reflect.TypeFor[map[string]string]()}
	}
	m = map[string]string{}
	for _, x := range list {
		for k, v := range x {
			m[k] = v
		}
	}
	*l = m
	return nil
}

type queryRequest struct {
	StartTime  wire.Int    `json:"start_time"`
	EndTime    wire.Int    `json:"end_time"`
	Labels     labelFilter `json:"labels"`
	Keywords   string      `json:"keywords"`
	LineNum    string      `json:"line_num"`
	IsDesc     wire.Bool   `json:"is_desc"`
	SearchType string      `json:"search_type"`
	Limit      wire.Int    `json:"limit"`
	IsCount    wire.Bool   `json:"is_count"`
	Highlight  wire.Bool   `json:"highlight"`
	// Query is "search | SQL" when IsAnalysis: SQL over the matching rows.
	Query      string    `json:"query"`
	IsAnalysis wire.Bool `json:"is_analysis_query"`
}

// searchResponse is the answer of content/query (ListLogs); its fields
// are in the order of their JSON names, as the answer has always had them.
type searchResponse struct {
	AnalysisLogs  *[]map[string]string `json:"analysisLogs,omitempty"`
	Count         *int64               `json:"count,omitempty"`
	QueryComplete bool                 `json:"isQueryComplete"`
	Logs          []ltscore.Log        `json:"logs"`
}

func (s *Service) queryLogs(w http.ResponseWriter, r *http.Request) error {
	var req queryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sr := ltscore.SearchRequest{
		Project: r.PathValue("project_id"), Group: r.PathValue("log_group_id"), Stream: r.PathValue("log_stream_id"),
		StartMS: req.StartTime.Value, EndMS: req.EndTime.Value, TimeSet: req.StartTime.Set && req.EndTime.Set,
		Labels: req.Labels, Keywords: req.Keywords, SearchType: req.SearchType, LineNum: req.LineNum, Desc: req.IsDesc.Value,
		Limit: ltscore.DefaultLimit, Count: req.IsCount.Value, Highlight: !req.Highlight.Set || req.Highlight.Value,
	}
	if req.Limit.Set {
		sr.Limit = req.Limit.Value
	}
	// query counts only with is_analysis_query, as documented.
	sr.Analysis, sr.AnalysisQuery = req.IsAnalysis.Value, req.Query
	res, err := s.core.Search(r.Context(), sr)
	if err != nil {
		return err
	}
	out := searchResponse{Logs: res.Logs, Count: res.Count, QueryComplete: s.complete(r.PathValue("log_stream_id"))}
	if res.Analysis != nil {
		rows := resultRows(res.Analysis)
		out.AnalysisLogs = &rows
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

// contextResponse is the answer of the context API (ListLogContext).
type contextResponse struct {
	Backwards     int           `json:"backwards_count"`
	Forwards      int           `json:"forwards_count"`
	QueryComplete bool          `json:"isQueryComplete"`
	Logs          []ltscore.Log `json:"logs"`
	Total         int           `json:"total_count"`
}

func (s *Service) logContext(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		LineNum   string   `json:"line_num"`
		Backwards wire.Int `json:"backwards_size"`
		Forwards  wire.Int `json:"forwards_size"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	cr := ltscore.ContextRequest{Project: r.PathValue("project_id"), Group: r.PathValue("log_group_id"), Stream: r.PathValue("log_stream_id"), LineNum: req.LineNum}
	if req.Backwards.Set {
		cr.Backwards = &req.Backwards.Value
	}
	if req.Forwards.Set {
		cr.Forwards = &req.Forwards.Value
	}
	res, err := s.core.Context(r.Context(), cr)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, contextResponse{Logs: res.Logs, Total: len(res.Logs), Backwards: res.Backwards, Forwards: res.Forwards, QueryComplete: s.complete(r.PathValue("log_stream_id"))})
	return nil
}

// histogramBucket is one window as the histogram API writes it: inside a
// JSON text, with times as strings.
type histogramBucket struct {
	Num       int64  `json:"num"`
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
}

// histogramResponse is the answer of keyword-count (ListLogHistogram),
// whose histogram is a JSON text, as the SDK reads it.
type histogramResponse struct {
	Count         int64  `json:"count"`
	Histogram     string `json:"histogram"`
	QueryComplete bool   `json:"isQueryComplete"`
}

func (s *Service) histogram(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		StartTime wire.Int `json:"start_time"`
		EndTime   wire.Int `json:"end_time"`
		Step      wire.Int `json:"step_interval"`
		GroupID   string   `json:"group_id"`
		StreamID  string   `json:"stream_id"`
		KeyWord   string   `json:"key_word"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := s.core.Histogram(r.Context(), ltscore.HistogramRequest{
		Project: r.PathValue("project_id"), Group: req.GroupID, Stream: req.StreamID,
		StartMS: req.StartTime.Value, EndMS: req.EndTime.Value, TimeSet: req.StartTime.Set && req.EndTime.Set,
		StepMS: req.Step.Value, StepSet: req.Step.Set, Keywords: req.KeyWord,
	})
	if err != nil {
		return err
	}
	buckets := make([]histogramBucket, len(res.Buckets))
	for i, b := range res.Buckets {
		buckets[i] = histogramBucket{Num: b.Count, StartTime: strconv.FormatInt(b.StartMS, 10), EndTime: strconv.FormatInt(b.EndMS, 10)}
	}
	text, _ := json.Marshal(buckets)
	wire.WriteJSON(w, http.StatusOK, histogramResponse{Count: res.Total, Histogram: string(text), QueryComplete: s.complete(req.StreamID)})
	return nil
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
	window, err := ltscore.TimeWindow(req.StartTime.Value, req.EndTime.Value, req.StartTime.Set && req.EndTime.Set)
	if err != nil {
		return err
	}
	sql := req.SQL
	if strings.TrimSpace(sql) == "" {
		sql = "SELECT *"
	}
	res, err := s.core.SQL(r.Context(), ltscore.SQLRequest{
		Project: r.PathValue("project_id"), Group: r.PathValue("log_group_id"), Stream: r.PathValue("log_stream_id"),
		Window: window, SQL: sql, Field: "sql_expression", Legacy: true, AlsoOriginal: req.Original.Value,
	})
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
	wire.WriteJSON(w, http.StatusOK, struct {
		StructLogs []map[string]string `json:"struct_logs"`
	}{out})
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

// structQueryNewResponse is the answer of the current structured query;
// columns, an addition of this server, keeps the select list's order,
// which the objects of result cannot.
type structQueryNewResponse struct {
	Columns       []string            `json:"columns"`
	QueryComplete bool                `json:"isQueryComplete"`
	Result        []map[string]string `json:"result"`
}

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
	if len(req.Query) > ltscore.MaxSQLChars {
		return invalid("query must be at most %d characters", ltscore.MaxSQLChars)
	}
	if req.Format != "k-v" {
		return ltscore.NotInList("format", "k-v")
	}
	tr := req.TimeRange
	if tr == nil {
		return invalid("time_range is required")
	}
	window, err := ltscore.TimeWindow(tr.StartTime.Value, tr.EndTime.Value, tr.StartTime.Set && tr.EndTime.Set)
	if err != nil {
		return err
	}
	// The flags make an end of the range strict; by default both are in.
	if tr.StartGt.Value {
		window.Start += int64(time.Millisecond)
	}
	if tr.EndLt.Value {
		window.End -= int64(time.Millisecond)
	}
	loc := time.UTC
	if tr.SQLTimeZone != "" {
		if loc, err = time.LoadLocation(tr.SQLTimeZone); err != nil {
			return invalid("time_range.sql_time_zone %q is not a time zone", tr.SQLTimeZone)
		}
	}
	search, sql := ltscore.SplitPipe(req.Query)
	if sql == "" {
		sql, search = search, ""
	}
	res, err := s.core.SQL(r.Context(), ltscore.SQLRequest{
		Project: r.PathValue("project_id"), Stream: r.PathValue("log_stream_id"),
		Window: window, Search: search, SQL: sql, Field: "query", Location: loc, History: req.Query,
	})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, structQueryNewResponse{Result: resultRows(res), Columns: resultColumns(res), QueryComplete: s.complete(r.PathValue("log_stream_id"))})
	return nil
}

func resultColumns(res *logsql.Result) []string {
	out := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		out[i] = c.Name
	}
	return out
}
