// Package esbulk is the Elasticsearch bulk door: the _bulk API that
// Filebeat, Logstash, Vector, Fluent Bit and the Elasticsearch clients'
// bulk indexers send to, and the few answers they ask for before sending
// (the server's version, its licence, index templates, lifecycle policies,
// ingest pipelines), turned into LTS lines through the LTS core.
//
// Every document of an index or create action is one line. Its message
// field (the first of message, log and _msg that it has, or the fields
// named in the X-LTS-Message-Field header) is the content; @timestamp (an
// RFC 3339 text or epoch milliseconds) its time, the arrival time when it
// has none; every other field, objects flattened with dots ("http.status"),
// a structured field: integers long, other numbers float, the rest text.
// The stream is named as for every door (internal/doors); when only the
// group is named, a document's _index (or the path's index) names its
// stream. Each document gets its own result, as Elasticsearch answers:
// one refused (malformed, outside the stream's TTL, an update or delete
// action) does not sink the others.
//
// It never stores anything but through the core.
package esbulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"logtank/internal/doors"
	"logtank/internal/logstore"
	"logtank/internal/lts"
	"logtank/internal/ltscore"
	"logtank/internal/wire"

	"github.com/valyala/fastjson"
)

// Base is where Elasticsearch clients are pointed:
// http://HOST:8102/v2/{project_id}/es.
const Base = "/v2/{project_id}/es"

// Version is the Elasticsearch version the door answers as: clients pick
// their request format by it.
const Version = "8.11.0"

// MessageFieldHeader names the fields, comma-separated, that hold a
// document's message, in order of preference.
const MessageFieldHeader = "X-LTS-Message-Field"

var defaultMessageFields = []string{"message", "log", "_msg"}

// maxFields bounds the structured fields of one document.
const maxFields = 256

// Door serves the Elasticsearch bulk API.
type Door struct {
	core *ltscore.Core
	now  func() time.Time
}

// New returns the door in front of core.
func New(core *ltscore.Core) *Door { return &Door{core: core, now: time.Now} }

// API returns the door's routes. Clients sign in with HTTP basic auth
// (access key and secret key), as well as with a token or a signature.
func (d *Door) API() wire.Service {
	get := func(p string, h wire.HandlerFunc) wire.Route {
		return wire.Route{Method: "GET", Pattern: Base + p, Handle: h}
	}
	routes := []wire.Route{
		// A GET route answers HEAD as well.
		get("", d.info), get("/{$}", d.info),
		get("/_license", d.license),
		{Method: "POST", Pattern: Base + "/_bulk", Handle: d.bulk},
		{Method: "PUT", Pattern: Base + "/_bulk", Handle: d.bulk},
		{Method: "POST", Pattern: Base + "/{index}/_bulk", Handle: d.bulk},
	}
	// Setup that shippers make before sending: accepted, and nothing to
	// keep (a stream's structuring is configured through LTS).
	for _, p := range []string{"/_index_template/{name}", "/_ilm/policy/{name}", "/_ingest/pipeline/{name}", "/_template/{name}"} {
		routes = append(routes,
			get(p, d.notFound),
			wire.Route{Method: "PUT", Pattern: Base + p, Handle: d.acknowledged})
	}
	return wire.Service{Name: "es", Errors: lts.Errors, BodyLimit: doors.BodyLimit, BasicAuth: true, Routes: routes}
}

// reply writes an answer as Elasticsearch does, with the product header
// its clients check.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	wire.WriteJSON(w, status, v)
}

// versionInfo is the version part of the root answer, as much of it as
// shippers read to pick their request format.
type versionInfo struct {
	Number             string `json:"number"`
	BuildFlavor        string `json:"build_flavor"`
	BuildType          string `json:"build_type"`
	BuildHash          string `json:"build_hash"`
	BuildDate          string `json:"build_date"`
	BuildSnapshot      bool   `json:"build_snapshot"`
	LuceneVersion      string `json:"lucene_version"`
	MinimumWireCompat  string `json:"minimum_wire_compatibility_version"`
	MinimumIndexCompat string `json:"minimum_index_compatibility_version"`
}

func (d *Door) info(w http.ResponseWriter, r *http.Request) error {
	reply(w, http.StatusOK, struct {
		Name        string      `json:"name"`
		ClusterName string      `json:"cluster_name"`
		ClusterUUID string      `json:"cluster_uuid"`
		Version     versionInfo `json:"version"`
		Tagline     string      `json:"tagline"`
	}{"logtank", "logtank", r.PathValue("project_id"), versionInfo{
		Number: Version, BuildFlavor: "default", BuildType: "tar", BuildHash: "logtank", BuildDate: "2023-11-04T10:04:57.184859352Z",
		LuceneVersion: "9.8.0", MinimumWireCompat: "7.17.0", MinimumIndexCompat: "7.0.0",
	}, "You Know, for Search"})
	return nil
}

func (d *Door) license(w http.ResponseWriter, r *http.Request) error {
	type lic struct {
		Status string `json:"status"`
		Type   string `json:"type"`
		UID    string `json:"uid"`
	}
	reply(w, http.StatusOK, struct {
		License lic `json:"license"`
	}{lic{Status: "active", Type: "basic", UID: "logtank"}})
	return nil
}

func (d *Door) notFound(w http.ResponseWriter, r *http.Request) error {
	reply(w, http.StatusNotFound, struct{}{})
	return nil
}

func (d *Door) acknowledged(w http.ResponseWriter, r *http.Request) error {
	reply(w, http.StatusOK, struct {
		Acknowledged bool `json:"acknowledged"`
	}{true})
	return nil
}

// itemResult is one item of the bulk answer.
type itemResult struct {
	Index, ID, Result string
	Status            int
	Error             *itemError
}

type itemError struct{ Type, Reason string }

// bulkAnswer is the answer of _bulk: each item under its action's name.
// It is written by hand: one map per item made the answer cost a tenth
// of the request.
func bulkAnswer(took time.Duration, items []item) []byte {
	errs := false
	for i := range items {
		errs = errs || items[i].result.Error != nil
	}
	b := strconv.AppendInt([]byte(`{"took":`), took.Milliseconds(), 10)
	b = strconv.AppendBool(append(b, `,"errors":`...), errs)
	b = append(b, `,"items":[`...)
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		r := &items[i].result
		b = append(appendString(append(b, '{'), items[i].verb), `:{"_index":`...)
		b = appendString(b, r.Index)
		if r.ID != "" {
			b = appendString(append(b, `,"_id":`...), r.ID)
		}
		b = strconv.AppendInt(append(b, `,"status":`...), int64(r.Status), 10)
		if r.Result != "" {
			b = appendString(append(b, `,"result":`...), r.Result)
		}
		if r.Error != nil {
			b = appendString(append(b, `,"error":{"type":`...), r.Error.Type)
			b = append(appendString(append(b, `,"reason":`...), r.Error.Reason), '}')
		}
		b = append(b, "}}"...)
	}
	return append(b, "]}"...)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// item is one bulk item on its way to a stream.
type item struct {
	verb   string
	result itemResult
	entry  logstore.Entry
	stream string
	ok     bool
}

func (d *Door) bulk(w http.ResponseWriter, r *http.Request) error {
	start := d.now()
	body, err := wire.DecodedBody(r, doors.DecompressedLimit)
	if err != nil {
		return ltscore.Invalid("%v", err)
	}
	messageFields := defaultMessageFields
	if h := r.Header.Get(MessageFieldHeader); h != "" {
		messageFields = strings.Split(h, ",")
	}
	items, err := d.parse(body, r.PathValue("index"), messageFields, start.UnixNano())
	if err != nil {
		return err
	}
	if err := d.store(r, items); err != nil {
		return err
	}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(bulkAnswer(time.Since(start), items))
	return nil
}

// parse reads the NDJSON body into items. Lines that are not JSON make the
// whole request a 400 (nothing can be answered item by item then); a
// document the door cannot take is an item with an error.
//
// Documents are walked once as parsed JSON values, never decoded into
// maps: decoding dominated the door's cost per line before.
func (d *Door) parse(body []byte, pathIndex string, messageFields []string, now int64) ([]item, error) {
	var items []item
	var p fastjson.Parser
	dc := decoder{messageFields: messageFields, now: now, names: map[string]string{}}
	lineNo := 0
	next := func() ([]byte, bool) {
		for len(body) > 0 {
			line := body
			if i := bytes.IndexByte(body, '\n'); i >= 0 {
				line, body = body[:i], body[i+1:]
			} else {
				body = nil
			}
			lineNo++
			if line = bytes.TrimSpace(line); len(line) > 0 {
				return line, true
			}
		}
		return nil, false
	}
	for {
		line, ok := next()
		if !ok {
			break
		}
		if len(items) == ltscore.MaxBatchLines {
			return nil, ltscore.Invalid("the bulk request holds more than %d actions; send smaller batches", ltscore.MaxBatchLines)
		}
		it, ok := parseAction(&p, line)
		if !ok {
			return nil, ltscore.Invalid("line %d: a bulk action must be a JSON object with one key (index, create, update or delete)", lineNo)
		}
		if it.result.Index == "" {
			it.result.Index = pathIndex
		}
		switch it.verb {
		case "index", "create":
		case "delete":
			it.result.Status, it.result.Error = http.StatusBadRequest, &itemError{"illegal_argument_exception", "logs cannot be deleted one by one"}
			items = append(items, it)
			continue
		case "update":
			next()
			it.result.Status, it.result.Error = http.StatusBadRequest, &itemError{"illegal_argument_exception", "logs cannot be updated"}
			items = append(items, it)
			continue
		default:
			return nil, ltscore.Invalid("line %d: unknown bulk action %q", lineNo, it.verb)
		}
		doc, ok := next()
		if !ok {
			return nil, ltscore.Invalid("line %d: the %s action has no document after it", lineNo, it.verb)
		}
		it.stream = it.result.Index
		if e, err := dc.document(&p, doc); err != nil {
			it.result.Status, it.result.Error = http.StatusBadRequest, &itemError{"document_parsing_exception", err.Error()}
		} else {
			it.entry, it.ok = e, true
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil, ltscore.Invalid("the bulk request holds no action")
	}
	return items, nil
}

// parseAction reads an action line: an object with one key, the verb,
// whose value is an object that may name _index and _id.
func parseAction(p *fastjson.Parser, line []byte) (item, bool) {
	v, err := p.ParseBytes(line)
	if err != nil {
		return item{}, false
	}
	o, err := v.Object()
	if err != nil || o.Len() != 1 {
		return item{}, false
	}
	var it item
	ok := true
	o.Visit(func(k []byte, a *fastjson.Value) {
		it.verb = string(k)
		if a.Type() != fastjson.TypeObject {
			ok = false
			return
		}
		it.result = itemResult{Index: string(a.GetStringBytes("_index")), ID: string(a.GetStringBytes("_id"))}
	})
	return it, ok
}

// decoder turns a request's documents into lines.
type decoder struct {
	messageFields []string
	now           int64
	// names holds each field name once per request: documents of a
	// batch mostly repeat the same names.
	names map[string]string
}

func (dc *decoder) name(b []byte) string {
	if s, ok := dc.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(dc.names) < 4*maxFields {
		dc.names[s] = s
	}
	return s
}

// document turns one JSON document into a line.
func (dc *decoder) document(p *fastjson.Parser, doc []byte) (logstore.Entry, error) {
	v, err := p.ParseBytes(doc)
	if err != nil {
		return logstore.Entry{}, fmt.Errorf("the document is not JSON: %v", err)
	}
	o, err := v.Object()
	if err != nil {
		return logstore.Entry{}, fmt.Errorf("the document is not a JSON object")
	}
	e := logstore.Entry{TimeNs: dc.now}
	msgKey := ""
	for _, k := range dc.messageFields {
		k = strings.TrimSpace(k)
		if m := o.Get(k); m != nil {
			msgKey, e.Content = k, text(m)
			break
		}
	}
	if msgKey == "" {
		// Without a message field, the whole document is the line.
		e.Content = string(doc)
	}
	if ts := o.Get("@timestamp"); ts != nil {
		t, err := timestamp(ts)
		if err != nil {
			return logstore.Entry{}, err
		}
		e.TimeNs = t
	}
	var walk func(prefix []byte, v *fastjson.Value)
	walk = func(name []byte, v *fastjson.Value) {
		if len(e.Fields) >= maxFields {
			return
		}
		switch v.Type() {
		case fastjson.TypeObject:
			o, _ := v.Object()
			o.Visit(func(k []byte, sub *fastjson.Value) {
				walk(append(append(name, '.'), k...), sub)
			})
		case fastjson.TypeNumber:
			raw := v.MarshalTo(nil)
			if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				e.Fields = append(e.Fields, logstore.Field{Name: dc.name(name), Type: logstore.FieldLong, Long: n})
			} else if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				e.Fields = append(e.Fields, logstore.Field{Name: dc.name(name), Type: logstore.FieldFloat, Float: f})
			}
		case fastjson.TypeNull:
		default:
			e.Fields = append(e.Fields, logstore.Field{Name: dc.name(name), Type: logstore.FieldString, Str: text(v)})
		}
	}
	var buf []byte
	o.Visit(func(k []byte, v *fastjson.Value) {
		if s := string(k); s != msgKey && s != "@timestamp" {
			buf = append(buf[:0], k...)
			walk(buf, v)
		}
	})
	return e, nil
}

// text is a JSON value as text: strings as they are, anything else as
// its JSON.
func text(v *fastjson.Value) string {
	if v.Type() == fastjson.TypeString {
		return string(v.GetStringBytes())
	}
	return string(v.MarshalTo(nil))
}

// Layouts of @timestamp texts besides epoch milliseconds, as
// Elasticsearch's default date format (strict_date_optional_time) takes
// them: without a zone the time is UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// timestamp reads @timestamp: a date text, or epoch milliseconds (a
// number, or a text of digits), to the nanosecond the text gives.
func timestamp(v *fastjson.Value) (int64, error) {
	switch v.Type() {
	case fastjson.TypeString:
		s := string(v.GetStringBytes())
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UnixNano(), nil
			}
		}
		if ns, ok := epochMillis(s); ok {
			return ns, nil
		}
		return 0, fmt.Errorf("@timestamp %q is neither an RFC 3339 time nor epoch milliseconds", s)
	case fastjson.TypeNumber:
		raw := string(v.MarshalTo(nil))
		if ns, ok := epochMillis(raw); ok {
			return ns, nil
		}
		return 0, fmt.Errorf("@timestamp %s is not a number of milliseconds since 1970", raw)
	}
	return 0, fmt.Errorf("@timestamp must be an RFC 3339 text or epoch milliseconds")
}

// epochMillis reads milliseconds since 1970 with up to six decimals
// exactly: a float would lose the nanoseconds of today's times.
func epochMillis(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	ms, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || ms < 0 || ms >= math.MaxInt64/1_000_000 || len(frac) > 6 {
		return 0, false
	}
	ns := ms * 1e6
	if frac != "" {
		f, err := strconv.ParseUint(frac+"000000"[len(frac):], 10, 64)
		if err != nil {
			return 0, false
		}
		ns += int64(f)
	}
	return ns, true
}

// store ingests the good items, stream by stream, and sets every item's
// result. Every stream is resolved first: one that cannot be is its items'
// error, not the request's. When the store refuses a write (a full disk),
// nothing stored yet makes it the request's answer (a 503 to retry whole);
// once some streams are stored, the rest get a per-item 429, which bulk
// clients retry item by item, so nothing is stored twice.
func (d *Door) store(r *http.Request, items []item) error {
	byStream := map[string][]int{}
	var order []string
	for i := range items {
		if !items[i].ok {
			continue
		}
		if _, seen := byStream[items[i].stream]; !seen {
			order = append(order, items[i].stream)
		}
		byStream[items[i].stream] = append(byStream[items[i].stream], i)
	}
	fail := func(idx []int, status int, typ, reason string) {
		for _, i := range idx {
			items[i].result.Status, items[i].result.Result, items[i].result.Error = status, "", &itemError{typ, reason}
		}
	}
	targets := make(map[string]ltscore.Target, len(order))
	for _, index := range order {
		t, err := doors.Target(r, d.core, index)
		var ae *wire.Error
		switch {
		case errors.As(err, &ae):
			fail(byStream[index], ae.Status, "index_not_found_exception", ae.Msg)
		case err != nil:
			return err
		default:
			targets[index] = t
		}
	}
	stored := false
	for _, index := range order {
		t, ok := targets[index]
		if !ok {
			continue
		}
		idx := byStream[index]
		entries := make([]logstore.Entry, len(idx))
		for k, i := range idx {
			entries[k] = items[i].entry
		}
		refused, err := d.core.IngestEach(r.Context(), t, ltscore.Batch{Entries: entries, Field: "documents"})
		if err != nil {
			if !stored {
				return err
			}
			fail(idx, http.StatusTooManyRequests, "es_rejected_execution_exception", err.Error())
			continue
		}
		stored = true
		for _, i := range idx {
			items[i].result.Status, items[i].result.Result = http.StatusCreated, "created"
		}
		for _, rl := range refused.Each {
			fail(idx[rl.Line:rl.Line+1], http.StatusBadRequest, "illegal_argument_exception", rl.Reason)
		}
	}
	return nil
}
