package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"logtank/internal/client"
)

// TestFunctionCommands runs the canary walkthrough with the built binary:
// create from a folder, publish two versions, alias with a share and with
// a header rule, invoke.
func TestFunctionCommands(t *testing.T) {
	for _, p := range []string{"sh", "python3"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("this test runs a function with %s: %v", p, err)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "logtank")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	var stderr bytes.Buffer
	srv := exec.Command(bin, "serve", "--data", data, "--listen", "127.0.0.1:0")
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := client.ReadProfile(data); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no profile written; stderr:\n%s", stderr.String())
		}
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--data", data)...)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("logtank %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		return strings.TrimSpace(string(out))
	}

	// A Custom function in a folder: its bootstrap, a shell script, hands
	// the runtime loop to python3 and answers with its version and $GREETING.
	code := filepath.Join(dir, "hello")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	bootstrap := `#!/bin/sh
exec python3 -c '
import http.client, json, os
api = http.client.HTTPConnection(os.environ["RUNTIME_API_ADDR"])
while True:
    api.request("GET", "/v1/runtime/invocation/request")
    r = api.getresponse(); r.read()
    body = json.dumps({"version": os.environ["RUNTIME_FUNC_VERSION"], "greeting": os.environ["GREETING"]})
    api.request("POST", "/v1/runtime/invocation/response/" + r.getheader("X-Cff-Request-Id"), body)
    api.getresponse().read()
'
`
	if err := os.WriteFile(filepath.Join(code, "bootstrap"), []byte(bootstrap), 0o755); err != nil {
		t.Fatal(err)
	}
	if out := run("functions", "create", "hello", "--code", code, "--env", "GREETING=hi"); !strings.Contains(strings.Join(strings.Fields(out), " "), "hello latest Custom bootstrap 128 30") {
		t.Fatalf("create: %s", out)
	}
	run("functions", "publish", "hello", "--version", "v1")
	run("functions", "update", "hello", "--env", "GREETING=hi again")
	run("functions", "publish", "hello", "--version", "v2")
	if out := run("functions", "invoke", "hello:v1", "--quiet"); out != `{"version": "v1", "greeting": "hi"}` {
		t.Fatalf("v1: %s", out)
	}
	if out := run("functions", "alias", "hello", "live", "--version", "v1", "--weight", "v2=50"); !strings.Contains(out, "50% to v2") {
		t.Fatalf("alias: %s", out)
	}
	seen := map[string]int{}
	for range 20 {
		seen[run("functions", "invoke", "hello:!live", "--quiet")]++
	}
	if len(seen) != 2 {
		t.Fatalf("a 50%% canary answered %v", seen)
	}
	run("functions", "alias", "hello", "live", "--version", "v1", "--canary", "v2", "--rule", "header:X-Canary=yes")
	if out := run("functions", "invoke", "hello:!live", "--header", "X-Canary: yes", "--quiet"); !strings.Contains(out, `"v2"`) {
		t.Fatalf("with the header: %s", out)
	}
	if out := run("functions", "invoke", "hello:!live", "--quiet"); !strings.Contains(out, `"v1"`) {
		t.Fatalf("without the header: %s", out)
	}
	if out := run("functions", "list", "hello"); !strings.Contains(out, "v2") || !strings.Contains(out, "live") {
		t.Fatalf("list: %s", out)
	}
	run("functions", "delete", "hello")
	if out := run("functions", "list"); strings.Contains(out, "hello") {
		t.Fatalf("after delete: %s", out)
	}
}
