// Package otlp is the OTLP/HTTP logs door: what the OpenTelemetry
// Collector's otlphttp exporter and the OpenTelemetry SDKs' OTLP/HTTP log
// exporters send, protobuf or JSON, optionally gzip, turned into LTS lines
// through the LTS core.
//
// A record's body is the line's content and its time the record's time
// (the observed time when it has none, the arrival time when neither is
// set). Resource attributes are the lines' labels. Record attributes are
// structured fields (integers long, doubles float, anything else its text),
// with the severity as "level" and the trace and span ids as "trace_id" and
// "span_id". A resource attribute too long to be a label (key over 128 or
// value over 1024 bytes, or past the 64th) becomes a field
// "resource.<key>" instead. Lines the core refuses (too large, outside the
// stream's TTL) are left out and reported as the answer's partial success.
// The stream is named as for every door (internal/doors); when only the
// group is named, each resource's service.name names its stream.
//
// It decodes with the OpenTelemetry Collector's own data model and never
// stores anything but through the core.
package otlp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/protobuf/encoding/protowire"

	"logtank/internal/doors"
	"logtank/internal/logstore"
	"logtank/internal/lts"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// Path is the logs route: an exporter's endpoint is everything before
// "/v1/logs", http://HOST:8102/v2/{project_id}/otlp.
const Path = "/v2/{project_id}/otlp/v1/logs"

// Limits on what one record brings, beyond the core's own.
const (
	// maxJSONObjects bounds what a JSON request may hold before it is
	// decoded: no record is fewer than one object, one with a few
	// attributes is several.
	maxJSONObjects = 4 * ltscore.MaxBatchLines
	maxFields      = 128 // structured fields of one line
	maxLabels      = 64
	maxLabelKeyLen = 128
	maxLabelValLen = 1024
)

const (
	contentProto = "application/x-protobuf"
	contentJSON  = "application/json"
)

// Door serves OTLP/HTTP logs.
type Door struct {
	core *ltscore.Core
	now  func() time.Time
}

// New returns the door in front of core.
func New(core *ltscore.Core) *Door { return &Door{core: core, now: time.Now} }

// API returns the door's route. Shippers may sign in with HTTP basic auth
// (access key and secret key), as well as with a token or a signature.
func (d *Door) API() wire.Service {
	return wire.Service{
		Name:      "otlp",
		Errors:    lts.Errors,
		BodyLimit: doors.BodyLimit,
		BasicAuth: true,
		Routes:    []wire.Route{{Method: "POST", Pattern: Path, Handle: d.export}},
	}
}

func (d *Door) export(w http.ResponseWriter, r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != contentProto && ct != contentJSON {
		return ltscore.Invalid("Content-Type must be %s or %s, got %q", contentProto, contentJSON, r.Header.Get("Content-Type"))
	}
	body, err := wire.DecodedBody(r, doors.DecompressedLimit)
	if err != nil {
		return ltscore.Invalid("%v", err)
	}
	// Decoding costs far more memory than the body: the records are
	// counted (or, for JSON, bounded by its objects) before.
	if ct == contentJSON && bytes.Count(body, []byte{'{'}) > maxJSONObjects {
		return ltscore.Invalid("the request holds more than %d JSON objects; send smaller batches", maxJSONObjects)
	}
	if ct == contentProto && protoRecords(body) > ltscore.MaxBatchLines {
		return ltscore.Invalid("the request holds more than %d log records; send smaller batches", ltscore.MaxBatchLines)
	}
	req := plogotlp.NewExportRequest()
	if ct == contentJSON {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		return ltscore.Invalid("the body is not an OTLP logs export request (%s): %v", ct, err)
	}
	if n := req.Logs().LogRecordCount(); n > ltscore.MaxBatchLines {
		return ltscore.Invalid("the request holds %d log records, more than the limit of %d", n, ltscore.MaxBatchLines)
	}
	rejected, why, err := d.store(r, d.batches(req.Logs()))
	if err != nil {
		return err
	}
	resp := plogotlp.NewExportResponse()
	if rejected > 0 {
		resp.PartialSuccess().SetRejectedLogRecords(int64(rejected))
		resp.PartialSuccess().SetErrorMessage(why)
	}
	var out []byte
	if ct == contentJSON {
		out, err = resp.MarshalJSON()
	} else {
		out, err = resp.MarshalProto()
	}
	if err != nil {
		return &wire.Internal{Err: ltscore.ErrInternal, Cause: err}
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// serviceName is the resource attribute that names a resource's stream
// when the request names only the group.
const serviceName = "service.name"

// store ingests the batches and returns how many records were rejected
// and why. A request that names its stream writes every batch there, all
// or none. One that names only the group writes each resource's records
// to the stream its service.name names: a resource whose stream cannot be
// resolved is rejected alone; when the store refuses a write (a full disk)
// before anything is stored the request fails whole (a 503 to retry), and
// after, the records left are rejected, since a retry of the whole request
// would store the first streams' records twice.
func (d *Door) store(r *http.Request, batches []ltscore.Batch) (rejected int, why string, err error) {
	if group, stream := doors.Names(r); stream != "" || group == "" {
		t, err := doors.Target(r, d.core, "")
		if err != nil {
			return 0, "", err
		}
		refused, err := d.core.IngestEach(r.Context(), t, batches...)
		return refused.Lines, refused.First, err
	}
	reject := func(n int, reason string) {
		if rejected == 0 {
			why = reason
		}
		rejected += n
	}
	byStream := map[string][]ltscore.Batch{}
	var order []string
	for _, b := range batches {
		name := b.Labels[serviceName]
		if _, seen := byStream[name]; !seen {
			order = append(order, name)
		}
		byStream[name] = append(byStream[name], b)
	}
	stored := false
	for _, name := range order {
		bs := byStream[name]
		lines := 0
		for _, b := range bs {
			lines += len(b.Entries)
		}
		t, err := doors.Target(r, d.core, name)
		var ae *wire.Error
		switch {
		case errors.As(err, &ae) && name == "":
			reject(lines, "a resource without service.name: name the stream with the header "+doors.StreamHeader+" or the query parameter "+doors.StreamParam)
			continue
		case errors.As(err, &ae):
			reject(lines, ae.Msg)
			continue
		case err != nil:
			return 0, "", err
		}
		refused, err := d.core.IngestEach(r.Context(), t, bs...)
		switch {
		case err != nil && !stored:
			return 0, "", err
		case err != nil:
			reject(lines, err.Error())
			continue
		}
		stored = true
		if refused.Lines > 0 {
			reject(refused.Lines, refused.First)
		}
	}
	return rejected, why, nil
}

// batches turns the request's resources into batches, one per resource.
func (d *Door) batches(logs plog.Logs) []ltscore.Batch {
	now := d.now().UnixNano()
	rls := logs.ResourceLogs()
	out := make([]ltscore.Batch, 0, rls.Len())
	for i := range rls.Len() {
		rl := rls.At(i)
		labels, extra := resourceLabels(rl.Resource().Attributes())
		var entries []logstore.Entry
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			records := sls.At(j).LogRecords()
			for k := range records.Len() {
				entries = append(entries, entry(records.At(k), extra, now))
			}
		}
		if len(entries) > 0 {
			out = append(out, ltscore.Batch{Labels: labels, Entries: entries, Field: fmt.Sprintf("resourceLogs[%d].logRecords", i)})
		}
	}
	return out
}

// resourceLabels splits a resource's attributes into labels and the
// fields of those that cannot be labels.
func resourceLabels(attrs pcommon.Map) (map[string]string, []logstore.Field) {
	labels := make(map[string]string, attrs.Len())
	var extra []logstore.Field
	attrs.Range(func(k string, v pcommon.Value) bool {
		s := v.AsString()
		if len(labels) < maxLabels && k != "" && len(k) <= maxLabelKeyLen && len(s) <= maxLabelValLen {
			labels[k] = s
		} else {
			extra = append(extra, field("resource."+k, v))
		}
		return true
	})
	return labels, extra
}

func entry(lr plog.LogRecord, extra []logstore.Field, now int64) logstore.Entry {
	ts := int64(lr.Timestamp())
	if ts == 0 {
		ts = int64(lr.ObservedTimestamp())
	}
	if ts == 0 {
		ts = now
	}
	fields := make([]logstore.Field, 0, lr.Attributes().Len()+len(extra)+3)
	fields = append(fields, extra...)
	if level := lr.SeverityText(); level != "" {
		fields = append(fields, logstore.Field{Name: "level", Type: logstore.FieldString, Str: level})
	} else if n := lr.SeverityNumber(); n != plog.SeverityNumberUnspecified {
		fields = append(fields, logstore.Field{Name: "level", Type: logstore.FieldString, Str: n.String()})
	}
	if id := lr.TraceID(); !id.IsEmpty() {
		fields = append(fields, logstore.Field{Name: "trace_id", Type: logstore.FieldString, Str: hex.EncodeToString(id[:])})
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		fields = append(fields, logstore.Field{Name: "span_id", Type: logstore.FieldString, Str: hex.EncodeToString(id[:])})
	}
	derived := len(fields)
	lr.Attributes().Range(func(k string, v pcommon.Value) bool {
		if len(fields) >= maxFields {
			return false
		}
		// The severity and the ids win over attributes of their names.
		for _, f := range fields[len(extra):derived] {
			if f.Name == k {
				return true
			}
		}
		fields = append(fields, field(k, v))
		return true
	})
	if len(fields) == 0 {
		fields = nil
	}
	return logstore.Entry{TimeNs: ts, Content: lr.Body().AsString(), Fields: fields}
}

// field is an attribute as a structured field of its type.
func field(name string, v pcommon.Value) logstore.Field {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return logstore.Field{Name: name, Type: logstore.FieldLong, Long: v.Int()}
	case pcommon.ValueTypeDouble:
		return logstore.Field{Name: name, Type: logstore.FieldFloat, Float: v.Double()}
	}
	return logstore.Field{Name: name, Type: logstore.FieldString, Str: v.AsString()}
}

// protoRecords counts the log records of a protobuf request without
// decoding them (those before the first malformed field: decoding reports
// that).
func protoRecords(body []byte) int {
	n := 0
	// ExportLogsServiceRequest.resource_logs = 1, ResourceLogs.scope_logs
	// = 2, ScopeLogs.log_records = 2.
	eachMessage(body, 1, func(rl []byte) {
		eachMessage(rl, 2, func(sl []byte) {
			eachMessage(sl, 2, func([]byte) { n++ })
		})
	})
	return n
}

// eachMessage calls fn with every embedded message of field num of the
// protobuf message b, stopping at the first malformed field.
func eachMessage(b []byte, num protowire.Number, fn func([]byte)) {
	for len(b) > 0 {
		f, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		if f == num && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return
			}
			fn(v)
			b = b[n:]
			continue
		}
		if n = protowire.ConsumeFieldValue(f, typ, b); n < 0 {
			return
		}
		b = b[n:]
	}
}
