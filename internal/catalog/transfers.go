package catalog

import (
	"context"
	"database/sql"
	"errors"
	"slices"
)

// ErrInUse: the record is referenced by another (a stream or group by a
// transfer) and cannot be deleted.
var ErrInUse = errors.New("in use")

// Transfer is a periodic dump of log streams to object storage.
type Transfer struct {
	ID        string
	ProjectID string
	GroupID   string
	// Type is OBS, DIS or DMS; a stream has at most one transfer per type.
	Type string
	// Settings is the transfer's configuration as its owner encodes it.
	Settings string
	Enabled  bool
	// Failure is why the last run failed; empty after a success.
	Failure   string
	CreatedMS int64
	Streams   []TransferStream
}

// TransferStream is a stream of a transfer and how far it was written.
type TransferStream struct {
	StreamID string
	Progress
}

// Progress says what of a stream a transfer has written. Rows with
// sequence numbers in (BaseSeq, DoneSeq] and times before DoneEndMS are in
// objects; PendingEndMS > 0 names a window a run started and may not have
// finished.
type Progress struct {
	BaseSeq      uint64
	DoneEndMS    int64
	DoneSeq      uint64
	PendingEndMS int64
	PendingSeq   uint64
	// PendingKey is the object key of the pending window.
	PendingKey string
}

// CreateTransfer stores t with its streams; ErrExists when one of them
// already has a transfer of t's type (the error names the stream), a
// *MissingStreamError when one is not in t's group.
func (c *DB) CreateTransfer(ctx context.Context, t Transfer) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := streamsInGroup(ctx, tx, t.GroupID, t.Streams); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO transfers (id, project_id, group_id, type, settings, enabled, failure, created_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, t.ProjectID, t.GroupID, t.Type, t.Settings, t.Enabled, t.Failure, t.CreatedMS); err != nil {
			return err
		}
		return insertTransferStreams(ctx, tx, t.ID, t.Type, t.Streams)
	})
}

// MissingStreamError is ErrNotFound for a stream a transfer names that its
// group does not hold (deleted meanwhile).
type MissingStreamError struct{ StreamID string }

func (e *MissingStreamError) Error() string { return "stream " + e.StreamID + " does not exist" }
func (e *MissingStreamError) Unwrap() error { return ErrNotFound }

// streamsInGroup checks, inside the transaction that stores a transfer,
// that its streams exist: a check before it could race a deletion.
func streamsInGroup(ctx context.Context, tx *sql.Tx, groupID string, streams []TransferStream) error {
	for _, s := range streams {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM log_streams WHERE id = $1 AND group_id = $2`, s.StreamID, groupID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &MissingStreamError{StreamID: s.StreamID}
		}
	}
	return nil
}

// StreamInTransferError is ErrExists for the stream that already has a
// transfer of the type.
type StreamInTransferError struct{ StreamID string }

func (e *StreamInTransferError) Error() string {
	return "stream " + e.StreamID + " already has a transfer"
}
func (e *StreamInTransferError) Unwrap() error { return ErrExists }

func insertTransferStreams(ctx context.Context, tx *sql.Tx, id, typ string, streams []TransferStream) error {
	for _, s := range streams {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT transfer_id FROM transfer_streams WHERE stream_id = $1 AND type = $2 AND transfer_id <> $3`, s.StreamID, typ, id).Scan(&other)
		if err == nil {
			return &StreamInTransferError{StreamID: s.StreamID}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO transfer_streams (transfer_id, stream_id, type, base_seq, done_end_ms, done_seq, pending_end_ms, pending_seq, pending_key, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, (SELECT COALESCE(max(position), 0) + 1 FROM transfer_streams WHERE transfer_id = $1))`, id, s.StreamID, typ, int64(s.BaseSeq), s.DoneEndMS, int64(s.DoneSeq), s.PendingEndMS, int64(s.PendingSeq), s.PendingKey); err != nil {
			return err
		}
	}
	return nil
}

const transferColumns = `id, project_id, group_id, type, settings, enabled, failure, created_ms`

// Transfers lists the transfers of a project (all projects when
// projectID is empty), oldest first, with their streams.
func (c *DB) Transfers(ctx context.Context, projectID string) ([]Transfer, error) {
	q := `SELECT ` + transferColumns + ` FROM transfers`
	var args []any
	if projectID != "" {
		q += ` WHERE project_id = $1`
		args = append(args, projectID)
	}
	rows, err := c.sql.QueryContext(ctx, q+` ORDER BY created_ms, id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Transfer
	for rows.Next() {
		var t Transfer
		if err := rows.Scan(&t.ID, &t.ProjectID, &t.GroupID, &t.Type, &t.Settings, &t.Enabled, &t.Failure, &t.CreatedMS); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Streams, err = c.transferStreams(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Transfer returns one transfer of a project.
func (c *DB) Transfer(ctx context.Context, projectID, id string) (Transfer, error) {
	var t Transfer
	err := c.sql.QueryRowContext(ctx, `SELECT `+transferColumns+` FROM transfers WHERE project_id = $1 AND id = $2`, projectID, id).
		Scan(&t.ID, &t.ProjectID, &t.GroupID, &t.Type, &t.Settings, &t.Enabled, &t.Failure, &t.CreatedMS)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.Streams, err = c.transferStreams(ctx, id)
	return t, err
}

func (c *DB) transferStreams(ctx context.Context, id string) ([]TransferStream, error) {
	rows, err := c.sql.QueryContext(ctx, `SELECT stream_id, base_seq, done_end_ms, done_seq, pending_end_ms, pending_seq, pending_key
		FROM transfer_streams WHERE transfer_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TransferStream
	for rows.Next() {
		var s TransferStream
		var base, done, pending int64
		if err := rows.Scan(&s.StreamID, &base, &s.DoneEndMS, &done, &s.PendingEndMS, &pending, &s.PendingKey); err != nil {
			return nil, err
		}
		s.BaseSeq, s.DoneSeq, s.PendingSeq = uint64(base), uint64(done), uint64(pending)
		out = append(out, s)
	}
	return out, rows.Err()
}

// UpdateTransfer replaces t's settings, state and stream list. Streams
// that stay keep their progress; new ones take the progress given in t.
func (c *DB) UpdateTransfer(ctx context.Context, t Transfer) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := c.mustAffect(tx.ExecContext(ctx, `UPDATE transfers SET group_id = $1, settings = $2, enabled = $3, failure = $4
			WHERE project_id = $5 AND id = $6`, t.GroupID, t.Settings, t.Enabled, t.Failure, t.ProjectID, t.ID)); err != nil {
			return err
		}
		if err := streamsInGroup(ctx, tx, t.GroupID, t.Streams); err != nil {
			return err
		}
		keep := make([]string, 0, len(t.Streams))
		var added []TransferStream
		for _, s := range t.Streams {
			keep = append(keep, s.StreamID)
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM transfer_streams WHERE transfer_id = $1 AND stream_id = $2`, t.ID, s.StreamID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				added = append(added, s)
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT stream_id FROM transfer_streams WHERE transfer_id = $1`, t.ID)
		if err != nil {
			return err
		}
		var drop []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			if !slices.Contains(keep, id) {
				drop = append(drop, id)
			}
		}
		rows.Close()
		for _, id := range drop {
			if _, err := tx.ExecContext(ctx, `DELETE FROM transfer_streams WHERE transfer_id = $1 AND stream_id = $2`, t.ID, id); err != nil {
				return err
			}
		}
		return insertTransferStreams(ctx, tx, t.ID, t.Type, added)
	})
}

// SetTransferFailure records why the transfer's last run failed (empty:
// it succeeded). It is a transaction of its own so that a lease fence on
// ctx applies (see Fence).
func (c *DB) SetTransferFailure(ctx context.Context, id, failure string) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE transfers SET failure = $1 WHERE id = $2`, failure, id)
		return err
	})
}

// SetTransferProgress stores a stream's progress in a transfer, in a
// transaction of its own so that a lease fence on ctx applies: a worker
// that lost the transfers' lease cannot move progress back or forward
// under the one that took it.
func (c *DB) SetTransferProgress(ctx context.Context, id, streamID string, p Progress) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		return c.mustAffect(tx.ExecContext(ctx, `UPDATE transfer_streams SET base_seq = $1, done_end_ms = $2, done_seq = $3, pending_end_ms = $4, pending_seq = $5, pending_key = $6
			WHERE transfer_id = $7 AND stream_id = $8`, int64(p.BaseSeq), p.DoneEndMS, int64(p.DoneSeq), p.PendingEndMS, int64(p.PendingSeq), p.PendingKey, id, streamID))
	})
}

// DeleteTransfer removes a transfer of a project.
func (c *DB) DeleteTransfer(ctx context.Context, projectID, id string) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM transfer_streams WHERE transfer_id = $1`, id); err != nil {
			return err
		}
		return c.mustAffect(tx.ExecContext(ctx, `DELETE FROM transfers WHERE project_id = $1 AND id = $2`, projectID, id))
	})
}

// transferOfStream returns the id of a transfer that writes the stream.
func transferOfStream(ctx context.Context, tx *sql.Tx, streamID string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT transfer_id FROM transfer_streams WHERE stream_id = $1 LIMIT 1`, streamID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// transferOfGroup returns the id of a transfer of the group.
func transferOfGroup(ctx context.Context, tx *sql.Tx, groupID string) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM transfers WHERE group_id = $1 LIMIT 1`, groupID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// InUseError is ErrInUse naming the transfer that holds the record.
type InUseError struct{ TransferID string }

func (e *InUseError) Error() string { return "used by transfer " + e.TransferID }
func (e *InUseError) Unwrap() error { return ErrInUse }

func inUse(transferID string, err error) error {
	if err != nil {
		return err
	}
	return &InUseError{TransferID: transferID}
}
