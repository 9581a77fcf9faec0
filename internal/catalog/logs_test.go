package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestQuotaHoldsUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok, quota, other atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.CreateLogGroup(ctx, LogGroup{ID: fmt.Sprint("id-", i), ProjectID: "p", Name: fmt.Sprint("g", i), TTLDays: 7}, 20)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrQuota):
				quota.Add(1)
			default:
				other.Add(1)
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 20 || quota.Load() != 10 {
		t.Fatalf("created %d, refused %d (want 20 and 10)", ok.Load(), quota.Load())
	}
	groups, err := db.LogGroups(ctx, "p")
	if err != nil || len(groups) != 20 {
		t.Fatalf("%d groups stored, %v", len(groups), err)
	}
}

func TestDeleteGroupDeletesStreams(t *testing.T) {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateLogGroup(ctx, LogGroup{ID: "g", ProjectID: "p", Name: "g", TTLDays: 7}, 100); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLogStream(ctx, LogStream{ID: "s", ProjectID: "p", GroupID: "g", Name: "s"}, 100); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLogStream(ctx, LogStream{ID: "s2", ProjectID: "p", GroupID: "missing", Name: "s"}, 100); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stream in a missing group: %v", err)
	}
	if err := db.DeleteLogGroup(ctx, "p", "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LogStream(ctx, "p", "g", "s"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stream outlived its group: %v", err)
	}
	if err := db.DeleteLogGroup(ctx, "p", "g"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestReopenKeepsSchemaAndSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.InitSetting(ctx, "k", "first"); err != nil || v != "first" {
		t.Fatalf("%q %v", v, err)
	}
	db.Close()
	db, err = OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.InitSetting(ctx, "k", "second"); err != nil || v != "first" {
		t.Fatalf("the first value must win: %q %v", v, err)
	}
}
