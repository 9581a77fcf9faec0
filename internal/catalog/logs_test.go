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
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		// Two handles: two nodes on PostgreSQL, one file on SQLite.
		dbs := []*DB{open(), open()}
		quotaUnderConcurrency(t, dbs)
	})
}

func quotaUnderConcurrency(t *testing.T, dbs []*DB) {
	ctx := context.Background()
	var ok, quota, other atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := dbs[i%len(dbs)].CreateLogGroup(ctx, LogGroup{ID: fmt.Sprint("id-", i), ProjectID: "p", Name: fmt.Sprint("g", i), TTLDays: 7}, 20)
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
	groups, err := dbs[0].LogGroups(ctx, "p")
	if err != nil || len(groups) != 20 {
		t.Fatalf("%d groups stored, %v", len(groups), err)
	}
}

func TestDeleteGroupDeletesStreams(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		deleteGroupDeletesStreams(t, open())
	})
}

func deleteGroupDeletesStreams(t *testing.T, db *DB) {
	ctx := context.Background()
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
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		reopenKeepsSchemaAndSettings(t, open)
	})
}

func reopenKeepsSchemaAndSettings(t *testing.T, open func() *DB) {
	ctx := context.Background()
	db := open()
	if v, err := db.InitSetting(ctx, "k", "first"); err != nil || v != "first" {
		t.Fatalf("%q %v", v, err)
	}
	db.Close()
	db = open()
	if v, err := db.InitSetting(ctx, "k", "second"); err != nil || v != "first" {
		t.Fatalf("the first value must win: %q %v", v, err)
	}
}
