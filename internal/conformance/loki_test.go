package conformance

import (
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
}
