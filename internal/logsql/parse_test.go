package logsql

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	for _, sql := range []string{
		"SELECT * FROM log",
		"select * from LOG;",
		"select ALL a, b as \"x.y\", c d from log where a = 'it''s' and \"field1.a\" > 1",
		"select count(*) group by(test1)",
		"select count(*) group by (a, b)",
		"select __time, line_num from log where content like '%err_r%' order by __time desc limit 10 offset 5",
		"select a from log where a not in (1, 2) and b not like 'x' and c not between 1 and 2 and d is not null",
		"select case when a > 1 then 'big' when a > 0 then 'small' else 'neg' end, case a when 1 then 'one' end",
		"select cast(a as varchar), cast(b as bigint), cast(c as double), cast(d as long), cast(e as string), cast(f as float)",
		"select count(distinct a), approx_quantile_ds(x, 0.9), approx_distinct(y), earliest(a), latest(b)",
		"select sum(x) filter (where y = 'a') as s group by z having s > 1 order by 1 desc",
		"select time_ceil(__time,'PT1M') as t, count(*) as pv group by t",
		"select -x, - -1, 1.5e3, .5, x % 2, position('a' in b), a || b",
		"select not a = 1 or b <> 2",
		"select count(*) -- trailing comment",
	} {
		if _, err := Parse(sql); err != nil {
			t.Errorf("Parse(%q): %v", sql, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		sql, msg string
		pos      int
	}{
		{"select a from log join b", `syntax error at position 18: unexpected "join"`, 18},
		{"select foo(a)", `unsupported function "foo" at position 7`, 7},
		{"select a where sum(x) > 1", "aggregate SUM is not allowed in WHERE at position 15", 15},
		{"select a, count(*) group by b", `column "a" must appear in GROUP BY or be used in an aggregate`, 7},
		{"select a from other", `unsupported table "other" at position 14`, 14},
		{"select 'abc", "unterminated string literal", 7},
		{"select a from (select 1)", "unsupported subquery in FROM", 14},
		{"select sum(*)", "SUM(*) is not supported", 11},
		{"select sum(distinct a)", "DISTINCT is only supported in COUNT", 7},
		{"select count(*) group by sum(a)", "aggregate SUM is not allowed in GROUP BY", 25},
		{"select sum(max(a))", "nested aggregate in SUM", 11},
		{"select a limit -1", "LIMIT needs a non-negative integer", 15},
		{"select cast(a as blob)", "unsupported CAST target type", 17},
		{"select a order by 3", "ORDER BY position 3 is not in the select list", 18},
		{"select *, count(*)", "SELECT * cannot be combined", 7},
		{"select approx_quantile_ds(a, b)", "constant probability", 29},
		{"select lower(a, b)", "wrong number of arguments to LOWER: 2", 7},
		{"select a from log where", "unexpected end of input", 23},
		{"select a # b", `unexpected character '#'`, 9},
		{"delete from log", `unexpected "delete"`, 0},
		{"select a, from log", `unexpected "from"`, 10},
		{"select count(*) over (order by a)", "unsupported window function OVER", 16},
	} {
		_, err := Parse(tc.sql)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *Error", tc.sql, err)
			continue
		}
		if !strings.Contains(e.Msg, tc.msg) || e.Pos != tc.pos {
			t.Errorf("Parse(%q) = %q at %d, want %q at %d", tc.sql, e.Msg, e.Pos, tc.msg, tc.pos)
		}
	}
}

func TestResultNamesAndColumns(t *testing.T) {
	q, err := Parse("SELECT COUNT( test3 ), Sum(test4)  AS  total, test1, \"a.b\", LOWER( test1 ) ,  x+1 FROM log GROUP BY test1, \"a.b\", x")
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Run(context.Background(), seedSource(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := texts(res)
	want := []string{"count(test3)", "total", "test1", "a.b", "lower(test1)", "x+1"}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("names %q, want %q", cols, want)
	}
	if got := q.Columns(); !reflect.DeepEqual(got, []string{"test1", "a.b", "x", "test3", "test4"}) {
		t.Errorf("Columns() = %v", got)
	}
	if got := q.GroupBy(); !reflect.DeepEqual(got, []string{"test1", "a.b", "x"}) {
		t.Errorf("GroupBy() = %v", got)
	}
	q2, _ := Parse("select earliest(content), latest(test4)")
	if got := q2.Columns(); !reflect.DeepEqual(got, []string{"__time", "content", "test4"}) {
		t.Errorf("Columns() = %v, want __time included for EARLIEST", got)
	}
}
