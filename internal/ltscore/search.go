package ltscore

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/logquery"
	"logtank/internal/logsql"
	"logtank/internal/logstore"
)

// Search limits, as documented.
const (
	DefaultLimit    = 50
	MaxLimit        = 5000
	maxWindow       = 30 * 24 * time.Hour
	maxContextSize  = 500
	defaultContext  = 100
	maxHistogramMS  = 86400000
	maxHistogramBkt = 10000
	msToNs          = int64(time.Millisecond)
)

// The paging directions of a search (seed 004): the first page, the page
// after a line, the page before it.
const (
	SearchInit      = "init"
	SearchForwards  = "forwards"
	SearchBackwards = "backwards"
)

// SearchRequest is one page of a stream's logs.
type SearchRequest struct {
	Project, Group, Stream string
	// StartMS and EndMS bound the lines' times, in Unix milliseconds,
	// both included; Set tells that the caller gave them.
	StartMS, EndMS int64
	TimeSet        bool
	Labels         map[string]string
	Keywords       string
	// SearchType is SearchInit (also ""), SearchForwards or
	// SearchBackwards; the last two page from LineNum.
	SearchType string
	LineNum    string
	Desc       bool
	// Limit is the page size, 1 to MaxLimit (DefaultLimit when the
	// request did not say).
	Limit     int64
	Count     bool
	Highlight bool
	// Analysis, when set, asks for SQL over the lines the search selects
	// instead of a page: AnalysisQuery is "search | SQL" (is_analysis_query
	// with query), whose search applies when Keywords is empty; errors in
	// it name the request field "query".
	Analysis      bool
	AnalysisQuery string
}

// Log is one line as the query APIs return it.
type Log struct {
	Content string            `json:"content"`
	Labels  map[string]string `json:"labels"`
	LineNum string            `json:"line_num"`
}

// SearchResult is a page of logs and, when asked, how many lines the
// search selects in the whole window (at most MaxInt32).
type SearchResult struct {
	Logs  []Log
	Count *int64
	// Analysis is the result of the request's Analysis SQL.
	Analysis *logsql.Result
}

// Window is a validated time range in nanoseconds, both ends included.
type Window struct{ Start, End int64 }

// TimeWindow checks start and end (Unix milliseconds) and returns them in
// nanoseconds, the end extended to the last nanosecond of its millisecond.
func TimeWindow(startMS, endMS int64, set bool) (Window, error) {
	if !set {
		return Window{}, Invalid("start_time and end_time are required")
	}
	if startMS < 0 || endMS > math.MaxInt64/msToNs-1 {
		return Window{}, Invalid("start_time and end_time must be Unix times in milliseconds")
	}
	if endMS <= startMS {
		return Window{}, ErrTimeRange
	}
	if time.Duration(endMS-startMS)*time.Millisecond > maxWindow {
		return Window{}, Invalid("The query time range cannot exceed 30 days")
	}
	return Window{startMS * msToNs, endMS*msToNs + msToNs - 1}, nil
}

// searchPlan is a checked search: its window, its paging and its matcher.
type searchPlan struct {
	w       Window
	cursor  int64
	limit   int64
	kind    string
	q       *logquery.Query
	matcher logstore.Matcher
	stream  string
	sql     string // the analysis SQL, when asked for
}

// planSearch checks a search request in the documented order: window,
// limit, paging, keywords, then the stream.
func (c *Core) planSearch(ctx context.Context, req SearchRequest) (searchPlan, error) {
	var p searchPlan
	var err error
	if p.w, err = TimeWindow(req.StartMS, req.EndMS, req.TimeSet); err != nil {
		return p, err
	}
	if p.limit = req.Limit; p.limit < 1 || p.limit > MaxLimit {
		return p, ErrLimit
	}
	if p.kind = req.SearchType; p.kind == "" {
		p.kind = SearchInit
	}
	if p.kind != SearchInit && p.kind != SearchForwards && p.kind != SearchBackwards {
		return p, NotInList("search_type", "init", "forwards", "backwards")
	}
	if p.kind != SearchInit {
		if req.LineNum == "" {
			return p, Invalid("line_num is required when search_type is %s", p.kind)
		}
		if p.cursor, err = strconv.ParseInt(req.LineNum, 10, 64); err != nil {
			return p, Invalid("line_num must be a decimal number of nanoseconds, got %q", req.LineNum)
		}
		if p.cursor < p.w.Start || p.cursor > p.w.End {
			return p, ErrTimeRange
		}
	}
	keywords := req.Keywords
	if req.Analysis {
		search, sql := SplitPipe(req.AnalysisQuery)
		if sql == "" {
			return p, Invalid("query must be \"search | SQL\" when is_analysis_query is true")
		}
		if strings.TrimSpace(keywords) == "" {
			keywords = search
		}
		p.sql = sql
	}
	if p.q, p.matcher, err = c.matcher(req.Stream, keywords, req.Labels); err != nil {
		return p, err
	}
	ref, err := c.stream(ctx, req.Project, req.Group, req.Stream)
	if err != nil {
		return p, err
	}
	p.stream = ref.ID
	return p, nil
}

// Search returns one page of a stream's logs with the paging of seed 004:
// init is the first page in the requested order; forwards continues after
// the cursor line; backwards is the page before it, in the same order.
func (c *Core) Search(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	if err := c.follow(ctx, req.Stream); err != nil {
		return nil, err
	}
	p, err := c.planSearch(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.Analysis {
		q, err := parseSQL("query", p.sql, false)
		if err != nil {
			return nil, err
		}
		res, err := c.runSQL(ctx, req.Project, "query", q, p.stream, logstore.Scan{Start: p.w.Start, End: p.w.End, Matcher: p.matcher}, nil)
		if err != nil {
			return nil, err
		}
		return &SearchResult{Logs: []Log{}, Analysis: res}, nil
	}
	var res *SearchResult
	err = c.gate.query(ctx, req.Project, func(ctx context.Context) error {
		res, err = c.search(ctx, p, req)
		return err
	})
	return res, err
}

func (c *Core) search(ctx context.Context, p searchPlan, req SearchRequest) (*SearchResult, error) {
	sc := logstore.Scan{Start: p.w.Start, End: p.w.End, Desc: req.Desc, Matcher: p.matcher}
	reverse := false
	switch {
	case p.kind == SearchForwards && !req.Desc:
		sc.Start = p.cursor + 1
	case p.kind == SearchForwards && req.Desc:
		sc.End = p.cursor - 1
	case p.kind == SearchBackwards && !req.Desc:
		// The previous page: the rows nearest before the cursor, shown in order.
		sc.End, sc.Desc, reverse = p.cursor-1, true, true
	case p.kind == SearchBackwards && req.Desc:
		sc.Start, sc.Desc, reverse = p.cursor+1, false, true
	}
	logs := make([]Log, 0, min(p.limit, 256))
	if sc.Start <= sc.End {
		stop := func() bool { return ctx.Err() != nil }
		err := c.logs.Rows(ctx, p.stream, sc, func(row logstore.Row) bool {
			logs = append(logs, toLog(row, p.q, req.Highlight, stop))
			return int64(len(logs)) < p.limit
		})
		if err != nil {
			return nil, &apierr.Internal{Err: ErrQueryLogs, Cause: err}
		}
	}
	if reverse {
		slices.Reverse(logs)
	}
	res := &SearchResult{Logs: logs}
	switch {
	case !req.Count:
	case p.kind == SearchInit && int64(len(logs)) < p.limit:
		// The first page scanned the whole window and found fewer rows
		// than it could take: they are all there are.
		n := min(int64(len(logs)), math.MaxInt32)
		res.Count = &n
	default:
		n, _, err := c.logs.Count(ctx, p.stream, logstore.Scan{Start: p.w.Start, End: p.w.End, Matcher: p.matcher}, 0, 0)
		if err != nil {
			return nil, &apierr.Internal{Err: ErrQueryLogs, Cause: err}
		}
		n = min(n, math.MaxInt32)
		res.Count = &n
	}
	return res, nil
}

// toLog is a row as the query APIs return it, highlighted unless stop
// says the query is over.
func toLog(r logstore.Row, q *logquery.Query, highlight bool, stop func() bool) Log {
	content := r.Content
	if highlight && q != nil {
		content = q.HighlightStop(content, stop)
	}
	return Log{Content: content, Labels: r.Labels.Map(), LineNum: strconv.FormatInt(r.Line, 10)}
}

// ContextRequest asks for the lines around one line of a stream: Backwards
// lines before it and Forwards after it (each 0-500, defaultContext when
// nil).
type ContextRequest struct {
	Project, Group, Stream string
	LineNum                string
	Backwards, Forwards    *int64
}

// ContextResult is the lines in order, the asked-for line among them, and
// how many came before and after it.
type ContextResult struct {
	Logs                []Log
	Backwards, Forwards int
}

// Context returns the lines around a line of a stream.
func (c *Core) Context(ctx context.Context, req ContextRequest) (*ContextResult, error) {
	anchor, err := strconv.ParseInt(req.LineNum, 10, 64)
	if err != nil || anchor <= 0 {
		return nil, Invalid("line_num must be the line_num of a log, got %q", req.LineNum)
	}
	sizes := [2]int64{defaultContext, defaultContext}
	for i, v := range []*int64{req.Backwards, req.Forwards} {
		if v == nil {
			continue
		}
		if *v < 0 || *v > maxContextSize {
			return nil, Invalid("%s must be between 0 and %d", [2]string{"backwards_size", "forwards_size"}[i], maxContextSize)
		}
		sizes[i] = *v
	}
	ref, err := c.stream(ctx, req.Project, req.Group, req.Stream)
	if err != nil {
		return nil, err
	}
	if err := c.follow(ctx, ref.ID); err != nil {
		return nil, err
	}
	var res *ContextResult
	err = c.gate.query(ctx, req.Project, func(ctx context.Context) error {
		collect := func(sc logstore.Scan, n int64) ([]Log, error) {
			var out []Log
			if n == 0 || sc.Start > sc.End {
				return out, nil
			}
			err := c.logs.Rows(ctx, ref.ID, sc, func(row logstore.Row) bool {
				out = append(out, toLog(row, nil, false, nil))
				return int64(len(out)) < n
			})
			if err != nil {
				return nil, &apierr.Internal{Err: ErrQueryLogs, Cause: err}
			}
			return out, nil
		}
		self, err := collect(logstore.Scan{Start: anchor, End: anchor}, 1)
		if err != nil {
			return err
		}
		if len(self) == 0 {
			return Invalid("no log has line_num %d in this stream", anchor)
		}
		before, err := collect(logstore.Scan{Start: 0, End: anchor - 1, Desc: true}, sizes[0])
		if err != nil {
			return err
		}
		after, err := collect(logstore.Scan{Start: anchor + 1, End: math.MaxInt64}, sizes[1])
		if err != nil {
			return err
		}
		slices.Reverse(before)
		logs := make([]Log, 0, len(before)+1+len(after))
		logs = append(append(append(logs, before...), self[0]), after...)
		res = &ContextResult{Logs: logs, Backwards: len(before), Forwards: len(after)}
		return nil
	})
	return res, err
}

// HistogramRequest counts a stream's lines matching Keywords in windows
// of StepMS from StartMS.
type HistogramRequest struct {
	Project, Group, Stream string
	StartMS, EndMS         int64
	TimeSet                bool
	StepMS                 int64
	StepSet                bool
	Keywords               string
}

// Bucket is one window of a histogram, its ends in Unix milliseconds.
type Bucket struct {
	Count          int64
	StartMS, EndMS int64
}

// HistogramResult is the total count and the windows' counts.
type HistogramResult struct {
	Total   int64
	Buckets []Bucket
}

// Histogram counts a stream's matching lines per window.
func (c *Core) Histogram(ctx context.Context, req HistogramRequest) (*HistogramResult, error) {
	w, err := TimeWindow(req.StartMS, req.EndMS, req.TimeSet)
	if err != nil {
		return nil, err
	}
	if !req.StepSet || req.StepMS <= 0 {
		return nil, Invalid("step_interval is required and must be a positive number of milliseconds")
	}
	if req.StepMS > maxHistogramMS {
		return nil, ErrStepTooLarge.WithMsg("step_interval must be less than or equal to 86400000")
	}
	n := (req.EndMS - req.StartMS + req.StepMS - 1) / req.StepMS
	if n > maxHistogramBkt {
		return nil, Invalid("step_interval %d makes %d buckets, more than %d", req.StepMS, n, maxHistogramBkt)
	}
	if req.Group == "" || req.Stream == "" {
		return nil, Invalid("group_id and stream_id are required")
	}
	if err := c.follow(ctx, req.Stream); err != nil {
		return nil, err
	}
	_, m, err := c.matcher(req.Stream, req.Keywords, nil)
	if err != nil {
		return nil, err
	}
	ref, err := c.stream(ctx, req.Project, req.Group, req.Stream)
	if err != nil {
		return nil, err
	}
	var res *HistogramResult
	err = c.gate.query(ctx, req.Project, func(ctx context.Context) error {
		total, counts, err := c.logs.Count(ctx, ref.ID, logstore.Scan{Start: w.Start, End: w.End, Matcher: m}, req.StepMS*msToNs, int(n))
		if err != nil {
			return &apierr.Internal{Err: ErrQueryLogs.WithMsg("Internal Server Error"), Cause: err}
		}
		res = &HistogramResult{Total: total, Buckets: make([]Bucket, len(counts))}
		for i, n := range counts {
			start := req.StartMS + int64(i)*req.StepMS
			res.Buckets[i] = Bucket{Count: n, StartMS: start, EndMS: min(start+req.StepMS, req.EndMS)}
		}
		return nil
	})
	return res, err
}

// logMatcher selects rows by the query's keywords and label equalities.
type logMatcher struct {
	q      *logquery.Query
	labels logstore.Labels
	// summariesUnusable: the query splits text otherwise than the blocks'
	// bloom filters and bitmaps did (a stream's own delimiters), so they
	// cannot rule a block out.
	summariesUnusable bool
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
	return m.MatchStop(content, label, label, nil)
}

// MatchFields checks the request's label equalities against the labels
// only, and lets the keywords' field searches see the fields too.
func (m *logMatcher) MatchFields(content string, label, labelOrField func(string) (string, bool)) bool {
	return m.MatchStop(content, label, labelOrField, nil)
}

// MatchStop is MatchFields that gives up on a long line once stop says
// the scan is over.
func (m *logMatcher) MatchStop(content string, label, labelOrField func(string) (string, bool), stop func() bool) bool {
	for _, l := range m.labels {
		if v, ok := label(l.Key); !ok || v != l.Value {
			return false
		}
	}
	return m.q == nil || m.q.MatchStop(content, labelOrField, stop)
}

func (m *logMatcher) MayMatch(hasToken func(string) bool, hasLabel func(string, string) bool) bool {
	for _, l := range m.labels {
		if !hasLabel(l.Key, l.Value) {
			return false
		}
	}
	return m.q == nil || m.summariesUnusable || m.q.MayMatch(hasToken, hasLabel)
}

// Rows lets counts use the blocks' token bitmaps when only keywords
// select rows.
func (m *logMatcher) Rows(rows func(string) ([]uint64, bool), n int) ([]uint64, bool) {
	if len(m.labels) > 0 || m.q == nil || m.summariesUnusable {
		return nil, false
	}
	return m.q.Rows(rows, n)
}

// tokenizerOf returns how a stream's text splits into words: its index
// configuration's delimiters and case sensitivity, or the defaults.
// otherDelimiters tells that the delimiters differ from those the log
// engine's summaries were built with.
func (c *Core) tokenizerOf(streamID string) (tok *logquery.Tokenizer, otherDelimiters bool) {
	ix, ok := c.IndexSettings(streamID)
	if !ok {
		return c.tokenizer, false
	}
	delims := ix.Delimiters
	if delims == "" {
		delims = logquery.DefaultDelimiters
	}
	same := sameRunes(delims, logquery.DefaultDelimiters)
	if same && !ix.CaseSensitive {
		return c.tokenizer, false
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
func (c *Core) matcher(streamID, keywords string, labels map[string]string) (*logquery.Query, logstore.Matcher, error) {
	var q *logquery.Query
	tok, otherDelimiters := c.tokenizerOf(streamID)
	if strings.TrimSpace(keywords) != "" {
		var err error
		q, err = logquery.Parse(keywords, tok)
		if err != nil {
			if qe, ok := err.(*logquery.Error); ok {
				if qe.Kind == logquery.KindLeadingWildcard {
					return nil, nil, ErrLeadingWild.WithMsg("%s", qe.Msg)
				}
				return nil, nil, Invalid("keywords: %s", qe.Msg)
			}
			return nil, nil, Invalid("keywords: %v", err)
		}
		if q.MatchAll() {
			q = nil
		}
	}
	if q == nil && len(labels) == 0 {
		return nil, nil, nil
	}
	lm := &logMatcher{q: q, labels: logstore.LabelsFromMap(labels), summariesUnusable: otherDelimiters}
	if q != nil {
		lm.needles = q.Needles()
		if keys := q.Keys(); len(keys) > 0 {
			fields, _ := c.logs.Schema(streamID)
			lm.fields = slices.ContainsFunc(keys, func(k string) bool { return fields[k] != 0 })
		}
	}
	return q, lm, nil
}
