package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"logtank/internal/catalog"
	"logtank/internal/iam"
	"logtank/internal/lts"
	"logtank/internal/wire"
)

// DefaultBodyLimit caps request bodies of services that set no limit.
const DefaultBodyLimit = 8 << 20

// Config says where the server keeps its data and how it behaves.
type Config struct {
	// DataDir holds the catalog and every other file of the server.
	DataDir string
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
}

// App is an opened server: its stores, services and HTTP handler.
type App struct {
	cfg     Config
	log     *slog.Logger
	db      *catalog.DB
	iam     *iam.Service
	lts     *lts.Service
	handler http.Handler
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
	db, err := catalog.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "catalog"))
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
	logs, err := lts.Open(ctx, db, lts.Config{DataDir: cfg.DataDir, Logger: cfg.Logger, MemtableBytes: cfg.MemtableBytes, Now: cfg.Now})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("log store: %w", err)
	}
	a := &App{cfg: cfg, log: cfg.Logger, db: db, iam: ids, lts: logs, FirstStart: fs}
	reg := prometheus.NewRegistry()
	a.handler = newRouter(cfg.Logger, ids, reg, services(ids, logs))
	return a, nil
}

// services lists every service the server mounts. It also runs on nil
// services, to list the routes without opening anything.
func services(ids *iam.Service, l *lts.Service) []wire.Service {
	return []wire.Service{ids.API(), l.API(), l.IngestAPI()}
}

// OperationPatterns lists "METHOD /path" of every operation the server
// answers, for the API coverage table.
func OperationPatterns() []string {
	var out []string
	for _, svc := range services(nil, nil) {
		for _, r := range svc.Routes {
			out = append(out, r.Method+" "+r.Pattern)
		}
	}
	return out
}

// Handler serves every route.
func (a *App) Handler() http.Handler { return a.handler }

// IAM is the identity service, for tools that act on accounts directly.
func (a *App) IAM() *iam.Service { return a.iam }

// Close flushes and releases the stores. Stop serving first.
func (a *App) Close() error {
	err := a.lts.Close()
	if cerr := a.db.Close(); err == nil {
		err = cerr
	}
	return err
}
