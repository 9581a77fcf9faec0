package ltscore

import (
	"context"
	"errors"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/cluster"
	"logtank/internal/objstore"
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
}

// ErrClusterWithoutSharedCatalog: cluster mode needs a PostgreSQL catalog.
var ErrClusterWithoutSharedCatalog = errors.New("cluster mode needs a shared (PostgreSQL) catalog")

// follow brings the stream up to every batch acknowledged by any node so
// far, before a query reads it; in embedded mode there is nothing to do.
func (c *Core) follow(ctx context.Context, streamID string) error {
	if c.node == nil {
		return nil
	}
	if err := c.node.CatchUp(ctx, streamID); err != nil {
		return &apierr.Internal{Err: ErrQueryLogs, Cause: err}
	}
	return nil
}

// startNode starts the cluster node over the core's follower store.
func (c *Core) startNode(cfg Config) error {
	n, err := cluster.Start(cluster.Config{
		DB: c.db, Logs: c.logs, Objects: cfg.Cluster.Objects, Bucket: cfg.Cluster.Bucket, Prefix: cfg.Cluster.Prefix,
		Node: cfg.Cluster.Node, LeaseTTL: cfg.Cluster.LeaseTTL, Poll: cfg.Cluster.Poll, IndexAfter: cfg.Cluster.IndexAfter,
		FollowFor: cfg.Cluster.FollowFor, Upkeep: cfg.Cluster.Upkeep, Grace: cfg.Cluster.SegmentGrace, Known: c.streams.exists, TTL: c.streams.ttl, Logger: cfg.Logger,
	})
	if err != nil {
		return err
	}
	c.node = n
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
