package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/iam"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/objstore/s3test"
	"logtank/internal/server"
)

// clusterChildEnv holds, as JSON, the configuration of a cluster node
// when the test binary runs as one for the kill tests.
const clusterChildEnv = "LOGTANK_CLUSTER_CHILD"

// clusterChildConfig is what a cluster node child needs.
type clusterChildConfig struct {
	Dir, Catalog, Endpoint, AccessKey, SecretKey string
	LeaseTTL                                     time.Duration
	// Clock is the clock the nodes share (the real one when its Speed
	// is zero).
	Clock sharedClock
}

// sharedClock is a clock that processes on one machine agree on without
// talking: it reads the machine's wall clock and runs Speed times as fast
// from the moment Real, at which it read From. It lets a kill test live
// through many transfer periods of minutes in seconds.
type sharedClock struct {
	From, Real time.Time
	Speed      int64
}

func (c sharedClock) now() time.Time {
	if c.Speed == 0 {
		return time.Now()
	}
	return c.From.Add(time.Since(c.Real) * time.Duration(c.Speed))
}

// clusterLease is the lease time of the kill tests' nodes (streams and
// jobs): how soon a dead node's work is taken over by another.
const clusterLease = 2 * time.Second

// transfersBucket is the bucket of the kill tests' versitygw transfers
// write to.
const transfersBucket = "logs-bucket"

// runClusterChild serves as a cluster node until killed; the parent
// learns the address from <dir>/addr and the node's lease owner name from
// <dir>/owner.
func runClusterChild(raw string) {
	var c clusterChildConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	s3, err := objstore.NewS3(objstore.S3Config{Endpoint: c.Endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey, PathStyle: true, Insecure: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	// Warnings go to a file the test shows when it fails.
	logFile, err := os.OpenFile(filepath.Join(c.Dir, "warnings.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		os.Exit(3)
	}
	app, err := server.Open(context.Background(), server.Config{
		DataDir: c.Dir, Region: testRegion, Logger: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn})), Catalog: c.Catalog,
		Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
		Cluster: &ltscore.Cluster{Objects: s3, Bucket: "segments", Poll: 50 * time.Millisecond, IndexAfter: 500 * time.Millisecond,
			LeaseTTL: c.LeaseTTL},
		Now: c.Clock.now, LeaseTTL: c.LeaseTTL,
		Objects: s3, TransferGrace: -1, TransferInterval: 50 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	os.WriteFile(filepath.Join(c.Dir, "owner"), []byte(app.Leases().Owner()), 0o600)
	os.WriteFile(filepath.Join(c.Dir, "addr.tmp"), []byte(ln.Addr().String()), 0o600)
	os.Rename(filepath.Join(c.Dir, "addr.tmp"), filepath.Join(c.Dir, "addr"))
	http.Serve(ln, app.Handler())
}

// clusterProcs are the node processes of a kill test, on one PostgreSQL
// catalog and one versitygw holding the buckets "segments" and
// transfersBucket.
type clusterProcs struct {
	t       *testing.T
	catalog string
	gw      *s3test.Server
	mu      sync.Mutex
	configs []clusterChildConfig
	nodes   []*crashChild
	// owners are the nodes' lease owner names, new at each start.
	owners []string
}

// startClusterProcs starts n node processes on clock; they are killed, and
// their warnings shown if the test failed, when it ends.
func startClusterProcs(t *testing.T, n int, clock sharedClock) *clusterProcs {
	t.Helper()
	pg := pgtest.URL(t)
	gw := s3test.Start(t, "segments-ak", "segments-secret-key")
	for _, b := range []string{"segments", transfersBucket} {
		if err := os.Mkdir(filepath.Join(gw.Dir, b), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &clusterProcs{t: t, catalog: pg, gw: gw, configs: make([]clusterChildConfig, n), nodes: make([]*crashChild, n), owners: make([]string, n)}
	for i := range n {
		p.configs[i] = clusterChildConfig{Dir: t.TempDir(), Catalog: pg, Endpoint: "http://" + gw.Addr, AccessKey: gw.AccessKey,
			SecretKey: gw.SecretKey, LeaseTTL: clusterLease, Clock: clock}
	}
	t.Cleanup(func() {
		for _, n := range p.nodes {
			if n != nil {
				n.kill()
			}
		}
		if t.Failed() {
			for i, c := range p.configs {
				b, _ := os.ReadFile(filepath.Join(c.Dir, "warnings.log"))
				t.Logf("node %d warnings (last 2000 bytes):\n%s", i, b[max(0, len(b)-2000):])
			}
		}
	})
	for i := range n {
		p.start(i)
	}
	return p
}

// start starts node i (again).
func (p *clusterProcs) start(i int) {
	p.t.Helper()
	c := p.configs[i]
	os.Remove(filepath.Join(c.Dir, "addr"))
	raw, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clusterChildEnv+"="+string(raw))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(c.Dir, "addr")); err == nil {
			owner, _ := os.ReadFile(filepath.Join(c.Dir, "owner"))
			p.mu.Lock()
			p.nodes[i], p.owners[i] = &crashChild{cmd: cmd, url: "http://" + string(b)}, string(owner)
			p.mu.Unlock()
			return
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			p.t.Fatalf("the cluster node did not start: %s", stderr.String())
		}
	}
}

// kill kills node i with SIGKILL.
func (p *clusterProcs) kill(i int) {
	p.mu.Lock()
	n := p.nodes[i]
	p.mu.Unlock()
	n.kill()
}

func (p *clusterProcs) url(i int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nodes[i].url
}

// nodeOf returns the node whose lease owner name is owner, or -1.
func (p *clusterProcs) nodeOf(owner string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, o := range p.owners {
		if o == owner {
			return i
		}
	}
	return -1
}

// ackedBatch is a batch a node acknowledged: its lines, a token only they
// hold, their time, and the time the answer came back (on the senders'
// clock).
type ackedBatch struct {
	node        int
	token       string
	lines       []string
	at, ackedAt time.Time
}

// clusterSenders send batches to the nodes of a kill test in turn, each
// with the time of the clock when it is sent, and keep the ones
// acknowledged.
type clusterSenders struct {
	mu    sync.Mutex
	acked []ackedBatch
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startClusterSenders starts senders that send batches of batch lines to
// path through each node in turn, pausing pause after each.
func startClusterSenders(p *clusterProcs, path string, senders, batch int, pause time.Duration) *clusterSenders {
	cs := &clusterSenders{stop: make(chan struct{})}
	clock := p.configs[0].Clock
	for s := range senders {
		cs.wg.Add(1)
		go func() {
			defer cs.wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-cs.stop:
					return
				case <-time.After(pause):
				}
				node := (s + seq) % len(p.configs)
				token := fmt.Sprintf("k%dx%d", s, seq)
				lines := make([]string, batch)
				for i := range lines {
					lines[i] = fmt.Sprintf("crash %s i%d", token, i)
				}
				at := clock.now()
				body, _ := json.Marshal(map[string]any{"log_time_ns": at.UnixNano(), "contents": lines, "labels": map[string]string{}})
				status, _, err := signedPost(p.url(node), path, body)
				if err == nil && status == 200 {
					cs.mu.Lock()
					cs.acked = append(cs.acked, ackedBatch{node: node, token: token, lines: lines, at: at, ackedAt: clock.now()})
					cs.mu.Unlock()
				}
			}
		}()
	}
	return cs
}

// lastOf returns the last batch node acknowledged, or nil.
func (cs *clusterSenders) lastOf(node int) *ackedBatch {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for i := len(cs.acked) - 1; i >= 0; i-- {
		if cs.acked[i].node == node {
			b := cs.acked[i]
			return &b
		}
	}
	return nil
}

// finish stops the senders and returns the batches acknowledged.
func (cs *clusterSenders) finish() []ackedBatch {
	close(cs.stop)
	cs.wg.Wait()
	return cs.acked
}

// TestClusterKillKeepsEveryAcknowledgedLine: four senders ingest through
// three nodes (processes) on one PostgreSQL catalog and one S3 bucket,
// while one node is killed with SIGKILL and restarted, again and again.
// After each kill the last batch the dead node acknowledged is found
// through the other nodes within the lease time; at the end every
// acknowledged line is found exactly once through each node, after the
// owners moved the rows into segments.
func TestClusterKillKeepsEveryAcknowledgedLine(t *testing.T) {
	p := startClusterProcs(t, 3, sharedClock{})
	group, stream := (&env{t: t, URL: p.url(0)}).createStream(t, "kill", "s")
	ingestPath := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	within(t, 2*time.Second, "every node knows the stream", func() bool {
		for i := range 3 {
			if countToken(t, p.url(i), group, stream, "none") < 0 {
				return false
			}
		}
		return true
	})
	const kills, senders, batch = 10, 4, 50
	rng := rand.New(rand.NewPCG(3, 4))
	cs := startClusterSenders(p, ingestPath, senders, batch, 0)
	for k := range kills {
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		victim := k % 3
		p.kill(victim)
		// The last batch the dead node acknowledged is found through the
		// others within the lease time.
		if last := cs.lastOf(victim); last != nil {
			for other := range 3 {
				if other == victim {
					continue
				}
				within(t, clusterLease, fmt.Sprintf("kill %d: node %d finds %s, acknowledged by the dead node %d", k, other, last.token, victim), func() bool {
					return countToken(t, p.url(other), group, stream, last.token) == batch
				})
			}
		}
		p.start(victim)
	}
	acked := cs.finish()

	db, err := catalog.Open(context.Background(), p.catalog, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	within(t, 30*time.Second, "the owners index every batch", func() bool {
		h, err := db.StreamIngestHead(context.Background(), stream)
		return err == nil && h.Indexed == h.Head
	})
	segs, _ := db.SegmentsAfter(context.Background(), stream, 0)
	want := map[string]bool{}
	for _, b := range acked {
		for _, l := range b.lines {
			want[l] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("no batch was acknowledged")
	}
	for i := range 3 {
		seen := storedLines(t, p.url(i), group, stream)
		missing, dup, other := 0, 0, 0
		for l := range want {
			if seen[l] == 0 {
				missing++
			}
		}
		for l, c := range seen {
			if c > 1 {
				dup++
			}
			if !want[l] {
				other++ // sent, stored, but its answer was lost to the kill
			}
		}
		t.Logf("node %d: %d lines acknowledged, %d found, %d of them unacknowledged; %d segments", i, len(want), len(seen), other, len(segs))
		if missing > 0 || dup > 0 {
			t.Fatalf("node %d: %d acknowledged lines missing, %d found more than once", i, missing, dup)
		}
	}
}

// countToken counts the stream's lines of the last hour holding token,
// through the node at url; -1 when the node does not answer.
func countToken(t *testing.T, url, group, stream, token string) int {
	t.Helper()
	q, _ := json.Marshal(map[string]any{"start_time": time.Now().Add(-time.Hour).UnixMilli(), "end_time": time.Now().Add(time.Minute).UnixMilli(),
		"keywords": token, "limit": 1, "is_count": true})
	status, resp, err := signedPost(url, "/v2/"+testProject+"/groups/"+group+"/streams/"+stream+"/content/query", q)
	if err != nil || status != 200 {
		return -1
	}
	var out struct {
		Count int `json:"count"`
	}
	json.Unmarshal(resp, &out)
	return out.Count
}

// killCluster starts three node processes on clock, opens their catalog
// (closed when the test ends) and creates the group named with its stream
// "s" through the first node.
func killCluster(t *testing.T, clock sharedClock, group string) (p *clusterProcs, db *catalog.DB, e *env, groupID, streamID string) {
	t.Helper()
	p = startClusterProcs(t, 3, clock)
	db, err := catalog.Open(context.Background(), p.catalog, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e = &env{t: t, URL: p.url(0)}
	groupID, streamID = e.createStream(t, group, "s")
	return p, db, e, groupID, streamID
}
