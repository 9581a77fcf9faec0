package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The upkeep of a stream's shared segments is its indexing node's (the
// holder of its lease), fenced like its rounds: ReplaceSegments puts one
// merged segment in the place of several of one day, DropSegmentDays
// removes the days its TTL expired. Both bump the stream's manifest
// generation in the same transaction, so every node sees that its copy of
// the stream no longer follows the manifest, and put the objects that left
// the manifest on the garbage list (segment_garbage): a node may be
// reading them, so they are deleted from the bucket only after a grace
// period (DueGarbage, ForgetGarbage). The list also takes every upload
// before it starts (AddGarbage), until the commit recording it takes it
// off (RecordSegments, ReplaceSegments): an upload no commit recorded is
// deleted after the grace, whatever became of its node. An object the
// manifest names is never returned as garbage, whatever the list says.

// ErrManifestMoved: a segment to be replaced is no longer in the manifest
// (another owner changed it meanwhile), or the segments are not one day's.
var ErrManifestMoved = errors.New("catalog: the stream's manifest changed")

// ReplaceSegments replaces the stream's segments named by objects, all of
// one day, by merged, which holds their rows: merged covers the batches
// the replaced ones covered (the lowest FromSeq to the highest ToSeq,
// set here), and the replaced objects go to the garbage list, deleted no
// sooner than grace from now. One transaction, which the caller fences
// with its lease on the stream.
func (c *DB) ReplaceSegments(ctx context.Context, streamID string, objects []string, merged SegmentRecord, grace time.Duration) error {
	if len(objects) == 0 {
		return fmt.Errorf("catalog: replacing segments of %s: none named", streamID)
	}
	return c.tx(ctx, func(tx *sql.Tx) error {
		from, to := int64(-1), int64(-1)
		for _, o := range objects {
			var day string
			var f, t int64
			err := tx.QueryRowContext(ctx, `SELECT day, from_seq, to_seq FROM log_segments WHERE stream_id = $1 AND object = $2`,
				streamID, o).Scan(&day, &f, &t)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && day != merged.Day) {
				return ErrManifestMoved
			}
			if err != nil {
				return err
			}
			if from < 0 || f < from {
				from = f
			}
			to = max(to, t)
			if _, err := tx.ExecContext(ctx, `DELETE FROM log_segments WHERE stream_id = $1 AND object = $2`, streamID, o); err != nil {
				return err
			}
			if err := c.addGarbage(ctx, tx, streamID, o, grace); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_segments (stream_id, object, day, from_seq, to_seq, min_line, max_line, rows, bytes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			streamID, merged.Object, merged.Day, from, to, merged.MinLine, merged.MaxLine, merged.Rows, merged.Bytes); err != nil {
			return err
		}
		if err := keepObject(ctx, tx, merged.Object); err != nil {
			return err
		}
		return c.bumpManifest(ctx, tx, streamID)
	})
}

// DropSegmentDays removes from the stream's manifest every segment of the
// days up to and including through (days compare as YYYYMMDD text), puts
// their objects on the garbage list, deleted no sooner than grace from now,
// and returns how many it removed. One transaction, which the caller
// fences with its lease on the stream.
func (c *DB) DropSegmentDays(ctx context.Context, streamID, through string, grace time.Duration) (int, error) {
	var dropped int
	err := c.tx(ctx, func(tx *sql.Tx) error {
		dropped = 0
		rows, err := tx.QueryContext(ctx, `SELECT object FROM log_segments WHERE stream_id = $1 AND day <= $2`, streamID, through)
		if err != nil {
			return err
		}
		var objects []string
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				rows.Close()
				return err
			}
			objects = append(objects, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(objects) == 0 {
			return err
		}
		for _, o := range objects {
			if err := c.addGarbage(ctx, tx, streamID, o, grace); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_segments WHERE stream_id = $1 AND day <= $2`, streamID, through); err != nil {
			return err
		}
		dropped = len(objects)
		return c.bumpManifest(ctx, tx, streamID)
	})
	return dropped, err
}

func (c *DB) bumpManifest(ctx context.Context, tx *sql.Tx, streamID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE ingest_heads SET manifest_gen = manifest_gen + 1, changed = `+c.changeNo()+` WHERE stream_id = $1`, streamID)
	return err
}

// addGarbage lists object, or puts its time off to grace from now when it
// is listed already: an upload listed as unrecorded that a commit recorded
// after all, and that has now left the manifest, waits its whole grace.
func (c *DB) addGarbage(ctx context.Context, tx *sql.Tx, streamID, object string, grace time.Duration) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO segment_garbage (object, stream_id, not_before_ms) VALUES ($1, $2, `+c.nowMS()+` + $3)
		ON CONFLICT (object) DO UPDATE SET not_before_ms = CASE WHEN excluded.not_before_ms > segment_garbage.not_before_ms
			THEN excluded.not_before_ms ELSE segment_garbage.not_before_ms END`, object, streamID, grace.Milliseconds())
	return err
}

// keepObject takes an object the manifest now names off the garbage list,
// where its upload put it.
func keepObject(ctx context.Context, tx *sql.Tx, object string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM segment_garbage WHERE object = $1`, object)
	return err
}

// AddGarbage puts objects of the stream on the garbage list, deleted no
// sooner than grace from now: uploads about to start, which the commit
// recording them takes off the list. One that a manifest names is never
// returned by DueGarbage, whatever the list says.
//
// A deleted stream (one with a tombstone) takes none (ErrStreamDeleted):
// its garbage list is gone with its log, and nothing would collect them.
func (c *DB) AddGarbage(ctx context.Context, streamID string, objects []string, grace time.Duration) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		deleted, err := streamDeleted(ctx, tx, streamID)
		if err != nil {
			return err
		}
		if deleted {
			return ErrStreamDeleted
		}
		for _, o := range objects {
			if err := c.addGarbage(ctx, tx, streamID, o, grace); err != nil {
				return err
			}
		}
		return nil
	})
}

// DueGarbage returns up to limit objects of the stream's garbage list
// whose time has come, for the caller to delete and then ForgetGarbage.
// Objects that the manifest names are taken off the list instead.
func (c *DB) DueGarbage(ctx context.Context, streamID string, limit int) ([]string, error) {
	var due []string
	err := c.tx(ctx, func(tx *sql.Tx) error {
		due = due[:0]
		if _, err := tx.ExecContext(ctx, `DELETE FROM segment_garbage WHERE stream_id = $1 AND EXISTS
			(SELECT 1 FROM log_segments s WHERE s.stream_id = segment_garbage.stream_id AND s.object = segment_garbage.object)`, streamID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT object FROM segment_garbage WHERE stream_id = $1 AND not_before_ms <= `+c.nowMS()+`
			ORDER BY not_before_ms, object LIMIT $2`, streamID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				return err
			}
			due = append(due, o)
		}
		return rows.Err()
	})
	return due, err
}

// ForgetGarbage takes objects deleted from the bucket off the garbage list.
func (c *DB) ForgetGarbage(ctx context.Context, objects []string) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		for _, o := range objects {
			if _, err := tx.ExecContext(ctx, `DELETE FROM segment_garbage WHERE object = $1`, o); err != nil {
				return err
			}
		}
		return nil
	})
}

// StreamDeleted reports whether the stream has a tombstone.
func (c *DB) StreamDeleted(ctx context.Context, streamID string) (bool, error) {
	var deleted bool
	err := c.tx(ctx, func(tx *sql.Tx) error {
		var err error
		deleted, err = streamDeleted(ctx, tx, streamID)
		return err
	})
	return deleted, err
}

func streamDeleted(ctx context.Context, tx *sql.Tx, streamID string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deleted_streams WHERE stream_id = $1`, streamID).Scan(&n)
	return n > 0, err
}
