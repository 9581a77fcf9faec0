package fgs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/objstore"
	"logtank/internal/runtime"
	"logtank/internal/wire"
)

// Config says how the service runs functions.
type Config struct {
	// Region names URNs and project_name.
	Region string
	// Dir keeps the code packages and the instances' folders.
	Dir string
	// IdleTimeout stops instances unused that long; zero means the runtime's default.
	IdleTimeout time.Duration
	// SharedAliasVersions lets several aliases of a function have the same
	// main version; by default, as documented, a version has one alias
	// (FSS.1066).
	SharedAliasVersions bool
	Logger              *slog.Logger
	// Packages and PackagesBucket, when set, keep the code packages in
	// object storage as well, so that every node sharing the catalog can
	// run every function (see packages.go); the bucket must exist.
	Packages       objstore.Store
	PackagesBucket string
}

// maxAsyncInFlight bounds the asynchronous invocations that run at once;
// the others wait in status WAIT.
const maxAsyncInFlight = 64

// Service is the FunctionGraph API. It is safe for concurrent use.
type Service struct {
	db     *catalog.DB
	rt     *runtime.Manager
	region string
	log    *slog.Logger
	rules  catalog.AliasRules
	// packages and bucket are the shared copy of the code packages (nil:
	// this node's store is the only one).
	packages objstore.Store
	bucket   string
	now      func() time.Time
	// shares deals the traffic of weighted aliases.
	shares *shares

	// codeMu serializes the changes of code packages, so that pruning never
	// removes a package a concurrent change is about to reference.
	codeMu sync.Mutex

	// stopSweep ends the sweeps of the node's store (nil without a
	// packages bucket); swept is done when the last has.
	stopSweep chan struct{}
	swept     sync.WaitGroup

	asyncMu    sync.Mutex
	asyncSlots chan struct{}
	async      sync.WaitGroup
	closed     bool
}

// Open starts the service: the function runtime in cfg.Dir, and the
// records of asynchronous invocations that a previous run left unfinished
// are closed as failed.
func Open(ctx context.Context, db *catalog.DB, cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Packages != nil {
		ok, err := cfg.Packages.BucketExists(ctx, cfg.PackagesBucket)
		if err != nil {
			return nil, fmt.Errorf("functions bucket %s: %w", cfg.PackagesBucket, err)
		}
		if !ok {
			return nil, fmt.Errorf("functions bucket %s does not exist", cfg.PackagesBucket)
		}
	}
	rt, err := runtime.New(runtime.Config{Dir: cfg.Dir, IdleTimeout: cfg.IdleTimeout, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	s := &Service{
		db: db, rt: rt, region: cfg.Region, log: cfg.Logger, now: time.Now, shares: newShares(),
		packages: cfg.Packages, bucket: cfg.PackagesBucket,
		rules:      catalog.AliasRules{MaxAliases: MaxAliasesPerFunction, OneAliasPerVersion: !cfg.SharedAliasVersions},
		asyncSlots: make(chan struct{}, maxAsyncInFlight),
	}
	err = db.AbandonAsyncInvocations(ctx, []string{statusWait, statusRunning}, statusFail, runtime.CodeProcessExited,
		"the server stopped before the invocation finished", s.now().UnixMilli())
	if err != nil {
		rt.Close()
		return nil, err
	}
	if s.packages != nil {
		// Nothing is being stored yet: every package the catalog no
		// longer names goes.
		s.sweepPackages(ctx, time.Now())
		s.stopSweep = make(chan struct{})
		s.swept.Add(1)
		go func() {
			defer s.swept.Done()
			s.sweepLoop(s.stopSweep)
		}()
	}
	return s, nil
}

// Close stops every function instance and waits for the asynchronous
// invocations in progress to record their end. Stop serving first.
func (s *Service) Close() error {
	s.asyncMu.Lock()
	s.closed = true
	s.asyncMu.Unlock()
	if s.stopSweep != nil {
		close(s.stopSweep)
		s.swept.Wait()
	}
	err := s.rt.Close()
	s.async.Wait()
	return err
}

// API returns the FunctionGraph routes for the server to mount. The
// handlers are method values, so API works on a nil *Service to list them.
func (s *Service) API() wire.Service {
	const fn = "/v2/{project_id}/fgs/functions/{function_urn}"
	return wire.Service{
		Name:      "fgs",
		Errors:    Errors,
		BodyLimit: 72 << 20, // a 50 MB package, base64-encoded, in JSON
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v2/{project_id}/fgs/functions", Handle: s.createFunction},
			{Method: "GET", Pattern: "/v2/{project_id}/fgs/functions", Handle: s.listFunctions},
			{Method: "DELETE", Pattern: fn, Handle: s.deleteFunction},
			{Method: "GET", Pattern: fn + "/config", Handle: s.showConfig},
			{Method: "PUT", Pattern: fn + "/config", Handle: s.updateConfig},
			{Method: "GET", Pattern: fn + "/code", Handle: s.showCode},
			{Method: "PUT", Pattern: fn + "/code", Handle: s.updateCode},
			{Method: "POST", Pattern: fn + "/versions", Handle: s.publishVersion},
			{Method: "GET", Pattern: fn + "/versions", Handle: s.listVersions},
			{Method: "POST", Pattern: fn + "/aliases", Handle: s.createAlias},
			{Method: "GET", Pattern: fn + "/aliases", Handle: s.listAliases},
			{Method: "GET", Pattern: fn + "/aliases/{alias_name}", Handle: s.showAlias},
			{Method: "PUT", Pattern: fn + "/aliases/{alias_name}", Handle: s.updateAlias},
			{Method: "DELETE", Pattern: fn + "/aliases/{alias_name}", Handle: s.deleteAlias},
			{Method: "POST", Pattern: fn + "/invocations", Handle: s.invoke},
			{Method: "POST", Pattern: fn + "/invocations-async", Handle: s.invokeAsync},
			{Method: "GET", Pattern: fn + "/async-invocations", Handle: s.listAsyncInvocations},
		},
	}
}

// function finds the function a request's URN names (FSS.1051).
func (s *Service) function(ctx context.Context, r ref) (catalog.Function, error) {
	f, err := s.db.FunctionByName(ctx, r.Project, r.Package, r.Name)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return f, fail(ErrFunctionNotFound, "no function %s in package %s", r.Name, r.Package)
	case err != nil:
		return f, internal(err)
	}
	return f, nil
}

// version finds a version of a function (FSS.1052).
func (s *Service) version(ctx context.Context, f catalog.Function, name string) (catalog.FunctionVersion, config, error) {
	v, err := s.db.FunctionVersion(ctx, f.ID, name)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return v, config{}, fail(ErrVersionNotFound, "function %s has no version %s", f.Name, name)
	case err != nil:
		return v, config{}, internal(err)
	}
	c, err := decodeConfig(v)
	return v, c, err
}

// resolve finds the function and the version a URN names: latest without
// qualifier, the alias's main version for "!alias" (the configuration and
// code APIs do not route).
func (s *Service) resolve(ctx context.Context, r ref) (catalog.Function, catalog.FunctionVersion, config, error) {
	f, err := s.function(ctx, r)
	if err != nil {
		return f, catalog.FunctionVersion{}, config{}, err
	}
	name := r.Qualifier
	if a, ok := r.alias(); ok {
		al, err := s.alias(ctx, f, a)
		if err != nil {
			return f, catalog.FunctionVersion{}, config{}, err
		}
		name = al.Version
	}
	if name == "" {
		name = catalog.LatestVersion
	}
	v, c, err := s.version(ctx, f, name)
	return f, v, c, err
}
