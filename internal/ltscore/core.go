package ltscore

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/cluster"
	"logtank/internal/logquery"
	"logtank/internal/logstore"
	"logtank/internal/segcache"
	"logtank/internal/structuring"
	"logtank/internal/vfs"
)

// Config says where the core keeps its logs and how it bounds queries.
type Config struct {
	// DataDir is the server's data folder; logs go to DataDir/logs.
	DataDir string
	Logger  *slog.Logger
	// MemtableBytes is the log engine's memory budget for fresh rows.
	MemtableBytes int64
	// Now is the clock that ingestion checks log times against (time.Now
	// when nil).
	Now func() time.Time
	// QueryTimeout bounds one query (zero: DefaultQueryTimeout);
	// ProjectQueries is how many queries a project may run at once (zero:
	// DefaultProjectQueries).
	QueryTimeout   time.Duration
	ProjectQueries int
	// StrictStorage refuses to start on damaged log files instead of
	// quarantining them (logstore.Options.Strict).
	StrictStorage bool
	// SegmentDictionary writes segments with a template dictionary: about
	// a tenth smaller, with searches that decode many blocks a half to
	// two thirds slower (docs/benchmarks.md, "Segment format 4").
	SegmentDictionary bool
	// Cluster, when set, makes the core a node of a cluster (cluster.go).
	Cluster *Cluster
}

// Core is the LTS service's logic for logs: ingestion, search, counts,
// histograms, context and SQL, over the catalog's groups and streams and
// the log engine. Every door calls it: the LTS HTTP API, shipper
// protocols, the console, background jobs. It is safe for concurrent use.
//
// A caller names a project, and a group and stream of it, and gets either
// a typed result or an *apierr.Error from the catalogue in errors.go
// (anything else is an internal failure whose cause belongs in a log).
type Core struct {
	db        *catalog.DB
	logs      *logstore.Store
	streams   *streamCache
	tokenizer *logquery.Tokenizer
	now       func() time.Time
	gate      *queryGate
	notes     *sqlNotes
	// node is the cluster data path, nil in embedded mode.
	node *cluster.Node
	// cache is the node's segment cache, closed before the logs so that
	// the segments they close keep their blocks for the next start.
	cache *segcache.Cache
}

// Open opens the log engine under cfg.DataDir and the stream cache of db.
func Open(ctx context.Context, db *catalog.DB, cfg Config) (*Core, error) {
	c := &Core{
		db: db, streams: &streamCache{db: db, log: cfg.Logger}, tokenizer: logquery.DefaultTokenizer(), now: cfg.Now,
		gate: newQueryGate(cfg.QueryTimeout, cfg.ProjectQueries),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.streams.reload(ctx); err != nil {
		return nil, err
	}
	keep, err := c.keptLogs(ctx)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.DataDir, "logs")
	if cfg.Cluster != nil {
		if !db.Shared() {
			return nil, ErrClusterWithoutSharedCatalog
		}
		// A node's logs are a cache of the catalog and the bucket, filled
		// again from them at every start.
		if err := vfs.OS.RemoveAll(dir); err != nil {
			return nil, err
		}
	}
	store, err := logstore.Open(dir, logstore.Options{
		Tokenizer: c.tokenizer, Retention: c.streams.ttl, Logger: cfg.Logger, MemtableBytes: cfg.MemtableBytes,
		Strict: cfg.StrictStorage, Follower: cfg.Cluster != nil, TemplateDictionary: cfg.SegmentDictionary,
	}, keep)
	if err != nil {
		return nil, err
	}
	c.logs = store
	c.notes = newSQLNotes(db)
	if cfg.Cluster != nil {
		if err := c.startNode(cfg); err != nil {
			store.Close()
			return nil, err
		}
	}
	return c, nil
}

// keptLogs decides which streams' logs the log engine keeps when it
// opens. The embedded server keeps the streams its catalog lists: any
// other was deleted, possibly while it was down. A node sharing its
// catalog keeps all but the streams the catalog records as deleted: one
// it does not list may be another node's, created since the list was
// read, and deletion is the catalog's decision, not this node's view.
func (c *Core) keptLogs(ctx context.Context) (func(string) bool, error) {
	if !c.db.Shared() {
		return c.streams.exists, nil
	}
	gone, err := c.db.DeletedStreams(ctx)
	if err != nil {
		return nil, err
	}
	return func(id string) bool { return !gone[id] }, nil
}

// ApplyDeletions removes this node's logs of every stream the catalog
// records as deleted, whichever node deleted it. The watch of a shared
// catalog calls it whenever streams change; since it applies every
// deletion each time, an ingestion that raced a deletion on this node is
// removed at the next change, or at the next start.
func (c *Core) ApplyDeletions(ctx context.Context) error {
	gone, err := c.db.DeletedStreams(ctx)
	if err != nil {
		return err
	}
	_, err = c.logs.DeleteStreams(func(id string) bool { return gone[id] })
	return err
}

// Close stops the cluster node, if any, writes the SQL history notes that
// wait, then flushes and closes the log engine.
func (c *Core) Close() error {
	if c.node != nil {
		c.node.Close()
		c.cache.Close()
	}
	c.notes.close()
	return c.logs.Close()
}

// Logs is the log engine, for the jobs that read or delete whole streams
// (transfers, stream deletion).
func (c *Core) Logs() *logstore.Store { return c.logs }

// Now is the core's clock.
func (c *Core) Now() time.Time { return c.now() }

// Reload refreshes what the core caches of streams, their rules and index
// configurations; callers that change groups or streams in the catalog
// call it after (the core's own operations on rules and index
// configurations reload by themselves), and so does the watch of a shared
// catalog when another node changed them.
func (c *Core) Reload(ctx context.Context) error { return c.streams.reload(ctx) }

// RuleStats is what ingestion counted with a stream's structuring rule
// since it was loaded: lines that did not match, and values that did not
// convert to their type.
type RuleStats struct {
	Unparsed, Failed int64
}

// RuleStats returns the counters of the stream's rule when its id is
// ruleID (counters belong to one version of a rule).
func (c *Core) RuleStats(streamID, ruleID string) (RuleStats, bool) {
	sr := c.streams.rule(streamID)
	if sr == nil || sr.id != ruleID {
		return RuleStats{}, false
	}
	return RuleStats{Unparsed: sr.unparsed.Load(), Failed: sr.failed.Load()}, true
}

// IndexSettings returns the stream's compiled index configuration, false
// when it has none (the defaults apply).
func (c *Core) IndexSettings(streamID string) (structuring.CompiledIndex, bool) {
	if ix := c.streams.indexOf(streamID); ix != nil {
		return *ix, true
	}
	return structuring.CompiledIndex{}, false
}

// stream resolves a stream of project, and of group when group is not
// empty: a missing group is LTS.0201, a missing stream LTS.0208.
func (c *Core) stream(ctx context.Context, project, group, stream string) (catalog.StreamRef, error) {
	ref, ok := c.streams.get(stream)
	if ok && ref.ProjectID == project && (group == "" || ref.GroupID == group) {
		return ref, nil
	}
	if group != "" {
		if _, err := c.db.LogGroup(ctx, project, group); err != nil {
			return catalog.StreamRef{}, ErrGroupNotFound
		}
	}
	if ok && ref.ProjectID == project {
		return catalog.StreamRef{}, ErrStreamNotFound.WithMsg("The log stream does not existed in log group %s", group)
	}
	return catalog.StreamRef{}, ErrStreamNotFound
}
