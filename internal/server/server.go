package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"logtank/internal/alarms/webhook"
	"logtank/internal/aom"
	"logtank/internal/aomforward"
	"logtank/internal/catalog"
	"logtank/internal/console"
	"logtank/internal/doors/esbulk"
	"logtank/internal/doors/loki"
	"logtank/internal/doors/otlp"
	"logtank/internal/doors/syslog"
	"logtank/internal/fgs"
	"logtank/internal/iam"
	"logtank/internal/lease"
	"logtank/internal/lts"
	"logtank/internal/ltscore"
	"logtank/internal/metricstore"
	"logtank/internal/objstore"
	"logtank/internal/wire"
)

// DefaultBodyLimit caps request bodies of services that set no limit.
const DefaultBodyLimit = 8 << 20

// Config says where the server keeps its data and how it behaves.
type Config struct {
	// DataDir holds the catalog and every other file of the server.
	DataDir string
	// Catalog is a postgres:// URL of a catalog that several nodes may
	// share; empty for the embedded SQLite catalog in DataDir.
	Catalog string
	// Region names default projects and the token catalog.
	Region string
	// Defaults fix the first-start accounts (from the environment).
	Defaults iam.Defaults
	Logger   *slog.Logger
	// MemtableBytes is the log engine's memory budget for fresh rows
	// (zero: its default).
	MemtableBytes int64
	// Now is the clock that ingestion checks log times against (time.Now
	// when nil).
	Now func() time.Time
	// MetricRetention is how long AOM metric points are kept (zero: 30 days).
	MetricRetention time.Duration
	// MetricsNode, when set, is the base URL (http://host:port) of the
	// cluster's metrics node: this node keeps no metric store and forwards
	// every AOM request there (package aomforward). The metrics node must
	// share Catalog, whose accounts it authenticates the requests with.
	MetricsNode string
	// Objects is where log transfers write (nil: the folder DataDir/obs,
	// each folder in it a bucket).
	Objects objstore.Store
	// TransferGrace and TransferInterval tune the transfer worker (zero:
	// its defaults).
	TransferGrace, TransferInterval time.Duration
	// QueryTimeout and ProjectQueries bound log queries (see lts.Config;
	// zero: their defaults).
	QueryTimeout   time.Duration
	ProjectQueries int
	// StrictStorage refuses to start on damaged log files instead of
	// quarantining them.
	StrictStorage bool
	// SegmentDictionary writes segments with a template dictionary: about
	// a tenth smaller, with searches that decode many blocks a half to
	// two thirds slower (docs/benchmarks.md, "Segment format 4").
	SegmentDictionary bool
	// Cluster, when set, makes the server a node of a cluster: its logs
	// are acknowledged in the shared catalog's ingest log and its segments
	// shared through a bucket (package cluster). Catalog must be PostgreSQL.
	Cluster *ltscore.Cluster
	// AlarmInterval is how often the alarm scheduler looks for due rules
	// and notifications (zero: every second).
	AlarmInterval time.Duration
	// FunctionsBucket, when set, is the bucket of Objects where function
	// code packages are kept as well, so that every node sharing the
	// catalog can run every function (it must exist).
	FunctionsBucket string
	// LeaseTTL is how long a node of a cluster holds a job's lease
	// (transfers, alarms) without renewing it: after a node dies, the
	// longest wait before another takes its jobs over (zero:
	// DefaultLeaseTTL). Unused with the embedded catalog.
	LeaseTTL time.Duration
	// Syslog lists syslog listeners in their URL form (see
	// syslog.ParseListener); the project is the first-start one unless a
	// URL names another.
	Syslog []string
}

// DefaultLeaseTTL is the term of a job's lease: renewed every third of it,
// so a node survives two failed renewals in a row (a database failover, a
// long pause) before another takes its jobs.
const DefaultLeaseTTL = 15 * time.Second

// The leases of the jobs that run on one node of a cluster at a time.
const (
	LeaseTransfers = "job:transfers"
	LeaseAlarms    = "job:alarms"
)

// App is an opened server: its stores, services and HTTP handler.
type App struct {
	cfg     Config
	log     *slog.Logger
	db      *catalog.DB
	iam     *iam.Service
	lts     *lts.Service
	metrics *metricstore.Store    // nil on a node that forwards AOM requests
	forward *aomforward.Forwarder // nil on a node that keeps the metrics
	fgs     *fgs.Service
	handler http.Handler
	// ownObjects is the object folder the server opened itself, if any.
	ownObjects *objstore.Dir
	syslog     *syslog.Server
	// stopWatch ends the watch of a shared catalog and waits for it.
	stopWatch func()
	// leases takes this node's leases in a cluster (nil with the embedded
	// catalog), and keepers hold the jobs' leases.
	leases  *lease.Manager
	keepers []*lease.Keeper
	// FirstStart tells what Open created or confirmed in the accounts.
	FirstStart iam.FirstStart
}

// Open opens (creating on first start) the data folder and assembles the
// services and the HTTP handler.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Region == "" {
		return nil, errors.New("a region is required")
	}
	db, err := catalog.Open(ctx, cfg.Catalog, filepath.Join(cfg.DataDir, "catalog"))
	if err != nil {
		return nil, err
	}
	ids, err := iam.New(ctx, db, cfg.Region)
	if err != nil {
		db.Close()
		return nil, err
	}
	fs, err := ids.Bootstrap(ctx, cfg.Defaults)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("first-start accounts: %w", err)
	}
	// ownObjects is the default object folder, which the server closes.
	var ownObjects *objstore.Dir
	if cfg.Objects == nil {
		dir := filepath.Join(cfg.DataDir, "obs")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			db.Close()
			return nil, err
		}
		objects, err := objstore.NewDir(dir)
		if err != nil {
			db.Close()
			return nil, err
		}
		cfg.Objects = objects
		ownObjects = objects
	}
	// With a shared catalog, jobs that must run once per cluster run on
	// the holder of their lease; the embedded server is the only node
	// and runs them without.
	var leases *lease.Manager
	var transfersLease, alarmsLease *lease.Keeper
	if db.Shared() {
		ttl := cfg.LeaseTTL
		if ttl <= 0 {
			ttl = DefaultLeaseTTL
		}
		leases = lease.New(db, nodeName(), ttl)
		transfersLease = leases.Keep(LeaseTransfers, cfg.Logger)
		alarmsLease = leases.Keep(LeaseAlarms, cfg.Logger)
	}
	closeLeases := func() {
		transfersLease.Close()
		alarmsLease.Close()
	}
	logs, err := lts.Open(ctx, db, lts.Config{
		DataDir: cfg.DataDir, Logger: cfg.Logger, MemtableBytes: cfg.MemtableBytes, Now: cfg.Now,
		Region: cfg.Region, Objects: cfg.Objects, TransferGrace: cfg.TransferGrace, TransferInterval: cfg.TransferInterval,
		QueryTimeout: cfg.QueryTimeout, ProjectQueries: cfg.ProjectQueries, StrictStorage: cfg.StrictStorage, SegmentDictionary: cfg.SegmentDictionary,
		AlarmPoster: webhook.Poster{}, AlarmInterval: cfg.AlarmInterval, TransfersLease: transfersLease, AlarmsLease: alarmsLease,
		Cluster: cfg.Cluster,
	})
	if err != nil {
		closeLeases()
		db.Close()
		return nil, fmt.Errorf("log store: %w", err)
	}
	var metrics *metricstore.Store
	var forward *aomforward.Forwarder
	var aomAPIs []wire.Service
	if cfg.MetricsNode != "" {
		forward, err = aomforward.New(cfg.MetricsNode, cfg.Logger)
		if err == nil && !db.Shared() {
			err = errors.New("a node that forwards AOM requests to a metrics node must share its catalog (PostgreSQL), whose accounts the metrics node authenticates with")
		}
		aomAPIs = forwardedAOM(forward)
	} else {
		metrics, err = metricstore.Open(filepath.Join(cfg.DataDir, "metrics"), metricstore.Options{Retention: cfg.MetricRetention, Logger: cfg.Logger})
		aomAPIs = localAOM(aom.New(db, metrics, aom.Options{Retention: cfg.MetricRetention}))
	}
	if err != nil {
		logs.Close()
		closeLeases()
		db.Close()
		return nil, err
	}
	fcfg := fgs.Config{Region: cfg.Region, Dir: filepath.Join(cfg.DataDir, "functions"), Logger: cfg.Logger}
	if cfg.FunctionsBucket != "" {
		fcfg.Packages, fcfg.PackagesBucket = cfg.Objects, cfg.FunctionsBucket
	}
	functions, err := fgs.Open(ctx, db, fcfg)
	if err != nil {
		if metrics != nil {
			metrics.Close()
		}
		logs.Close()
		closeLeases()
		db.Close()
		return nil, fmt.Errorf("functions: %w", err)
	}
	a := &App{cfg: cfg, log: cfg.Logger, db: db, iam: ids, lts: logs, metrics: metrics, forward: forward, fgs: functions, FirstStart: fs, ownObjects: ownObjects,
		leases: leases}
	if leases != nil {
		a.keepers = []*lease.Keeper{transfersLease, alarmsLease}
	}
	if db.Shared() {
		a.stopWatch = watchCatalog(db, cfg.Logger, map[catalog.Scope]func(context.Context) error{
			catalog.ScopeAccounts: ids.Reload,
			catalog.ScopeStreams: func(ctx context.Context) error {
				// The cache first, so that no new write reaches a stream
				// whose logs are being removed.
				if err := logs.Core().Reload(ctx); err != nil {
					return err
				}
				return logs.Core().ApplyDeletions(ctx)
			},
		})
	}
	if len(cfg.Syslog) > 0 {
		listeners := make([]syslog.Listener, len(cfg.Syslog))
		for i, raw := range cfg.Syslog {
			if listeners[i], err = syslog.ParseListener(raw, fs.ProjectID); err != nil {
				a.Close()
				return nil, err
			}
		}
		if a.syslog, err = syslog.Start(ctx, logs.Core(), cfg.Logger, listeners); err != nil {
			a.Close()
			return nil, err
		}
	}
	reg := prometheus.NewRegistry()
	storage := logs.Core().Logs()
	reg.MustRegister(storageCollector{storage})
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "logtank_alarm_scheduler_rounds_total", Help: "Rounds of the alarm scheduler: due rules evaluated and due notifications sent.",
	}, func() float64 { return float64(logs.Alarms().Rounds()) }))
	a.handler = withReadiness(storage, newRouter(cfg.Logger, ids, reg, services(ids, logs, aomAPIs, functions,
		shipperDoors{otlp: otlp.New(logs.Core()), es: esbulk.New(logs.Core()), loki: loki.New(logs.Core())})))
	return a, nil
}

// services lists every service the server mounts. It also runs on nil
// services, to list the routes without opening anything.
func services(ids *iam.Service, l *lts.Service, metrics []wire.Service, f *fgs.Service, d shipperDoors) []wire.Service {
	svcs := []wire.Service{ids.API(), l.API(), l.IngestAPI(), d.otlp.API(), d.es.API(), d.loki.API()}
	svcs = append(svcs, metrics...)
	return append(svcs, f.API(), console.API())
}

// localAOM are the AOM APIs served from this node's metric store.
func localAOM(m *aom.Service) []wire.Service {
	return []wire.Service{m.API(), m.V2API(), m.PromAPI()}
}

// forwardedAOM are the same APIs, each route forwarded to the metrics
// node, each with its own format's answer when that node is unreachable.
func forwardedAOM(f *aomforward.Forwarder) []wire.Service {
	if f == nil {
		return nil
	}
	var m *aom.Service // the routes only: the handlers are replaced
	return []wire.Service{
		f.Wrap(m.API(), aom.ErrUnreachable),
		f.Wrap(m.V2API(), aom.ErrV2Unreachable),
		f.Wrap(m.PromAPI(), aom.ErrPromUnreachable),
	}
}

// shipperDoors are the ingestion doors for shippers' own protocols.
type shipperDoors struct {
	otlp *otlp.Door
	es   *esbulk.Door
	loki *loki.Door
}

// OperationPatterns lists "METHOD /path" of every operation the server
// answers, for the API coverage table.
func OperationPatterns() []string {
	var out []string
	for _, svc := range services(nil, nil, localAOM(nil), nil, shipperDoors{}) {
		for _, r := range svc.Routes {
			out = append(out, r.Method+" "+r.Pattern)
		}
	}
	return out
}

// Handler serves every route.
func (a *App) Handler() http.Handler { return a.handler }

// Leases takes leases as this node in a cluster; nil with the embedded
// catalog.
func (a *App) Leases() *lease.Manager { return a.leases }

// nodeName names this process as a lease holder: the host, for the
// operator reading the catalog, and a random part, so that a restarted
// node (or two on one host) is a new holder.
func nodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	var b [6]byte
	rand.Read(b[:])
	return host + "/" + hex.EncodeToString(b[:])
}

// IAM is the identity service, for tools that act on accounts directly.
func (a *App) IAM() *iam.Service { return a.iam }

// Close flushes and releases the stores. Stop serving first.
func (a *App) Close() error {
	if a.stopWatch != nil {
		a.stopWatch()
	}
	// Syslog connections store their last batches before the log engine
	// closes.
	if a.syslog != nil {
		a.syslog.Close()
	}
	// Function instances stop first: asynchronous invocations record their
	// end in the catalog.
	ferr := a.fgs.Close()
	err := a.lts.Close()
	// The jobs have stopped: their leases go to another node at once.
	for _, k := range a.keepers {
		k.Close()
	}
	if a.metrics != nil {
		if cerr := a.metrics.Close(); err == nil {
			err = cerr
		}
	}
	if a.forward != nil {
		a.forward.Close()
	}
	if cerr := a.db.Close(); err == nil {
		err = cerr
	}
	if a.ownObjects != nil {
		if cerr := a.ownObjects.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = ferr
	}
	return err
}

// SyslogAddrs returns the syslog listeners' addresses, in the order
// configured (a port 0 resolved).
func (a *App) SyslogAddrs() []net.Addr {
	if a.syslog == nil {
		return nil
	}
	return a.syslog.Addrs()
}
