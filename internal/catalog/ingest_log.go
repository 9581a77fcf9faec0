package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The ingest log is cluster mode's write-ahead log: a node acknowledges a
// batch once AppendIngest committed it, and every node applies each
// stream's batches in sequence order. A stream's head row is locked by the
// insert that takes its next number, so numbers are given in commit order
// and a reader that sees number n committed sees every number below it
// (or finds it indexed: in a segment of the manifest and deleted here).
//
// The manifest (log_segments) names the segments in object storage that
// hold a stream's batches up to its indexed number; RecordSegments adds
// to it, advances that number and deletes the batches it covers, in one
// transaction fenced by the indexing node's lease.

// IngestHead is where a stream's ingest log stands: the last number given,
// the last one the manifest's segments hold, and the generation of its
// manifest (segment_upkeep.go).
type IngestHead struct {
	StreamID      string
	Head, Indexed int64
	Gen           int64
}

// IngestBatch is one acknowledged batch, as its writer encoded it.
type IngestBatch struct {
	Seq   int64
	Batch []byte
}

// SegmentRecord is one segment of the manifest: an object holding the
// rows of one stream and day that the batches FromSeq < seq <= ToSeq
// brought (one indexing round writes a segment per day, all with the
// same range).
type SegmentRecord struct {
	StreamID, Object, Day string
	FromSeq, ToSeq        int64
	MinLine, MaxLine      int64
	Rows, Bytes           int64
}

// ErrIndexedMoved: the stream's indexed number is not the one an indexing
// round started from; another node recorded segments meanwhile.
var ErrIndexedMoved = errors.New("catalog: the stream's indexed sequence number moved")

// ErrStreamDeleted: the stream has a tombstone; its log takes no batch.
var ErrStreamDeleted = errors.New("catalog: the stream was deleted")

// ErrIngestBacklog: a stream has as many batches waiting to be indexed as
// its writer allows; nothing was stored.
var ErrIngestBacklog = errors.New("catalog: too many of the stream's batches wait to be indexed")

// AppendIngest commits batch as the stream's next number and returns it,
// unless maxWaiting of the stream's batches wait to be indexed
// (ErrIngestBacklog): every node holds those in memory; or unless the
// stream was deleted (ErrStreamDeleted), which the node's stream cache may
// not have seen yet.
func (c *DB) AppendIngest(ctx context.Context, streamID string, batch []byte, maxWaiting int64) (int64, error) {
	var seq int64
	err := c.appendTx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, err = c.appendIngest(ctx, tx, streamID, batch, maxWaiting)
		return err
	})
	return seq, err
}

// IngestHeads returns the head of every stream that has ingested.
func (c *DB) IngestHeads(ctx context.Context) ([]IngestHead, error) {
	var out []IngestHead
	err := c.each(ctx, `SELECT stream_id, head_seq, indexed_seq, manifest_gen FROM ingest_heads`, func(r *sql.Rows) error {
		var h IngestHead
		err := r.Scan(&h.StreamID, &h.Head, &h.Indexed, &h.Gen)
		out = append(out, h)
		return err
	})
	return out, err
}

// StreamIngestHead returns one stream's head; a stream that never
// ingested stands at zero.
func (c *DB) StreamIngestHead(ctx context.Context, streamID string) (IngestHead, error) {
	h := IngestHead{StreamID: streamID}
	err := c.sql.QueryRowContext(ctx, `SELECT head_seq, indexed_seq, manifest_gen FROM ingest_heads WHERE stream_id = $1`, streamID).Scan(&h.Head, &h.Indexed, &h.Gen)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return h, err
}

// IngestAfter returns the stream's batches numbered above after, in
// order, at most limit of them.
func (c *DB) IngestAfter(ctx context.Context, streamID string, after int64, limit int) ([]IngestBatch, error) {
	var out []IngestBatch
	err := c.each(ctx, `SELECT seq, batch FROM ingest_log WHERE stream_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, func(r *sql.Rows) error {
		var b IngestBatch
		err := r.Scan(&b.Seq, &b.Batch)
		out = append(out, b)
		return err
	}, streamID, after, limit)
	return out, err
}

// Manifest is a stream's manifest as one transaction saw it: its
// generation, its indexed number and segments.
type Manifest struct {
	Gen, Indexed int64
	Segments     []SegmentRecord
}

// ManifestAfter returns the stream's manifest with the segments that hold
// batches numbered above after only, in the order they were recorded. The
// generation tells whether those are the rounds that followed after: a
// reader that built the stream from the same generation attaches them, one
// that built it from another builds it again from the whole manifest.
func (c *DB) ManifestAfter(ctx context.Context, streamID string, after int64) (Manifest, error) {
	var m Manifest
	err := c.tx(ctx, func(tx *sql.Tx) error {
		m = Manifest{}
		err := tx.QueryRowContext(ctx, `SELECT indexed_seq, manifest_gen FROM ingest_heads WHERE stream_id = $1`, streamID).Scan(&m.Indexed, &m.Gen)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		m.Segments, err = segmentsAfter(ctx, tx, streamID, after)
		return err
	})
	return m, err
}

// SegmentsAfter returns the segments of ManifestAfter alone.
func (c *DB) SegmentsAfter(ctx context.Context, streamID string, after int64) ([]SegmentRecord, error) {
	m, err := c.ManifestAfter(ctx, streamID, after)
	return m.Segments, err
}

func segmentsAfter(ctx context.Context, tx *sql.Tx, streamID string, after int64) ([]SegmentRecord, error) {
	rows, err := tx.QueryContext(ctx, `SELECT object, day, from_seq, to_seq, min_line, max_line, rows, bytes FROM log_segments
		WHERE stream_id = $1 AND to_seq > $2 ORDER BY to_seq, day, object`, streamID, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SegmentRecord
	for rows.Next() {
		s := SegmentRecord{StreamID: streamID}
		if err := rows.Scan(&s.Object, &s.Day, &s.FromSeq, &s.ToSeq, &s.MinLine, &s.MaxLine, &s.Rows, &s.Bytes); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RecordSegments records the segments of one indexing round of a stream,
// which hold its batches from < seq <= to, advances its indexed number
// from from to to and deletes those batches, all in one transaction,
// which the caller fences with its lease on the stream (WithFence):
// ErrLeaseLost when it no longer holds it, ErrIndexedMoved when the indexed
// number is not from.
func (c *DB) RecordSegments(ctx context.Context, streamID string, from, to int64, segs []SegmentRecord) error {
	if to <= from {
		return fmt.Errorf("catalog: recording segments of %s: empty range (%d, %d]", streamID, from, to)
	}
	return c.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE ingest_heads SET indexed_seq = $1, changed = `+c.changeNo()+` WHERE stream_id = $2 AND indexed_seq = $3 AND head_seq >= $1`,
			to, streamID, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrIndexedMoved
		}
		for _, s := range segs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO log_segments (stream_id, object, day, from_seq, to_seq, min_line, max_line, rows, bytes)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				streamID, s.Object, s.Day, from, to, s.MinLine, s.MaxLine, s.Rows, s.Bytes); err != nil {
				return err
			}
			if err := keepObject(ctx, tx, s.Object); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM ingest_log WHERE stream_id = $1 AND seq <= $2`, streamID, to)
		return err
	})
}

// ForgetStreamLog deletes a deleted stream's ingest log, head, manifest and
// garbage list, and returns the objects its manifest and garbage list
// named, for the caller to delete.
func (c *DB) ForgetStreamLog(ctx context.Context, streamID string) ([]string, error) {
	var objects []string
	err := c.tx(ctx, func(tx *sql.Tx) error {
		var err error
		objects, err = c.forgetStreamLog(ctx, tx, streamID)
		return err
	})
	return objects, err
}

// ForgetDeletedStreamLogs forgets, as ForgetStreamLog, the logs of those
// of streamIDs that were deleted (have a tombstone), and returns the
// objects to delete: the head rows a batch leaves when it was appended
// through a node that had not yet seen its stream's deletion. The others
// are left alone: a node may not know a stream yet because it was created
// since its cache was loaded.
func (c *DB) ForgetDeletedStreamLogs(ctx context.Context, streamIDs []string) ([]string, error) {
	var objects []string
	err := c.tx(ctx, func(tx *sql.Tx) error {
		objects = objects[:0]
		for _, id := range streamIDs {
			deleted, err := streamDeleted(ctx, tx, id)
			if err != nil {
				return err
			}
			if !deleted {
				continue
			}
			o, err := c.forgetStreamLog(ctx, tx, id)
			if err != nil {
				return err
			}
			objects = append(objects, o...)
		}
		return nil
	})
	return objects, err
}

func (c *DB) forgetStreamLog(ctx context.Context, tx *sql.Tx, streamID string) ([]string, error) {
	// The head's deletion is numbered first, so that a node polling for
	// changes drops it from its view (see changeNo for why first).
	if _, err := tx.ExecContext(ctx, `INSERT INTO ingest_heads_gone (stream_id, changed)
		SELECT stream_id, `+c.changeNo()+` FROM ingest_heads WHERE stream_id = $1
		ON CONFLICT (stream_id) DO UPDATE SET changed = excluded.changed`, streamID); err != nil {
		return nil, err
	}
	var objects []string
	rows, err := tx.QueryContext(ctx, `SELECT object FROM log_segments WHERE stream_id = $1
		UNION SELECT object FROM segment_garbage WHERE stream_id = $1 ORDER BY object`, streamID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, err
		}
		objects = append(objects, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, q := range []string{`DELETE FROM log_segments WHERE stream_id = $1`, `DELETE FROM segment_garbage WHERE stream_id = $1`,
		`DELETE FROM ingest_log WHERE stream_id = $1`, `DELETE FROM ingest_heads WHERE stream_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, streamID); err != nil {
			return nil, err
		}
	}
	return objects, nil
}
