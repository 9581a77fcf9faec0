package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/server"
)

// clusterJobsConfig makes a node of a cluster on the PostgreSQL catalog at
// url, with the alarm scheduler on clk, looking for work often, and job
// leases short enough for handovers to happen within the test.
func clusterJobsConfig(url string, clk *testClock) func(*server.Config) {
	return func(c *server.Config) {
		c.Catalog = url
		c.Now = clk.now
		c.AlarmInterval = 5 * time.Millisecond
		c.TransferGrace = -1
		c.TransferInterval = 10 * time.Millisecond
		c.LeaseTTL = 2 * time.Second
	}
}

// holderOf returns the live node that holds the lease name in the
// catalog, waiting until one does.
func holderOf(t *testing.T, db *catalog.DB, name string, nodes []*env) (*env, catalog.LeaseRecord) {
	t.Helper()
	var holder *env
	var rec catalog.LeaseRecord
	waitFor(t, "a node holding "+name, func() bool {
		var err error
		rec, err = db.Lease(context.Background(), name)
		if err != nil {
			return false
		}
		for _, n := range nodes {
			if n.app.Leases().Owner() == rec.Owner && rec.ExpiryMS > 0 {
				holder = n
				return true
			}
		}
		return false
	})
	return holder, rec
}

// onlyHolderRuns checks that the alarm scheduler runs on the holder of
// its lease and nowhere else: over a stretch in which the holding does
// not change, the holder runs rounds and the other nodes none.
func onlyHolderRuns(t *testing.T, db *catalog.DB, nodes []*env) {
	t.Helper()
	tokens := make([]string, len(nodes))
	for i, n := range nodes {
		tokens[i] = n.adminToken()
	}
	for {
		holder, before := holderOf(t, db, server.LeaseAlarms, nodes)
		h := slices.Index(nodes, holder)
		from := make([]int, len(nodes))
		for i, n := range nodes {
			from[i] = n.schedulerRounds(t, tokens[i])
		}
		waitFor(t, "rounds on the holder", func() bool {
			return holder.schedulerRounds(t, tokens[h]) >= from[h]+3
		})
		to := make([]int, len(nodes))
		for i, n := range nodes {
			to[i] = n.schedulerRounds(t, tokens[i])
		}
		if _, after := holderOf(t, db, server.LeaseAlarms, nodes); after != before {
			continue // the lease moved meanwhile: look again
		}
		for i, n := range nodes {
			if n != holder && to[i] != from[i] {
				t.Fatalf("node %d, not the holder, ran %d scheduler rounds", i, to[i]-from[i])
			}
		}
		return
	}
}

// TestClusterSendsEachAlarmOnce: three nodes share one PostgreSQL catalog
// and one webhook receiver. A keywords rule fires and recovers over and
// over as the clock moves period by period, while the node holding the
// alarms' lease is closed, and later has its lease taken from under it
// (as when a node pauses past its lease's expiry): each period is
// evaluated once and each notification arrives once.
//
// Each node's logs are still its own (the shared log path is other
// work), so the test ingests every line through every node: whichever
// node evaluates a period sees the same lines.
func TestClusterSendsEachAlarmOnce(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	clk := newClock(alarmStart)
	cfg := clusterJobsConfig(url, clk)
	nodes := []*env{startWith(t, "", cfg), startWith(t, "", cfg), startWith(t, "", cfg)}
	db, err := catalog.Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	rc := newReceiver(t)
	group, stream := nodes[0].createStream(t, "alarm-group", "alarm-stream")
	nodes[0].createTopic(t, "ops", rc.srv.URL)
	resp, err := nodes[0].lts().CreateKeywordsAlarmRule(&model.CreateKeywordsAlarmRuleRequest{Body: keywordsRule("errors", group, stream, "error", 1, "ops")})
	if err != nil {
		t.Fatal(err)
	}
	ruleID := *resp.KeywordsAlarmRuleId
	path := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents/high-accuracy"
	ingest := func(at time.Time) {
		for _, n := range nodes {
			waitFor(t, "the node to know the stream", func() bool {
				status, _ := n.post(t, path, map[string]any{"contents": []map[string]any{{"log_time_ns": at.UnixNano(), "log": "error: disk full"}},
					"labels": map[string]string{}}, nil)
				return status == http.StatusOK
			})
		}
	}
	minute := func(i int) time.Time { return alarmStart.Truncate(time.Minute).Add(time.Duration(i) * time.Minute) }
	// step moves the clock to the end of period m and waits until the
	// period is evaluated and its notifications are sent.
	step := func(m int) {
		clk.set(minute(m).Add(10 * time.Second))
		waitFor(t, "the evaluation of the period", func() bool {
			r, err := db.AlarmRule(ctx, testProject, ruleID)
			return err == nil && r.NextDueMS > minute(m).UnixMilli()
		})
		waitFor(t, "no notification pending", func() bool {
			due, err := db.DueAlarmDeliveries(ctx, math.MaxInt64, 10)
			return err == nil && len(due) == 0
		})
	}
	want := 0
	// cycle: errors in period m fire the alarm at the end of m+1; two
	// quiet periods recover it (recovery policy 2).
	cycle := func(m int) {
		ingest(minute(m).Add(5 * time.Second))
		step(m + 1)
		want++
		step(m + 2)
		step(m + 3)
		want++
		if got := rc.posts(); len(got) != want {
			t.Fatalf("after the cycle from minute %d: %d notifications, want %d: %q", m, len(got), want, got)
		}
	}

	cycle(0)
	onlyHolderRuns(t, db, nodes)

	// The holder is closed between periods: another node takes over.
	holder, before := holderOf(t, db, server.LeaseAlarms, nodes)
	holder.stop()
	var live []*env
	for _, n := range nodes {
		if n != holder {
			live = append(live, n)
		}
	}
	nodes = live
	_, after := holderOf(t, db, server.LeaseAlarms, nodes)
	if after.Epoch <= before.Epoch {
		t.Fatalf("lease after the holder closed: %+v, before %+v", after, before)
	}
	cycle(3)

	// The holder's lease is taken from under it, as when it pauses past
	// the expiry: its fenced writes are refused from then on, and the
	// other node carries on.
	_, held := holderOf(t, db, server.LeaseAlarms, nodes)
	if err := db.ReleaseLease(ctx, held.Name, held.Owner, held.Epoch); err != nil {
		t.Fatal(err)
	}
	cycle(6)
	onlyHolderRuns(t, db, nodes)

	got := rc.posts()
	for i, body := range got {
		status := "firing"
		if i%2 == 1 {
			status = "recovered"
		}
		if !strings.Contains(body, `"alarm_status":"`+status+`"`) {
			t.Fatalf("notification %d is not %s: %s", i, status, body)
		}
	}
	// Every notification was decided once and sent in one attempt.
	events, err := db.AlarmEvents(ctx, testProject, false)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, ev := range events {
		deliveries, err := db.AlarmDeliveriesOf(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deliveries {
			if d.State != "sent" || d.Attempts != 1 {
				t.Fatalf("delivery %+v", d)
			}
			sent++
		}
	}
	if sent != want || len(events) != 3 {
		t.Fatalf("%d alarms with %d notifications sent, want 3 with %d", len(events), sent, want)
	}
}

// TestClusterTransfersRunOnTheHolder: with a shared catalog, transfers
// run on the node holding their lease; a run asked of another node is
// refused with 409 LTS.0417 until that node takes the lease over (here,
// when the holder stops). Each node still reads only the logs it holds,
// so what a shared transfer writes is the shared log path's to test.
func TestClusterTransfersRunOnTheHolder(t *testing.T) {
	url := pgtest.URL(t)
	clk := newClock(transferStart)
	shared := t.TempDir()
	if err := os.Mkdir(filepath.Join(shared, "logs-bucket"), 0o755); err != nil {
		t.Fatal(err)
	}
	objects, err := objstore.NewDir(shared)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() }) // after the nodes, which stop first
	cfg := func(c *server.Config) {
		clusterJobsConfig(url, clk)(c)
		c.Objects = objects
	}
	nodes := []*env{startWith(t, "", cfg), startWith(t, "", cfg)}
	db, err := catalog.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	group, stream := nodes[0].createStream(t, "app", "web")
	run := startTransfer(t, nodes[0], group, stream)
	holder, _ := holderOf(t, db, server.LeaseTransfers, nodes)
	other := nodes[0]
	if other == holder {
		other = nodes[1]
	}
	holder.ingestAt(t, group, stream, at(0, 40), "through the holder")
	clk.set(at(1, 0))
	if status, body := run(other); status != http.StatusConflict || !strings.Contains(string(body), `"LTS.0417"`) {
		t.Fatalf("run on the node without the lease: %d %s", status, body)
	}
	if status, body := run(holder); status != http.StatusOK || !strings.Contains(string(body), "LogTanks/") {
		t.Fatalf("run on the holder: %d %s", status, body)
	}
	holder.stop()
	waitFor(t, "the other node to take the transfers over", func() bool {
		status, _ := run(other)
		return status == http.StatusOK
	})
}

// TestClusterTransfersWriteEveryLineOnce: in cluster mode a transfer's
// holder writes the lines ingested through every node, each once, and a
// node that takes the transfers over from a stopped holder goes on from
// the stream's own sequence numbers without writing a line again.
func TestClusterTransfersWriteEveryLineOnce(t *testing.T) {
	url := pgtest.URL(t)
	clk := newClock(transferStart)
	shared := t.TempDir()
	bucketDir := filepath.Join(shared, "logs-bucket")
	if err := os.Mkdir(bucketDir, 0o755); err != nil {
		t.Fatal(err)
	}
	objects, err := objstore.NewDir(shared)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	segments := clusterBucket(t)
	cfg := func(c *server.Config) {
		clusterJobsConfig(url, clk)(c)
		c.Objects = objects
		c.Cluster = &ltscore.Cluster{Objects: segments, Bucket: "segments", Poll: 50 * time.Millisecond,
			IndexAfter: 300 * time.Millisecond, LeaseTTL: 2 * time.Second}
	}
	nodes := []*env{startWith(t, "", cfg), startWith(t, "", cfg), startWith(t, "", cfg)}
	db, err := catalog.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	group, stream := nodes[0].createStream(t, "app", "web")
	for _, n := range nodes {
		waitFor(t, "every node to know the stream", func() bool {
			limit, yes := int32(1), true
			_, err := n.lts().ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
				StartTime: strconv.FormatInt(at(0, 0).UnixMilli(), 10), EndTime: strconv.FormatInt(at(10, 0).UnixMilli(), 10), IsCount: &yes, Limit: &limit,
			}})
			return err == nil
		})
	}
	run := startTransfer(t, nodes[1], group, stream)
	var want []string
	for i, n := range nodes {
		ls := lines(fmt.Sprintf("first window through node %d", i), 5)
		n.ingestAt(t, group, stream, at(0, 40+i*5), ls...)
		want = append(want, ls...)
	}
	holder, _ := holderOf(t, db, server.LeaseTransfers, nodes)
	clk.set(at(2, 30))
	if status, body := run(holder); status != http.StatusOK {
		t.Fatalf("run on the holder: %d %s", status, body)
	}
	exactlyOnce(t, readDirObjects(t, bucketDir), want)

	holder.stop()
	var rest []*env
	for _, n := range nodes {
		if n != holder {
			rest = append(rest, n)
		}
	}
	for i, n := range rest {
		ls := lines(fmt.Sprintf("second window through node %d", i), 5)
		n.ingestAt(t, group, stream, at(2, 40+i*5), ls...)
		want = append(want, ls...)
	}
	late := lines("late, for the first window", 2)
	rest[0].ingestAt(t, group, stream, at(1, 0), late...)
	want = append(want, late...)
	clk.set(at(4, 30))
	waitFor(t, "another node to take the transfers over and write the second window", func() bool {
		for _, n := range rest {
			if status, _ := run(n); status == http.StatusOK {
				return len(readDirObjects(t, bucketDir)) >= 2
			}
		}
		return false
	})
	exactlyOnce(t, readDirObjects(t, bucketDir), want)
}

// startTransfer creates through e a RAW transfer of stream every two
// minutes to the bucket "logs-bucket", and returns how to ask a node to
// run it.
func startTransfer(t *testing.T, e *env, group, stream string) func(*env) (int, []byte) {
	t.Helper()
	status, resp := e.post(t, "/v2/"+testProject+"/transfers", map[string]any{
		"log_group_id": group,
		"log_streams":  []map[string]string{{"log_stream_id": stream}},
		"log_transfer_info": map[string]any{
			"log_transfer_type": "OBS", "log_transfer_mode": "cycle", "log_storage_format": "RAW", "log_transfer_status": "ENABLE",
			"log_transfer_detail": map[string]any{"obs_period": 2, "obs_period_unit": "min", "obs_bucket_name": "logs-bucket"},
		},
	}, nil)
	if status != http.StatusOK {
		t.Fatalf("create: %d %s", status, resp)
	}
	var created struct {
		ID string `json:"log_transfer_id"`
	}
	if err := json.Unmarshal(resp, &created); err != nil {
		t.Fatal(err)
	}
	return func(n *env) (int, []byte) {
		status, _, body := n.raw("POST", "/v2/"+testProject+"/transfers/"+created.ID+"/run", nil, nil, signer(testAK, testSK, testProject, time.Now()))
		return status, body
	}
}
