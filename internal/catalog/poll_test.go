package catalog

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"logtank/internal/catalog/pgtest"
)

func polled(t *testing.T, db *DB, since int64) ClusterPoll {
	t.Helper()
	p, err := db.PollCluster(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// headsOf and leasesOf name what a poll read, in order.
func headsOf(p ClusterPoll) []string {
	var out []string
	for _, h := range p.Heads {
		out = append(out, h.StreamID)
	}
	slices.Sort(out)
	return out
}

func leasesOf(p ClusterPoll) []string {
	var out []string
	for _, l := range p.Leases {
		out = append(out, l.Name)
	}
	slices.Sort(out)
	return out
}

func appendTo(t *testing.T, db *DB, streams ...string) {
	t.Helper()
	for _, s := range streams {
		if _, err := db.AppendIngest(context.Background(), s, []byte("b"), 100); err != nil {
			t.Fatal(err)
		}
	}
}

// A poll of changes reads the heads and leases that moved since the last
// poll and nothing else, deleted heads included, and a whole read every
// head and unexpired lease.
func TestPollClusterReadsWhatMoved(t *testing.T) {
	forEachEngine(t, func(t *testing.T, open func() *DB) {
		ctx := context.Background()
		db := open()
		appendTo(t, db, "s1", "s2", "s3")
		for _, name := range []string{"node:a", "stream:s1"} {
			if _, ok, err := db.AcquireLease(ctx, name, "a", time.Minute); err != nil || !ok {
				t.Fatal(name, ok, err)
			}
		}
		whole := polled(t, db, 0)
		if !whole.Whole || !slices.Equal(headsOf(whole), []string{"s1", "s2", "s3"}) ||
			!slices.Equal(leasesOf(whole), []string{"node:a", "stream:s1"}) || whole.Next <= 0 {
			t.Fatalf("whole read: %+v", whole)
		}
		for _, l := range whole.Leases {
			if l.ExpiryMS <= whole.NowMS {
				t.Fatalf("lease %+v expired at %d", l, whole.NowMS)
			}
		}
		quiet := polled(t, db, whole.Next)
		if quiet.Whole || len(quiet.Heads)+len(quiet.Gone)+len(quiet.Leases) != 0 {
			t.Fatalf("nothing moved, yet the poll read %+v", quiet)
		}

		appendTo(t, db, "s2")
		s1, err := db.Lease(ctx, "stream:s1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RenewLease(ctx, "stream:s1", "a", s1.Epoch, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseLease(ctx, "node:a", "a", 1); err != nil {
			t.Fatal(err)
		}
		moved := polled(t, db, quiet.Next)
		if !slices.Equal(headsOf(moved), []string{"s2"}) || moved.Heads[0].Head != 2 || len(moved.Gone) != 0 ||
			!slices.Equal(leasesOf(moved), []string{"node:a", "stream:s1"}) {
			t.Fatalf("after an append, a renewal and a release: %+v", moved)
		}
		for _, l := range moved.Leases {
			if (l.Name == "node:a") != (l.ExpiryMS <= moved.NowMS) {
				t.Fatalf("lease %+v at %d", l, moved.NowMS)
			}
		}
		// A whole read leaves the released lease out.
		if got := leasesOf(polled(t, db, 0)); !slices.Equal(got, []string{"stream:s1"}) {
			t.Fatalf("whole read after the release: %v", got)
		}

		// A deleted head is read as gone, and only while it stays deleted.
		if _, err := db.ForgetStreamLog(ctx, "s3"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ForgetStreamLog(ctx, "never-ingested"); err != nil {
			t.Fatal(err)
		}
		deleted := polled(t, db, moved.Next)
		if len(deleted.Heads) != 0 || !slices.Equal(deleted.Gone, []string{"s3"}) || len(deleted.Leases) != 0 {
			t.Fatalf("after a deletion: %+v", deleted)
		}
		appendTo(t, db, "s3")
		for _, since := range []int64{moved.Next, deleted.Next} {
			back := polled(t, db, since)
			if !slices.Equal(headsOf(back), []string{"s3"}) || back.Heads[0].Head != 1 || len(back.Gone) != 0 {
				t.Fatalf("since %d, after the deleted stream's head came back: %+v", since, back)
			}
		}
	})
}

// On PostgreSQL a transaction that took its change number first may commit
// last; the poll after its commit still reads its row, where asking for
// numbers above the highest seen would miss it. (On SQLite transactions
// run one at a time, so the case cannot arise there.)
func TestPollClusterReadsLateCommits(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, pgtest.URL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := polled(t, db, 0)
	early, err := db.sql.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback()
	if _, err := db.appendIngest(ctx, early, "early", []byte("b"), 100); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.AcquireLease(ctx, "stream:late", "a", time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	appendTo(t, db, "late")
	before := polled(t, db, start.Next)
	if !slices.Equal(headsOf(before), []string{"late"}) || !slices.Equal(leasesOf(before), []string{"stream:late"}) {
		t.Fatalf("before the early transaction commits: %+v", before)
	}
	if err := early.Commit(); err != nil {
		t.Fatal(err)
	}
	var earlyNo, lateNo, above int64
	if err := db.sql.QueryRowContext(ctx, `SELECT (SELECT changed FROM ingest_heads WHERE stream_id = 'early'),
		(SELECT changed FROM ingest_heads WHERE stream_id = 'late')`).Scan(&earlyNo, &lateNo); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM ingest_heads WHERE changed > $1`, lateNo).Scan(&above); err != nil {
		t.Fatal(err)
	}
	if earlyNo >= lateNo || above != 0 {
		t.Fatalf("the early transaction is numbered %d, the late one %d, and %d rows are above the late one: not the case tested", earlyNo, lateNo, above)
	}
	after := polled(t, db, before.Next)
	if !slices.Contains(headsOf(after), "early") {
		t.Fatalf("the head committed late was not read: %+v", after)
	}
	if again := polled(t, db, after.Next); slices.Contains(headsOf(again), "early") {
		t.Fatalf("the head committed late is read again once nothing is in flight: %+v", again)
	}
}
