package metricstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

const (
	// DefaultRetention is how long points are kept unless Options say otherwise.
	DefaultRetention = 30 * 24 * time.Hour
	// BackfillWindow is how far behind the newest point of the store a point
	// may arrive and still be stored: AOM accepts points up to 24 hours old
	// and up to 30 minutes ahead, so a point 24 hours old may arrive after
	// one 30 minutes ahead; the rest is slack for clock drift.
	BackfillWindow = 25 * time.Hour
	// maxBlockSpan caps compacted blocks the way Prometheus does (a tenth of
	// the retention, at most 31 days), so retention drops whole blocks
	// without keeping much expired data around.
	maxBlockSpan = 31 * 24 * time.Hour
)

// Options configure a Store. The zero value is ready to use.
type Options struct {
	// Retention is how long points are kept; zero means DefaultRetention.
	Retention time.Duration
	Logger    *slog.Logger
	// QueryTimeout bounds one PromQL evaluation; zero means two minutes.
	QueryTimeout time.Duration
	// MaxSamples bounds the points one PromQL evaluation may hold in
	// memory; zero means 50 million, the Prometheus default.
	MaxSamples int
}

// Store is the metric store of all projects. It is safe for concurrent use.
type Store struct {
	db     *tsdb.DB
	engine *promql.Engine
	sync   *groupSync
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Retention < BackfillWindow {
		return nil, fmt.Errorf("metric retention %v is shorter than the back-fill window %v", opts.Retention, BackfillWindow)
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 2 * time.Minute
	}
	if opts.MaxSamples <= 0 {
		opts.MaxSamples = 50_000_000
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	to := tsdb.DefaultOptions()
	to.RetentionDuration = opts.Retention.Milliseconds()
	to.OutOfOrderTimeWindow = BackfillWindow.Milliseconds()
	to.MaxBlockDuration = min(opts.Retention/10, maxBlockSpan).Milliseconds()
	if to.MaxBlockDuration < to.MinBlockDuration {
		to.MaxBlockDuration = to.MinBlockDuration
	}
	db, err := tsdb.Open(dir, opts.Logger.With("component", "tsdb"), nil, to, nil)
	if err != nil {
		return nil, fmt.Errorf("metric store %s: %w", dir, err)
	}
	engine := promql.NewEngine(promql.EngineOpts{
		Logger:               opts.Logger.With("component", "promql"),
		MaxSamples:           opts.MaxSamples,
		Timeout:              opts.QueryTimeout,
		LookbackDelta:        5 * time.Minute,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		Parser:               promParser,
	})
	return &Store{
		db: db, engine: engine,
		sync: newGroupSync(filepath.Join(dir, "wal"), filepath.Join(dir, "wbl")),
	}, nil
}

// Close flushes and closes the store. Stop using it first.
func (s *Store) Close() error { return s.db.Close() }

// Sample is one point of a series.
type Sample struct {
	Series Series
	// T is the time in Unix milliseconds.
	T int64
	V float64
}

// AppendResult counts what Append did with the samples it was given.
type AppendResult struct {
	Accepted int
	// Rejected were older than the back-fill window allows, or repeated
	// the time of the newest point of their series with another value.
	Rejected int
}

// Append stores the samples of project and returns once they are durable.
// A second value for a series and time that has one is ignored: the first
// stays, as in Prometheus. Samples it cannot store (see AppendResult) do not
// fail the others; an error means none of them was acknowledged.
func (s *Store) Append(ctx context.Context, project string, samples []Sample) (AppendResult, error) {
	var res AppendResult
	app := s.db.Appender(ctx)
	b := labels.NewScratchBuilder(16)
	for i := range samples {
		smp := &samples[i]
		_, err := app.Append(0, labelsOf(&b, project, smp.Series), smp.T, smp.V)
		switch {
		case err == nil:
			res.Accepted++
		case errors.Is(err, storage.ErrDuplicateSampleForTimestamp), errors.Is(err, storage.ErrTooOldSample),
			errors.Is(err, storage.ErrOutOfBounds), errors.Is(err, storage.ErrOutOfOrderSample):
			res.Rejected++
		default:
			_ = app.Rollback()
			return AppendResult{}, fmt.Errorf("append to the metric store: %w", err)
		}
	}
	if err := app.Commit(); err != nil {
		return AppendResult{}, fmt.Errorf("commit to the metric store: %w", err)
	}
	if err := s.sync.Sync(); err != nil {
		return AppendResult{}, fmt.Errorf("sync the metric store's log: %w", err)
	}
	return res, nil
}
