package ltscore

import (
	"logtank/internal/logstore"
	"logtank/internal/structuring"
)

// logstoreTypes maps a structuring type onto the log engine's.
var logstoreTypes = [...]logstore.FieldType{
	structuring.String: logstore.FieldString,
	structuring.Long:   logstore.FieldLong,
	structuring.Float:  logstore.FieldFloat,
}

// structureEntries fills the entries' Fields by the stream's rule, if it
// has one: a line that does not match gets no fields (and counts as
// unparsed); a value that does not convert keeps its type's default (and
// counts as failed). Tag fields come from the batch's labels.
//
// The fields of the whole batch share one backing array, sized by the
// first matched line, so a batch whose lines have a fixed field list costs
// two allocations whatever its length; string values are substrings of the
// lines.
func (c *Core) structureEntries(streamID string, labels logstore.Labels, entries []logstore.Entry) {
	sr := c.streams.rule(streamID)
	if sr == nil {
		return
	}
	p := sr.parser
	var all []logstore.Field
	scratch := make([]structuring.Field, 0, len(p.Fields())+8)
	label := labels.Get
	var unparsed, failed int64
	for i := range entries {
		var res structuring.Result
		scratch, res = p.Parse(entries[i].Content, scratch[:0])
		if !res.Matched {
			unparsed++
			continue
		}
		var tagsFailed int
		scratch, tagsFailed = p.Tags(label, scratch)
		failed += int64(res.Failed + tagsFailed)
		if all == nil {
			// The first matched line tells how many fields a line has
			// (exactly, unless the fields depend on the line).
			all = make([]logstore.Field, 0, (len(entries)-i)*len(scratch))
		}
		start := len(all)
		for k := range scratch {
			f := &scratch[k]
			all = append(all, logstore.Field{Name: f.Name, Type: logstoreTypes[f.Type], Str: f.Str, Long: f.Int, Float: f.Float})
		}
		// A full slice expression: a later append to one entry's fields
		// must never write into the next entry's.
		entries[i].Fields = all[start:len(all):len(all)]
	}
	if unparsed > 0 {
		sr.unparsed.Add(unparsed)
	}
	if failed > 0 {
		sr.failed.Add(failed)
	}
}
