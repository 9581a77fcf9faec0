package logstore

import "fmt"

// v3Rows are the rows of testdata/v3.seg.
func v3Rows() []row {
	sets := []Labels{{{Key: "app", Value: "x"}}, {{Key: "app", Value: "y"}, {Key: "host", Value: "b"}}}
	rows := make([]row, 3000)
	for i := range rows {
		ext := &rowExt{seq: uint64(1 + i/500)}
		if i%2 == 0 {
			ext.fields = append(ext.fields, Field{Name: "status", Type: FieldLong, Long: int64(i % 7)})
		}
		if i%3 == 0 {
			ext.fields = append(ext.fields, Field{Name: "path", Type: FieldString, Str: fmt.Sprintf("/api/%d", i%11)})
		}
		if i%5 == 0 {
			ext.fields = append(ext.fields, Field{Name: "ms", Type: FieldFloat, Float: float64(i) * 0.5})
		}
		rows[i] = row{line: base + int64(i)*1e6, labels: sets[i%2], ext: ext,
			content: fmt.Sprintf("row %d user u%d from 10.0.%d.%d took %dms word", i, i%13, i%256, i%7, i*37%1000)}
	}
	return rows
}
