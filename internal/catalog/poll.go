package catalog

import (
	"context"
	"database/sql"
)

// ClusterPoll is what a cluster node's poll read of the ingest heads and
// the leases, in one snapshot. A whole read (PollCluster with since 0)
// holds every head and every unexpired lease; a read of changes holds the
// heads and leases whose rows changed at or after since (expired and
// released leases too, so that a view drops them), and Gone the streams
// whose head row was deleted and is absent from the snapshot. Rows seen
// by an earlier poll may come again: applying a row is idempotent.
type ClusterPoll struct {
	Whole  bool
	Heads  []IngestHead
	Gone   []string
	Leases []LeaseRecord
	// NowMS is the database's clock in the snapshot, to judge the leases'
	// expiries by: a lease that expires changes no row.
	NowMS int64
	// Next is the since of the next poll.
	Next int64
}

// PollCluster reads the ingest heads and the leases whole when since is 0,
// and otherwise the rows that changed at or after since, the Next of the
// previous poll. The read of changes is an index scan of the rows that
// moved; that no committed change is missed although PostgreSQL commits
// transactions out of the order of their numbers is changeNo's argument.
func (c *DB) PollCluster(ctx context.Context, since int64) (ClusterPoll, error) {
	var p ClusterPoll
	err := c.snapshotTx(ctx, func(tx *sql.Tx) error {
		p = ClusterPoll{Whole: since <= 0}
		if err := tx.QueryRowContext(ctx, `SELECT `+c.pollBound()+`, `+c.nowMS()).Scan(&p.Next, &p.NowMS); err != nil {
			return err
		}
		heads := func(r *sql.Rows) error {
			var h IngestHead
			err := r.Scan(&h.StreamID, &h.Head, &h.Indexed, &h.Gen)
			p.Heads = append(p.Heads, h)
			return err
		}
		gone := func(r *sql.Rows) error {
			var id string
			err := r.Scan(&id)
			p.Gone = append(p.Gone, id)
			return err
		}
		leases := func(r *sql.Rows) error {
			var l LeaseRecord
			err := r.Scan(&l.Name, &l.Owner, &l.Epoch, &l.ExpiryMS)
			p.Leases = append(p.Leases, l)
			return err
		}
		const headCols = `SELECT stream_id, head_seq, indexed_seq, manifest_gen FROM ingest_heads`
		const leaseCols = `SELECT name, owner, epoch, expiry FROM leases`
		if p.Whole {
			if err := eachIn(ctx, tx, headCols, heads); err != nil {
				return err
			}
			return eachIn(ctx, tx, leaseCols+` WHERE expiry > $1`, leases, p.NowMS)
		}
		if err := eachIn(ctx, tx, headCols+` WHERE changed >= $1`, heads, since); err != nil {
			return err
		}
		if err := eachIn(ctx, tx, `SELECT stream_id FROM ingest_heads_gone g WHERE changed >= $1
			AND NOT EXISTS (SELECT 1 FROM ingest_heads h WHERE h.stream_id = g.stream_id)`, gone, since); err != nil {
			return err
		}
		return eachIn(ctx, tx, leaseCols+` WHERE changed >= $1`, leases, since)
	})
	return p, err
}
