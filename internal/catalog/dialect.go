package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, registered as "pgx"
)

// This file is the one place where the two engines differ. The schema,
// the migrations and every query are shared: they use $N placeholders,
// BIGINT for times, BOOLEAN, ON CONFLICT, and CAST rather than "::". What
// cannot be shared is here:
//
//   - opening: a file with pragmas and one connection (SQLite), a URL and a
//     small pool (PostgreSQL);
//   - isolation: SQLite runs one transaction at a time (one connection,
//     BEGIN IMMEDIATE), so a count then an insert is atomic by construction.
//     PostgreSQL runs transactions concurrently: they are SERIALIZABLE, so
//     that two creates that each count below a quota cannot both commit,
//     and the loser is retried (SQLSTATE 40001, or 40P01 for a deadlock);
//   - errors: SQLite's are recognized by text, PostgreSQL's by SQLSTATE;
//   - migrations: nodes sharing a PostgreSQL may start together, so they
//     migrate one at a time under an advisory lock;
//   - text order: listings sort by text columns, and SQLite compares bytes.
//     A PostgreSQL database must collate the same way ("C"), or the same
//     request would list in a different order; Open refuses otherwise;
//   - change numbers (poll.go): the writing transaction's id on PostgreSQL,
//     where transactions commit out of the order they took their numbers,
//     one above the highest given on SQLite, where they cannot.

// engine is the SQL engine behind a DB.
type engine int

const (
	engineSQLite engine = iota
	enginePostgres
)

// Open opens the catalog that spec names: empty for the embedded SQLite in
// dir, or a postgres:// (postgresql://) URL for a PostgreSQL database
// that several logtank nodes may share.
func Open(ctx context.Context, spec, dir string) (*DB, error) {
	switch {
	case spec == "":
		return OpenSQLite(ctx, dir)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return OpenPostgres(ctx, spec)
	}
	return nil, fmt.Errorf("catalog %q: want a postgres:// URL, or nothing for the embedded SQLite", redact(spec))
}

// postgresConns bounds one node's connections: metadata operations are
// short, and several nodes share the server's max_connections (100 by
// default).
const postgresConns = 8

// OpenPostgres opens the catalog in the PostgreSQL database at url
// (postgres://user:password@host:port/database?sslmode=...) and brings its
// schema up to date.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", redact(url), err)
	}
	db.SetMaxOpenConns(postgresConns)
	db.SetMaxIdleConns(postgresConns)
	c := &DB{sql: db, engine: enginePostgres}
	if err := c.openPostgres(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", redact(url), err)
	}
	return c, nil
}

// minPostgres is the oldest PostgreSQL server_version_num Open accepts.
const minPostgres = 130000

func (c *DB) openPostgres(ctx context.Context) error {
	if err := c.sql.PingContext(ctx); err != nil {
		return err
	}
	// The change numbers of a cluster's poll are transaction ids read
	// with pg_current_xact_id (changeNo), which came with PostgreSQL 13.
	var version int
	var named string
	if err := c.sql.QueryRowContext(ctx, `SELECT CAST(current_setting('server_version_num') AS INTEGER), current_setting('server_version')`).
		Scan(&version, &named); err != nil {
		return err
	}
	if version < minPostgres {
		return fmt.Errorf("PostgreSQL %s is too old: logtank needs PostgreSQL 13 or later", named)
	}
	// In byte order 'B' < 'a' and '_' < 'a'; a linguistic collation
	// (en_US.UTF-8, ICU) puts both the other way.
	var bytewise bool
	if err := c.sql.QueryRowContext(ctx, `SELECT 'B' < 'a' AND '_' < 'a'`).Scan(&bytewise); err != nil {
		return err
	}
	if !bytewise {
		return errors.New(`the database does not sort text by bytes (collation "C"), so listings would not come in logtank's order; ` +
			`create it with: CREATE DATABASE logtank TEMPLATE template0 LOCALE 'C'`)
	}
	conn, err := c.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A session lock, on a connection of its own: the migrations run in
	// transactions on other connections of the pool.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if err := c.migrate(ctx); err != nil {
		return err
	}
	// Ingest log batches arrive compressed: PostgreSQL's own compression
	// of large values would spend time on each and gain nothing. Set once
	// (the ALTER locks the table against the other nodes' appends).
	var storage string
	if err := conn.QueryRowContext(ctx, `SELECT attstorage FROM pg_attribute WHERE attrelid = 'ingest_log'::regclass AND attname = 'batch'`).Scan(&storage); err != nil {
		return err
	}
	if storage != "e" {
		_, err = conn.ExecContext(ctx, `ALTER TABLE ingest_log ALTER COLUMN batch SET STORAGE EXTERNAL`)
	}
	return err
}

// migrationLock is the advisory lock key nodes migrate under ("logtank" in
// ASCII).
const migrationLock int64 = 0x6c6f6774616e6b

// txOptions are the options of every catalog transaction.
func (c *DB) txOptions() *sql.TxOptions {
	if c.engine == enginePostgres {
		return &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	// SQLite: BEGIN IMMEDIATE on the one connection (see OpenSQLite).
	return nil
}

// appendTx runs fn in a transaction for the ingest log's appends. On
// PostgreSQL it is READ COMMITTED: appends to one stream queue on its head
// row's lock and each then reads the number its predecessor committed,
// where SERIALIZABLE would abort all but one of them and retry.
func (c *DB) appendTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if c.engine != enginePostgres {
		return c.tx(ctx, fn)
	}
	return c.pgTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, fn)
}

// appendIngest takes a stream's next number and stores its batch, unless
// maxWaiting batches of the stream wait to be indexed (ErrIngestBacklog) or
// the stream has a tombstone (ErrStreamDeleted): then it stores nothing.
// On PostgreSQL it is one statement (one round trip per acknowledged
// batch): the head's upsert is conditional, and the insert selects what it
// returned; SQLite has no data-modifying WITH, and runs one transaction at
// a time anyway, so there it is two. The tombstone is looked up by its
// key inside the upsert, so a node whose stream cache has not seen the
// deletion yet stores nothing; an append whose statement began before the
// deletion committed may still leave a head, which the nodes' polls forget
// (ForgetDeletedStreamLogs).
func (c *DB) appendIngest(ctx context.Context, tx *sql.Tx, streamID string, batch []byte, maxWaiting int64) (int64, error) {
	upsert := `INSERT INTO ingest_heads (stream_id, head_seq, changed)
		SELECT CAST($1 AS TEXT), 1, ` + c.changeNo() + ` WHERE NOT EXISTS (SELECT 1 FROM deleted_streams WHERE stream_id = $1)
		ON CONFLICT (stream_id) DO UPDATE SET head_seq = ingest_heads.head_seq + 1, changed = excluded.changed
		WHERE ingest_heads.head_seq - ingest_heads.indexed_seq < $2 RETURNING head_seq`
	var seq int64
	var err error
	if c.engine == enginePostgres {
		err = tx.QueryRowContext(ctx, `WITH h AS (`+upsert+`)
			INSERT INTO ingest_log (stream_id, seq, batch) SELECT $1, head_seq, $3 FROM h RETURNING seq`, streamID, maxWaiting, batch).Scan(&seq)
	} else {
		err = tx.QueryRowContext(ctx, upsert, streamID, maxWaiting).Scan(&seq)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO ingest_log (stream_id, seq, batch) VALUES ($1, $2, $3)`, streamID, seq, batch)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		// Nothing stored: the stream was deleted, or its backlog is full.
		deleted, err := streamDeleted(ctx, tx, streamID)
		if err != nil {
			return 0, err
		}
		if deleted {
			return 0, ErrStreamDeleted
		}
		return 0, ErrIngestBacklog
	}
	return seq, err
}

// maxTxAttempts bounds the retries of a transaction that PostgreSQL
// aborted for a conflict. Conflicts need concurrent writes to the same
// project's metadata, which are rare; with the backoff below, thirty
// attempts span about two seconds.
const maxTxAttempts = 30

// retryable reports whether PostgreSQL aborted the transaction because a
// concurrent one conflicted with it, so that running it again may succeed.
func retryable(err error) bool {
	code := sqlState(err)
	return code == "40001" || code == "40P01"
}

// backoff sleeps before the attempt-th retry: a growing, jittered pause so
// that transactions that collided do not collide again in step.
func backoff(ctx context.Context, attempt int) error {
	limit := time.Millisecond << min(attempt, 7)
	t := time.NewTimer(limit/2 + rand.N(limit/2+1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sqlState is PostgreSQL's SQLSTATE code of err, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// uniqueViolation reports whether err is a unique-constraint failure, in the
// words of SQLite or the SQLSTATE of PostgreSQL.
func uniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if sqlState(err) == "23505" {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "constraint failed: PRIMARY KEY")
}

// redact hides the password of a URL, for error messages.
func redact(spec string) string {
	if u, err := url.Parse(spec); err == nil {
		return u.Redacted()
	}
	return spec
}

// nowMS is an SQL expression for the database's clock in milliseconds
// since 1970. Leases (leases.go) are judged by it rather than by the
// clocks of the nodes, which may disagree: on PostgreSQL it is the
// server's clock at the start of the transaction, on SQLite the one
// machine's.
func (c *DB) nowMS() string {
	if c.engine == enginePostgres {
		return `CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)`
	}
	return `CAST(unixepoch('now', 'subsec') * 1000 AS INTEGER)`
}

// changeNo is an SQL expression for the change number of the rows a
// transaction writes in the tables a cluster node polls (poll.go).
//
// On PostgreSQL it is the transaction's id (xid8, 64 bits, never wrapping).
// Ids are given in the order transactions first write, not the order they
// commit, as a sequence's values would be: a transaction numbered 10 may
// commit after one numbered 11, so a poller that saw 11 and then asked for
// more than 11 would miss 10 for ever. A poll therefore reads in one
// snapshot, and the next poll asks for every number from that snapshot's
// xmin up (pollBound): a transaction below xmin had ended when the snapshot
// was taken, so its rows were seen, and any transaction that commits later
// got an id at or above it. The rows read again are those written since
// the oldest transaction that was writing at the last poll.
//
// On SQLite transactions run one at a time, so numbers given one above the
// highest in use come in commit order. A deletion of a head numbers its
// ingest_heads_gone row before it deletes the row (forgetStreamLog), so
// the highest never goes down.
func (c *DB) changeNo() string {
	if c.engine == enginePostgres {
		return `CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)`
	}
	return sqliteNextChange
}

const sqliteNextChange = `(SELECT coalesce(max(n), 0) + 1 FROM (SELECT max(changed) AS n FROM ingest_heads
	UNION ALL SELECT max(changed) FROM ingest_heads_gone UNION ALL SELECT max(changed) FROM leases) AS m)`

// pollBound is an SQL expression, evaluated in a poll's snapshot, for the
// least change number that a later poll must read again (see changeNo):
// the snapshot's xmin on PostgreSQL, the next number on SQLite.
func (c *DB) pollBound() string {
	if c.engine == enginePostgres {
		return `CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT)`
	}
	return sqliteNextChange
}

// snapshotTx runs fn in a transaction that reads one snapshot: REPEATABLE
// READ and read-only on PostgreSQL (it never conflicts, and never waits),
// the one connection's transaction on SQLite.
func (c *DB) snapshotTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if c.engine != enginePostgres {
		return c.tx(ctx, fn)
	}
	return c.pgTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, fn)
}

// pgTx runs fn in one PostgreSQL transaction of opts, once: committed when
// fn succeeds, rolled back when it fails.
func (c *DB) pgTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := c.sql.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
