// Package workpool runs one request's work on a few goroutines so that a
// panic in any of them becomes that request's error instead of ending the
// process.
//
// Every goroutine an engine starts for a query goes through Run or Go: a
// panic that escapes a goroutine cannot be recovered by the HTTP handler
// that started the query, so without them one bad request would take the
// whole server, and every other tenant, down with it.
//
// It owns only scheduling and recovery. It must never decide what a
// request's error says to a client; callers map *PanicError themselves.
package workpool

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// PanicError is a panic caught in a worker: the value it panicked with
// and the stack of the goroutine at the time, for the server's log.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic in a worker: %v", e.Value) }

// Catch calls fn and turns a panic in it into a *PanicError.
func Catch(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// Run calls fn(worker, i) for every i in [0, n) from up to workers
// goroutines (worker is 0..workers-1, each used by one goroutine at a
// time). It stops handing out items at the first error, at a panic, or
// when ctx is done, and returns every worker's error joined (ctx's error
// when it ended the run early).
func Run(ctx context.Context, workers, n int, fn func(worker, i int) error) error {
	workers = max(1, min(workers, n))
	var next atomic.Int64
	var stop atomic.Bool
	errs := make([]error, workers+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = Catch(func() error {
				for !stop.Load() {
					i := int(next.Add(1)) - 1
					if i >= n {
						return nil
					}
					if err := ctx.Err(); err != nil {
						return err
					}
					if err := fn(w, i); err != nil {
						return err
					}
				}
				return nil
			})
			if errs[w] != nil {
				stop.Store(true)
			}
		}()
	}
	wg.Wait()
	if errs[workers] = ctx.Err(); errs[workers] != nil {
		// Workers that saw the end report it too: say it once.
		for w := range workers {
			if errors.Is(errs[w], errs[workers]) {
				errs[w] = nil
			}
		}
	}
	return errors.Join(errs...)
}

// Go runs fn on a new goroutine and delivers its result, or its panic as
// a *PanicError, on the returned channel (buffered: nobody has to read it).
func Go[T any](fn func() (T, error)) <-chan Result[T] {
	out := make(chan Result[T], 1)
	go func() {
		var r Result[T]
		r.Err = Catch(func() error {
			var err error
			r.Value, err = fn()
			return err
		})
		out <- r
	}()
	return out
}

// Result is what a function run by Go returned.
type Result[T any] struct {
	Value T
	Err   error
}
