// Package catalog owns logtank's metadata: accounts (domains, projects,
// users, access keys), log groups and log streams with their structuring
// rules and index configurations, custom structuring templates, FunctionGraph functions,
// versions, aliases and async results, AOM metric series, and the server's
// own settings. It speaks SQL through database/sql with $N placeholders to
// the embedded SQLite (the default, in the data folder) or to a PostgreSQL
// database that several nodes share; one schema and one set of embedded
// migrations serve both, and what differs between the engines is kept in
// dialect.go. For nodes that cache parts of the catalog it keeps a change
// version per part (changes.go); for work that one node at a time may do,
// time-limited leases judged by the database's clock, and a fence that
// makes a write commit only while its writer holds a lease (leases.go);
// for cluster nodes, a change number on the ingest heads and leases, so
// that a poll reads the rows that moved (poll.go).
//
// It enforces uniqueness and quotas atomically, also between nodes, but it
// knows no wire format and no service rule beyond that: callers validate
// first. It never caches: every read sees the database.
package catalog

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the embedded SQL engine, pure Go
)

var (
	// ErrNotFound: the addressed record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with the same unique name exists.
	ErrExists = errors.New("already exists")
	// ErrQuota: creating the record would exceed the caller's quota.
	ErrQuota = errors.New("quota exceeded")
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the catalog. It is safe for concurrent use.
type DB struct {
	sql    *sql.DB
	engine engine
}

// OpenSQLite opens (creating if needed) the catalog file in dir. The file is
// private to the server's user because it holds secret keys.
func OpenSQLite(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "catalog.db")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	// synchronous(FULL): a metadata change the client saw succeed survives a
	// power cut. busy_timeout covers a second process (an admin tool) briefly.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// One connection: SQLite has one writer anyway, and metadata operations
	// are small; this rules out SQLITE_BUSY between our own goroutines.
	db.SetMaxOpenConns(1)
	c := &DB{sql: db}
	if err := c.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// Close releases the database.
func (c *DB) Close() error { return c.sql.Close() }

func (c *DB) migrate(ctx context.Context) error {
	if _, err := c.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		err = c.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			text, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			for _, stmt := range strings.Split(string(text), ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w", name, err)
				}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a transaction and commits it, if the lease fence that
// ctx may carry still holds (see Fence). On PostgreSQL a transaction
// that lost a conflict with a concurrent one is run again from the start,
// so fn must not keep state across calls beyond what it sets afresh.
func (c *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := c.tryTx(ctx, fn)
		if !retryable(err) || attempt == maxTxAttempts {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

func (c *DB) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := c.sql.BeginTx(ctx, c.txOptions())
	if err != nil {
		return err
	}
	if err := c.checkFence(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// counting is a query that selects one count, with its arguments.
type counting struct {
	query string
	args  []any
}

// admit decides inside tx whether a row may be added: ErrExists when same
// counts a row the new one would repeat, ErrQuota when total counts max
// rows already.
func admit(ctx context.Context, tx *sql.Tx, max int, total, same counting) error {
	var n, dup int
	if err := tx.QueryRowContext(ctx, same.query, same.args...).Scan(&dup); err != nil {
		return err
	}
	if dup > 0 {
		return ErrExists
	}
	if err := tx.QueryRowContext(ctx, total.query, total.args...).Scan(&n); err != nil {
		return err
	}
	if n >= max {
		return ErrQuota
	}
	return nil
}

// Setting returns the value stored under key, or ErrNotFound.
func (c *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := c.sql.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, err
}

// PutSetting stores value under key, replacing what was there.
func (c *DB) PutSetting(ctx context.Context, key, value string) error {
	_, err := c.sql.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// InitSetting stores value under key unless a value is already there, and
// returns the value in force: the first writer wins.
func (c *DB) InitSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := c.sql.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", err
	}
	return c.Setting(ctx, key)
}
