package lts

import (
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"logtank/internal/logquery"
	"logtank/internal/logstore"
	"logtank/internal/wire"
)

// Search limits, as documented.
const (
	defaultLimit    = 50
	maxLimit        = 5000
	maxWindow       = 30 * 24 * time.Hour
	maxContextSize  = 500
	defaultContext  = 100
	maxHistogramMS  = 86400000
	maxHistogramBkt = 10000
	msToNs          = int64(time.Millisecond)
)

var (
	ErrTimeRange    = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0701", Msg: "end_time must be superior to start_time, and line_num must be between them if it's provided"}
	ErrLimit        = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.1903", Msg: "limit must be between 1 and 5000"}
	ErrEnum         = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.1901", Msg: "the value is not in the list"}
	ErrLeadingWild  = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0301", Msg: "'*' and '?' not allowed as first character"}
	ErrStepTooLarge = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0601", Msg: "must be less than or equal to 86400000"}
	ErrQueryLogs    = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0202", Msg: "Failed to query lts log"}
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

// logMatcher selects rows by the query's keywords and label equalities.
type logMatcher struct {
	q      *logquery.Query
	labels logstore.Labels
	// blind: the query splits text otherwise than the blocks' bloom filters
	// and bitmaps did (a stream's own delimiters), so they cannot rule a
	// block out.
	blind bool
	// needles are the words every matching content holds.
	needles []string
	// fields: a field search names a structured field of the stream.
	fields bool
}

// SearchesFields tells the log engine to answer field searches from the
// rows' structured fields too.
func (m *logMatcher) SearchesFields() bool { return m.fields }

// Needles lets the log engine pass over rows lacking a required word
// before tokenising them.
func (m *logMatcher) Needles() []string { return m.needles }

func (m *logMatcher) Match(content string, label func(string) (string, bool)) bool {
	return m.MatchFields(content, label, label)
}

// MatchFields checks the request's label equalities against the labels
// only, and lets the keywords' field searches see the fields too.
func (m *logMatcher) MatchFields(content string, label, labelOrField func(string) (string, bool)) bool {
	for _, l := range m.labels {
		if v, ok := label(l.Key); !ok || v != l.Value {
			return false
		}
	}
	return m.q == nil || m.q.Match(content, labelOrField)
}

func (m *logMatcher) MayMatch(hasToken func(string) bool, hasLabel func(string, string) bool) bool {
	for _, l := range m.labels {
		if !hasLabel(l.Key, l.Value) {
			return false
		}
	}
	return m.q == nil || m.blind || m.q.MayMatch(hasToken, hasLabel)
}

// Rows lets counts use the blocks' token bitmaps when only keywords
// select rows.
func (m *logMatcher) Rows(rows func(string) ([]uint64, bool), n int) ([]uint64, bool) {
	if len(m.labels) > 0 || m.q == nil || m.blind {
		return nil, false
	}
	return m.q.Rows(rows, n)
}

// tokenizerOf returns how a stream's text splits into words: its index
// configuration's delimiters and case sensitivity, or the defaults. blind
// tells that the delimiters differ from those the log engine's summaries
// were built with.
func (s *Service) tokenizerOf(streamID string) (tok *logquery.Tokenizer, blind bool) {
	ix, ok := s.IndexSettings(streamID)
	if !ok {
		return s.tokenizer, false
	}
	delims := ix.Delimiters
	if delims == "" {
		delims = logquery.DefaultDelimiters
	}
	same := sameRunes(delims, logquery.DefaultDelimiters)
	if same && !ix.CaseSensitive {
		return s.tokenizer, false
	}
	return logquery.NewTokenizer(delims, ix.CaseSensitive), !same
}

// sameRunes reports whether a and b hold the same set of characters.
func sameRunes(a, b string) bool {
	set := func(s string) map[rune]bool {
		m := map[rune]bool{}
		for _, r := range s {
			m[r] = true
		}
		return m
	}
	return maps.Equal(set(a), set(b))
}

// matcher builds the scan's matcher for a stream; nil selects every row.
func (s *Service) matcher(streamID, keywords string, labels map[string]string) (*logquery.Query, logstore.Matcher, error) {
	var q *logquery.Query
	tok, blind := s.tokenizerOf(streamID)
	if strings.TrimSpace(keywords) != "" {
		var err error
		q, err = logquery.Parse(keywords, tok)
		if err != nil {
			if qe, ok := err.(*logquery.Error); ok {
				if qe.Code == ErrLeadingWild.Code {
					return nil, nil, ErrLeadingWild.WithMsg("%s", qe.Msg)
				}
				return nil, nil, invalid("keywords: %s", qe.Msg)
			}
			return nil, nil, invalid("keywords: %v", err)
		}
		if q.MatchAll() {
			q = nil
		}
	}
	if q == nil && len(labels) == 0 {
		return nil, nil, nil
	}
	lm := &logMatcher{q: q, labels: logstore.LabelsFromMap(labels), blind: blind}
	if q != nil {
		lm.needles = q.Needles()
		if keys := q.Keys(); len(keys) > 0 {
			fields, _ := s.logs.Schema(streamID)
			lm.fields = slices.ContainsFunc(keys, func(k string) bool { return fields[k] != 0 })
		}
	}
	return q, lm, nil
}

// timeWindow checks start_time/end_time (ms) and returns them in ns, the
// end extended to the last nanosecond of its millisecond.
func timeWindow(start, end wire.Int) (int64, int64, error) {
	if !start.Set || !end.Set {
		return 0, 0, invalid("start_time and end_time are required")
	}
	if start.Value < 0 || end.Value > math.MaxInt64/msToNs-1 {
		return 0, 0, invalid("start_time and end_time must be Unix times in milliseconds")
	}
	if end.Value <= start.Value {
		return 0, 0, ErrTimeRange
	}
	if time.Duration(end.Value-start.Value)*time.Millisecond > maxWindow {
		return 0, 0, invalid("The query time range cannot exceed 30 days")
	}
	return start.Value * msToNs, end.Value*msToNs + msToNs - 1, nil
}

// logStream resolves a group/stream pair of the path's project.
func (s *Service) logStream(r *http.Request, project, group, stream string) (string, error) {
	ref, ok := s.streams.get(stream)
	if ok && ref.ProjectID == project && ref.GroupID == group {
		return stream, nil
	}
	if !s.groupExists(r, project, group) {
		return "", ErrGroupNotFound
	}
	return "", ErrStreamNotFound
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

// logJSON is one log as the query APIs return it.
type logJSON struct {
	Content string            `json:"content"`
	Labels  map[string]string `json:"labels"`
	LineNum string            `json:"line_num"`
}

func toLogJSON(r logstore.Row, q *logquery.Query, highlight bool) logJSON {
	content := r.Content
	if highlight && q != nil {
		content = q.Highlight(content)
	}
	return logJSON{Content: content, Labels: r.Labels.Map(), LineNum: strconv.FormatInt(r.Line, 10)}
}

func (s *Service) queryLogs(w http.ResponseWriter, r *http.Request) error {
	var req queryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	start, end, err := timeWindow(req.StartTime, req.EndTime)
	if err != nil {
		return err
	}
	limit := int64(defaultLimit)
	if req.Limit.Set {
		limit = req.Limit.Value
	}
	if limit < 1 || limit > maxLimit {
		return ErrLimit
	}
	searchType := req.SearchType
	if searchType == "" {
		searchType = "init"
	}
	if searchType != "init" && searchType != "forwards" && searchType != "backwards" {
		return ErrEnum.WithMsg("search_type is not in the list [init, forwards, backwards]")
	}
	var cursor int64
	if searchType != "init" {
		if req.LineNum == "" {
			return invalid("line_num is required when search_type is %s", searchType)
		}
		cursor, err = strconv.ParseInt(req.LineNum, 10, 64)
		if err != nil {
			return invalid("line_num must be a decimal number of nanoseconds, got %q", req.LineNum)
		}
		if cursor < start || cursor > end {
			return ErrTimeRange
		}
	}
	// query counts only with is_analysis_query, as documented.
	keywords, analysis := req.Keywords, ""
	if req.IsAnalysis.Value {
		search, sql := splitPipe(req.Query)
		if sql == "" {
			return invalid("query must be \"search | SQL\" when is_analysis_query is true")
		}
		if strings.TrimSpace(keywords) == "" {
			keywords = search
		}
		analysis = sql
	}
	q, m, err := s.matcher(r.PathValue("log_stream_id"), keywords, req.Labels)
	if err != nil {
		return err
	}
	id, err := s.logStream(r, r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"))
	if err != nil {
		return err
	}
	if analysis != "" {
		sq, err := parseSQL("query", analysis, false)
		if err != nil {
			return err
		}
		res, err := s.runSQL(r.Context(), "query", sq, id, logstore.Scan{Start: start, End: end, Matcher: m}, time.UTC)
		if err != nil {
			return err
		}
		wire.WriteJSON(w, http.StatusOK, map[string]any{"logs": []logJSON{}, "analysisLogs": resultRows(res), "isQueryComplete": true})
		return nil
	}
	desc := req.IsDesc.Value
	sc := logstore.Scan{Start: start, End: end, Desc: desc, Matcher: m}
	reverse := false
	switch {
	case searchType == "forwards" && !desc:
		sc.Start = cursor + 1
	case searchType == "forwards" && desc:
		sc.End = cursor - 1
	case searchType == "backwards" && !desc:
		// The previous page: the rows nearest before the cursor, shown in order.
		sc.End, sc.Desc, reverse = cursor-1, true, true
	case searchType == "backwards" && desc:
		sc.Start, sc.Desc, reverse = cursor+1, false, true
	}
	highlight := !req.Highlight.Set || req.Highlight.Value
	logs := make([]logJSON, 0, min(limit, 256))
	if sc.Start <= sc.End {
		err = s.logs.Rows(r.Context(), id, sc, func(row logstore.Row) bool {
			logs = append(logs, toLogJSON(row, q, highlight))
			return int64(len(logs)) < limit
		})
		if err != nil {
			return &wire.Internal{Err: ErrQueryLogs, Cause: err}
		}
	}
	if reverse {
		for i, j := 0, len(logs)-1; i < j; i, j = i+1, j-1 {
			logs[i], logs[j] = logs[j], logs[i]
		}
	}
	resp := map[string]any{"logs": logs, "isQueryComplete": true}
	if req.IsCount.Value {
		n, _, err := s.logs.Count(r.Context(), id, logstore.Scan{Start: start, End: end, Matcher: m}, 0, 0)
		if err != nil {
			return &wire.Internal{Err: ErrQueryLogs, Cause: err}
		}
		resp["count"] = min(n, math.MaxInt32)
	}
	wire.WriteJSON(w, http.StatusOK, resp)
	return nil
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
	anchor, err := strconv.ParseInt(req.LineNum, 10, 64)
	if err != nil || anchor <= 0 {
		return invalid("line_num must be the line_num of a log, got %q", req.LineNum)
	}
	sizes := [2]int64{defaultContext, defaultContext}
	for i, v := range []wire.Int{req.Backwards, req.Forwards} {
		if !v.Set {
			continue
		}
		if v.Value < 0 || v.Value > maxContextSize {
			return invalid("%s must be between 0 and %d", [2]string{"backwards_size", "forwards_size"}[i], maxContextSize)
		}
		sizes[i] = v.Value
	}
	id, err := s.logStream(r, r.PathValue("project_id"), r.PathValue("log_group_id"), r.PathValue("log_stream_id"))
	if err != nil {
		return err
	}
	collect := func(sc logstore.Scan, n int64) ([]logJSON, error) {
		var out []logJSON
		if n == 0 || sc.Start > sc.End {
			return out, nil
		}
		err := s.logs.Rows(r.Context(), id, sc, func(row logstore.Row) bool {
			out = append(out, toLogJSON(row, nil, false))
			return int64(len(out)) < n
		})
		return out, err
	}
	self, err := collect(logstore.Scan{Start: anchor, End: anchor}, 1)
	if err != nil {
		return &wire.Internal{Err: ErrQueryLogs, Cause: err}
	}
	if len(self) == 0 {
		return invalid("no log has line_num %d in this stream", anchor)
	}
	before, err := collect(logstore.Scan{Start: 0, End: anchor - 1, Desc: true}, sizes[0])
	if err != nil {
		return &wire.Internal{Err: ErrQueryLogs, Cause: err}
	}
	after, err := collect(logstore.Scan{Start: anchor + 1, End: math.MaxInt64}, sizes[1])
	if err != nil {
		return &wire.Internal{Err: ErrQueryLogs, Cause: err}
	}
	logs := make([]logJSON, 0, len(before)+1+len(after))
	for i := len(before) - 1; i >= 0; i-- {
		logs = append(logs, before[i])
	}
	logs = append(logs, self[0])
	logs = append(logs, after...)
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"logs": logs, "total_count": len(logs), "backwards_count": len(before), "forwards_count": len(after), "isQueryComplete": true,
	})
	return nil
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
	start, end, err := timeWindow(req.StartTime, req.EndTime)
	if err != nil {
		return err
	}
	if !req.Step.Set || req.Step.Value <= 0 {
		return invalid("step_interval is required and must be a positive number of milliseconds")
	}
	if req.Step.Value > maxHistogramMS {
		return ErrStepTooLarge.WithMsg("step_interval must be less than or equal to 86400000")
	}
	spanMS := req.EndTime.Value - req.StartTime.Value
	n := (spanMS + req.Step.Value - 1) / req.Step.Value
	if n > maxHistogramBkt {
		return invalid("step_interval %d makes %d buckets, more than %d", req.Step.Value, n, maxHistogramBkt)
	}
	if req.GroupID == "" || req.StreamID == "" {
		return invalid("group_id and stream_id are required")
	}
	_, m, err := s.matcher(req.StreamID, req.KeyWord, nil)
	if err != nil {
		return err
	}
	id, err := s.logStream(r, r.PathValue("project_id"), req.GroupID, req.StreamID)
	if err != nil {
		return err
	}
	total, counts, err := s.logs.Count(r.Context(), id, logstore.Scan{Start: start, End: end, Matcher: m}, req.Step.Value*msToNs, int(n))
	if err != nil {
		return &wire.Internal{Err: ErrQueryLogs.WithMsg("Internal Server Error"), Cause: err}
	}
	type bucket struct {
		Num       int64  `json:"num"`
		StartTime string `json:"startTime"`
		EndTime   string `json:"endTime"`
	}
	buckets := make([]bucket, len(counts))
	for i, c := range counts {
		bs := req.StartTime.Value + int64(i)*req.Step.Value
		buckets[i] = bucket{Num: c, StartTime: strconv.FormatInt(bs, 10), EndTime: strconv.FormatInt(min(bs+req.Step.Value, req.EndTime.Value), 10)}
	}
	text, _ := json.Marshal(buckets)
	wire.WriteJSON(w, http.StatusOK, map[string]any{"count": total, "histogram": string(text), "isQueryComplete": true})
	return nil
}
