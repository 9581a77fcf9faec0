package logstore

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"
)

// Schema, worked out once per segment, is what every block says in order:
// a field takes the type of the newest block (or memtable) that has it,
// over several segments of several blocks, and the label keys are all
// the label sets' keys, before and after a reopen.
func TestSchemaOverSegmentsAndBlocks(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	types := []FieldType{FieldLong, FieldString, FieldFloat}
	want := map[string]FieldType{}
	wantKeys := map[string]bool{}
	i := 0
	for seg := range 3 {
		// More rows than a block holds, with the type changing mid-segment.
		for part := range 2 {
			typ := types[(seg+part)%len(types)]
			labels := LabelsFromMap(map[string]string{fmt.Sprintf("k%d", seg): "v", "app": "a"})
			var entries []Entry
			for range blockMaxRows + 10 {
				entries = append(entries, Entry{TimeNs: base + int64(i)*int64(time.Millisecond), Content: "row",
					Fields: []Field{{Name: "f", Type: typ, Str: "x", Long: 1, Float: 1}, {Name: fmt.Sprintf("only%d", seg), Type: FieldLong, Long: 2}}})
				i++
			}
			if _, err := s.Append(sid, labels, entries); err != nil {
				t.Fatal(err)
			}
			want["f"], want[fmt.Sprintf("only%d", seg)] = typ, FieldLong
			wantKeys[fmt.Sprintf("k%d", seg)], wantKeys["app"] = true, true
		}
		if seg < 2 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(phase string) {
		t.Helper()
		fields, keys := s.Schema(sid)
		if !maps.Equal(fields, want) {
			t.Errorf("%s: fields %v, want %v", phase, fields, want)
		}
		if w := slices.Sorted(maps.Keys(wantKeys)); !slices.Equal(keys, w) {
			t.Errorf("%s: label keys %q, want %q", phase, keys, w)
		}
	}
	check("two segments and a memtable")
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	check("three segments")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, Options{})
	defer s.Close()
	check("reopened")
}
