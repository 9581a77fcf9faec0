package logstore

import (
	"encoding/binary"
	"fmt"

	"github.com/google/uuid"
)

// The WAL record types: rows without a batch sequence number and fields
// (written by earlier versions), rows of one label set, and groups of rows
// with their own label sets.
const (
	recordRows       = 1
	recordRowsV2     = 2
	recordRowsGroups = 3
)

// encodeRecord appends the WAL record of batches, whose entries were given
// the line numbers in lines (lines[g][i] for batches[g].Entries[i]).
func encodeRecord(dst []byte, id uuid.UUID, seq uint64, batches []Batch, lines [][]int64) []byte {
	typ := byte(recordRowsV2)
	if len(batches) > 1 {
		typ = recordRowsGroups
	}
	dst = append(dst, typ)
	dst = append(dst, id[:]...)
	dst = binary.AppendUvarint(dst, seq)
	if typ == recordRowsGroups {
		dst = binary.AppendUvarint(dst, uint64(len(batches)))
	}
	for g, b := range batches {
		dst = b.Labels.appendTo(dst)
		dst = binary.AppendUvarint(dst, uint64(len(b.Entries)))
		for i, e := range b.Entries {
			dst = binary.AppendVarint(dst, lines[g][i])
			dst = appendUvarintString(dst, e.Content)
			dst = binary.AppendUvarint(dst, uint64(len(e.Fields)))
			for _, f := range e.Fields {
				dst = appendField(dst, f)
			}
		}
	}
	return dst
}

func (s *Store) replay(rec []byte, exists func(string) bool) error {
	if len(rec) < 17 || rec[0] < recordRows || rec[0] > recordRowsGroups {
		return fmt.Errorf("logstore: unknown WAL record type %d", rec[0])
	}
	typ := rec[0]
	id, _ := uuid.FromBytes(rec[1:17])
	sid := id.String()
	r := &reader{b: rec[17:]}
	var seq uint64
	if typ >= recordRowsV2 {
		seq = r.uvarint()
		if seq > s.batchSeq.Load() {
			s.batchSeq.Store(seq)
		}
	}
	if !exists(sid) {
		return nil
	}
	groups := uint64(1)
	if typ == recordRowsGroups {
		if groups = r.uvarint(); groups > uint64(len(r.b)) {
			return fmt.Errorf("logstore: corrupt WAL record: %w", errCorrupt)
		}
	}
	st := s.stream(sid)
	shared := &rowExt{seq: seq}
	onDisk := lineChecker{unreadableFree: true}
	for range groups {
		labels := r.labels()
		n := r.uvarint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			line := r.varint()
			content := r.string()
			var fields []Field
			if typ >= recordRowsV2 {
				nf := r.uvarint()
				if nf > uint64(len(r.b)) {
					return fmt.Errorf("logstore: corrupt WAL record: %w", errCorrupt)
				}
				for range nf {
					fields = append(fields, r.field())
				}
			}
			// A row already in a segment was flushed before the WAL file
			// that holds it could be removed: keep it once.
			if onDisk.has(st, line) {
				continue
			}
			if st.active.lines.has(line) {
				continue
			}
			st.active.lines.add(line)
			rw := row{line: line, labels: labels, content: content, ext: withExt(shared, seq, fields)}
			st.active.add(rw)
			st.active.noteLabels(labels)
			st.active.noteFields([]row{rw})
			s.memBytes.Add(rw.size())
			if line > st.lastLine {
				st.lastLine = line
			}
		}
		if r.err != nil {
			return fmt.Errorf("logstore: corrupt WAL record: %w", r.err)
		}
	}
	return nil
}
