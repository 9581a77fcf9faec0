package conformance

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

// lokiStream and lokiEntry are a Loki push's content, to be encoded as
// its clients encode it.
type lokiStream struct {
	labels  string
	hash    uint64
	entries []lokiEntry
}

type lokiEntry struct {
	at   time.Time
	line string
	meta [][2]string // structured metadata, name and value
}

// lokiProto is a PushRequest as Promtail and Grafana Alloy marshal it
// (Loki's push.proto, fields in number order, zero values left out),
// written here with protowire independently of the door's decoder.
func lokiProto(streams []lokiStream) []byte {
	var req []byte
	for _, s := range streams {
		var sb []byte
		sb = protowire.AppendTag(sb, 1, protowire.BytesType) // labels
		sb = protowire.AppendString(sb, s.labels)
		for _, e := range s.entries {
			var ts []byte // google.protobuf.Timestamp
			if sec := e.at.Unix(); sec != 0 {
				ts = protowire.AppendTag(ts, 1, protowire.VarintType)
				ts = protowire.AppendVarint(ts, uint64(sec))
			}
			if ns := e.at.Nanosecond(); ns != 0 {
				ts = protowire.AppendTag(ts, 2, protowire.VarintType)
				ts = protowire.AppendVarint(ts, uint64(ns))
			}
			var eb []byte
			eb = protowire.AppendTag(eb, 1, protowire.BytesType) // timestamp
			eb = protowire.AppendBytes(eb, ts)
			if e.line != "" {
				eb = protowire.AppendTag(eb, 2, protowire.BytesType) // line
				eb = protowire.AppendString(eb, e.line)
			}
			for _, kv := range e.meta {
				var pair []byte
				pair = protowire.AppendTag(pair, 1, protowire.BytesType)
				pair = protowire.AppendString(pair, kv[0])
				pair = protowire.AppendTag(pair, 2, protowire.BytesType)
				pair = protowire.AppendString(pair, kv[1])
				eb = protowire.AppendTag(eb, 3, protowire.BytesType) // structuredMetadata
				eb = protowire.AppendBytes(eb, pair)
			}
			sb = protowire.AppendTag(sb, 2, protowire.BytesType) // entries
			sb = protowire.AppendBytes(sb, eb)
		}
		if s.hash != 0 {
			sb = protowire.AppendTag(sb, 3, protowire.VarintType) // hash
			sb = protowire.AppendVarint(sb, s.hash)
		}
		req = protowire.AppendTag(req, 1, protowire.BytesType) // streams
		req = protowire.AppendBytes(req, sb)
	}
	return req
}

// lokiJSON is the same push in Loki's JSON encoding.
func lokiJSON(streams []lokiStream) []byte {
	type stream struct {
		Stream map[string]string `json:"stream"`
		Values [][]any           `json:"values"`
	}
	var out struct {
		Streams []stream `json:"streams"`
	}
	for _, s := range streams {
		js := stream{Stream: map[string]string{}}
		for _, kv := range strings.Split(strings.Trim(s.labels, "{}"), ", ") {
			k, v, _ := strings.Cut(kv, "=")
			js.Stream[k], _ = strconv.Unquote(v)
		}
		for _, e := range s.entries {
			v := []any{strconv.FormatInt(e.at.UnixNano(), 10), e.line}
			if len(e.meta) > 0 {
				meta := map[string]string{}
				for _, kv := range e.meta {
					meta[kv[0]] = kv[1]
				}
				v = append(v, meta)
			}
			js.Values = append(js.Values, v)
		}
		out.Streams = append(out.Streams, js)
	}
	b, _ := json.Marshal(out)
	return b
}

// lokiClientHeader is what Promtail and Alloy send with a push, the stream
// named by the headers their configurations set.
func lokiClientHeader(group, stream string) http.Header {
	return http.Header{
		"Content-Type":     {"application/x-protobuf"},
		"User-Agent":       {"Alloy/v1.5.0"},
		"Authorization":    {basicAuth(testAK, testSK)},
		"X-LTS-Log-Group":  {group},
		"X-LTS-Log-Stream": {stream},
	}
}

// checkoutPush is 150 lines in two streams, the second stream's label
// needing escapes, every third line with structured metadata.
func checkoutPush(at time.Time, word string) []lokiStream {
	streams := []lokiStream{
		{labels: `{app="checkout", env="prod", filename="/var/log/checkout.log"}`, hash: 0x9e3779b97f4a7c15},
		{labels: `{app="checkout", env="prod", msg="say \"hi\"\\now"}`},
	}
	for i := range 150 {
		e := lokiEntry{at: at.Add(time.Duration(i) * time.Microsecond), line: fmt.Sprintf("%s order %d %s", word, i, []string{"placed", "shipped"}[i%2])}
		if i%3 == 0 {
			e.meta = [][2]string{{"trace_id", fmt.Sprintf("%032x", i)}, {"user", "ann"}}
		}
		streams[i%2].entries = append(streams[i%2].entries, e)
	}
	return streams
}

// checkCheckoutLines finds checkoutPush's lines through the LTS SDK, once
// each, with their labels and times, and their metadata through SQL.
func checkCheckoutLines(t *testing.T, e *env, group, stream string, at time.Time, word string) {
	t.Helper()
	seen := map[string]int{}
	// ListLogs pages by 100: the lines are asked for stream by stream.
	for _, verb := range []string{"placed", "shipped"} {
		lines := otlpLines(t, e, group, stream, word+" and "+verb)
		if len(lines) != 75 {
			t.Fatalf("%s %s: %d lines, want 75", word, verb, len(lines))
		}
		for _, l := range lines {
			seen[*l.Content]++
			var i int
			if _, err := fmt.Sscanf(strings.TrimPrefix(*l.Content, word), " order %d "+verb, &i); err != nil {
				t.Fatalf("line %q", *l.Content)
			}
			if *l.LineNum != strconv.FormatInt(at.Add(time.Duration(i)*time.Microsecond).UnixNano(), 10) {
				t.Fatalf("line %q at %s, want its entry's time", *l.Content, *l.LineNum)
			}
			want := map[string]string{"app": "checkout", "env": "prod", "filename": "/var/log/checkout.log"}
			if i%2 == 1 {
				want = map[string]string{"app": "checkout", "env": "prod", "msg": "say \"hi\"\\now"}
			}
			if len(l.Labels) != len(want) {
				t.Fatalf("line %q labels %v, want %v", *l.Content, l.Labels, want)
			}
			for k, v := range want {
				if l.Labels[k] != v {
					t.Fatalf("line %q labels %v, want %v", *l.Content, l.Labels, want)
				}
			}
		}
	}
	if len(seen) != 150 {
		t.Fatalf("%d distinct lines, want 150", len(seen))
	}
	status, body := e.post(t, "/v2/"+testProject+"/streams/"+stream+"/struct-content/query", map[string]any{
		"query": fmt.Sprintf("select count(*) as n, count(distinct trace_id) as traces where user = 'ann' and content like '%s%%'", word), "format": "k-v",
		"time_range": map[string]any{"start_time": at.Add(-time.Second).UnixMilli(), "end_time": time.Now().UnixMilli()},
	}, nil)
	var out struct{ Result []map[string]string }
	if status != 200 || json.Unmarshal(body, &out) != nil || len(out.Result) != 1 || out.Result[0]["n"] != "50" || out.Result[0]["traces"] != "50" {
		t.Fatalf("structured metadata through SQL: %d %s", status, body)
	}
}

// TestLokiPushProtobuf sends a push as Promtail and Alloy do (protobuf in
// a snappy block, basic auth, the stream named by headers) and finds every
// line once, with its stream's labels, its time and its structured
// metadata.
func TestLokiPushProtobuf(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "shop", "checkout")
	at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	body := snappy.Encode(nil, lokiProto(checkoutPush(at, "promtail")))
	status, _, resp := e.raw("POST", "/v2/"+testProject+"/loki/api/v1/push", body, lokiClientHeader("shop", "checkout"), nil)
	if status != http.StatusNoContent || len(resp) != 0 {
		t.Fatalf("push: %d %s", status, resp)
	}
	checkCheckoutLines(t, e, group, stream, at, "promtail")

	// Some clients add Content-Encoding: snappy to the same body, and
	// Loki reads a push without a Content-Type as protobuf: both are the
	// same snappy block, not compressed twice.
	for i, variant := range []struct{ word, header, value string }{{"snappyheader", "Content-Encoding", "snappy"}, {"notype", "Content-Type", ""}} {
		at := at.Add(time.Duration(i+1) * time.Millisecond)
		h := lokiClientHeader("shop", "checkout")
		h.Set(variant.header, variant.value)
		body := snappy.Encode(nil, lokiProto(checkoutPush(at, variant.word)))
		if status, _, resp := e.raw("POST", "/v2/"+testProject+"/loki/api/v1/push", body, h, nil); status != http.StatusNoContent {
			t.Fatalf("push with %s %q: %d %s", variant.header, variant.value, status, resp)
		}
		checkCheckoutLines(t, e, group, stream, at, variant.word)
	}
}

// TestLokiPushJSONAndErrors: the JSON encoding, plain and gzip, with the
// stream named by query parameters; a push with a line outside the
// stream's TTL stores the others and answers 400 (Loki's clients do not
// retry it); and the refusals: wrong credentials, another project's
// stream, malformed bodies. No refused push stores anything.
func TestLokiPushJSONAndErrors(t *testing.T) {
	e := start(t, "")
	group, stream := e.createStream(t, "shop", "checkout")
	path := "/v2/" + testProject + "/loki/api/v1/push"
	post := func(path string, body []byte, header http.Header) (int, http.Header, []byte) {
		t.Helper()
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {basicAuth(testAK, testSK)}}
		for k, v := range header {
			h[k] = v
		}
		return e.raw("POST", path, body, h, nil)
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	if status, _, resp := post(path+"?group=shop&stream=checkout", lokiJSON(checkoutPush(at, "vector")), nil); status != http.StatusNoContent {
		t.Fatalf("JSON push: %d %s", status, resp)
	}
	checkCheckoutLines(t, e, group, stream, at, "vector")

	// Lines of one stream at the same nanosecond would get consecutive
	// line numbers: the second push is a millisecond later.
	at = at.Add(time.Millisecond)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write(lokiJSON(checkoutPush(at, "fluentbit")))
	zw.Close()
	if status, _, resp := post(path+"?group="+group+"&stream="+stream, zipped.Bytes(), http.Header{"Content-Encoding": {"gzip"}}); status != http.StatusNoContent {
		t.Fatalf("gzip JSON push: %d %s", status, resp)
	}
	checkCheckoutLines(t, e, group, stream, at, "fluentbit")

	old := lokiProto([]lokiStream{{labels: `{app="jobs"}`, entries: []lokiEntry{
		{at: at, line: "refusal kept"}, {at: time.Now().Add(-400 * 24 * time.Hour), line: "refusal from long ago"},
	}}})
	status, _, resp := post(path+"?group=shop&stream=checkout", snappy.Encode(nil, old), http.Header{"Content-Type": {"application/x-protobuf"}})
	if status != 400 || errorCode(t, resp) != "LTS.0009" || !strings.Contains(string(resp), "1 lines were refused") || !strings.Contains(string(resp), "streams[0].entries[1]") {
		t.Fatalf("a push with a line outside the TTL: %d %s", status, resp)
	}
	if lines := otlpLines(t, e, group, stream, "refusal"); len(lines) != 1 || *lines[0].Content != "refusal kept" {
		t.Fatalf("after a partly refused push: %+v", lines)
	}

	proto := http.Header{"Content-Type": {"application/x-protobuf"}}
	good := snappy.Encode(nil, lokiProto([]lokiStream{{labels: `{app="jobs"}`, entries: []lokiEntry{{at: at, line: "refused line"}}}}))
	snappyOf := func(labels string, e lokiEntry) []byte {
		return snappy.Encode(nil, lokiProto([]lokiStream{{labels: labels, entries: []lokiEntry{e}}}))
	}
	// A snappy block that says it decodes to 1 GiB: refused before
	// anything is allocated for it.
	huge := protowire.AppendVarint(nil, 1<<30)
	huge = append(huge, 0, 'x')
	var badNanos []byte
	badNanos = protowire.AppendTag(badNanos, 2, protowire.VarintType)
	badNanos = protowire.AppendVarint(badNanos, 2_000_000_000)
	var entry []byte
	entry = protowire.AppendTag(entry, 1, protowire.BytesType)
	entry = protowire.AppendBytes(entry, badNanos)
	var st []byte
	st = protowire.AppendTag(st, 1, protowire.BytesType)
	st = protowire.AppendString(st, `{app="jobs"}`)
	st = protowire.AppendTag(st, 2, protowire.BytesType)
	st = protowire.AppendBytes(st, entry)
	badTime := snappy.Encode(nil, protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), st))
	withJSON := func(values string) []byte {
		return []byte(`{"streams":[{"stream":{"app":"jobs"},"values":[` + values + `]}]}`)
	}
	for _, tc := range []struct {
		name   string
		path   string
		body   []byte
		header http.Header
		status int
		code   string
		msg    string
	}{
		{"wrong secret", path + "?group=shop&stream=checkout", good, http.Header{"Authorization": {basicAuth(testAK, "wrong")}, "Content-Type": {"application/x-protobuf"}}, 401, "LTS.0003", ""},
		{"no credentials", path + "?group=shop&stream=checkout", good, http.Header{"Authorization": {""}, "Content-Type": {"application/x-protobuf"}}, 401, "LTS.0003", ""},
		{"another project", "/v2/ffffffffffffffffffffffffffffffff/loki/api/v1/push?group=shop&stream=checkout", good, proto, 403, "LTS.0001", ""},
		{"no stream named", path, good, proto, 400, "LTS.0009", "X-LTS-Log-Group"},
		{"unknown stream", path + "?group=shop&stream=nope", good, proto, 400, "LTS.0208", ""},
		{"not snappy", path + "?group=shop&stream=checkout", lokiProto(checkoutPush(at, "raw")), http.Header{"Content-Type": {"application/x-protobuf"}}, 400, "LTS.0009", "snappy"},
		{"snappy past the limit", path + "?group=shop&stream=checkout", huge, proto, 400, "LTS.0009", "larger than"},
		{"not protobuf", path + "?group=shop&stream=checkout", snappy.Encode(nil, []byte("\xff\xff\xff")), proto, 400, "LTS.0009", "truncated or malformed"},
		{"unclosed labels", path + "?group=shop&stream=checkout", snappyOf(`{app="x"`, lokiEntry{at: at, line: "refused line"}), proto, 400, "LTS.0009", "streams[0]: stream labels"},
		{"unclosed labels, the reason", path + "?group=shop&stream=checkout", snappyOf(`{app="x"`, lokiEntry{at: at, line: "refused line"}), proto, 400, "LTS.0009", "end of input inside braces"},
		{"labels without braces", path + "?group=shop&stream=checkout", snappyOf(`app="x"`, lokiEntry{at: at, line: "refused line"}), proto, 400, "LTS.0009", "in braces"},
		{"nanos past a second", path + "?group=shop&stream=checkout", badTime, proto, 400, "LTS.0009", "timestamp"},
		{"JSON time not a number", path + "?group=shop&stream=checkout", withJSON(`["yesterday","refused line"]`), nil, 400, "LTS.0009", "streams[0].values[0]: time"},
		{"JSON negative time", path + "?group=shop&stream=checkout", withJSON(`["-5","refused line"]`), nil, 400, "LTS.0009", "Unix time"},
		{"JSON value of one item", path + "?group=shop&stream=checkout", withJSON(`["1"]`), nil, 400, "LTS.0009", "a value must be"},
		{"JSON metadata not text", path + "?group=shop&stream=checkout", withJSON(`["1","refused line",{"n":1}]`), nil, 400, "LTS.0009", "structured metadata"},
		{"not JSON", path + "?group=shop&stream=checkout", []byte(`{"streams":[`), nil, 400, "LTS.0009", "Loki JSON push"},
		{"too many arrays", path + "?group=shop&stream=checkout", withJSON(strings.TrimSuffix(strings.Repeat(`["1","x"],`, 200_001), ",")), nil, 400, "LTS.0009", "smaller batches"},
		{"other content type", path + "?group=shop&stream=checkout", good, http.Header{"Content-Type": {"text/plain"}}, 400, "LTS.0009", "Content-Type"},
		{"bad gzip", path + "?group=shop&stream=checkout", withJSON(`["1","x"]`), http.Header{"Content-Encoding": {"gzip"}}, 400, "LTS.0009", "gzip"},
	} {
		status, _, resp := post(tc.path, tc.body, tc.header)
		if status != tc.status || errorCode(t, resp) != tc.code || !strings.Contains(string(resp), tc.msg) {
			t.Errorf("%s: %d %s, want %d %s %q", tc.name, status, resp, tc.status, tc.code, tc.msg)
		}
	}
	// Another project's stream is not reachable by name or id from this one.
	other := e.newProject(t, "eu-west-0")
	for _, q := range []string{"?group=" + group + "&stream=" + stream, "?group=shop&stream=checkout"} {
		status, _, resp := post("/v2/"+other+"/loki/api/v1/push"+q, good, proto)
		if status != 400 || errorCode(t, resp) != "LTS.0201" {
			t.Fatalf("another project's stream (%s): %d %s", q, status, resp)
		}
	}
	if lines := otlpLines(t, e, group, stream, "refused"); len(lines) != 0 {
		t.Fatalf("refused pushes stored %d lines", len(lines))
	}
}

// FuzzLoki sends arbitrary bodies to the Loki door, as protobuf (put in a
// snappy block, so that they reach the decoder) and as JSON: each answer
// is 204 or a 4xx error body, never a 5xx.
func FuzzLoki(f *testing.F) {
	push := checkoutPush(time.Now(), "fuzz")[:1]
	push[0].entries = push[0].entries[:2]
	f.Add(lokiProto(push), false)
	f.Add(lokiJSON(push), true)
	f.Add([]byte(`{"streams":[{"stream":{"a":"b"},"values":[["1","x",{"k":"v"}],[2,"y"]]},{"stream":{},"values":[]}]}`), true)
	f.Add(lokiProto([]lokiStream{{labels: `{a="\u00e9\"", b=""}`, entries: []lokiEntry{{at: time.Unix(0, 5)}}}}), false)
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		base, group, stream := fuzzQueryTarget(t)
		ct := "application/x-protobuf"
		if asJSON {
			ct = "application/json"
		} else {
			body = snappy.Encode(nil, body)
		}
		status, h, resp := send(t, base, "POST", "/v2/"+testProject+"/loki/api/v1/push?group="+group+"&stream="+stream, body,
			http.Header{"Content-Type": {ct}, "Authorization": {basicAuth(testAK, testSK)}}, nil)
		if status >= 500 || h.Get("X-Request-Id") == "" {
			t.Fatalf("%q: %d %s", body, status, resp)
		}
		if status >= 400 {
			errorCode(t, resp)
		} else if status != http.StatusNoContent {
			t.Fatalf("%q: %d %s", body, status, resp)
		}
	})
}
