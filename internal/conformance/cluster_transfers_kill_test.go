package conformance

import (
	"context"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/objstore"
	"logtank/internal/server"
)

// TestClusterTransfersOnceThroughKills: three senders ingest through three
// node processes while a transfer writes the stream to a bucket every two
// minutes of a clock the nodes share, running sixty times as fast as the
// wall clock. The node holding the transfers' lease is killed with SIGKILL
// just after a period ends, when it is about to write or writing, and
// restarted, eight times, and other nodes four times. When the transfer
// has caught up, every acknowledged line is in the bucket exactly once;
// no two objects cover the same stretch of time (no period written by two
// holders); every line lies in its own period's object or, when it
// arrived after that period was written, in a later one; and a line
// acknowledged before its period ended is in that period's object (none
// missing).
func TestClusterTransfersOnceThroughKills(t *testing.T) {
	const speed, period = 60, 2 * time.Minute
	clock := sharedClock{From: time.Now().UTC(), Real: time.Now().Round(0), Speed: speed}
	p, db, e, group, stream := killCluster(t, clock, "tkill")
	ctx := context.Background()
	within(t, 2*time.Second, "every node knows the stream", func() bool {
		for i := range 3 {
			if countToken(t, p.url(i), group, stream, "none") < 0 {
				return false
			}
		}
		return true
	})
	startTransfer(t, e, group, stream)
	transfers, err := db.Transfers(ctx, testProject)
	if err != nil || len(transfers) != 1 {
		t.Fatalf("transfers: %v %+v", err, transfers)
	}
	id := transfers[0].ID
	progress := func() catalog.Progress {
		tr, err := db.Transfer(ctx, testProject, id)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Streams[0].Progress
	}
	begin := time.UnixMilli(progress().DoneEndMS)

	// holder waits until a live node holds the transfers' lease and
	// returns it.
	holder := func() int {
		h := -1
		within(t, 5*clusterLease, "a live node holding the transfers", func() bool {
			rec, err := db.Lease(ctx, server.LeaseTransfers)
			h = p.nodeOf(rec.Owner)
			return err == nil && h >= 0 && rec.ExpiryMS > time.Now().UnixMilli()
		})
		return h
	}
	ingestPath := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	cs := startClusterSenders(p, ingestPath, 3, 20, 10*time.Millisecond)
	const kills = 12
	rng := rand.New(rand.NewPCG(5, 6))
	holderKills, cutShort := 0, 0
	for k := range kills {
		h := holder()
		// Just after a period ends the holder writes it.
		now := clock.now()
		next := now.Truncate(period).Add(period)
		time.Sleep(next.Sub(now) / speed)
		victim := h
		switch k % 3 {
		case 0:
			// In the middle of the write, once the window is recorded
			// (unless the holder is quicker than 200 reads of the
			// catalog, or has no lease yet).
			for i := 0; i < 200 && progress().PendingEndMS == 0; i++ {
				time.Sleep(time.Millisecond)
			}
			holderKills++
		case 1:
			time.Sleep(time.Duration(rng.IntN(120)) * time.Millisecond)
			holderKills++
		case 2:
			victim = (h + 1 + rng.IntN(2)) % 3
		}
		p.kill(victim)
		if victim == h && progress().PendingEndMS > 0 {
			cutShort++ // killed between recording a window and finishing it
		}
		p.start(victim)
	}
	acked := cs.finish()
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged")
	}
	last := slices.MaxFunc(acked, func(a, b ackedBatch) int { return a.at.Compare(b.at) }).at
	within(t, 30*time.Second, "the transfer to write every batch", func() bool {
		h, err := db.StreamIngestHead(ctx, stream)
		pr := progress()
		return err == nil && pr.PendingEndMS == 0 && pr.DoneSeq >= uint64(h.Head) && pr.DoneEndMS > last.UnixMilli()
	})

	objects := transferredObjects(t, p)
	type window struct {
		key        string
		start, end time.Time
	}
	var windows []window
	in := map[string]window{} // the object each line is in
	count := map[string]int{}
	for key, text := range objects {
		start, end := transferWindow(t, key)
		w := window{key, start, end}
		windows = append(windows, w)
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			count[l]++
			in[l] = w
		}
	}
	// No two objects cover the same time; each ends on a period boundary
	// and starts on one, or where the transfer began.
	slices.SortFunc(windows, func(a, b window) int { return a.start.Compare(b.start) })
	for i, w := range windows {
		if !w.end.After(w.start) || !w.end.Equal(w.end.Truncate(period)) || (!w.start.Equal(begin) && !w.start.Equal(w.start.Truncate(period))) ||
			w.start.Before(begin) || (i > 0 && w.start.Before(windows[i-1].end)) {
			t.Fatalf("object %s (after %v) does not follow the periods from %v", w.key, windows[max(i-1, 0)].key, begin)
		}
	}
	sent := map[string]bool{}
	missing, twice, misplaced := 0, 0, 0
	for _, b := range acked {
		for _, l := range b.lines {
			sent[l] = true
			switch count[l] {
			case 0:
				missing++
				continue
			case 1:
			default:
				twice++
			}
			// A line is in the object of its period, or in a later one
			// when it arrived after its period was written; never in an
			// earlier one, nor in a later one when it was acknowledged
			// before its period ended.
			w := in[l]
			own := b.at.Before(w.end) && !b.at.Before(w.start)
			ownEnd := b.at.Truncate(period).Add(period)
			if !b.at.Before(w.end) || (!own && b.ackedAt.Before(ownEnd)) {
				misplaced++
				if misplaced <= 5 {
					t.Errorf("line %q of %v (acknowledged at %v) is in %s", l, b.at, b.ackedAt, w.key)
				}
			}
		}
	}
	unacked := 0
	for l, c := range count {
		if !sent[l] {
			unacked++ // sent, but its answer was lost to a kill
			if c > 1 || !strings.HasPrefix(l, "crash k") {
				twice++
			}
		}
	}
	t.Logf("%d kills, %d of the transfers' holder, %d of them with a window recorded and not finished; %d objects; %d lines acknowledged, %d more unacknowledged",
		kills, holderKills, cutShort, len(windows), len(sent), unacked)
	if missing > 0 || twice > 0 || misplaced > 0 {
		t.Fatalf("%d acknowledged lines missing, %d lines written more than once or unknown, %d in the wrong object", missing, twice, misplaced)
	}
}

// transferredObjects reads every object of the kill tests' transfers
// bucket through S3.
func transferredObjects(t *testing.T, p *clusterProcs) map[string]string {
	t.Helper()
	s3, err := objstore.NewS3(objstore.S3Config{Endpoint: "http://" + p.gw.Addr, AccessKey: p.gw.AccessKey, SecretKey: p.gw.SecretKey, PathStyle: true, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	return readS3(t, s3, transfersBucket)
}

// transferWindow reads the window of an object from its key's file name,
// <stream>_<start>_<end>_<stream id>.log with UTC times.
func transferWindow(t *testing.T, key string) (time.Time, time.Time) {
	t.Helper()
	parts := strings.Split(strings.TrimSuffix(path.Base(key), ".log"), "_")
	if len(parts) != 4 {
		t.Fatalf("object key %s", key)
	}
	const stamp = "20060102T150405.000"
	start, err1 := time.Parse(stamp, parts[1])
	end, err2 := time.Parse(stamp, parts[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("object key %s: %v %v", key, err1, err2)
	}
	return start, end
}
