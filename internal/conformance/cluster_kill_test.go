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
// when the test binary runs as one for the kill test.
const clusterChildEnv = "LOGTANK_CLUSTER_CHILD"

// clusterChildConfig is what a cluster node child needs.
type clusterChildConfig struct {
	Dir, Catalog, Endpoint, AccessKey, SecretKey string
	LeaseTTL                                     time.Duration
}

// clusterLease is the lease time of the kill test's nodes: how soon a dead
// node's streams are indexed by another.
const clusterLease = 2 * time.Second

// runClusterChild serves as a cluster node until killed; the parent
// learns the address from <dir>/addr.
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
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	os.WriteFile(filepath.Join(c.Dir, "addr.tmp"), []byte(ln.Addr().String()), 0o600)
	os.Rename(filepath.Join(c.Dir, "addr.tmp"), filepath.Join(c.Dir, "addr"))
	http.Serve(ln, app.Handler())
}

func startClusterChild(t *testing.T, c clusterChildConfig) *crashChild {
	t.Helper()
	os.Remove(filepath.Join(c.Dir, "addr"))
	raw, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clusterChildEnv+"="+string(raw))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(c.Dir, "addr")); err == nil {
			return &crashChild{cmd: cmd, url: "http://" + string(b)}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the cluster node did not start: %s", stderr.String())
		}
	}
}

// ackedBatch is a batch a node acknowledged: its lines, and a token only
// they hold.
type ackedBatch struct {
	node  int
	token string
	lines []string
}

// TestClusterKillKeepsEveryAcknowledgedLine: four senders ingest through
// three nodes (processes) on one PostgreSQL catalog and one S3 bucket,
// while one node is killed with SIGKILL and restarted, again and again.
// After each kill the last batch the dead node acknowledged is found
// through the other nodes within the lease time; at the end every
// acknowledged line is found exactly once through each node, after the
// owners moved the rows into segments.
func TestClusterKillKeepsEveryAcknowledgedLine(t *testing.T) {
	pg := pgtest.URL(t)
	gw := s3test.Start(t, "segments-ak", "segments-secret-key")
	if err := os.Mkdir(filepath.Join(gw.Dir, "segments"), 0o755); err != nil {
		t.Fatal(err)
	}
	configs := make([]clusterChildConfig, 3)
	nodes := make([]*crashChild, 3)
	for i := range configs {
		configs[i] = clusterChildConfig{Dir: t.TempDir(), Catalog: pg, Endpoint: "http://" + gw.Addr, AccessKey: gw.AccessKey,
			SecretKey: gw.SecretKey, LeaseTTL: clusterLease}
		nodes[i] = startClusterChild(t, configs[i])
	}
	defer func() {
		for _, n := range nodes {
			n.kill()
		}
	}()
	group, stream := (&env{t: t, URL: nodes[0].url}).createStream(t, "kill", "s")
	ingestPath := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	within(t, 2*time.Second, "every node knows the stream", func() bool {
		for _, n := range nodes {
			if countToken(t, n.url, group, stream, "none") < 0 {
				return false
			}
		}
		return true
	})
	var mu sync.Mutex
	var acked []ackedBatch
	urls := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := make([]string, len(nodes))
		for i, n := range nodes {
			out[i] = n.url
		}
		return out
	}
	const kills, senders, batch = 10, 4, 50
	rng := rand.New(rand.NewPCG(3, 4))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				node := (s + seq) % 3
				token := fmt.Sprintf("k%dx%d", s, seq)
				lines := make([]string, batch)
				for i := range lines {
					lines[i] = fmt.Sprintf("crash %s i%d", token, i)
				}
				body, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": lines, "labels": map[string]string{}})
				status, _, err := signedPost(urls()[node], ingestPath, body)
				if err == nil && status == 200 {
					mu.Lock()
					acked = append(acked, ackedBatch{node: node, token: token, lines: lines})
					mu.Unlock()
				}
			}
		}()
	}
	for k := range kills {
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		victim := k % 3
		mu.Lock()
		dead := nodes[victim]
		mu.Unlock()
		dead.kill()
		// The last batch the dead node acknowledged is found through the
		// others within the lease time.
		mu.Lock()
		var last *ackedBatch
		for i := len(acked) - 1; i >= 0; i-- {
			if acked[i].node == victim {
				last = &acked[i]
				break
			}
		}
		mu.Unlock()
		if last != nil {
			for other := range 3 {
				if other == victim {
					continue
				}
				within(t, clusterLease, fmt.Sprintf("kill %d: node %d finds %s, acknowledged by the dead node %d", k, other, last.token, victim), func() bool {
					return countToken(t, urls()[other], group, stream, last.token) == batch
				})
			}
		}
		restarted := startClusterChild(t, configs[victim])
		mu.Lock()
		nodes[victim] = restarted
		mu.Unlock()
	}
	close(stop)
	wg.Wait()

	db, err := catalog.Open(context.Background(), pg, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer func() {
		if t.Failed() {
			for i, c := range configs {
				b, _ := os.ReadFile(filepath.Join(c.Dir, "warnings.log"))
				t.Logf("node %d warnings (last 2000 bytes):\n%s", i, b[max(0, len(b)-2000):])
			}
		}
	}()
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
	for i, n := range nodes {
		seen := storedLines(t, n.url, group, stream)
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
