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

func encodeRecord(dst []byte, id uuid.UUID, seq uint64, batches []Batch, groups [][]row) []byte {
	typ := byte(recordRowsV2)
	if len(groups) > 1 {
		typ = recordRowsGroups
	}
	dst = append(dst, typ)
	dst = append(dst, id[:]...)
	dst = binary.AppendUvarint(dst, seq)
	if typ == recordRowsGroups {
		dst = binary.AppendUvarint(dst, uint64(len(groups)))
	}
	for g, rows := range groups {
		dst = batches[g].Labels.appendTo(dst)
		dst = binary.AppendUvarint(dst, uint64(len(rows)))
		for _, r := range rows {
			dst = binary.AppendVarint(dst, r.line)
			dst = appendUvarintString(dst, r.content)
			dst = binary.AppendUvarint(dst, uint64(len(r.fields())))
			for _, f := range r.fields() {
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
