package logsql

import (
	"context"
	"reflect"
	"testing"
)

// seedSource holds the four rows of the LTS struct-content/query example,
// newest first as the service returns them.
func seedSource() *memSource {
	schema := []ColumnInfo{
		{"__time", Long}, {"line_num", Long}, {"content", String},
		{"test1", String}, {"test2", String}, {"test3", String}, {"test4", Long},
	}
	cols := map[string]*Column{
		"__time":   {Type: Long, Long: []int64{1595811593539, 1595811592539, 1595811591539, 1595811590539}},
		"line_num": {Type: Long, Long: []int64{1595811593539371695, 1595811592539361171, 1595811591539422860, 1595811590539454127}},
		"content": {Type: String, Str: []string{
			"2020-07-27/08:59:53 this log is Error NO 151687", "2020-07-27/08:59:52 this log is Error NO 151686",
			"2020-07-27/08:59:51 this log is Error NO 151685", "2020-07-27/08:59:50 this log is Error NO 151684"}},
		"test1": {Type: String, Str: []string{"2020-07-27", "2020-07-27", "2020-07-27", "2020-07-27"}},
		"test2": {Type: String, Str: []string{"08:59:53", "08:59:52", "08:59:51", "08:59:50"}},
		"test3": {Type: String, Str: []string{"this", "this", "this", "this"}},
		"test4": {Type: Long, Long: []int64{151687, 151686, 151685, 151684}},
	}
	return newMemSource(schema, cols, 4, 3)
}

func runSQL(t *testing.T, src Source, sql string, opts Options) *Result {
	t.Helper()
	q, err := Parse(sql)
	if err != nil {
		t.Fatalf("Parse(%q): %v", sql, err)
	}
	res, err := q.Run(context.Background(), src, opts)
	if err != nil {
		t.Fatalf("Run(%q): %v", sql, err)
	}
	return res
}

// texts renders a result as strings for compact comparisons.
func texts(res *Result) (cols []string, rows [][]string) {
	for _, c := range res.Columns {
		cols = append(cols, c.Name)
	}
	for _, r := range res.Rows {
		var row []string
		for _, v := range r {
			row = append(row, v.String())
		}
		rows = append(rows, row)
	}
	return cols, rows
}

func TestSeedSelectStar(t *testing.T) {
	res := runSQL(t, seedSource(), "select *", Options{})
	cols, rows := texts(res)
	wantCols := []string{"__time", "line_num", "content", "test1", "test2", "test3", "test4"}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Fatalf("columns %v, want %v", cols, wantCols)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for i, want := range []string{"151687", "151686", "151685", "151684"} {
		if rows[i][6] != want || rows[i][3] != "2020-07-27" || rows[i][5] != "this" {
			t.Errorf("row %d = %v, want test4=%s newest first", i, rows[i], want)
		}
	}
	if rows[0][1] != "1595811593539371695" {
		t.Errorf("line_num = %s", rows[0][1])
	}
}

func TestSeedCountSum(t *testing.T) {
	res := runSQL(t, seedSource(), "select count(test3), sum(test4)", Options{})
	cols, rows := texts(res)
	if !reflect.DeepEqual(cols, []string{"count(test3)", "sum(test4)"}) {
		t.Fatalf("columns %v", cols)
	}
	if !reflect.DeepEqual(rows, [][]string{{"4", "606742"}}) {
		t.Fatalf("rows %v, want [[4 606742]]", rows)
	}
	if res.Columns[0].Aggregate != "count" || res.Columns[1].Aggregate != "sum" {
		t.Errorf("aggregates %+v", res.Columns)
	}
	if res.Rows[0][1].Type != Long {
		t.Errorf("sum of longs has type %v, want long", res.Rows[0][1].Type)
	}
}

func TestSeedGroupByParenthesised(t *testing.T) {
	q, err := Parse("select count(test3), sum(test4) group by(test1)")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.GroupBy(), []string{"test1"}) {
		t.Errorf("GroupBy() = %v", q.GroupBy())
	}
	for _, par := range []int{1, 2} {
		res, err := q.Run(context.Background(), seedSource(), Options{Parallel: par})
		if err != nil {
			t.Fatal(err)
		}
		cols, rows := texts(res)
		if !reflect.DeepEqual(cols, []string{"count(test3)", "sum(test4)"}) || !reflect.DeepEqual(rows, [][]string{{"4", "606742"}}) {
			t.Fatalf("parallel %d: %v %v", par, cols, rows)
		}
	}
}
