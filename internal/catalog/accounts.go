package catalog

import (
	"context"
	"database/sql"
	"errors"
)

// Domain is an account: the unit of tenancy that owns projects and users.
type Domain struct {
	ID        string
	Name      string
	CreatedMS int64
}

// Project is a region-scoped container of resources inside a domain. Its ID
// is the {project_id} of every service path.
type Project struct {
	ID        string
	DomainID  string
	Name      string
	CreatedMS int64
}

// User signs in with a password or owns access keys. Admin users manage
// their domain's projects, users and keys.
type User struct {
	ID           string
	DomainID     string
	Name         string
	PasswordHash string
	Admin        bool
	CreatedMS    int64
}

// AccessKey is an AK/SK pair of a user.
type AccessKey struct {
	Access      string
	Secret      string
	UserID      string
	Description string
	CreatedMS   int64
}

// insert runs an INSERT of an account record; ErrExists when it breaks a
// uniqueness rule.
func (c *DB) insert(ctx context.Context, query string, args ...any) error {
	return c.change(ctx, ScopeAccounts, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

// CreateDomain stores d; ErrExists if the name is taken.
func (c *DB) CreateDomain(ctx context.Context, d Domain) error {
	return c.insert(ctx, `INSERT INTO domains (id, name, created_ms) VALUES ($1, $2, $3)`, d.ID, d.Name, d.CreatedMS)
}

// CreateProject stores p; ErrExists if its domain has a project of that name.
func (c *DB) CreateProject(ctx context.Context, p Project) error {
	return c.insert(ctx, `INSERT INTO projects (id, domain_id, name, created_ms) VALUES ($1, $2, $3, $4)`,
		p.ID, p.DomainID, p.Name, p.CreatedMS)
}

// CreateUser stores u; ErrExists if its domain has a user of that name.
func (c *DB) CreateUser(ctx context.Context, u User) error {
	return c.insert(ctx, `INSERT INTO users (id, domain_id, name, password_hash, is_admin, created_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.DomainID, u.Name, u.PasswordHash, u.Admin, u.CreatedMS)
}

// SetPassword replaces a user's password hash.
func (c *DB) SetPassword(ctx context.Context, userID, hash string) error {
	return c.change(ctx, ScopeAccounts, func(tx *sql.Tx) error {
		return c.mustAffect(tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID))
	})
}

// CreateAccessKey stores k.
func (c *DB) CreateAccessKey(ctx context.Context, k AccessKey) error {
	return c.insert(ctx, `INSERT INTO access_keys (access, secret, user_id, description, created_ms) VALUES ($1, $2, $3, $4, $5)`,
		k.Access, k.Secret, k.UserID, k.Description, k.CreatedMS)
}

// DeleteAccessKey removes the key; ErrNotFound if there is none.
func (c *DB) DeleteAccessKey(ctx context.Context, access string) error {
	return c.change(ctx, ScopeAccounts, func(tx *sql.Tx) error {
		return c.mustAffect(tx.ExecContext(ctx, `DELETE FROM access_keys WHERE access = $1`, access))
	})
}

func (c *DB) mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// Accounts is every account record, for the in-memory credential cache.
type Accounts struct {
	Domains  []Domain
	Projects []Project
	Users    []User
	Keys     []AccessKey
}

// LoadAccounts reads all account records.
func (c *DB) LoadAccounts(ctx context.Context) (Accounts, error) {
	var a Accounts
	err := c.each(ctx, `SELECT id, name, created_ms FROM domains ORDER BY created_ms, id`, func(r *sql.Rows) error {
		var d Domain
		err := r.Scan(&d.ID, &d.Name, &d.CreatedMS)
		a.Domains = append(a.Domains, d)
		return err
	})
	if err == nil {
		err = c.each(ctx, `SELECT id, domain_id, name, created_ms FROM projects ORDER BY created_ms, id`, func(r *sql.Rows) error {
			var p Project
			err := r.Scan(&p.ID, &p.DomainID, &p.Name, &p.CreatedMS)
			a.Projects = append(a.Projects, p)
			return err
		})
	}
	if err == nil {
		err = c.each(ctx, `SELECT id, domain_id, name, password_hash, is_admin, created_ms FROM users ORDER BY created_ms, id`, func(r *sql.Rows) error {
			var u User
			err := r.Scan(&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Admin, &u.CreatedMS)
			a.Users = append(a.Users, u)
			return err
		})
	}
	if err == nil {
		err = c.each(ctx, `SELECT access, secret, user_id, description, created_ms FROM access_keys ORDER BY created_ms, access`, func(r *sql.Rows) error {
			var k AccessKey
			err := r.Scan(&k.Access, &k.Secret, &k.UserID, &k.Description, &k.CreatedMS)
			a.Keys = append(a.Keys, k)
			return err
		})
	}
	return a, err
}

func (c *DB) each(ctx context.Context, query string, fn func(*sql.Rows) error, args ...any) error {
	return eachIn(ctx, c.sql, query, fn, args...)
}

// eachIn calls fn for each row that query selects through q (the
// database, or a transaction).
func eachIn(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// RevokeToken records a token (by digest) as revoked until it expires,
// and forgets the revocations of tokens expired by nowMS.
func (c *DB) RevokeToken(ctx context.Context, digest string, expiresMS, nowMS int64) error {
	return c.change(ctx, ScopeAccounts, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_ms <= $1`, nowMS); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO revoked_tokens (digest, expires_ms) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING`, digest, expiresMS)
		return err
	})
}

// RevokedTokens lists the digests of revoked tokens not yet expired.
func (c *DB) RevokedTokens(ctx context.Context, nowMS int64) ([]string, error) {
	var out []string
	err := c.each(ctx, `SELECT digest FROM revoked_tokens WHERE expires_ms > $1`, func(r *sql.Rows) error {
		var d string
		if err := r.Scan(&d); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}, nowMS)
	return out, err
}
