package logstore

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// A version 4 segment may hold a template dictionary: templates of its rows
// (docs/format/segment.md, "Template dictionary"), which every contents
// chunk of the segment is compressed against, as a zstd raw dictionary.
// Each block lists its own templates, so that it decodes alone; with the
// dictionary, the compressor finds them, and much of the text around them,
// in a history it need not store again, where without it every block of a
// segment pays for the same template text again.

const (
	// dictMaxBytes bounds a dictionary: a flush's templates fit in it
	// with room to spare, and a reader keeps it in memory while it decodes
	// the segment's blocks.
	dictMaxBytes = 128 << 10
	// dictSampleRows bounds the rows a flush splits to find its
	// templates: one template in so many rows is left to the blocks.
	dictSampleRows = 16 << 10
	// dictMinRows is the fewest rows a segment gets a dictionary for:
	// an encoder with a dictionary takes about 17 ms to set up (its
	// tables are built from the whole dictionary), more than a small
	// segment's compression, and small segments are merged by compaction,
	// which gives the merged one a dictionary.
	dictMinRows = 4 * blockMaxRows
	// dictID names the dictionary in the segment's zstd frames.
	dictID = 1
)

// dictBuilder collects distinct templates into a dictionary: per template
// a uvarint length and its bytes, until dictMaxBytes.
type dictBuilder struct {
	seen map[string]bool
	out  []byte
}

// add adds a template unless it is there already or the dictionary is
// full.
func (b *dictBuilder) add(tpl []byte) {
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if b.seen[string(tpl)] || len(b.out)+binary.MaxVarintLen32+len(tpl) > dictMaxBytes {
		return
	}
	b.seen[string(tpl)] = true
	b.out = binary.AppendUvarint(b.out, uint64(len(tpl)))
	b.out = append(b.out, tpl...)
}

// templateDict returns the dictionary of the templates of rows, found in
// up to dictSampleRows rows spread over them.
func templateDict(rows []row) []byte {
	var b dictBuilder
	var e contentsEncoder
	step := max(1, len(rows)/dictSampleRows)
	for i := 0; i < len(rows); i += step {
		// A row holding varMark is stored raw: it has no template.
		if strings.IndexByte(rows[i].content, varMark) < 0 {
			e.split(rows[i].content)
			b.add(e.tpl)
		}
	}
	return b.out
}

// mergeDicts returns the dictionary of the templates of dicts, the first
// ones first, so that a compacted segment's blocks find the templates of
// the segments it replaces.
func mergeDicts(dicts [][]byte) ([]byte, error) {
	var b dictBuilder
	for _, d := range dicts {
		r := &reader{b: d}
		for len(r.b) > 0 {
			tpl := r.bytes(r.uvarint())
			if r.err != nil {
				return nil, fmt.Errorf("template dictionary: %w", r.err)
			}
			b.add(tpl)
		}
	}
	return b.out, nil
}

// sampledDict returns the dictionary of the templates of the first
// dictSampleRows rows next gives: for a compaction whose inputs hold no
// dictionary, each too small to have got one.
func sampledDict(next func() (row, bool, error)) ([]byte, error) {
	var b dictBuilder
	var e contentsEncoder
	for range dictSampleRows {
		r, ok, err := next()
		if err != nil || !ok {
			return b.out, err
		}
		if strings.IndexByte(r.content, varMark) < 0 {
			e.split(r.content)
			b.add(e.tpl)
		}
	}
	return b.out, nil
}
