package logstore

import (
	"fmt"

	"github.com/google/uuid"
)

// EncodeBatches appends batches to dst as a WAL payload (see
// docs/format/segment.md, "WAL payload") with a zero stream id and
// sequence number and each entry's time in place of its line number: the
// form in which a follower's log carries batches before a store numbers
// their lines.
func EncodeBatches(dst []byte, batches []Batch) []byte {
	times := make([][]int64, len(batches))
	for g, b := range batches {
		times[g] = make([]int64, len(b.Entries))
		for i, e := range b.Entries {
			times[g][i] = e.TimeNs
		}
	}
	return encodeRecord(dst, uuid.UUID{}, 0, batches, times)
}

// DecodeBatches reads what EncodeBatches wrote, refusing a damaged payload.
func DecodeBatches(rec []byte) ([]Batch, error) {
	if len(rec) < 17 || (rec[0] != recordRowsV2 && rec[0] != recordRowsGroups) {
		return nil, fmt.Errorf("logstore: batches: %w", errCorrupt)
	}
	r := &reader{b: rec[17:]}
	r.uvarint() // the sequence number, zero
	groups := uint64(1)
	if rec[0] == recordRowsGroups {
		if groups = r.uvarint(); groups > uint64(len(r.b)) {
			return nil, fmt.Errorf("logstore: batches: %w", errCorrupt)
		}
	}
	if r.err != nil || groups == 0 {
		return nil, fmt.Errorf("logstore: batches: %w", errCorrupt)
	}
	out := make([]Batch, 0, groups)
	for range groups {
		b := Batch{Labels: r.labels()}
		if len(b.Labels) == 0 {
			b.Labels = nil
		}
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			return nil, fmt.Errorf("logstore: batches: %w", errCorrupt)
		}
		b.Entries = make([]Entry, 0, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			e := Entry{TimeNs: r.varint(), Content: r.string()}
			nf := r.uvarint()
			if nf > uint64(len(r.b)) {
				return nil, fmt.Errorf("logstore: batches: %w", errCorrupt)
			}
			for range nf {
				e.Fields = append(e.Fields, r.field())
			}
			b.Entries = append(b.Entries, e)
		}
		if r.err != nil {
			return nil, fmt.Errorf("logstore: batches: %w", r.err)
		}
		out = append(out, b)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("logstore: batches: %d bytes after the last row: %w", len(r.b), errCorrupt)
	}
	return out, nil
}
