package runtime

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The bootstrap shims of the interpreted runtimes, written into the
// manager's folder at start.
var (
	//go:embed shims/python_bootstrap.py
	pythonShim []byte
	//go:embed shims/node_bootstrap.js
	nodeShim []byte
)

// kind is how instances of a runtime start.
type kind int

const (
	kindUnsupported kind = iota
	kindCustom
	kindPython
	kindNode
)

func kindOf(runtime string) kind {
	switch {
	case runtime == "Custom":
		return kindCustom
	case strings.HasPrefix(runtime, "Python3"):
		return kindPython
	case strings.HasPrefix(runtime, "Node.js"):
		return kindNode
	}
	return kindUnsupported
}

// UnsupportedError says why this server cannot run functions of a runtime.
type UnsupportedError struct {
	Runtime string
	Reason  string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("this server cannot run %s functions: %s", e.Runtime, e.Reason)
}

// Runnable reports, as an *UnsupportedError, why functions of the named
// runtime cannot run here: a runtime this server does not implement, an
// interpreter missing from PATH, or an OS without process groups.
func Runnable(runtime string) error {
	if !processesSupported {
		return &UnsupportedError{runtime, "running function code needs a Unix system"}
	}
	switch kindOf(runtime) {
	case kindCustom:
		return nil
	case kindPython:
		_, err := interpreter(runtime, "python3")
		return err
	case kindNode:
		_, err := interpreter(runtime, "node")
		return err
	}
	return &UnsupportedError{runtime, "it runs Custom (a bootstrap executable), Python 3 (python3) and Node.js (node) functions only"}
}

var interpreters sync.Map // name -> resolved path

// interpreter finds an interpreter on PATH. For python3 it asks the
// interpreter for its real path, so that a version-manager shim (pyenv)
// does not add its own start-up to every cold start. Only successes are
// remembered: an interpreter installed later is found on the next call.
func interpreter(runtime, name string) (string, error) {
	if p, ok := interpreters.Load(name); ok {
		return p.(string), nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", &UnsupportedError{runtime, name + " is not installed on the server (not found on PATH)"}
	}
	if name == "python3" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, p, "-c", "import sys; print(sys.executable)").Output()
		cancel()
		if real := strings.TrimSpace(string(out)); err == nil && real != "" {
			p = real
		}
	}
	interpreters.Store(name, p)
	return p, nil
}

// startError is a failure of the function's own making at start: its
// bootstrap is missing or not executable.
type startError struct {
	code int
	msg  string
}

func (e *startError) Error() string { return e.msg }

// command is the program and arguments an instance of spec runs in codeDir.
func (m *Manager) command(spec Spec, codeDir string) ([]string, error) {
	switch kindOf(spec.Runtime) {
	case kindCustom:
		bootstrap := filepath.Join(codeDir, "bootstrap")
		st, err := os.Stat(bootstrap)
		switch {
		case err != nil || st.IsDir():
			return nil, &startError{CodeBootstrapNotFound, "runtime bootstrap file is not found: the code package has no executable named bootstrap at its root"}
		case st.Mode().Perm()&0o111 == 0:
			return nil, &startError{CodeBootstrapNotFound, "runtime bootstrap file is not executable: set its execute permission in the code package"}
		}
		return []string{bootstrap}, nil
	case kindPython:
		py, err := interpreter(spec.Runtime, "python3")
		if err != nil {
			return nil, err
		}
		return []string{py, filepath.Join(m.shimDir, "python_bootstrap.py")}, nil
	case kindNode:
		node, err := interpreter(spec.Runtime, "node")
		if err != nil {
			return nil, err
		}
		return []string{node, filepath.Join(m.shimDir, "node_bootstrap.js")}, nil
	}
	return nil, Runnable(spec.Runtime)
}

// withMemoryLimit makes argv start under a data-segment limit of the
// function's memory size, set by /bin/sh's ulimit before the exec so that
// nothing of the function runs unlimited. Without /bin/sh the function runs
// unlimited, as on an OS without the limit.
func withMemoryLimit(argv []string, memoryMB int) []string {
	if memoryMB <= 0 {
		return argv
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		return argv
	}
	script := "ulimit -d " + strconv.Itoa(memoryMB*1024) + ` 2>/dev/null; exec "$0" "$@"`
	return append([]string{"/bin/sh", "-c", script}, argv...)
}

// environment is what the function's process sees: the function's user
// data, the documented RUNTIME_* variables (which user data cannot
// override), and from the server only what programs need to run (PATH,
// locale, time zone), never its secrets.
func environment(spec Spec, apiAddr, codeDir, home string) []string {
	env := map[string]string{
		"PATH":   os.Getenv("PATH"),
		"HOME":   home,
		"TMPDIR": home,
		"LANG":   "C.UTF-8",
		// The shims flush output as it is written, so that it lands in the
		// invocation's log, and never write bytecode into the shared code folder.
		"PYTHONUNBUFFERED":        "1",
		"PYTHONDONTWRITEBYTECODE": "1",
	}
	if tz := os.Getenv("TZ"); tz != "" {
		env["TZ"] = tz
	}
	for k, v := range spec.UserData {
		env[k] = v
	}
	for k, v := range map[string]string{
		"RUNTIME_API_ADDR":     apiAddr,
		"RUNTIME_PROJECT_ID":   spec.Project,
		"RUNTIME_PACKAGE":      spec.Package,
		"RUNTIME_FUNC_NAME":    spec.Name,
		"RUNTIME_FUNC_VERSION": spec.Version,
		"RUNTIME_HANDLER":      spec.Handler,
		"RUNTIME_TIMEOUT":      strconv.Itoa(int(spec.Timeout / time.Second)),
		"RUNTIME_MEMORY":       strconv.Itoa(spec.MemoryMB),
		"RUNTIME_CPU":          strconv.FormatFloat(float64(spec.CPU)/1000, 'f', -1, 64),
		"RUNTIME_CODE_ROOT":    codeDir,
		"RUNTIME_USERDATA":     spec.UserDataJSON,
	} {
		env[k] = v
	}
	if spec.InitializerHandler != "" {
		env["RUNTIME_INITIALIZER_HANDLER"] = spec.InitializerHandler
		env["RUNTIME_INITIALIZER_TIMEOUT"] = strconv.Itoa(int(spec.InitializerTimeout / time.Second))
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
