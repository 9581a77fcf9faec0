package logsql

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// oneRow evaluates a select list over the seed rows' first row.
func evalOne(t *testing.T, sql string, opts Options) []string {
	t.Helper()
	_, rows := texts(runSQL(t, seedSource(), sql+" limit 1", opts))
	return rows[0]
}

func TestScalarExpressions(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		expr, want string
		loc        *time.Location
	}{
		{"1 + 2 * 3", "7", nil},
		{"7 / 2", "3", nil},
		{"7.0 / 2", "3.5", nil},
		{"7 % 3", "1", nil},
		{"1 / 0", "", nil},
		{"'12' + 1", "13", nil},
		{"'abc' + 1", "1", nil},
		{"null + 1", "", nil},
		{"-test4", "-151687", nil},
		{"test4 > 151686 and test3 = 'this'", "true", nil},
		{"null = null", "", nil},
		{"null and false", "false", nil},
		{"null or true", "true", nil},
		{"test1 like '2020-__-27'", "true", nil},
		{"test3 not like '%hi%'", "false", nil},
		{"test4 in (1, 151687)", "true", nil},
		{"test4 in (1, null)", "", nil},
		{"test4 between 151680 and 151690", "true", nil},
		{"nosuch is null", "true", nil},
		{"case when test4 > 200000 then 'a' when test4 > 100000 then 'b' end", "b", nil},
		{"case test3 when 'that' then 1 else 2.5 end", "2.5", nil},
		{"cast(test4 as varchar) || '!'", "151687!", nil},
		{"cast('42' as bigint) + 1", "43", nil},
		{"cast('x' as double)", "0", nil},
		{"lower('AbC') || upper('d') || length('héllo')", "abcD5", nil},
		{"substr('hello', 2, 3) || substring('hello', -2)", "elllo", nil},
		{"concat('a', 1, 2.5)", "a12.5", nil},
		{"trim('  x  ') || ltrim('  y') || rtrim('z  ')", "xyz", nil},
		{"replace('a-b-c', '-', '+')", "a+b+c", nil},
		{"strpos('hello', 'll') + position('o' in 'hello')", "8", nil},
		{"split_part('a,b,c', ',', 2)", "b", nil},
		{"starts_with(content, '2020') and regexp_like(content, 'NO [0-9]+$')", "true", nil},
		{"regexp_extract(content, 'NO ([0-9]+)', 1)", "151687", nil},
		{"abs(-3) + abs(-1.5)", "4.5", nil},
		{"round(2.345, 2) || ' ' || round(2.5) || ' ' || round(1234, -2)", "2.35 3 1200", nil},
		{"ceil(1.2) + floor(1.8)", "3", nil},
		{"sqrt(16) + power(2, 3) + pow(2, 1)", "14", nil},
		{"ln(1) + log10(100) + exp(0)", "3", nil},
		{"sqrt(-1)", "", nil},
		{"mod(10, 4) + mod(-7, 3)", "1", nil},
		{"greatest(1, 5, 3) + least(4, 2.5)", "7.5", nil},
		{"coalesce(nosuch, null, 'x')", "x", nil},
		{"if(test4 > 1, 'yes', 'no')", "yes", nil},
		{"nullif(1, 1)", "", nil},
		{"time_floor(__time, 'PT1M')", "1595811540000", nil},
		{"time_ceil(__time, 'PT5M')", "1595811600000", nil},
		{"time_floor(__time, 'PT1H')", "1595808000000", nil},
		{"time_floor(__time, 'P1D')", "1595808000000", nil},
		{"time_floor(__time, 'P1D')", "1595779200000", shanghai},
		{"time_floor(__time, 'P1W')", "1595808000000", nil},
		{"time_floor(__time, 'P1M')", "1593561600000", nil},
		{"time_floor(__time, 'P1Y')", "1577836800000", nil},
		{"time_floor(__time, 'PT1H', null, '+08:00')", "1595808000000", nil},
		{"time_shift(__time, 'PT1M', 2)", "1595811713539", nil},
		{"date_trunc('hour', __time)", "1595808000000", nil},
		{"time_format(__time, 'yyyy-MM-dd HH:mm:ss')", "2020-07-27 00:59:53", nil},
		{"time_format(__time, 'yyyy-MM-dd HH:mm:ss', '+08:00')", "2020-07-27 08:59:53", nil},
		{"date_format(__time, 'HH:mm')", "08:59", shanghai},
		{"from_unixtime(__time)", "2020-07-27 00:59:53.539", nil},
		{"time_parse('2020-07-27 00:59:53', 'yyyy-MM-dd HH:mm:ss')", "1595811593000", nil},
	} {
		got := evalOne(t, "select "+tc.expr, Options{Location: tc.loc})
		if got[0] != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got[0], tc.want)
		}
	}
}

func TestAggregates(t *testing.T) {
	src := seedSource()
	for _, tc := range []struct{ sql, want string }{
		{"select count(*), count(nosuch), sum(test4), avg(test4), min(test4), max(test2)", "4 0 606742 151685.5 151684 08:59:53"},
		{"select earliest(test4), latest(test2)", "151684 08:59:53"},
		{"select count(distinct test3), approx_distinct(test4), approx_quantile_ds(test4, 0.5)", "1 4 151702.12"},
		{"select count(*) filter (where test4 > 151685), sum(test4) filter (where test4 < 0)", "2"},
		{"select sum(test4) / count(*) as m, round(avg(test4)) where test4 > 151684", "151686 151686"},
		{"select test1, count(*) c group by test1 having c > 3", "2020-07-27 4"},
		{"select test1, count(*) c group by test1 having count(*) > 4", ""},
		{"select count(*) where test4 < 0", "0"},
		{"select test2 order by test4 limit 1 offset 1", "08:59:51"},
		{"select distinct test3, test1", "this 2020-07-27"},
		{"select test2, count(*) group by 1 order by 1 desc limit 2", "08:59:53 1|08:59:52 1"},
	} {
		_, rows := texts(runSQL(t, src, tc.sql, Options{}))
		var parts []string
		for _, r := range rows {
			parts = append(parts, strings.TrimRight(strings.Join(r, " "), " "))
		}
		got := strings.Join(parts, "|")
		if tc.sql == "select count(distinct test3), approx_distinct(test4), approx_quantile_ds(test4, 0.5)" {
			// The quantile is within the sketch's 1% relative error.
			f := strings.Fields(got)
			if len(f) != 3 || f[0] != "1" || f[1] != "4" || !within(parseFloat(f[2]), 151685, 0.01) {
				t.Errorf("%s = %q", tc.sql, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sql, got, tc.want)
		}
	}
}

func within(got, want, rel float64) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= rel*want
}

func TestSumOverflowBecomesFloat(t *testing.T) {
	src := newMemSource([]ColumnInfo{{"x", Long}}, map[string]*Column{"x": {Type: Long, Long: []int64{1 << 62, 1 << 62, 1 << 62}}}, 3, 2)
	res := runSQL(t, src, "select sum(x)", Options{})
	if v := res.Rows[0][0]; v.Type != Float || v.Float != 3*float64(1<<62) {
		t.Errorf("sum = %#v", v)
	}
}

func TestLimitStopsScanEarly(t *testing.T) {
	src := benchSourceSmall()
	res := runSQL(t, src, "select x limit 5", Options{Parallel: 2})
	if len(res.Rows) != 5 || src.scanned != 1 {
		t.Errorf("%d rows after %d batches, want 5 rows after 1 batch", len(res.Rows), src.scanned)
	}
	res = runSQL(t, src, "select x where x > 3 limit 3 offset 1", Options{})
	if len(res.Rows) != 3 || res.Rows[0][0].Long != 5 {
		t.Errorf("rows %v", res.Rows)
	}
}

// benchSourceSmall is 10,000 rows of x = 0..9999 in 1,024-row batches.
func benchSourceSmall() *memSource {
	x := make([]int64, 10000)
	y := make([]string, 10000)
	for i := range x {
		x[i] = int64(i)
		y[i] = string(rune('a' + i%7))
	}
	return newMemSource([]ColumnInfo{{"x", Long}, {"y", String}}, map[string]*Column{"x": {Type: Long, Long: x}, "y": {Type: String, Str: y}}, 10000, 1024)
}

func TestTopKAcrossWorkers(t *testing.T) {
	for _, par := range []int{1, 2} {
		_, rows := texts(runSQL(t, benchSourceSmall(), "select x, y from log order by x desc limit 3 offset 1", Options{Parallel: par}))
		if got := strings.Join([]string{rows[0][0], rows[1][0], rows[2][0]}, ","); got != "9998,9997,9996" {
			t.Errorf("parallel %d: %s", par, got)
		}
	}
}

func TestLimits(t *testing.T) {
	src := benchSourceSmall()
	q, _ := Parse("select x, count(*) group by x")
	_, err := q.Run(context.Background(), src, Options{MaxGroups: 100, Parallel: 2})
	var e *Error
	if !errors.As(err, &e) || e.Pos != -1 || !strings.Contains(e.Msg, "more than 100 groups; narrow it with WHERE") {
		t.Errorf("groups limit: %v", err)
	}
	q, _ = Parse("select count(distinct x)")
	_, err = q.Run(context.Background(), src, Options{MaxMemoryBytes: 10_000})
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "more than 10000 bytes of memory") {
		t.Errorf("memory limit: %v", err)
	}
	q, _ = Parse("select x order by y")
	_, err = q.Run(context.Background(), src, Options{MaxMemoryBytes: 10_000})
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "bytes of memory") {
		t.Errorf("memory limit on sort: %v", err)
	}
}

func TestRuntimeErrors(t *testing.T) {
	for _, tc := range []struct{ sql, msg string }{
		{"select regexp_like(y, '(')", "invalid regular expression '('"},
		{"select time_floor(x, 'PT0M')", "invalid ISO-8601 period 'PT0M'"},
		{"select time_floor(x, 'P1M', null, 'Mars/Base')", "unknown time zone 'Mars/Base'"},
	} {
		q, err := Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		_, err = q.Run(context.Background(), benchSourceSmall(), Options{})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tc.msg) || !strings.Contains(e.Msg, "at position 7") {
			t.Errorf("%s: %v", tc.sql, err)
		}
	}
}

func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    Value
		want string
	}{
		{long(-12), "-12"}, {float(0.1), "0.1"}, {float(3), "3"}, {float(1e21), "1000000000000000000000"},
		{boolean(true), "true"}, {Value{}, ""}, {str("x"), "x"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.v, got, tc.want)
		}
	}
}
