// Package s3test runs a real S3-compatible server (versitygw) for tests:
// it finds the binary, starts it on a free loopback port serving a
// temporary folder, and stops it when the test ends. It is for tests only.
package s3test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Package is what to `go install` to get the server.
const Package = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Server is a running versitygw.
type Server struct {
	// Addr is 127.0.0.1:port.
	Addr string
	// Dir holds the buckets: each folder in it is one.
	Dir string
	// AccessKey and SecretKey are the credentials it accepts.
	AccessKey, SecretKey string
}

// find looks on PATH, then in $(go env GOPATH)/bin. In CI a missing binary
// fails the test: .ci/run installs it, so its absence is a CI bug.
func find(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for gp := range strings.SplitSeq(strings.TrimSpace(string(out)), string(os.PathListSeparator)) {
			p := filepath.Join(gp, "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	msg := "versitygw not found on PATH nor in $(go env GOPATH)/bin; install it with: go install " + Package
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start starts the server, waits until it accepts connections and stops
// it when the test ends.
func Start(t testing.TB, accessKey, secretKey string) *Server {
	t.Helper()
	bin := find(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{Addr: addr, Dir: t.TempDir(), AccessKey: accessKey, SecretKey: secretKey}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--access", accessKey, "--secret", secretKey, "--port", addr, "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("versitygw exited before answering (%v):\n%s", err, logs.String())
		case <-deadline:
			t.Fatalf("versitygw did not answer on %s within 30s:\n%s", addr, logs.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return s
		}
		time.Sleep(20 * time.Millisecond) // poll interval while the server starts
	}
}
