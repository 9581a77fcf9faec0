package loki

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"logtank/internal/logstore"
	"logtank/internal/ltscore"
)

// jsonPush is Loki's JSON push body:
//
//	{"streams": [{"stream": {"app": "web"},
//	              "values": [["1700000000000000000", "a line"],
//	                         ["1700000000000000001", "another", {"trace_id": "abc"}]]}]}
//
// A value is [time in Unix nanoseconds as a string (or a number), line,
// optional structured metadata of string values].
type jsonPush struct {
	Streams []struct {
		Stream map[string]string `json:"stream"`
		Values []json.RawMessage `json:"values"`
	} `json:"streams"`
}

// maxJSONArrays bounds what a JSON push may hold before it is decoded:
// every entry is an array, and so is every stream's list of values.
const maxJSONArrays = 2 * ltscore.MaxBatchLines

// decodeJSON reads a JSON push.
func decodeJSON(b []byte) ([]ltscore.Batch, error) {
	// Decoding takes far more memory than the body for small entries:
	// they are counted first.
	if n := arrays(b); n > maxJSONArrays {
		return nil, fmt.Errorf("the push holds %d JSON arrays, more than %d; send smaller batches", n, maxJSONArrays)
	}
	var p jsonPush
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("the body is not a Loki JSON push ({\"streams\":[{\"stream\":{...},\"values\":[[\"<ns>\",\"<line>\"]]}]}): %v", err)
	}
	var out []ltscore.Batch
	total := 0
	for i, js := range p.Streams {
		s := newStream(i, &total)
		s.batch.Labels = js.Stream
		for k, raw := range js.Values {
			e, err := jsonEntry(raw)
			if err != nil {
				return nil, fmt.Errorf("streams[%d].values[%d]: %v", i, k, err)
			}
			if err := s.add(e); err != nil {
				return nil, err
			}
		}
		if len(s.batch.Entries) > 0 {
			out = append(out, s.batch)
		}
	}
	return out, nil
}

// jsonEntry reads one value: [time, line] or [time, line, {metadata}].
func jsonEntry(raw json.RawMessage) (logstore.Entry, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) < 2 || len(parts) > 3 {
		return logstore.Entry{}, fmt.Errorf("a value must be [\"<Unix time in ns>\", \"<line>\"] with optional structured metadata {...}, got %.100s", raw)
	}
	var e logstore.Entry
	ts := string(bytes.Trim(parts[0], `"`))
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n < 0 {
		return e, fmt.Errorf("time %.50s is not a Unix time in nanoseconds", parts[0])
	}
	e.TimeNs = n
	if err := json.Unmarshal(parts[1], &e.Content); err != nil {
		return e, fmt.Errorf("the line must be a JSON string, got %.50s", parts[1])
	}
	if len(parts) == 3 {
		var meta map[string]string
		if err := json.Unmarshal(parts[2], &meta); err != nil {
			return e, fmt.Errorf("structured metadata must be an object of string values, got %.100s", parts[2])
		}
		for k, v := range meta {
			e.Fields = setField(e.Fields, k, v)
		}
	}
	return e, nil
}

// arrays counts the JSON arrays in b: the '[' outside strings.
func arrays(b []byte) int {
	n := 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && c == '[':
			n++
		}
	}
	return n
}
