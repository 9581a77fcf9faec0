package logsql

import (
	"context"
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	"select *", "select count(test3), sum(test4) group by(test1)",
	"select test1, count(*) c, avg(test4) where test3 like 't%' and test4 between 1 and 999999 group by test1 having c > 1 order by c desc limit 5",
	"select case when test4 > 1 then 'a' else null end, cast(test4 as varchar), -test4 % 3 from log order by 1, 2 desc limit 2 offset 1",
	"select time_floor(__time, 'P1D'), approx_quantile_ds(test4, 0.5), count(distinct test2) filter (where test4 in (1, 2, null)) group by 1",
	"select distinct lower(test3), coalesce(nosuch, 'x') || 'y' where not (test1 is null or test2 = 'z')",
	"select 'it''s', \"a.b\", 1.5e3, x <> y, a not like '%\\_' ;",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		q, err := Parse(sql)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T %v is not *Error", sql, err, err)
			}
			if e.Pos < 0 || e.Pos > len(sql) {
				t.Fatalf("Parse(%q) error position %d outside the input", sql, e.Pos)
			}
			if e.Msg == "" {
				t.Fatalf("Parse(%q) error without a message", sql)
			}
			return
		}
		_ = q.Columns()
		_ = q.GroupBy()
	})
}

func FuzzRun(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		q, err := Parse(sql)
		if err != nil {
			return
		}
		for _, par := range []int{1, 2} {
			_, err := q.Run(context.Background(), seedSource(), Options{Parallel: par, MaxGroups: 1000, MaxMemoryBytes: 1 << 20})
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("Run(%q) error %T %v is not *Error", sql, err, err)
			}
		}
	})
}
