package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"logtank/internal/client"
	"logtank/internal/iam"
	"logtank/internal/server"
)

// syncBuffer is a buffer that a child process's output copier and the test
// may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeAndClientCommands runs the built binary as a user would: serve on
// a fresh data folder, client commands that find it through the profile,
// then SIGTERM for a graceful stop.
func TestServeAndClientCommands(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "logtank")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	var stdout, stderr syncBuffer
	srv := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0")
	srv.Env = append(os.Environ(), "LOGTANK_ADMIN_PASSWORD=cli-test-password")
	srv.Stdout, srv.Stderr = &stdout, &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	defer func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
		}
	}()
	var profile client.Profile
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if p, err := client.ReadProfile(data); err == nil {
			profile = p
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no profile written; stderr:\n%s", stderr.String())
		}
	}
	if info, err := os.Stat(filepath.Join(data, client.ProfileFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("profile mode: %v %v", info.Mode(), err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--data", data)...)
		cmd.Env = os.Environ()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("logtank %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	groupID := run("groups", "create", "web", "--ttl", "30", "--tag", "team=ops")
	if len(groupID) != 36 {
		t.Fatalf("group id %q", groupID)
	}
	streamID := run("streams", "create", "--group", "web", "nginx")
	var streams struct {
		LogStreams []struct {
			ID  string `json:"log_stream_id"`
			TTL int    `json:"ttl_in_days"`
		} `json:"log_streams"`
	}
	if err := json.Unmarshal([]byte(run("streams", "list", "--group-name", "web", "--json")), &streams); err != nil {
		t.Fatal(err)
	}
	if len(streams.LogStreams) != 1 || streams.LogStreams[0].ID != streamID || streams.LogStreams[0].TTL != 30 {
		t.Fatalf("streams %+v", streams)
	}
	if out := run("groups", "list"); !strings.Contains(out, groupID) || !strings.Contains(out, "web") {
		t.Fatalf("groups list:\n%s", out)
	}
	ingest := exec.Command(bin, "ingest", "--group", "web", "--stream", "nginx", "--quiet", "--data", data)
	ingest.Stdin = strings.NewReader("GET /a 200\nGET /b 500 error\r\nPOST /c 200\n")
	if out, err := ingest.CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v %s", err, out)
	}
	if out := run("query", "--group", "web", "--stream", streamID, "error"); out != "GET /b 500 error" {
		t.Fatalf("query: %q", out)
	}
	if out := run("tail", "--group", groupID, "--stream", "nginx", "-n", "2"); out != "GET /b 500 error\nPOST /c 200" {
		t.Fatalf("tail: %q", out)
	}
	// A transfer to the default object folder, run at once.
	if err := os.Mkdir(filepath.Join(data, "obs", "cli-bucket"), 0o700); err != nil {
		t.Fatal(err)
	}
	transferID := run("transfers", "create", "--group", "web", "--stream", "nginx", "--bucket", "cli-bucket", "--period", "2min")
	if out := run("transfers", "list"); !strings.Contains(out, transferID) || !strings.Contains(out, "cli-bucket") || !strings.Contains(out, "ENABLE") {
		t.Fatalf("transfers list:\n%s", out)
	}
	ingest = exec.Command(bin, "ingest", "--group", "web", "--stream", "nginx", "--quiet", "--data", data)
	ingest.Stdin = strings.NewReader("GET /after-transfer 200\n")
	if out, err := ingest.CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v %s", err, out)
	}
	key := run("transfers", "run", "--id", transferID)
	if !strings.HasPrefix(key, "LogTanks/cn-north-4/") || !strings.Contains(key, "/web/nginx/nginx_") {
		t.Fatalf("transfers run wrote %q", key)
	}
	if b, err := os.ReadFile(filepath.Join(data, "obs", "cli-bucket", filepath.FromSlash(key))); err != nil || string(b) != "GET /after-transfer 200\n" {
		t.Fatalf("the object holds %q (%v)", b, err)
	}
	if out := run("transfers", "delete", "--id", transferID); out != "deleted "+transferID {
		t.Fatalf("transfers delete: %q", out)
	}
	if out := run("sql", "--group", "web", "--stream", "nginx", "200 | select count(*) as n, max(content) as last"); out != "n  last\n3  POST /c 200" {
		t.Fatalf("sql: %q", out)
	}
	if tok := run("token", "--password", "cli-test-password"); !strings.HasPrefix(tok, "lt1.") {
		t.Fatalf("token %q", tok)
	}
	bad := exec.Command(bin, "groups", "create", "bad name", "--data", data)
	out, err := bad.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "LTS.0009") {
		t.Fatalf("a bad name: %v %s", err, out)
	}
	if !strings.Contains(stdout.String(), profile.AccessKey) || !strings.Contains(stdout.String(), profile.ProjectID) {
		t.Fatalf("first start did not print the credentials:\n%s", stdout.String())
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// testServer starts a server in the test and returns the connection flags
// of its first-start key and its data folder.
func testServer(t *testing.T) (conn []string, data string) {
	t.Helper()
	const ak, sk, project = "CLITESTACCESSKEY0000", "cliTestSecretKey000000000000000000000000", "00112233445566778899aabbccddeeff"
	data = t.TempDir()
	app, err := server.Open(context.Background(), server.Config{
		DataDir: data, Region: "cn-north-4", Logger: slog.New(slog.DiscardHandler),
		Defaults: iam.Defaults{ProjectID: project, AccessKey: ak, SecretKey: sk, AdminPassword: "cli-test-password"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return []string{"--endpoint", srv.URL, "--ak", ak, "--sk", sk, "--project-id", project, "--data", t.TempDir()}, data
}
