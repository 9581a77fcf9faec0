package ltscore

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/cluster"
	"logtank/internal/objstore"
	"logtank/internal/segcache"
	"logtank/internal/vfs"
)

// Cluster makes the core a node of a cluster (see package cluster): its
// batches are acknowledged once in the shared catalog's ingest log, its
// log store is a follower of that log, and segments are shared through a
// bucket. The catalog must be PostgreSQL.
type Cluster struct {
	Objects objstore.Store
	Bucket  string
	Prefix  string
	// Node names the node (empty: a random name per start); LeaseTTL,
	// Poll, IndexAfter, FollowFor, Upkeep and SegmentGrace (the package's
	// Grace) tune it (zero: the package's defaults). FollowFor must be
	// longer than the query timeout.
	Node                                                        string
	LeaseTTL, Poll, IndexAfter, FollowFor, Upkeep, SegmentGrace time.Duration
	// CacheBytes bounds the node's cache of segment blocks read from the
	// bucket, in the data folder (zero: DefaultSegmentsCache).
	CacheBytes int64
}

// DefaultSegmentsCache is the default bound of a node's segment cache.
const DefaultSegmentsCache = 1 << 30

// ErrClusterWithoutSharedCatalog: cluster mode needs a PostgreSQL catalog.
var ErrClusterWithoutSharedCatalog = errors.New("cluster mode needs a shared (PostgreSQL) catalog")

// follow brings the stream up to every batch acknowledged by any node so
// far, before a query reads it; in embedded mode there is nothing to do.
func (c *Core) follow(ctx context.Context, streamID string) error {
	if c.node == nil {
		return nil
	}
	if err := c.node.CatchUp(ctx, streamID); err != nil {
		if errors.Is(err, vfs.ErrUnavailable) {
			return unreachable(err)
		}
		return &apierr.Internal{Err: ErrQueryLogs, Cause: err}
	}
	return nil
}

// startNode starts the cluster node over the core's follower store, with
// its segment cache in the data folder (kept across starts, unlike the
// logs: a block of an immutable object never goes stale).
func (c *Core) startNode(cfg Config) error {
	bound := cfg.Cluster.CacheBytes
	if bound <= 0 {
		bound = DefaultSegmentsCache
	}
	cache, err := segcache.Open(segcache.Config{Dir: filepath.Join(cfg.DataDir, "segment-cache"), Bytes: bound, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	n, err := cluster.Start(cluster.Config{
		DB: c.db, Logs: c.logs, Cache: cache, Objects: cfg.Cluster.Objects, Bucket: cfg.Cluster.Bucket, Prefix: cfg.Cluster.Prefix,
		Node: cfg.Cluster.Node, LeaseTTL: cfg.Cluster.LeaseTTL, Poll: cfg.Cluster.Poll, IndexAfter: cfg.Cluster.IndexAfter,
		FollowFor: cfg.Cluster.FollowFor, Upkeep: cfg.Cluster.Upkeep, Grace: cfg.Cluster.SegmentGrace, Known: c.streams.exists, TTL: c.streams.ttl, Logger: cfg.Logger,
	})
	if err != nil {
		return err
	}
	c.node, c.cache = n, cache
	return nil
}

// dropLogs removes a deleted stream's logs: in a cluster, its log,
// manifest and segments for every node.
func (c *Core) dropLogs(ctx context.Context, streamID string) error {
	if c.node != nil {
		return c.node.Forget(ctx, streamID)
	}
	return c.logs.DeleteStream(streamID)
}

// StreamSeq returns the sequence number up to which the log engine holds
// the stream's rows, for the jobs that read a stream by arrival
// (transfers): the store-wide number in embedded mode; in a cluster the
// stream's own, once it is caught up with the ingest log.
func (c *Core) StreamSeq(ctx context.Context, streamID string) (uint64, error) {
	if c.node == nil {
		return c.logs.Seq(), nil
	}
	if err := c.follow(ctx, streamID); err != nil {
		return 0, err
	}
	applied, _ := c.logs.Applied(streamID)
	return applied, nil
}
