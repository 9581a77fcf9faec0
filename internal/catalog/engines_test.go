package catalog

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"logtank/internal/catalog/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// forEachEngine runs fn once on SQLite and once on PostgreSQL. open opens
// the same (initially empty) catalog each time it is called; the test
// closes what it opened.
func forEachEngine(t *testing.T, fn func(t *testing.T, open func() *DB)) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, opener(t, func(ctx context.Context) (*DB, error) { return OpenSQLite(ctx, dir) }))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		fn(t, opener(t, func(ctx context.Context) (*DB, error) { return Open(ctx, url, "") }))
	})
}

func opener(t *testing.T, open func(context.Context) (*DB, error)) func() *DB {
	return func() *DB {
		db, err := open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

func TestErrorsMeanTheSameOnBothEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		check := func(what string, err, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Errorf("%s: got %v, want %v", what, err, want)
			}
		}
		check("domain", db.CreateDomain(ctx, Domain{ID: "d", Name: "admin"}), nil)
		check("same domain name", db.CreateDomain(ctx, Domain{ID: "d2", Name: "admin"}), ErrExists)
		check("same domain id", db.CreateDomain(ctx, Domain{ID: "d", Name: "other"}), ErrExists)
		check("user", db.CreateUser(ctx, User{ID: "u", DomainID: "d", Name: "admin"}), nil)
		check("key", db.CreateAccessKey(ctx, AccessKey{Access: "AK", Secret: "SK", UserID: "u"}), nil)
		check("same key", db.CreateAccessKey(ctx, AccessKey{Access: "AK", Secret: "SK2", UserID: "u"}), ErrExists)
		check("delete key", db.DeleteAccessKey(ctx, "AK"), nil)
		check("delete key again", db.DeleteAccessKey(ctx, "AK"), ErrNotFound)
		check("password of nobody", db.SetPassword(ctx, "nobody", "h"), ErrNotFound)
		check("group", db.CreateLogGroup(ctx, LogGroup{ID: "g", ProjectID: "p", Name: "g", TTLDays: 7}, 10), nil)
		check("same group name", db.CreateLogGroup(ctx, LogGroup{ID: "g2", ProjectID: "p", Name: "g", TTLDays: 7}, 10), ErrExists)
		check("same group id", db.CreateLogGroup(ctx, LogGroup{ID: "g", ProjectID: "p", Name: "h", TTLDays: 7}, 10), ErrExists)
		check("group over quota", db.CreateLogGroup(ctx, LogGroup{ID: "g3", ProjectID: "p", Name: "h", TTLDays: 7}, 1), ErrQuota)
		_, err := db.UpdateLogGroup(ctx, "p", "missing", 3, nil)
		check("update missing group", err, ErrNotFound)
		check("stream", db.CreateLogStream(ctx, LogStream{ID: "s", ProjectID: "p", GroupID: "g", Name: "s"}, 1), nil)
		check("stream over quota", db.CreateLogStream(ctx, LogStream{ID: "s2", ProjectID: "p", GroupID: "g", Name: "s2"}, 1), ErrQuota)
		check("same stream name", db.CreateLogStream(ctx, LogStream{ID: "s2", ProjectID: "p", GroupID: "g", Name: "s"}, 5), ErrExists)
		_, err = db.LogStream(ctx, "p", "g", "missing")
		check("missing stream", err, ErrNotFound)
	})
}

// Versions move with the writes of their scope only, and Watch reloads
// what moved.
func TestChangeVersions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		before, err := db.Versions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateLogGroup(ctx, LogGroup{ID: "g", ProjectID: "p", Name: "g", TTLDays: 7}, 10); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(ctx, "digest", 2000, 1000); err != nil {
			t.Fatal(err)
		}
		// A refused write changes nothing.
		if err := db.CreateLogGroup(ctx, LogGroup{ID: "g2", ProjectID: "p", Name: "g", TTLDays: 7}, 10); !errors.Is(err, ErrExists) {
			t.Fatal(err)
		}
		after, err := db.Versions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after[ScopeStreams] != before[ScopeStreams]+1 || after[ScopeAccounts] != before[ScopeAccounts]+1 {
			t.Fatalf("versions %v then %v", before, after)
		}

		reloads := make(chan Scope, 10)
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			db.Watch(wctx, 10*time.Millisecond, map[Scope]func(context.Context) error{
				ScopeStreams:  func(context.Context) error { reloads <- ScopeStreams; return nil },
				ScopeAccounts: func(context.Context) error { reloads <- ScopeAccounts; return nil },
			}, func(err error) { t.Error(err) })
		})
		defer func() { cancel(); wg.Wait() }()
		got := map[Scope]int{}
		for range 2 {
			got[<-reloads]++
		}
		if got[ScopeStreams] != 1 || got[ScopeAccounts] != 1 {
			t.Fatalf("first reloads: %v", got)
		}
		other := open()
		if err := other.DeleteLogGroup(ctx, "p", "g"); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-reloads:
			if s != ScopeStreams {
				t.Fatalf("reloaded %s", s)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no reload after a change")
		}
	})
}

func TestTransferStreamsKeepTheirOrder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		if err := db.CreateLogGroup(ctx, LogGroup{ID: "g", ProjectID: "p", Name: "g", TTLDays: 7}, 10); err != nil {
			t.Fatal(err)
		}
		var streams []TransferStream
		for _, id := range []string{"s3", "s1", "s2"} {
			if err := db.CreateLogStream(ctx, LogStream{ID: id, ProjectID: "p", GroupID: "g", Name: id}, 10); err != nil {
				t.Fatal(err)
			}
			streams = append(streams, TransferStream{StreamID: id})
		}
		if err := db.CreateTransfer(ctx, Transfer{ID: "t", ProjectID: "p", GroupID: "g", Type: "OBS", Settings: "{}", Streams: streams}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Transfer(ctx, "p", "t")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got.Streams {
			ids = append(ids, s.StreamID)
		}
		if strings.Join(ids, ",") != "s3,s1,s2" {
			t.Fatalf("streams in order %v", ids)
		}
	})
}

func TestFunctionFiltersOnBothEngines(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		f := Function{ID: "f", ProjectID: "p", DomainID: "d", Package: "default", Name: "My_Func", CreatedMS: 1}
		if err := db.CreateFunction(ctx, f, FunctionVersion{Config: []byte("{}")}, 10); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			contains string
			want     int
		}{{"func", 1}, {"y_F", 1}, {"yF", 0}, {"%", 0}} {
			list, err := db.Functions(ctx, "p", FunctionFilter{NameContains: c.contains})
			if err != nil || len(list) != c.want {
				t.Errorf("name contains %q: %d functions, %v (want %d)", c.contains, len(list), err, c.want)
			}
		}
		// Times beyond 32 bits as filters.
		const start = int64(1_700_000_000_000)
		if err := db.CreateAsyncInvocation(ctx, AsyncInvocation{RequestID: "r", FunctionID: "f", Qualifier: "latest", Status: "WAIT", StartMS: start}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			from, to int64
			want     int
		}{{0, 0, 1}, {start, start, 1}, {start + 1, 0, 0}, {0, start - 1, 0}} {
			list, total, err := db.AsyncInvocations(ctx, "f", AsyncFilter{FromMS: c.from, ToMS: c.to})
			if err != nil || len(list) != c.want || total != c.want {
				t.Errorf("from %d to %d: %d (%d in all), %v", c.from, c.to, len(list), total, err)
			}
		}
	})
}

func TestOpenRefusesWhatItCannotUse(t *testing.T) {
	_, err := Open(context.Background(), "mysql://u:secret@h/db", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = Open(ctx, "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2", "")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("unreachable server: %v", err)
	}
}

// Deleting a stream, or a group with its streams, leaves tombstones in
// the same transaction; a deletion refused leaves none.
func TestDeletionsLeaveTombstones(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(db.CreateLogGroup(ctx, LogGroup{ID: "g1", ProjectID: "p", Name: "g1", TTLDays: 7}, 10))
		must(db.CreateLogGroup(ctx, LogGroup{ID: "g2", ProjectID: "p", Name: "g2", TTLDays: 7}, 10))
		for _, s := range []LogStream{{ID: "a", GroupID: "g1"}, {ID: "b", GroupID: "g1"}, {ID: "c", GroupID: "g2"}, {ID: "d", GroupID: "g2"}} {
			s.ProjectID, s.Name = "p", s.ID
			must(db.CreateLogStream(ctx, s, 10))
		}
		must(db.CreateTransfer(ctx, Transfer{ID: "t", ProjectID: "p", GroupID: "g2", Type: "OBS", Settings: "{}", Streams: []TransferStream{{StreamID: "d"}}}))
		must(db.DeleteLogStream(ctx, "p", "g1", "a"))
		if err := db.DeleteLogStream(ctx, "p", "g2", "d"); !errors.Is(err, ErrInUse) {
			t.Fatalf("deleting a transferred stream: %v", err)
		}
		if err := db.DeleteLogGroup(ctx, "p", "g2"); !errors.Is(err, ErrInUse) {
			t.Fatalf("deleting a transferred group: %v", err)
		}
		must(db.DeleteLogGroup(ctx, "p", "g1"))
		gone, err := db.DeletedStreams(ctx)
		must(err)
		if len(gone) != 2 || !gone["a"] || !gone["b"] {
			t.Fatalf("tombstones %v, want a and b", gone)
		}
	})
}
