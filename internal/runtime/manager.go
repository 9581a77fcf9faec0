package runtime

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Error codes of failed invocations, as FunctionGraph reports them in
// X-Func-Err-Code; 0 is success.
const (
	CodeEntryNotFound     = 4001 // the handler's module or function is missing
	CodeFunctionError     = 4002 // the handler raised, or the bootstrap posted an error
	CodeResponseTooLarge  = 4008 // the answer is over MaxResponseBytes
	CodeTimeout           = 4010 // the invocation outlived the function's timeout
	CodeInitFailed        = 4201 // the instance ended or failed before taking the invocation
	CodeBootstrapNotFound = 4202 // no executable bootstrap in the code package
	CodeProcessExited     = 4204 // the instance ended during the invocation
	CodeMemoryExceeded    = 4205 // the instance ran out of its memory size
)

// MaxResponseBytes bounds a function's answer, as FunctionGraph does.
const MaxResponseBytes = 6 << 20

// Defaults of Config.
const (
	DefaultIdleTimeout  = 2 * time.Minute
	DefaultMaxInstances = 16
)

// Config says where the manager keeps code and how instances behave.
type Config struct {
	// Dir holds the code packages, the shims and the instances' home folders.
	Dir string
	// IdleTimeout stops an instance unused for that long.
	IdleTimeout time.Duration
	// MaxInstances bounds the instances of one Spec whose own MaxInstances is 0.
	MaxInstances int
	Logger       *slog.Logger
}

// Spec is what to run: one version of a function with its settings.
type Spec struct {
	// Key identifies the code and settings: invocations with equal keys
	// share instances, so it must change whenever anything below does.
	Key                             string
	FunctionID                      string
	Project, Package, Name, Version string
	Runtime, Handler                string
	InitializerHandler              string
	InitializerTimeout              time.Duration
	Digest                          string // code package; empty for none
	MemoryMB                        int
	CPU                             int // millicores, for RUNTIME_CPU
	Timeout                         time.Duration
	UserData                        map[string]string
	UserDataJSON                    string
	MaxInstances                    int // 0: Config.MaxInstances
}

// Invocation is one call of a function.
type Invocation struct {
	RequestID string
	Event     []byte
	Async     bool
	// Alias is the alias the caller invoked through, for the context.
	Alias string
}

// Result is what an invocation produced. ErrorCode 0 is success and Output
// the function's answer; otherwise Output is a JSON error document
// ({"errorCode", "errorMessage", "errorType", "stackTrace"}).
type Result struct {
	Output       []byte
	ErrorCode    int
	Log          []byte // what the instance printed for this invocation
	Duration     time.Duration
	MemoryUsedMB float64
	ColdStart    bool
}

var errClosed = errors.New("the function runtime is shut down")

// Manager runs invocations on pools of warm instances, one pool per Spec
// key. It is safe for concurrent use.
type Manager struct {
	cfg      Config
	log      *slog.Logger
	store    *Store
	shimDir  string
	homeDir  string
	emptyDir string

	mu        sync.Mutex
	pools     map[string]*pool
	instances map[*instance]struct{}
	closed    bool

	done   chan struct{}
	reaper sync.WaitGroup
}

// New opens the manager on cfg.Dir: it writes the shims and clears the
// home folders a previous run may have left.
func New(cfg Config) (*Manager, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxInstances <= 0 {
		cfg.MaxInstances = DefaultMaxInstances
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Instances run in their code folder: every path they get is absolute.
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	store, err := NewStore(cfg.Dir)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		cfg: cfg, log: cfg.Logger, store: store,
		shimDir:  filepath.Join(cfg.Dir, ".runtime"),
		homeDir:  filepath.Join(cfg.Dir, ".instances"),
		emptyDir: filepath.Join(cfg.Dir, ".runtime", "empty"),
		pools:    map[string]*pool{}, instances: map[*instance]struct{}{},
		done: make(chan struct{}),
	}
	if err := os.RemoveAll(m.homeDir); err != nil {
		return nil, err
	}
	for _, d := range []string{m.shimDir, m.homeDir, m.emptyDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	for name, text := range map[string][]byte{"python_bootstrap.py": pythonShim, "node_bootstrap.js": nodeShim} {
		if err := os.WriteFile(filepath.Join(m.shimDir, name), text, 0o600); err != nil {
			return nil, err
		}
	}
	m.reaper.Add(1)
	go m.reap()
	return m, nil
}

// Store is where the manager finds code packages.
func (m *Manager) Store() *Store { return m.store }

// Invoke runs inv on an instance of spec, starting one when none is idle
// and the spec has fewer than its maximum, else waiting for one until ctx
// ends. Failures of the function (its code, its bootstrap, its timeout)
// are a Result with an ErrorCode; the error is for what is not the
// function's doing: an unsupported runtime (*UnsupportedError), ctx ended
// before an instance was free, a failure of the server.
func (m *Manager) Invoke(ctx context.Context, spec Spec, inv Invocation) (Result, error) {
	if err := Runnable(spec.Runtime); err != nil {
		return Result{}, err
	}
	for {
		p, err := m.pool(spec)
		if err != nil {
			return Result{}, err
		}
		in, cold, err := p.acquire(ctx)
		if errors.Is(err, errRetired) {
			continue
		}
		var se *startError
		if errors.As(err, &se) {
			return failure(se.code, se.msg), nil
		}
		if err != nil {
			return Result{}, err
		}
		res, healthy := in.do(inv, spec.Timeout)
		res.ColdStart = cold
		p.release(in, healthy)
		return res, nil
	}
}

func (m *Manager) pool(spec Spec) (*pool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	p := m.pools[spec.Key]
	if p == nil {
		n := spec.MaxInstances
		if n <= 0 {
			n = m.cfg.MaxInstances
		}
		p = &pool{m: m, spec: spec, slots: make(chan struct{}, n)}
		m.pools[spec.Key] = p
	}
	return p, nil
}

// Retire stops the idle instances of a version of a function, or of all
// its versions when version is empty, and lets the busy ones finish their
// invocation first: the code or settings changed, or they are gone.
func (m *Manager) Retire(functionID, version string) {
	m.mu.Lock()
	var retired []*pool
	for k, p := range m.pools {
		if p.spec.FunctionID == functionID && (version == "" || p.spec.Version == version) {
			delete(m.pools, k)
			retired = append(retired, p)
		}
	}
	m.mu.Unlock()
	for _, p := range retired {
		p.retire()
	}
}

// Instances is how many instances are running.
func (m *Manager) Instances() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.instances)
}

// Close stops every instance; invocations in progress end as if their
// instance had exited.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	pools := m.pools
	m.pools = map[string]*pool{}
	all := make([]*instance, 0, len(m.instances))
	for in := range m.instances {
		all = append(all, in)
	}
	m.mu.Unlock()
	close(m.done)
	m.reaper.Wait()
	for _, p := range pools {
		p.retire()
	}
	for _, in := range all {
		in.stop()
	}
	return nil
}

func (m *Manager) track(in *instance) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.instances[in] = struct{}{}
	return true
}

func (m *Manager) untrack(in *instance) {
	m.mu.Lock()
	delete(m.instances, in)
	m.mu.Unlock()
}

// reap stops instances idle for longer than IdleTimeout and drops pools
// left empty.
func (m *Manager) reap() {
	defer m.reaper.Done()
	every := min(max(m.cfg.IdleTimeout/2, 10*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case now := <-t.C:
			m.mu.Lock()
			pools := make([]*pool, 0, len(m.pools))
			for _, p := range m.pools {
				pools = append(pools, p)
			}
			m.mu.Unlock()
			for _, p := range pools {
				for _, in := range p.expire(now.Add(-m.cfg.IdleTimeout)) {
					in.stop()
				}
			}
			m.mu.Lock()
			for k, p := range m.pools {
				if p.retireIfEmpty() {
					delete(m.pools, k)
				}
			}
			m.mu.Unlock()
		}
	}
}
