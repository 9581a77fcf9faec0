package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// logSyncWait bounds how long an invocation waits for its log to be read
// out of the instance's pipe after the answer arrived.
const logSyncWait = 200 * time.Millisecond

// instance is one process of a function with its own runtime API listener.
// It serves one invocation at a time: the pool hands it to one caller.
type instance struct {
	m    *Manager
	spec Spec
	home string
	cmd  *exec.Cmd
	srv  *http.Server
	out  *output

	// work hands an invocation to the bootstrap's pending GET request.
	work chan *call
	// exited is closed once the process has ended; exitErr says how.
	exited  chan struct{}
	exitErr error

	mu       sync.Mutex
	inflight map[string]*call

	// lastUsed is guarded by the pool's lock.
	lastUsed time.Time
	stopOnce sync.Once
}

// call is an invocation in the hands of an instance.
type call struct {
	inv      Invocation
	deadline time.Time
	fetched  atomic.Int64 // unix nanoseconds the bootstrap took it, 0 before
	done     chan reply
}

// reply is the bootstrap's answer to a call.
type reply struct {
	body     []byte
	failed   bool // posted on .../error/
	code     int  // error code a shim set in X-Cff-Func-Err-Code
	tooLarge int64
	at       time.Time
}

// start launches an instance of spec: it unpacks the code, opens the
// runtime API listener and starts the process.
func (m *Manager) start(spec Spec) (*instance, error) {
	codeDir := m.emptyDir
	if spec.Digest != "" {
		dir, err := m.store.Unpacked(spec.FunctionID, spec.Digest)
		if err != nil {
			return nil, err
		}
		codeDir = dir
	}
	argv, err := m.command(spec, codeDir)
	if err != nil {
		return nil, err
	}
	in := &instance{m: m, spec: spec, work: make(chan *call), exited: make(chan struct{}), inflight: map[string]*call{}}
	in.home = filepath.Join(m.homeDir, uuid.NewString())
	if err := os.MkdirAll(in.home, 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(in.home)
		return nil, err
	}
	out, w, err := newOutput()
	if err != nil {
		ln.Close()
		os.RemoveAll(in.home)
		return nil, err
	}
	in.out = out
	in.srv = &http.Server{Handler: in.api(), ReadHeaderTimeout: 30 * time.Second}
	go in.srv.Serve(ln)

	argv = withMemoryLimit(argv, spec.MemoryMB)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = codeDir
	cmd.Env = environment(spec, ln.Addr().String(), codeDir, in.home)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = sysProcAttr()
	in.cmd = cmd
	if err := cmd.Start(); err != nil {
		in.cleanup()
		return nil, &startError{CodeBootstrapNotFound, "runtime bootstrap could not start: " + err.Error()}
	}
	go func() {
		err := cmd.Wait()
		in.exitErr = err
		// Whatever the bootstrap started dies with it.
		killGroup(cmd.Process.Pid)
		close(in.exited)
	}()
	// Tracked only once started: Close stops what it tracks.
	if !m.track(in) {
		in.stop()
		return nil, errClosed
	}
	m.log.Debug("function instance started", "function_id", spec.FunctionID, "function", spec.Name, "version", spec.Version,
		"runtime", spec.Runtime, "pid", cmd.Process.Pid, "runtime_api", ln.Addr().String())
	return in, nil
}

func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// stop kills the instance's processes and releases its listener and home.
func (in *instance) stop() {
	in.stopOnce.Do(func() {
		killGroup(in.cmd.Process.Pid)
		_ = in.cmd.Process.Kill()
		<-in.exited
		in.cleanup()
		in.m.untrack(in)
		in.m.log.Debug("function instance stopped", "function_id", in.spec.FunctionID, "version", in.spec.Version, "pid", in.cmd.Process.Pid)
	})
}

func (in *instance) cleanup() {
	in.srv.Close()
	in.out.close()
	os.RemoveAll(in.home)
}

// do runs one invocation and tells whether the instance can serve another.
func (in *instance) do(inv Invocation, timeout time.Duration) (Result, bool) {
	start := time.Now()
	c := &call{inv: inv, deadline: start.Add(timeout), done: make(chan reply, 1)}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case in.work <- c:
	case <-in.exited:
		return in.ended(c, start), false
	case <-timer.C:
		return in.timedOut(c, start, timeout), false
	}
	var rep reply
	select {
	case rep = <-c.done:
	case <-in.exited:
		// An answer posted just before the exit still counts.
		select {
		case rep = <-c.done:
		default:
			return in.ended(c, start), false
		}
	case <-timer.C:
		return in.timedOut(c, start, timeout), false
	}
	in.out.sync(logSyncWait)
	res := Result{Log: in.out.take(), Duration: rep.at.Sub(c.started(start)), MemoryUsedMB: memoryUsedMB(in.cmd.Process.Pid)}
	switch {
	case rep.tooLarge > 0:
		res.ErrorCode = CodeResponseTooLarge
		res.Output = errorDocument(CodeResponseTooLarge, fmt.Sprintf("response body size %d exceeds the limit of %d", rep.tooLarge, MaxResponseBytes), "", nil)
	case rep.failed:
		res.ErrorCode, res.Output = postedError(rep)
	default:
		res.Output = rep.body
	}
	return res, true
}

// started is when the bootstrap took the call, or start if it never did.
func (c *call) started(start time.Time) time.Time {
	if ns := c.fetched.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return start
}

// timedOut kills the instance of a call that outlived its timeout.
func (in *instance) timedOut(c *call, start time.Time, timeout time.Duration) Result {
	in.stop()
	in.out.sync(logSyncWait)
	return Result{
		ErrorCode: CodeTimeout, Log: in.out.take(), Duration: time.Since(c.started(start)),
		Output: errorDocument(CodeTimeout, "call invoke timeout "+timeout.String(), "", nil),
	}
}

// ended reports an instance that exited before answering: before it took
// the call its initialization failed, after, the process ended under it.
func (in *instance) ended(c *call, start time.Time) Result {
	in.out.sync(logSyncWait)
	log := in.out.take()
	how := "the process ended"
	if in.exitErr != nil {
		how = in.exitErr.Error()
	}
	code, msg := CodeProcessExited, "runtime process is exited: "+how
	if c.fetched.Load() == 0 {
		code, msg = CodeInitFailed, "function initialization failed: the runtime process ended before taking the invocation ("+how+")"
	}
	if outOfMemory(log) {
		code, msg = CodeMemoryExceeded, "runtime memory limit exceeded: the function used more than its memory size of "+strconv.Itoa(in.spec.MemoryMB)+" MB"
	}
	return Result{ErrorCode: code, Log: log, Duration: time.Since(c.started(start)), Output: errorDocument(code, msg, "", nil)}
}

// outOfMemory tells whether the end of a log shows an interpreter that
// ran out of memory.
func outOfMemory(log []byte) bool {
	tail := log[max(0, len(log)-4096):]
	return bytes.Contains(tail, []byte("MemoryError")) || bytes.Contains(tail, []byte("out of memory"))
}

// postedError turns what a bootstrap posted on the error endpoint into an
// error code and document. Shims set X-Cff-Func-Err-Code for a missing
// entry point or a failed initializer; any other error is the function's.
func postedError(rep reply) (int, []byte) {
	code := CodeFunctionError
	prefix := "function invocation exception, error: "
	switch rep.code {
	case CodeEntryNotFound:
		code, prefix = rep.code, "function entry exception, error: "
	case CodeInitFailed:
		code, prefix = rep.code, "function initialization failed, error: "
	}
	var posted struct {
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType"`
		StackTrace []string `json:"stackTrace"`
	}
	if err := json.Unmarshal(rep.body, &posted); err != nil || posted.Message == "" {
		posted.Message = strings.TrimSpace(string(rep.body))
	}
	if posted.Type == "MemoryError" || posted.Type == "RangeError" && strings.Contains(posted.Message, "memory") {
		// The interpreter hit the data-segment limit of the memory size.
		code, prefix = CodeMemoryExceeded, "runtime memory limit exceeded, error: "
	}
	return code, errorDocument(code, prefix+posted.Message, posted.Type, posted.StackTrace)
}

// errorDocument is the JSON body of a failed invocation.
func errorDocument(code int, msg, typ string, stack []string) []byte {
	b, _ := json.Marshal(struct {
		Code       int      `json:"errorCode"`
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType,omitempty"`
		StackTrace []string `json:"stackTrace,omitempty"`
	}{code, msg, typ, stack})
	return b
}

// failure is the Result of an invocation that could not start.
func failure(code int, msg string) Result {
	return Result{ErrorCode: code, Output: errorDocument(code, msg, "", nil)}
}

// memoryUsedMB is the resident memory of a process where /proc tells it.
func memoryUsedMB(pid int) float64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}

var errNoCall = errors.New("no invocation with this request id is waiting for an answer")
