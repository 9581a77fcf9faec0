package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/lease"
	"logtank/internal/logstore"
	"logtank/internal/objstore"
	"logtank/internal/workpool"
)

// Config is what a Worker needs.
type Config struct {
	DB      *catalog.DB
	Logs    *logstore.Store
	Objects objstore.Store
	Region  string
	// SpoolDir holds objects while they are written; it is emptied at start.
	SpoolDir string
	Logger   *slog.Logger
	// Now is the clock windows close by (time.Now when nil).
	Now func() time.Time
	// Grace is how long after a window ends it is written, so that rows
	// in flight at its end still go into it (default 30 s).
	Grace time.Duration
	// Interval is how often due windows are looked for (default 5 s).
	Interval time.Duration
	// Seq returns the sequence number up to which Logs holds a stream's
	// rows: in a cluster, the stream's own number once it is caught up
	// with the ingest log; nil means Logs.Seq(), the store-wide number of
	// the embedded mode.
	Seq func(ctx context.Context, streamID string) (uint64, error)
	// Lease, when not nil, is the cluster-wide lease transfers run
	// under: only its holder runs them, and the progress it records is
	// fenced by the holding (nil: this is the only node).
	Lease *lease.Keeper
}

// Worker runs the due windows of every enabled transfer.
type Worker struct {
	cfg Config
	log *slog.Logger
	// runMu serialises runs: the periodic one and those asked for.
	runMu sync.Mutex
	// retry holds, per failing transfer, when to try again and the delay
	// after that.
	retry   map[string]backoff
	closing chan struct{}
	done    chan struct{}
}

type backoff struct {
	at    time.Time
	delay time.Duration
}

const (
	firstRetry = 5 * time.Second
	maxRetry   = 5 * time.Minute
)

// Start starts the worker.
func Start(cfg Config) (*Worker, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Grace < 0 {
		cfg.Grace = 0
	} else if cfg.Grace == 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.RemoveAll(cfg.SpoolDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, retry: map[string]backoff{}, closing: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w, nil
}

// Close stops the worker, waiting for a run in progress.
func (w *Worker) Close() {
	close(w.closing)
	<-w.done
}

func (w *Worker) loop() {
	defer close(w.done)
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-w.closing:
			return
		case <-t.C:
			w.runDue()
		}
	}
}

// runDue runs every enabled transfer that is not waiting to retry.
func (w *Worker) runDue() {
	ctx, done, held := w.cfg.Lease.Hold(context.Background())
	if !held {
		return
	}
	defer done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	// List under the lock: a run on demand may just have moved progress,
	// and a stale copy would write its windows again.
	w.runMu.Lock()
	defer w.runMu.Unlock()
	transfers, err := w.cfg.DB.Transfers(ctx, "")
	if err != nil {
		w.log.Error("listing transfers", "error", err)
		return
	}
	for _, t := range transfers {
		if !t.Enabled || t.Type != "OBS" {
			continue
		}
		if b, ok := w.retry[t.ID]; ok && w.cfg.Now().Before(b.at) {
			continue
		}
		// A bug in one transfer's run must not end the server with it.
		err := workpool.Catch(func() error {
			_, err := w.run(ctx, t, false)
			return err
		})
		var pe *workpool.PanicError
		switch {
		case errors.As(err, &pe):
			w.log.Error("transfer run panicked", "transfer", t.ID, "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
		case errors.Is(err, lease.ErrLost):
			w.log.Warn("transfers stopped: their lease passed to another node", "transfer", t.ID)
			return
		case err != nil && ctx.Err() == nil:
			w.log.Warn("transfer failed", "transfer", t.ID, "error", err)
		}
	}
}

// ErrElsewhere: transfers run on another node of the cluster, the holder
// of their lease, and only there.
var ErrElsewhere = errors.New("transfers run on another node of the cluster")

// Run writes a transfer's due windows now, ignoring any retry delay, and
// with force also the window from the last one written up to now. It
// returns the keys of the objects written.
func (w *Worker) Run(ctx context.Context, projectID, id string, force bool) ([]string, error) {
	ctx, done, held := w.cfg.Lease.Hold(ctx)
	if !held {
		return nil, ErrElsewhere
	}
	defer done()
	w.runMu.Lock()
	defer w.runMu.Unlock()
	// Read under the lock: a periodic run may just have moved the progress.
	t, err := w.cfg.DB.Transfer(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	return w.run(ctx, t, force)
}

// StartProgress is where a stream joins a transfer: it is written from
// the rows that arrive after now.
func (w *Worker) StartProgress(ctx context.Context, streamID string) (catalog.Progress, error) {
	seq, err := w.seq(ctx, streamID)
	if err != nil {
		return catalog.Progress{}, err
	}
	return catalog.Progress{BaseSeq: seq, DoneSeq: seq, DoneEndMS: w.cfg.Now().UnixMilli()}, nil
}

func (w *Worker) seq(ctx context.Context, streamID string) (uint64, error) {
	if w.cfg.Seq == nil {
		return w.cfg.Logs.Seq(), nil
	}
	return w.cfg.Seq(ctx, streamID)
}

func (w *Worker) run(ctx context.Context, t catalog.Transfer, force bool) ([]string, error) {
	keys, err := w.runStreams(ctx, t, force)
	if err != nil {
		// Stopped, or the lease passed to another node: not a failure of
		// the transfer.
		if ctx.Err() != nil || errors.Is(err, lease.ErrLost) {
			return keys, err
		}
		b := w.retry[t.ID]
		b.delay = min(max(2*b.delay, firstRetry), maxRetry)
		b.at = w.cfg.Now().Add(b.delay)
		w.retry[t.ID] = b
		if ferr := w.cfg.DB.SetTransferFailure(ctx, t.ID, err.Error()); ferr != nil {
			w.log.Error("recording a transfer failure", "transfer", t.ID, "error", ferr)
		}
		return keys, err
	}
	delete(w.retry, t.ID)
	if t.Failure != "" {
		if err := w.cfg.DB.SetTransferFailure(ctx, t.ID, ""); err != nil {
			return keys, err
		}
	}
	return keys, nil
}

func (w *Worker) runStreams(ctx context.Context, t catalog.Transfer, force bool) ([]string, error) {
	s, err := DecodeSettings(t.Settings)
	if err != nil {
		return nil, fmt.Errorf("transfer settings: %w", err)
	}
	loc, err := s.Location()
	if err != nil {
		return nil, err
	}
	group, err := w.cfg.DB.LogGroup(ctx, t.ProjectID, t.GroupID)
	if err != nil {
		return nil, fmt.Errorf("log group %s: %w", t.GroupID, err)
	}
	now := w.cfg.Now()
	var keys []string
	for _, ts := range t.Streams {
		stream, err := w.cfg.DB.LogStream(ctx, t.ProjectID, t.GroupID, ts.StreamID)
		if errors.Is(err, catalog.ErrNotFound) {
			// Deletion refuses streams a transfer writes; should one be
			// gone all the same, the others still go on.
			w.log.Warn("transfer names a missing stream", "transfer", t.ID, "stream", ts.StreamID)
			continue
		}
		if err != nil {
			return keys, fmt.Errorf("log stream %s: %w", ts.StreamID, err)
		}
		names := Names{Region: w.cfg.Region, ProjectID: t.ProjectID, GroupName: group.Name, StreamName: stream.Name, StreamID: stream.ID, StreamTags: stream.Tags}
		seq, err := w.seq(ctx, ts.StreamID)
		if err != nil {
			return keys, fmt.Errorf("log stream %s: %w", ts.StreamID, err)
		}
		p := ts.Progress
		for ctx.Err() == nil {
			var end time.Time
			var upTo uint64
			if p.PendingEndMS > 0 {
				end, upTo = time.UnixMilli(p.PendingEndMS), p.PendingSeq
			} else {
				end = NextBoundary(time.UnixMilli(p.DoneEndMS), s.Length(), loc)
				if end.Add(w.cfg.Grace).After(now) {
					// Windows end on whole milliseconds, as progress records them.
					if !force || now.UnixMilli() <= p.DoneEndMS {
						break
					}
					end = time.UnixMilli(now.UnixMilli())
				}
				upTo = seq
				p.PendingEndMS, p.PendingSeq = end.UnixMilli(), upTo
				p.PendingKey = Key(&s, loc, names, Window{Start: time.UnixMilli(p.DoneEndMS), End: end})
				if err := w.cfg.DB.SetTransferProgress(ctx, t.ID, ts.StreamID, p); err != nil {
					return keys, err
				}
			}
			key := p.PendingKey
			if key == "" {
				key = Key(&s, loc, names, Window{Start: time.UnixMilli(p.DoneEndMS), End: end})
			}
			wrote, err := w.write(ctx, &s, names, ts.StreamID, p, end, upTo, key)
			if err != nil {
				return keys, err
			}
			if wrote {
				keys = append(keys, key)
			}
			p = catalog.Progress{BaseSeq: p.BaseSeq, DoneEndMS: end.UnixMilli(), DoneSeq: upTo}
			if err := w.cfg.DB.SetTransferProgress(ctx, t.ID, ts.StreamID, p); err != nil {
				return keys, err
			}
		}
	}
	return keys, ctx.Err()
}

// write writes one window of a stream under key: its rows that arrived up
// to upTo, and the late rows of earlier windows that arrived since the last
// one. It reports false when there was no row to write.
func (w *Worker) write(ctx context.Context, s *Settings, names Names, streamID string, p catalog.Progress, end time.Time, upTo uint64, key string) (bool, error) {
	f, err := os.CreateTemp(w.cfg.SpoolDir, "object-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	enc := newEncoder(f, s, names)
	startNs := time.UnixMilli(p.DoneEndMS).UnixNano()
	scans := []logstore.Scan{
		// Late rows: older than the windows written, arrived since.
		{Start: math.MinInt64, End: startNs - 1, SeqAfter: p.DoneSeq, SeqUpTo: upTo},
		// The window's rows, whenever they arrived since the transfer began.
		{Start: startNs, End: end.UnixNano() - 1, SeqAfter: p.BaseSeq, SeqUpTo: upTo},
	}
	for _, sc := range scans {
		if sc.SeqAfter >= sc.SeqUpTo {
			continue
		}
		sc.Fields = len(s.StructFields) > 0 && s.Format == "JSON"
		var werr error
		err := w.cfg.Logs.Rows(ctx, streamID, sc, func(r logstore.Row) bool {
			werr = enc.write(r)
			return werr == nil && ctx.Err() == nil
		})
		if err = errors.Join(err, werr, ctx.Err()); err != nil {
			return false, err
		}
	}
	if err := enc.close(); err != nil {
		return false, err
	}
	if enc.rows == 0 {
		return false, nil
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return false, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return false, err
	}
	if err := w.cfg.Objects.Put(ctx, s.Bucket, key, f, size); err != nil {
		return false, describe(err, s.Bucket)
	}
	return true, nil
}

// describe says in the words of the transfer's status what went wrong.
func describe(err error, bucket string) error {
	switch {
	case errors.Is(err, objstore.ErrNoBucket):
		return fmt.Errorf("obs bucket does not exist: %s (%w)", bucket, objstore.ErrNoBucket)
	case errors.Is(err, objstore.ErrAccessDenied):
		return fmt.Errorf("no permission to write to obs bucket %s: %w", bucket, err)
	}
	return fmt.Errorf("writing to obs bucket %s: %w", bucket, err)
}
