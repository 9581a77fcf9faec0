package workpool

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRunRecoversAPanickingWorker: a worker that panics ends the run with
// a *PanicError naming the panic, no item is handed out after it, and the
// process goes on.
func TestRunRecoversAPanickingWorker(t *testing.T) {
	// One worker makes the order exact: items 0..16 run, 17 panics, and
	// nothing after it may run.
	var done atomic.Int64
	err := Run(context.Background(), 1, 1000, func(_, i int) error {
		if i == 17 {
			panic("regexp: Compile: expression too large")
		}
		done.Add(1)
		return nil
	})
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PanicError", err)
	}
	if !strings.Contains(pe.Error(), "expression too large") || len(pe.Stack) == 0 {
		t.Fatalf("panic error %q, stack %d bytes", pe.Error(), len(pe.Stack))
	}
	if done.Load() != 17 {
		t.Fatalf("%d items done, want the 17 before the panic", done.Load())
	}
}

// TestRunRecoversPanicsOnEveryWorker: with several workers each of them
// panicking, the run still returns (joined panic errors) instead of
// ending the process.
func TestRunRecoversPanicsOnEveryWorker(t *testing.T) {
	err := Run(context.Background(), 4, 1000, func(w, _ int) error {
		panic(w)
	})
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PanicError", err)
	}
}

func TestRunStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	var done atomic.Int64
	err := Run(context.Background(), 1, 100000, func(_, i int) error {
		if i == 10 {
			return boom
		}
		done.Add(1)
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if done.Load() != 10 {
		t.Fatalf("%d items done, want the 10 before the error", done.Load())
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var done, late atomic.Int64
	var cancelled atomic.Bool
	err := Run(ctx, 3, 100000, func(_, i int) error {
		if cancelled.Load() {
			late.Add(1)
		}
		if done.Add(1) == 50 {
			cancel()
			cancelled.Store(true)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// A worker that checked the context just before the cancel may still
	// run the item it took; no worker may take another.
	if n := late.Load(); n > 2 {
		t.Fatalf("%d items started after the cancel, the run did not stop", n)
	}
	if strings.Count(err.Error(), "context canceled") != 1 {
		t.Fatalf("the cancellation is reported more than once: %q", err)
	}
}

func TestRunEveryItemOnce(t *testing.T) {
	seen := make([]atomic.Int32, 5000)
	if err := Run(context.Background(), 8, len(seen), func(_, i int) error {
		seen[i].Add(1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if seen[i].Load() != 1 {
			t.Fatalf("item %d ran %d times", i, seen[i].Load())
		}
	}
	if err := Run(context.Background(), 4, 0, func(int, int) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestGoRecovers(t *testing.T) {
	res := <-Go(func() (int, error) {
		var m map[string]int
		m["x"] = 1 // a nil map write panics
		return 1, nil
	})
	var pe *PanicError
	if !errors.As(res.Err, &pe) {
		t.Fatalf("err = %v, want a *PanicError", res.Err)
	}
	res = <-Go(func() (int, error) { return 7, nil })
	if res.Value != 7 || res.Err != nil {
		t.Fatalf("got %+v", res)
	}
}
