package loki

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"logtank/internal/logstore"
	"logtank/internal/ltscore"
)

// promParser reads label sets as PromQL does: the same quoting and
// escapes (\" \\ \n \u00e9) that Loki's clients write with Go's
// strconv.Quote. The server links it already for AOM.
var promParser = parser.NewParser(parser.Options{})

// parseLabels reads a stream's label set, {app="web", msg="say \"hi\""}.
// A bare metric name before the braces, which the PromQL grammar would
// take as __name__, is not a Loki label set and is refused.
func parseLabels(s string) (map[string]string, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil, fmt.Errorf("stream labels %q must be a label set in braces, like {app=\"web\"}", s)
	}
	ls, err := promParser.ParseMetric(s)
	if err != nil {
		return nil, fmt.Errorf("stream labels %q are not a label set like {app=\"web\"}: %v", s, err)
	}
	m := make(map[string]string, ls.Len())
	twice := ""
	ls.Range(func(l labels.Label) {
		if _, seen := m[l.Name]; seen {
			twice = l.Name
		}
		m[l.Name] = l.Value
	})
	if twice != "" {
		return nil, fmt.Errorf("stream labels %q name %s twice", s, twice)
	}
	return m, nil
}

// stream gathers one Loki stream's lines into a batch, counting the
// request's lines against the core's limit as they are read, so that a
// push cannot make the door hold more than that.
type stream struct {
	batch ltscore.Batch
	total *int
}

func newStream(i int, total *int) stream {
	return stream{batch: ltscore.Batch{Field: fmt.Sprintf("streams[%d].entries", i)}, total: total}
}

func (s *stream) add(e logstore.Entry) error {
	if *s.total++; *s.total > ltscore.MaxBatchLines {
		return fmt.Errorf("the push holds more than %d log entries; send smaller batches", ltscore.MaxBatchLines)
	}
	s.batch.Entries = append(s.batch.Entries, e)
	return nil
}

// setField sets structured metadata name to value on fields: a name seen
// before takes the new value, a name past the first maxFields is dropped.
func setField(fields []logstore.Field, name, value string) []logstore.Field {
	if name == "" {
		return fields
	}
	for i := range fields {
		if fields[i].Name == name {
			fields[i].Str = value
			return fields
		}
	}
	if len(fields) == maxFields {
		return fields
	}
	return append(fields, logstore.Field{Name: name, Type: logstore.FieldString, Str: value})
}
