package logsql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"logtank/internal/logsql/sqltest"
)

// countingSource is a memSource that is also a GroupCounter over any
// columns: it hands out each distinct combination of their values once,
// with the number of rows holding it.
type countingSource struct {
	*memSource
	counted int // CountBy calls
}

func (s *countingSource) CountBy(_ context.Context, columns []string) (*Batch, []int64, bool, error) {
	s.counted++
	types := map[string]Type{}
	for _, c := range s.schema {
		types[c.Name] = c.Type
	}
	out := &Batch{Cols: map[string]*Column{}}
	for _, name := range columns {
		out.Cols[name] = &Column{Type: types[name]}
	}
	index := map[string]int{}
	var counts []int64
	for _, b := range s.batches {
		for i := range b.Len {
			var key strings.Builder
			vals := make([]Value, len(columns))
			for j, name := range columns {
				vals[j] = b.Cols[name].Value(i)
				fmt.Fprintf(&key, "%#v\x00", vals[j])
			}
			k, ok := index[key.String()]
			if !ok {
				k = out.Len
				index[key.String()] = k
				out.Len++
				counts = append(counts, 0)
				for j, name := range columns {
					c := out.Cols[name]
					c.Long, c.Float, c.Str, c.Null = append(c.Long, 0), append(c.Float, 0), append(c.Str, ""), append(c.Null, false)
					if vals[j].Type == Null {
						c.Null[k] = true
					} else {
						setValue(c, k, vals[j])
					}
				}
			}
			counts[k]++
		}
	}
	return out, counts, true, nil
}

// Counting by combinations of values gives the answers of the row scan,
// for every generated query whose aggregates are all counts.
func TestGroupCounterAgreesWithScan(t *testing.T) {
	const n = 3000
	const first = 1_600_000_000_000
	rng := rand.New(rand.NewPCG(5, 6))
	rows := sqltest.RandomRows(rng, n, func(i int) int64 { return first + int64(n-i)*1000 })
	plain := memRows(rows)
	counting := &countingSource{memSource: memRows(rows)}
	g := &sqltest.Generator{Rng: rng, From: first, To: first + n*1000}
	extra := []string{
		"select count(*) as n",
		"select s1, count(*) as n group by s1",
		"select s1, s2, count(*) as n, count(n1) as m group by s1, s2 order by n desc, s1, s2 limit 5",
		"select upper(s1) as u, count(*) as n where s2 is not null group by u having count(*) > 3 order by u",
		"select count(*) filter (where n1 > 10) as a, count(*) as b",
	}
	countedQueries := 0
	for i := range 400 {
		text := g.Next().LTS
		if i < len(extra) {
			text = extra[i]
		}
		q, err := Parse(text)
		if err != nil {
			t.Fatalf("%q: parse: %v", text, err)
		}
		want, err := q.Run(context.Background(), plain, Options{Parallel: 2})
		if err != nil {
			t.Fatalf("%q: scan: %v", text, err)
		}
		before := counting.counted
		got, err := q.Run(context.Background(), counting, Options{Parallel: 2})
		if err != nil {
			t.Fatalf("%q: counted: %v", text, err)
		}
		if counting.counted > before {
			countedQueries++
		}
		// Without a total ORDER BY, groups come in any order.
		if err := sqltest.Compare(neutral(got.Rows), neutral(want.Rows), false); err != nil {
			t.Fatalf("%q: counted %v, scanned %v: %v", text, got.Rows, want.Rows, err)
		}
	}
	if countedQueries < 20 {
	}
}
