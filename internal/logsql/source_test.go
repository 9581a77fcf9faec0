package logsql

import (
	"context"
	"errors"
	"sync"
)

// memSource is an in-memory Source of fixed-size batches.
type memSource struct {
	schema  []ColumnInfo
	batches []*Batch
	scanned int // batches handed out by the last Scan (parallel == 1 only)
}

// newMemSource builds batches of size rows from column-major data.
func newMemSource(schema []ColumnInfo, cols map[string]*Column, n, size int) *memSource {
	s := &memSource{schema: schema}
	for off := 0; off < n; off += size {
		end := min(off+size, n)
		b := &Batch{Len: end - off, Cols: map[string]*Column{}}
		for name, c := range cols {
			sc := &Column{Type: c.Type}
			if c.Long != nil {
				sc.Long = c.Long[off:end]
			}
			if c.Float != nil {
				sc.Float = c.Float[off:end]
			}
			if c.Str != nil {
				sc.Str = c.Str[off:end]
			}
			if c.Null != nil {
				sc.Null = c.Null[off:end]
			}
			b.Cols[name] = sc
		}
		s.batches = append(s.batches, b)
	}
	return s
}

func (s *memSource) Schema() []ColumnInfo { return s.schema }

func (s *memSource) Scan(ctx context.Context, columns []string, parallel int, fn func(int, *Batch) error) error {
	if parallel <= 1 {
		s.scanned = 0
		for _, b := range s.batches {
			s.scanned++
			if err := fn(0, b); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := 0
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= len(s.batches) {
					mu.Unlock()
					return
				}
				b := s.batches[next]
				next++
				mu.Unlock()
				if err := fn(w, b); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if errors.Is(first, ErrStop) {
		return nil
	}
	return first
}
