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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"logtank/internal/iam"
	"logtank/internal/server"
)

// crashChildEnv names the data folder when the test binary runs as a
// server child for the crash test.
const crashChildEnv = "LOGTANK_CRASH_CHILD_DATA"

// runCrashChild serves until killed; the parent learns the address from
// <data>/addr.
func runCrashChild(dir string) {
	app, err := server.Open(context.Background(), server.Config{
		DataDir: dir, Region: testRegion, Logger: slog.New(slog.DiscardHandler), MemtableBytes: 2 << 20,
		Defaults: iam.Defaults{ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, AdminPassword: testPassword},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(3)
	}
	os.WriteFile(filepath.Join(dir, "addr.tmp"), []byte(ln.Addr().String()), 0o600)
	os.Rename(filepath.Join(dir, "addr.tmp"), filepath.Join(dir, "addr"))
	http.Serve(ln, app.Handler())
}

type crashChild struct {
	cmd *exec.Cmd
	url string
}

func startCrashChild(t *testing.T, dir string) *crashChild {
	t.Helper()
	os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			return &crashChild{cmd: cmd, url: "http://" + string(b)}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the server child did not start: %s", stderr.String())
		}
	}
}

func (c *crashChild) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

func signedPost(url, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest("POST", url+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	signer(testAK, testSK, testProject, time.Now())(req, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}

// TestCrashKeepsEveryAcknowledgedLine kills a server process with SIGKILL
// at random moments while several senders ingest, restarts it, and checks
// at the end that every acknowledged line is stored exactly once.
func TestCrashKeepsEveryAcknowledgedLine(t *testing.T) {
	dir := t.TempDir()
	child := startCrashChild(t, dir)
	var group, stream string
	{
		e := &env{t: t, URL: child.url}
		group, stream = e.createStream(t, "crash", "s")
	}
	ingestPath := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	acked := map[string]bool{}
	var mu sync.Mutex
	const cycles, senders, batch = 12, 4, 200
	rng := rand.New(rand.NewPCG(1, 2))
	for cycle := range cycles {
		if cycle > 0 {
			child = startCrashChild(t, dir)
		}
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
					lines := make([]string, batch)
					for i := range lines {
						lines[i] = fmt.Sprintf("crash c%d s%d b%d i%d", cycle, s, seq, i)
					}
					body, _ := json.Marshal(map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": lines, "labels": map[string]string{}})
					status, _, err := signedPost(child.url, ingestPath, body)
					if err != nil {
						return // the server died under us: this batch is unacknowledged
					}
					if status == 200 {
						mu.Lock()
						for _, l := range lines {
							acked[l] = true
						}
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(600)) * time.Millisecond)
		child.kill()
		close(stop)
		wg.Wait()
	}
	child = startCrashChild(t, dir)
	defer child.kill()
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged")
	}
	seen := storedLines(t, child.url, group, stream)
	missing, dup := 0, 0
	for l := range acked {
		if seen[l] == 0 {
			missing++
		}
	}
	for l, n := range seen {
		if n > 1 {
			dup++
			if dup < 5 {
				t.Errorf("%q stored %d times", l, n)
			}
		}
		if !strings.HasPrefix(l, "crash ") {
			t.Errorf("unexpected line %q", l)
		}
	}
	t.Logf("%d cycles: %d lines acknowledged, %d stored (%d unacknowledged kept)", cycles, len(acked), len(seen), len(seen)-len(acked)+missing)
	if missing > 0 || dup > 0 {
		t.Fatalf("%d acknowledged lines missing, %d stored more than once", missing, dup)
	}
}

// storedLines pages through a stream's lines of the last hour and counts
// each content.
func storedLines(t *testing.T, url, group, stream string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	start := time.Now().Add(-time.Hour).UnixMilli()
	end := time.Now().Add(time.Minute).UnixMilli()
	cursor := ""
	for {
		q := map[string]any{"start_time": start, "end_time": end, "limit": 5000, "highlight": false}
		if cursor != "" {
			q["search_type"], q["line_num"] = "forwards", cursor
		}
		body, _ := json.Marshal(q)
		status, resp, err := signedPost(url, "/v2/"+testProject+"/groups/"+group+"/streams/"+stream+"/content/query", body)
		if err != nil || status != 200 {
			t.Fatalf("query: %d %s %v", status, resp, err)
		}
		var out struct {
			Logs []struct {
				Content string `json:"content"`
				Line    string `json:"line_num"`
			} `json:"logs"`
		}
		json.Unmarshal(resp, &out)
		for _, l := range out.Logs {
			seen[l.Content]++
		}
		if len(out.Logs) < 5000 {
			return seen
		}
		cursor = out.Logs[len(out.Logs)-1].Line
	}
}
