package runtime

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// bashBootstrap is a custom runtime written in bash: it speaks HTTP over
// /dev/tcp with builtins only, so an invocation costs no process start.
// handle is a bash function that sets body from event.
func bashBootstrap(handle string) string {
	return `#!/bin/bash
export LC_ALL=C
host=${RUNTIME_API_ADDR%:*}
port=${RUNTIME_API_ADDR##*:}
` + handle + `
while true; do
  exec 3<>"/dev/tcp/$host/$port"
  printf 'GET /v1/runtime/invocation/request HTTP/1.1\r\nHost: runtime\r\nConnection: close\r\n\r\n' >&3
  id=; len=0
  while IFS= read -r line <&3; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case ${line,,} in
      x-cff-request-id:*) id=${line#*: } ;;
      content-length:*) len=${line#*: } ;;
    esac
  done
  event=
  [ "$len" -gt 0 ] && read -r -N "$len" event <&3
  exec 3<&-
  handle
  exec 3<>"/dev/tcp/$host/$port"
  printf 'POST /v1/runtime/invocation/%s/%s HTTP/1.1\r\nHost: runtime\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "${kind:-response}" "$id" "${#body}" "$body" >&3
  read -r status <&3
  exec 3<&-
done
`
}

type file struct {
	name string
	mode uint32
	text string
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(0o644)
		if f.mode != 0 {
			h.SetMode(fs.FileMode(f.mode))
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(f.text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func need(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("this test needs %s on PATH: %v", p, err)
		}
	}
}

func newManager(t testing.TB, cfg Config) *Manager {
	t.Helper()
	cfg.Dir = t.TempDir()
	cfg.Logger = slog.New(slog.DiscardHandler)
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// seq numbers functions and requests; tests invoke from several goroutines.
var seq atomic.Int64

// deploy stores pkg and returns a spec running it.
func deploy(t testing.TB, m *Manager, runtime, handler string, pkg []byte) Spec {
	t.Helper()
	id := fmt.Sprintf("fn-%d", seq.Add(1))
	digest, err := m.Store().Put(id, pkg)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Key: id, FunctionID: id, Project: "p", Package: "default", Name: id, Version: "latest",
		Runtime: runtime, Handler: handler, Digest: digest, MemoryMB: 256, CPU: 500, Timeout: 10 * time.Second,
	}
}

func invoke(t testing.TB, m *Manager, spec Spec, event string) Result {
	t.Helper()
	res, err := m.Invoke(context.Background(), spec, Invocation{RequestID: "req-" + strconv.FormatInt(seq.Add(1), 10), Event: []byte(event)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantOK(t testing.TB, res Result) string {
	t.Helper()
	if res.ErrorCode != 0 {
		t.Fatalf("invocation failed with %d: %s\nlog: %s", res.ErrorCode, res.Output, res.Log)
	}
	return string(res.Output)
}

func TestCustomBootstrap(t *testing.T) {
	need(t, "bash")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Custom", "bootstrap", zipOf(t, file{"bootstrap", 0o755, bashBootstrap(`handle() { echo "got $event"; body="{\"echo\":$event,\"fn\":\"$RUNTIME_FUNC_NAME\"}"; }`)}))
	for i := range 3 {
		res := invoke(t, m, spec, fmt.Sprintf(`{"n":%d}`, i))
		if got, want := wantOK(t, res), fmt.Sprintf(`{"echo":{"n":%d},"fn":"%s"}`, i, spec.Name); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if !strings.Contains(string(res.Log), fmt.Sprintf(`got {"n":%d}`, i)) {
			t.Fatalf("log %q lacks the function's output", res.Log)
		}
		if res.ColdStart != (i == 0) {
			t.Fatalf("invocation %d: cold start %v", i, res.ColdStart)
		}
	}
	if n := m.Instances(); n != 1 {
		t.Fatalf("%d instances, want the one warm instance", n)
	}
}

func TestCustomBootstrapError(t *testing.T) {
	need(t, "bash")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Custom", "bootstrap", zipOf(t, file{"bootstrap", 0o755,
		bashBootstrap(`handle() { kind=error; body='{"errorMessage":"bad input","errorType":"InputError"}'; }`)}))
	res := invoke(t, m, spec, `{}`)
	var doc struct {
		Code    int    `json:"errorCode"`
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if err := json.Unmarshal(res.Output, &doc); err != nil || res.ErrorCode != CodeFunctionError || doc.Code != CodeFunctionError ||
		doc.Message != "function invocation exception, error: bad input" || doc.Type != "InputError" {
		t.Fatalf("got %d %s (%v)", res.ErrorCode, res.Output, err)
	}
}

func TestMissingBootstrap(t *testing.T) {
	m := newManager(t, Config{})
	for name, pkg := range map[string][]byte{
		"absent":         zipOf(t, file{"index.sh", 0o755, "#!/bin/sh\n"}),
		"not executable": zipOf(t, file{"bootstrap", 0o644, "#!/bin/sh\n"}),
	} {
		res := invoke(t, m, deploy(t, m, "Custom", "bootstrap", pkg), `{}`)
		if res.ErrorCode != CodeBootstrapNotFound || !strings.Contains(string(res.Output), "bootstrap") {
			t.Errorf("%s: got %d %s", name, res.ErrorCode, res.Output)
		}
	}
}

const pythonHandler = `import os, json
def handler(event, context):
    print("handling", context.getRequestID())
    return {"event": event, "greeting": os.environ.get("GREETING"), "name": context.getFunctionName(),
            "memory": context.getMemorySize(), "pid": os.getpid(), "user": context.getUserData("GREETING"),
            "remaining_ok": 0 < context.getRemainingTimeInMilliSeconds() <= 10000}
`

func TestPythonShim(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, pythonHandler}))
	spec.UserData = map[string]string{"GREETING": "hello"}
	res := invoke(t, m, spec, `{"k":"v"}`)
	var got struct {
		Event       map[string]string `json:"event"`
		Greeting    string            `json:"greeting"`
		Name        string            `json:"name"`
		Memory      int               `json:"memory"`
		User        string            `json:"user"`
		RemainingOK bool              `json:"remaining_ok"`
	}
	if err := json.Unmarshal([]byte(wantOK(t, res)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Event["k"] != "v" || got.Greeting != "hello" || got.User != "hello" || got.Name != spec.Name || got.Memory != 256 || !got.RemainingOK {
		t.Fatalf("got %+v", got)
	}
	if !strings.Contains(string(res.Log), "handling req-") {
		t.Fatalf("log %q lacks the handler's print", res.Log)
	}
	if res.MemoryUsedMB <= 0 {
		t.Fatalf("memory used %v", res.MemoryUsedMB)
	}
}

func TestPythonShimErrors(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{})
	cases := []struct {
		name    string
		handler string
		files   []file
		code    int
		message string
	}{
		{"raise", "index.handler", []file{{"index.py", 0, "def handler(event, context):\n    raise ValueError('no way')\n"}}, CodeFunctionError, "no way"},
		{"no module", "main.handler", []file{{"index.py", 0, "def handler(e, c): return 1\n"}}, CodeEntryNotFound, "no module 'main'"},
		{"no function", "index.run", []file{{"index.py", 0, "def handler(e, c): return 1\n"}}, CodeEntryNotFound, "no function 'run'"},
		{"import fails", "index.handler", []file{{"index.py", 0, "import nonexistent_module_xyz\n"}}, CodeInitFailed, "nonexistent_module_xyz"},
		{"not serializable", "index.handler", []file{{"index.py", 0, "def handler(e, c):\n    return object()\n"}}, CodeFunctionError, "not JSON serializable"},
	}
	for _, c := range cases {
		res := invoke(t, m, deploy(t, m, "Python3.10", c.handler, zipOf(t, c.files...)), `{}`)
		if res.ErrorCode != c.code || !strings.Contains(string(res.Output), c.message) {
			t.Errorf("%s: got %d %s", c.name, res.ErrorCode, res.Output)
		}
	}
}

func TestNodeShim(t *testing.T) {
	need(t, "node")
	m := newManager(t, Config{})
	code := `exports.handler = async (event, context) => {
  console.log('node handling', context.getRequestID());
  return { event, greeting: context.getUserData('GREETING'), version: context.getVersion() };
};
exports.callback = (event, context, callback) => callback(null, 'plain text');
exports.fails = async () => { throw new TypeError('broken'); };
`
	spec := deploy(t, m, "Node.js18.15", "index.handler", zipOf(t, file{"index.js", 0, code}))
	spec.UserData = map[string]string{"GREETING": "hi"}
	res := invoke(t, m, spec, `{"a":1}`)
	if got := wantOK(t, res); got != `{"event":{"a":1},"greeting":"hi","version":"latest"}` {
		t.Fatalf("got %s", got)
	}
	if !strings.Contains(string(res.Log), "node handling req-") {
		t.Fatalf("log %q", res.Log)
	}
	cb := spec
	cb.Key, cb.Handler = spec.Key+"-cb", "index.callback"
	if got := wantOK(t, invoke(t, m, cb, `{}`)); got != "plain text" {
		t.Fatalf("callback handler: %q", got)
	}
	bad := spec
	bad.Key, bad.Handler = spec.Key+"-bad", "index.fails"
	if res := invoke(t, m, bad, `{}`); res.ErrorCode != CodeFunctionError || !strings.Contains(string(res.Output), `"errorType":"TypeError"`) {
		t.Fatalf("got %d %s", res.ErrorCode, res.Output)
	}
}

func pidOf(t testing.TB, out []byte) int {
	t.Helper()
	var v struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.PID == 0 {
		t.Fatalf("no pid in %s", out)
	}
	return v.PID
}

// waitGone polls until the process no longer exists.
func waitGone(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still running", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTimeoutKillsInstance(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, `import os, time
def handler(event, context):
    if event.get("spin"):
        print("spinning in", os.getpid(), flush=True)
        while True:
            pass
    return {"pid": os.getpid()}
`}))
	// Long enough for a cold start on a loaded machine, which the first
	// invocation pays.
	spec.Timeout = 3 * time.Second
	pid := pidOf(t, []byte(wantOK(t, invoke(t, m, spec, `{}`))))
	res := invoke(t, m, spec, `{"spin":true}`)
	if res.ErrorCode != CodeTimeout || !strings.Contains(string(res.Output), "call invoke timeout 3s") {
		t.Fatalf("got %d %s", res.ErrorCode, res.Output)
	}
	if !strings.Contains(string(res.Log), fmt.Sprintf("spinning in %d", pid)) {
		t.Fatalf("log %q", res.Log)
	}
	waitGone(t, pid)
	if next := pidOf(t, []byte(wantOK(t, invoke(t, m, spec, `{}`)))); next == pid {
		t.Fatal("the timed-out instance served again")
	}
}

func TestCrashThenRecover(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, `import os
def handler(event, context):
    if event.get("crash"):
        os._exit(3)
    return {"pid": os.getpid()}
`}))
	res := invoke(t, m, spec, `{"crash":true}`)
	if res.ErrorCode != CodeProcessExited || !strings.Contains(string(res.Output), "exit status 3") {
		t.Fatalf("got %d %s", res.ErrorCode, res.Output)
	}
	wantOK(t, invoke(t, m, spec, `{}`))
}

func TestMemoryLimit(t *testing.T) {
	need(t, "python3", "sh")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, `def handler(event, context):
    block = bytearray(event["mb"] * 1024 * 1024)
    return {"allocated": len(block)}
`}))
	spec.MemoryMB = 128
	wantOK(t, invoke(t, m, spec, `{"mb":32}`))
	if res := invoke(t, m, spec, `{"mb":512}`); res.ErrorCode != CodeMemoryExceeded || !strings.Contains(string(res.Output), "MemoryError") {
		t.Fatalf("512 MB in a 128 MB function: got %d %s", res.ErrorCode, res.Output)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, `import os, time
def handler(event, context):
    time.sleep(0.2)
    return {"pid": os.getpid()}
`}))
	pids := func(max int) map[int]bool {
		spec.MaxInstances = max
		spec.Key = fmt.Sprintf("%s-max%d", spec.FunctionID, max)
		var mu sync.Mutex
		seen := map[int]bool{}
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				pid := pidOf(t, []byte(wantOK(t, invoke(t, m, spec, `{}`))))
				mu.Lock()
				seen[pid] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		return seen
	}
	if got := pids(1); len(got) != 1 {
		t.Fatalf("at most one instance: %d pids", len(got))
	}
	if got := pids(3); len(got) != 3 {
		t.Fatalf("three concurrent invocations with three instances allowed: %d pids", len(got))
	}
}

func TestIdleInstancesStop(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{IdleTimeout: 100 * time.Millisecond})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, "import os\ndef handler(e, c):\n    return {'pid': os.getpid()}\n"}))
	pid := pidOf(t, []byte(wantOK(t, invoke(t, m, spec, `{}`))))
	waitGone(t, pid)
	deadline := time.Now().Add(5 * time.Second)
	for m.Instances() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d instances left", m.Instances())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetire(t *testing.T) {
	need(t, "python3")
	m := newManager(t, Config{})
	spec := deploy(t, m, "Python3.9", "index.handler", zipOf(t, file{"index.py", 0, "import os\ndef handler(e, c):\n    return {'pid': os.getpid()}\n"}))
	pid := pidOf(t, []byte(wantOK(t, invoke(t, m, spec, `{}`))))
	m.Retire(spec.FunctionID, "")
	waitGone(t, pid)
}

func TestUnsupportedRuntimes(t *testing.T) {
	m := newManager(t, Config{})
	for _, rt := range []string{"Java8", "Go1.x", "C#(.NET Core 6.0)", "PHP8.3", "http", "Custom Image", "Python2.7"} {
		_, err := m.Invoke(context.Background(), Spec{Key: rt, Runtime: rt, Timeout: time.Second}, Invocation{RequestID: "r"})
		var ue *UnsupportedError
		if !errors.As(err, &ue) || ue.Runtime != rt || !strings.Contains(err.Error(), rt) {
			t.Errorf("%s: got %v", rt, err)
		}
	}
}
