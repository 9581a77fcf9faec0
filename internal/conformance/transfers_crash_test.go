package conformance

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTransferCrashWritesEveryLineOnce kills a server process with SIGKILL
// at random moments while lines are ingested and a transfer is run again
// and again, restarts it, and checks at the end that the objects hold
// every stored line exactly once.
func TestTransferCrashWritesEveryLineOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "obs", "crash-bucket"), 0o700); err != nil {
		t.Fatal(err)
	}
	child := startCrashChild(t, dir)
	e := &env{t: t, URL: child.url}
	group, stream := e.createStream(t, "tcrash", "s")
	created, err := e.lts().CreateTransfer(obsTransfer(group, []string{stream}, "crash-bucket", "RAW", nil))
	if err != nil {
		t.Fatal(err)
	}
	runPath := "/v2/" + testProject + "/transfers/" + *created.LogTransferId + "/run"
	ingestPath := "/v2/" + testProject + "/lts/groups/" + group + "/streams/" + stream + "/tenant/contents"
	const cycles, batch = 8, 100
	rng := rand.New(rand.NewPCG(3, 4))
	for cycle := range cycles {
		if cycle > 0 {
			child = startCrashChild(t, dir)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // a sender
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cycle), 1))
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				lines := make([]string, batch)
				for i := range lines {
					lines[i] = fmt.Sprintf("tcrash c%d b%d i%d", cycle, seq, i)
				}
				// Some batches are late: their time lies before windows
				// already written.
				at := time.Now()
				if seq%5 == 4 {
					at = at.Add(-time.Duration(1+rng.IntN(30)) * time.Second)
				}
				body, _ := json.Marshal(map[string]any{"log_time_ns": at.UnixNano(), "contents": lines, "labels": map[string]string{}})
				if _, _, err := signedPost(child.url, ingestPath, body); err != nil {
					return
				}
			}
		}()
		go func() { // runs of the transfer, one after another
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cycle), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := signedPost(child.url, runPath, nil); err != nil {
					return
				}
				time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond) // spread the runs
			}
		}()
		time.Sleep(time.Duration(200+rng.IntN(500)) * time.Millisecond)
		child.kill()
		close(stop)
		wg.Wait()
	}
	child = startCrashChild(t, dir)
	defer child.kill()
	// The last run writes everything stored.
	time.Sleep(5 * time.Millisecond) // a new millisecond, so the window up to now is not empty
	if status, body, err := signedPost(child.url, runPath, nil); err != nil || status != 200 {
		t.Fatalf("the last run: %d %s %v", status, body, err)
	}

	stored := map[string]bool{}
	for l := range storedLines(t, child.url, group, stream) {
		stored[l] = true
	}
	written := map[string]int{}
	objects := readDirObjects(t, filepath.Join(dir, "obs", "crash-bucket"))
	for _, text := range objects {
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			written[l]++
		}
	}
	missing, dup, extra := 0, 0, 0
	for l := range stored {
		if written[l] == 0 {
			missing++
		}
	}
	for l, n := range written {
		if n > 1 {
			dup++
		}
		if !stored[l] {
			extra++
		}
	}
	t.Logf("%d cycles: %d lines stored, %d objects", cycles, len(stored), len(objects))
	if len(stored) == 0 || len(objects) < cycles {
		t.Fatalf("too little happened: %d lines, %d objects", len(stored), len(objects))
	}
	if missing > 0 || dup > 0 || extra > 0 {
		t.Fatalf("%d stored lines in no object, %d in several, %d written but not stored", missing, dup, extra)
	}
}
