package fgs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/runtime"
	"logtank/internal/wire"
)

// maxLogHeader is how much of the log X-Cff-Function-Log carries, as
// documented: its last 2,000 bytes.
const maxLogHeader = 2000

// target is what an invocation runs: the function, the version chosen
// (through the alias, if any) and its settings.
type target struct {
	f         catalog.Function
	v         catalog.FunctionVersion
	c         config
	qualifier string
	alias     string
	memoryMB  int64
}

// target resolves the function and version an invocation runs, routing
// through an alias, and checks that the function can run here.
func (s *Service) target(r *http.Request) (target, error) {
	ref, err := urnOf(r)
	if err != nil {
		return target{}, err
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return target{}, err
	}
	t := target{f: f, qualifier: ref.Qualifier}
	version := ref.Qualifier
	if a, ok := ref.alias(); ok {
		al, err := s.alias(r.Context(), f, a)
		if err != nil {
			return target{}, err
		}
		rt, err := decodeRouting(al)
		if err != nil {
			return target{}, err
		}
		t.alias = a
		key := f.ID + "/" + al.Name + "/" + strconv.FormatInt(al.ModifiedMS, 10)
		version = rt.route(al.Version, r, func(w int64) bool { return s.shares.draw(key, w) })
	}
	if version == "" {
		version = catalog.LatestVersion
		t.qualifier = version
	}
	if t.v, t.c, err = s.version(r.Context(), f, version); err != nil {
		return target{}, err
	}
	if t.c.StrategyConfig.Concurrency == 0 {
		return target{}, fail(ErrTooManyRequests, "Function Disabled: strategy_config.concurrency of %s is 0", version)
	}
	t.memoryMB = t.c.MemorySize
	if m := r.Header.Get("X-Cff-Instance-Memory"); m != "" {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || !slices.Contains(instanceMemories, n) {
			return target{}, fail(ErrInvalid, "X-Cff-Instance-Memory %q must be one of %v", m, instanceMemories)
		}
		t.memoryMB = n
	}
	if err := runtime.Runnable(t.c.Runtime); err != nil {
		return target{}, fail(ErrUnavailable, "%v", err)
	}
	switch t.c.CodeType {
	case codeOBS:
		return target{}, fail(ErrUnavailable, "the code of %s is on OBS (%s), which this server cannot fetch; upload it as a zip", f.Name, t.c.CodeURL)
	case codeImage:
		return target{}, fail(ErrUnavailable, "%s runs a container image, which this server cannot run", f.Name)
	}
	return t, nil
}

// spec is what the runtime runs for t.
func (s *Service) spec(t target) runtime.Spec {
	env, _ := parseUserData(t.c.UserData)
	maxInstances := 0
	if t.c.StrategyConfig.Concurrency > 0 {
		maxInstances = int(t.c.StrategyConfig.Concurrency)
	}
	return runtime.Spec{
		Key:        t.f.ID + "/" + t.v.Version + "/" + t.v.Fingerprint + "/" + strconv.FormatInt(t.memoryMB, 10),
		FunctionID: t.f.ID, Project: t.f.ProjectID, Package: t.f.Package, Name: t.f.Name, Version: t.v.Version,
		Runtime: t.c.Runtime, Handler: t.c.Handler, InitializerHandler: t.c.InitializerHandler,
		InitializerTimeout: time.Duration(t.c.InitializerTimeout) * time.Second,
		Digest:             t.v.CodeDigest, MemoryMB: int(t.memoryMB), CPU: int(cpu(t.memoryMB)),
		Timeout:  time.Duration(t.c.Timeout) * time.Second,
		UserData: env, UserDataJSON: t.c.UserData, MaxInstances: maxInstances,
	}
}

// event reads the invocation's body: a JSON document, {} when empty.
func event(r *http.Request) ([]byte, error) {
	body := wire.Body(r)
	switch {
	case len(body) > MaxEventBytes:
		return nil, fail(ErrTooLarge, "an event may have at most %d bytes, this one has %d", MaxEventBytes, len(body))
	case len(strings.TrimSpace(string(body))) == 0:
		return []byte("{}"), nil
	case !json.Valid(body):
		return nil, fail(ErrInvalid, "the event (the request body) must be a JSON document")
	}
	return body, nil
}

// run invokes t, waiting for a free instance at most the function's
// timeout: past it the function is too busy (FSS.0429).
func (s *Service) run(ctx context.Context, t target, inv runtime.Invocation) (runtime.Result, error) {
	spec := s.spec(t)
	if err := s.fetchPackage(ctx, t.f.ID, t.v.CodeDigest); err != nil {
		return runtime.Result{}, internal(err)
	}
	wait, cancel := context.WithTimeout(ctx, spec.Timeout)
	defer cancel()
	res, err := s.rt.Invoke(wait, spec, inv)
	var ue *runtime.UnsupportedError
	switch {
	case errors.As(err, &ue):
		return res, fail(ErrUnavailable, "%v", err)
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return res, fail(ErrTooManyRequests, "all instances of %s %s stayed busy for its timeout of %s", t.f.Name, t.v.Version, spec.Timeout)
	case err != nil:
		return res, internal(err)
	}
	return res, nil
}

func (s *Service) invoke(w http.ResponseWriter, r *http.Request) error {
	t, err := s.target(r)
	if err != nil {
		return err
	}
	ev, err := event(r)
	if err != nil {
		return err
	}
	id := uuid.NewString()
	res, err := s.run(r.Context(), t, runtime.Invocation{RequestID: id, Event: ev, Alias: t.alias})
	if err != nil {
		return err
	}
	log := invocationLog(id, t, res, s.now())
	billing := int64(math.Ceil(float64(res.Duration.Microseconds()) / 1000))
	summary, _ := json.Marshal(map[string]any{
		"duration": float64(res.Duration.Microseconds()) / 1000, "billingDuration": billing,
		"memorySize": t.memoryMB, "memoryUsed": math.Round(res.MemoryUsedMB*1000) / 1000,
		"version": t.v.Version, "coldStart": res.ColdStart,
	})
	h := w.Header()
	h.Set("X-Cff-Request-Id", id)
	h.Set("X-Cff-Invoke-Summary", string(summary))
	h.Set("X-CFF-Billing-Duration", strconv.FormatInt(billing, 10))
	h.Set("X-Func-Err-Code", strconv.Itoa(res.ErrorCode))
	h.Set("X-Is-Func-Err", strconv.FormatBool(res.ErrorCode != 0))
	// Which version ran: the main or the additional one of an alias.
	h.Set("X-Cff-Function-Version", t.v.Version)
	tail := strings.EqualFold(r.Header.Get("X-Cff-Log-Type"), "tail")
	if tail {
		h.Set("X-Cff-Function-Log", base64.StdEncoding.EncodeToString(log[max(0, len(log)-maxLogHeader):]))
	}
	if strings.EqualFold(r.Header.Get("X-CFF-Request-Version"), "v1") {
		h.Set("X-Cff-Response-Version", "v1")
		status := http.StatusOK
		if res.ErrorCode != 0 {
			status = res.ErrorCode
		}
		out := map[string]any{"request_id": id, "result": string(res.Output), "log": "", "status": status}
		if tail {
			out["log"] = string(log)
		}
		wire.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	h.Set("X-Cff-Response-Version", "v0")
	if json.Valid(res.Output) {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	} else {
		h.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Output)
	return nil
}

// invocationLog frames what the instance printed as FunctionGraph does.
func invocationLog(id string, t target, res runtime.Result, end time.Time) []byte {
	start := end.Add(-res.Duration)
	const stamp = "2006-01-02T15:04:05Z"
	var b strings.Builder
	fmt.Fprintf(&b, "%s Start invoke request '%s', version: %s\n", start.UTC().Format(stamp), id, t.v.Version)
	b.Write(res.Log)
	if len(res.Log) > 0 && !strings.HasSuffix(string(res.Log), "\n") {
		b.WriteByte('\n')
	}
	ms := float64(res.Duration.Microseconds()) / 1000
	fmt.Fprintf(&b, "%s Finish invoke request '%s', duration: %.3fms, billing duration: %.0fms, memory used: %.3fMB, billing memory: %dMB",
		end.UTC().Format(stamp), id, ms, math.Ceil(ms), res.MemoryUsedMB, t.memoryMB)
	return []byte(b.String())
}
