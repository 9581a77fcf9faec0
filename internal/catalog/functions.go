package catalog

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Errors of the function records, besides ErrNotFound, ErrExists and ErrQuota.
var (
	// ErrNoVersion: an alias names a main version the function does not have.
	ErrNoVersion = errors.New("version not found")
	// ErrNoAdditionalVersion: an alias names an additional version the
	// function does not have.
	ErrNoAdditionalVersion = errors.New("additional version not found")
	// ErrVersionAliased: the version is already the main version of another alias.
	ErrVersionAliased = errors.New("version is the main version of another alias")
	// ErrAdditionalInUse: the version is the additional version of an alias
	// and cannot be deleted.
	ErrAdditionalInUse = errors.New("version is the additional version of an alias")
	// ErrUnchanged: publishing would copy a latest that nothing changed since
	// the last publication.
	ErrUnchanged = errors.New("nothing changed since the last publication")
	// ErrDigestMismatch: the caller's expected code digest is not latest's.
	ErrDigestMismatch = errors.New("the code digest is not the digest of latest")
)

// LatestVersion names the version of a function that changes; the others
// are immutable snapshots of it.
const LatestVersion = "latest"

// Function is a function of a project, named within a package (app).
type Function struct {
	ID        string
	ProjectID string
	DomainID  string
	Package   string
	Name      string
	CreatedMS int64
}

// FunctionVersion is one version of a function: latest, which updates
// change, or a published snapshot of it. Config is the service's document
// of the version's settings; the catalog stores it and never reads it.
type FunctionVersion struct {
	FunctionID string
	Version    string
	Config     []byte
	// CodeDigest is the SHA-512 of the code package, empty without code.
	CodeDigest string
	CodeSize   int64
	// Fingerprint identifies config and code together, so that publishing a
	// latest identical to the last publication can be refused.
	Fingerprint string
	Description string
	ModifiedMS  int64
	CreatedMS   int64
}

// FunctionAlias names a version of a function and may send part of the
// traffic to an additional version. Routing is the service's document of
// how; the catalog keeps only the version names, to enforce references.
type FunctionAlias struct {
	FunctionID        string
	Name              string
	Version           string
	AdditionalVersion string
	Description       string
	Routing           []byte
	ModifiedMS        int64
	CreatedMS         int64
}

// AsyncInvocation is the record of an asynchronous invocation.
type AsyncInvocation struct {
	RequestID  string
	FunctionID string
	// Qualifier is the version or !alias the caller invoked; Version the
	// version that ran (empty until known).
	Qualifier    string
	Version      string
	Status       string
	ErrorCode    int
	ErrorMessage string
	StartMS      int64
	EndMS        int64
}

// CreateFunction stores f with its latest version unless the project
// already has maxFunctions functions (ErrQuota) or one of that package and
// name (ErrExists).
func (c *DB) CreateFunction(ctx context.Context, f Function, latest FunctionVersion, maxFunctions int) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		if err := admit(ctx, tx, maxFunctions,
			counting{`SELECT count(*) FROM functions WHERE project_id = $1`, []any{f.ProjectID}},
			counting{`SELECT count(*) FROM functions WHERE project_id = $1 AND package = $2 AND name = $3`, []any{f.ProjectID, f.Package, f.Name}}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO functions (id, project_id, domain_id, package, name, created_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
			f.ID, f.ProjectID, f.DomainID, f.Package, f.Name, f.CreatedMS)
		if uniqueViolation(err) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		latest.FunctionID, latest.Version = f.ID, LatestVersion
		return insertVersion(ctx, tx, latest)
	})
}

func insertVersion(ctx context.Context, tx *sql.Tx, v FunctionVersion) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO function_versions (function_id, version, config, code_digest, code_size, fingerprint, description, modified_ms, created_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		v.FunctionID, v.Version, string(v.Config), v.CodeDigest, v.CodeSize, v.Fingerprint, v.Description, v.ModifiedMS, v.CreatedMS)
	if uniqueViolation(err) {
		return ErrExists
	}
	return err
}

const functionColumns = `id, project_id, domain_id, package, name, created_ms`

func scanFunction(r interface{ Scan(...any) error }) (Function, error) {
	var f Function
	err := r.Scan(&f.ID, &f.ProjectID, &f.DomainID, &f.Package, &f.Name, &f.CreatedMS)
	return f, err
}

// FunctionByName returns a function of a project, or ErrNotFound.
func (c *DB) FunctionByName(ctx context.Context, projectID, pkg, name string) (Function, error) {
	f, err := scanFunction(c.sql.QueryRowContext(ctx, `SELECT `+functionColumns+` FROM functions WHERE project_id = $1 AND package = $2 AND name = $3`,
		projectID, pkg, name))
	return f, notFound(err)
}

// FunctionWithLatest is a function and its latest version.
type FunctionWithLatest struct {
	Function
	Latest FunctionVersion
}

// FunctionFilter selects functions of a project; empty fields match all.
type FunctionFilter struct {
	Package string
	// NameContains keeps the functions whose name contains it.
	NameContains string
}

// Functions lists a project's functions matching f with their latest
// versions, oldest first.
func (c *DB) Functions(ctx context.Context, projectID string, f FunctionFilter) ([]FunctionWithLatest, error) {
	var out []FunctionWithLatest
	q := `SELECT f.id, f.project_id, f.domain_id, f.package, f.name, f.created_ms, ` + versionColumnsPrefixed + `
		FROM functions f JOIN function_versions v ON v.function_id = f.id AND v.version = $2
		WHERE f.project_id = $1 AND ($3 = '' OR f.package = $3) AND ($4 = '' OR lower(f.name) LIKE lower('%' || $4 || '%') ESCAPE '\')
		ORDER BY f.created_ms, f.id`
	err := c.each(ctx, q, func(r *sql.Rows) error {
		var fl FunctionWithLatest
		v := &fl.Latest
		var config string
		err := r.Scan(&fl.ID, &fl.ProjectID, &fl.DomainID, &fl.Package, &fl.Name, &fl.CreatedMS,
			&v.FunctionID, &v.Version, &config, &v.CodeDigest, &v.CodeSize, &v.Fingerprint, &v.Description, &v.ModifiedMS, &v.CreatedMS)
		v.Config = []byte(config)
		out = append(out, fl)
		return err
	}, projectID, LatestVersion, f.Package, likeEscape(f.NameContains))
	return out, err
}

// likeEscape makes s match itself literally inside a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

const versionColumns = `function_id, version, config, code_digest, code_size, fingerprint, description, modified_ms, created_ms`
const versionColumnsPrefixed = `v.function_id, v.version, v.config, v.code_digest, v.code_size, v.fingerprint, v.description, v.modified_ms, v.created_ms`

func scanVersion(r interface{ Scan(...any) error }) (FunctionVersion, error) {
	var v FunctionVersion
	var config string
	err := r.Scan(&v.FunctionID, &v.Version, &config, &v.CodeDigest, &v.CodeSize, &v.Fingerprint, &v.Description, &v.ModifiedMS, &v.CreatedMS)
	v.Config = []byte(config)
	return v, err
}

// FunctionVersion returns one version of a function, or ErrNotFound.
func (c *DB) FunctionVersion(ctx context.Context, functionID, version string) (FunctionVersion, error) {
	v, err := scanVersion(c.sql.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM function_versions WHERE function_id = $1 AND version = $2`,
		functionID, version))
	return v, notFound(err)
}

// FunctionVersions lists the versions of a function: latest first, then
// the published ones, oldest first.
func (c *DB) FunctionVersions(ctx context.Context, functionID string) ([]FunctionVersion, error) {
	var out []FunctionVersion
	err := c.each(ctx, `SELECT `+versionColumns+` FROM function_versions WHERE function_id = $1
		ORDER BY CASE WHEN version = $2 THEN 0 ELSE 1 END, created_ms, version`, func(r *sql.Rows) error {
		v, err := scanVersion(r)
		out = append(out, v)
		return err
	}, functionID, LatestVersion)
	return out, err
}

// FunctionCodeDigests returns the code digests that any version of the
// function still uses.
func (c *DB) FunctionCodeDigests(ctx context.Context, functionID string) (map[string]bool, error) {
	out := map[string]bool{}
	err := c.each(ctx, `SELECT DISTINCT code_digest FROM function_versions WHERE function_id = $1`, func(r *sql.Rows) error {
		var d string
		err := r.Scan(&d)
		out[d] = true
		return err
	}, functionID)
	return out, err
}

// UpdateLatest changes the latest version of a function with modify, which
// runs inside the transaction and must not block; ErrNotFound when the
// function is gone.
func (c *DB) UpdateLatest(ctx context.Context, functionID string, modify func(*FunctionVersion) error) (FunctionVersion, error) {
	var v FunctionVersion
	err := c.tx(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM function_versions WHERE function_id = $1 AND version = $2`,
			functionID, LatestVersion))
		if err = notFound(err); err != nil {
			return err
		}
		if err := modify(&v); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE function_versions SET config = $1, code_digest = $2, code_size = $3, fingerprint = $4, description = $5, modified_ms = $6
			WHERE function_id = $7 AND version = $8`,
			string(v.Config), v.CodeDigest, v.CodeSize, v.Fingerprint, v.Description, v.ModifiedMS, functionID, LatestVersion)
		return err
	})
	return v, err
}

// Publication asks for a snapshot of latest.
type Publication struct {
	Version     string
	Description string
	// Digest, when set, must be latest's code digest (ErrDigestMismatch).
	Digest      string
	NowMS       int64
	MaxVersions int
}

// PublishVersion copies latest into a new version named p.Version. It
// refuses a latest that nothing changed since the last publication
// (ErrUnchanged), an existing name (ErrExists) and more than p.MaxVersions
// published versions (ErrQuota).
func (c *DB) PublishVersion(ctx context.Context, functionID string, p Publication) (FunctionVersion, error) {
	var v FunctionVersion
	err := c.tx(ctx, func(tx *sql.Tx) error {
		latest, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM function_versions WHERE function_id = $1 AND version = $2`,
			functionID, LatestVersion))
		if err = notFound(err); err != nil {
			return err
		}
		if p.Digest != "" && p.Digest != latest.CodeDigest {
			return ErrDigestMismatch
		}
		var lastPrint string
		err = tx.QueryRowContext(ctx, `SELECT fingerprint FROM function_versions WHERE function_id = $1 AND version <> $2
			ORDER BY created_ms DESC, version DESC LIMIT 1`, functionID, LatestVersion).Scan(&lastPrint)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lastPrint == latest.Fingerprint {
			return ErrUnchanged
		}
		var n, dup int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_versions WHERE function_id = $1 AND version <> $2`,
			functionID, LatestVersion).Scan(&n); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_versions WHERE function_id = $1 AND version = $2`,
			functionID, p.Version).Scan(&dup); err != nil {
			return err
		}
		switch {
		case dup > 0:
			return ErrExists
		case n >= p.MaxVersions:
			return ErrQuota
		}
		v = latest
		v.Version, v.Description, v.CreatedMS = p.Version, p.Description, p.NowMS
		return insertVersion(ctx, tx, v)
	})
	return v, err
}

// DeleteFunction removes a function with its versions, aliases and
// invocation records.
func (c *DB) DeleteFunction(ctx context.Context, functionID string) error {
	return c.mustAffect(c.sql.ExecContext(ctx, `DELETE FROM functions WHERE id = $1`, functionID))
}

// DeleteFunctionVersion removes a published version and the aliases whose
// main version it is. It refuses latest (ErrNotFound, as latest is not a
// deletable version) and a version that is an alias's additional version
// (ErrAdditionalInUse).
func (c *DB) DeleteFunctionVersion(ctx context.Context, functionID, version string) error {
	if version == LatestVersion {
		return ErrNotFound
	}
	return c.tx(ctx, func(tx *sql.Tx) error {
		var additional int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_aliases WHERE function_id = $1 AND additional_version = $2`,
			functionID, version).Scan(&additional); err != nil {
			return err
		}
		if additional > 0 {
			return ErrAdditionalInUse
		}
		if err := c.mustAffect(tx.ExecContext(ctx, `DELETE FROM function_versions WHERE function_id = $1 AND version = $2`, functionID, version)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM function_aliases WHERE function_id = $1 AND version = $2`, functionID, version)
		return err
	})
}

// AliasRules are the limits CreateAlias and UpdateAlias enforce.
type AliasRules struct {
	MaxAliases int
	// OneAliasPerVersion refuses a main version that another alias of the
	// function already has (ErrVersionAliased).
	OneAliasPerVersion bool
}

// CreateAlias stores a unless the function is gone (ErrNotFound), has an
// alias of that name (ErrExists) or rules.MaxAliases aliases (ErrQuota),
// or a's versions are missing (ErrNoVersion, ErrNoAdditionalVersion) or
// already aliased (ErrVersionAliased).
func (c *DB) CreateAlias(ctx context.Context, a FunctionAlias, rules AliasRules) error {
	return c.tx(ctx, func(tx *sql.Tx) error {
		var functions, n, dup int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM functions WHERE id = $1`, a.FunctionID).Scan(&functions); err != nil {
			return err
		}
		if functions == 0 {
			return ErrNotFound
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_aliases WHERE function_id = $1`, a.FunctionID).Scan(&n); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_aliases WHERE function_id = $1 AND name = $2`, a.FunctionID, a.Name).Scan(&dup); err != nil {
			return err
		}
		switch {
		case dup > 0:
			return ErrExists
		case n >= rules.MaxAliases:
			return ErrQuota
		}
		if err := checkAliasVersions(ctx, tx, a, rules); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO function_aliases (function_id, name, version, additional_version, description, routing, modified_ms, created_ms)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			a.FunctionID, a.Name, a.Version, a.AdditionalVersion, a.Description, string(a.Routing), a.ModifiedMS, a.CreatedMS)
		if uniqueViolation(err) {
			return ErrExists
		}
		return err
	})
}

// checkAliasVersions enforces that a's versions exist and, under the rule,
// that no other alias has the same main version.
func checkAliasVersions(ctx context.Context, tx *sql.Tx, a FunctionAlias, rules AliasRules) error {
	exists := func(version string) (bool, error) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_versions WHERE function_id = $1 AND version = $2`, a.FunctionID, version).Scan(&n)
		return n > 0, err
	}
	ok, err := exists(a.Version)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoVersion
	}
	if a.AdditionalVersion != "" {
		if ok, err = exists(a.AdditionalVersion); err != nil {
			return err
		}
		if !ok {
			return ErrNoAdditionalVersion
		}
	}
	if rules.OneAliasPerVersion {
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM function_aliases WHERE function_id = $1 AND version = $2 AND name <> $3`,
			a.FunctionID, a.Version, a.Name).Scan(&others); err != nil {
			return err
		}
		if others > 0 {
			return ErrVersionAliased
		}
	}
	return nil
}

// UpdateAlias replaces an alias's version, description and routing, and
// returns it as stored; ErrNotFound when the alias is gone, and the version
// errors of CreateAlias.
func (c *DB) UpdateAlias(ctx context.Context, a FunctionAlias, rules AliasRules) (FunctionAlias, error) {
	var out FunctionAlias
	err := c.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanAlias(tx.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM function_aliases WHERE function_id = $1 AND name = $2`, a.FunctionID, a.Name))
		if err = notFound(err); err != nil {
			return err
		}
		if err := checkAliasVersions(ctx, tx, a, rules); err != nil {
			return err
		}
		a.CreatedMS = cur.CreatedMS
		out = a
		_, err = tx.ExecContext(ctx, `UPDATE function_aliases SET version = $1, additional_version = $2, description = $3, routing = $4, modified_ms = $5
			WHERE function_id = $6 AND name = $7`,
			a.Version, a.AdditionalVersion, a.Description, string(a.Routing), a.ModifiedMS, a.FunctionID, a.Name)
		return err
	})
	return out, err
}

const aliasColumns = `function_id, name, version, additional_version, description, routing, modified_ms, created_ms`

func scanAlias(r interface{ Scan(...any) error }) (FunctionAlias, error) {
	var a FunctionAlias
	var routing string
	err := r.Scan(&a.FunctionID, &a.Name, &a.Version, &a.AdditionalVersion, &a.Description, &routing, &a.ModifiedMS, &a.CreatedMS)
	a.Routing = []byte(routing)
	return a, err
}

// FunctionAlias returns one alias of a function, or ErrNotFound.
func (c *DB) FunctionAlias(ctx context.Context, functionID, name string) (FunctionAlias, error) {
	a, err := scanAlias(c.sql.QueryRowContext(ctx, `SELECT `+aliasColumns+` FROM function_aliases WHERE function_id = $1 AND name = $2`, functionID, name))
	return a, notFound(err)
}

// FunctionAliases lists the aliases of a function, oldest first.
func (c *DB) FunctionAliases(ctx context.Context, functionID string) ([]FunctionAlias, error) {
	var out []FunctionAlias
	err := c.each(ctx, `SELECT `+aliasColumns+` FROM function_aliases WHERE function_id = $1 ORDER BY created_ms, name`, func(r *sql.Rows) error {
		a, err := scanAlias(r)
		out = append(out, a)
		return err
	}, functionID)
	return out, err
}

// DeleteAlias removes an alias, or returns ErrNotFound.
func (c *DB) DeleteAlias(ctx context.Context, functionID, name string) error {
	return c.mustAffect(c.sql.ExecContext(ctx, `DELETE FROM function_aliases WHERE function_id = $1 AND name = $2`, functionID, name))
}

// CreateAsyncInvocation records an accepted asynchronous invocation.
func (c *DB) CreateAsyncInvocation(ctx context.Context, a AsyncInvocation) error {
	_, err := c.sql.ExecContext(ctx, `INSERT INTO function_async_invocations (request_id, function_id, qualifier, version, status, error_code, error_message, start_ms, end_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.RequestID, a.FunctionID, a.Qualifier, a.Version, a.Status, a.ErrorCode, a.ErrorMessage, a.StartMS, a.EndMS)
	return err
}

// UpdateAsyncInvocation stores the progress of an asynchronous invocation:
// its version, status, error and end. A record whose function was deleted
// meanwhile is gone, which is not an error.
func (c *DB) UpdateAsyncInvocation(ctx context.Context, a AsyncInvocation) error {
	_, err := c.sql.ExecContext(ctx, `UPDATE function_async_invocations SET version = $1, status = $2, error_code = $3, error_message = $4, end_ms = $5
		WHERE request_id = $6`, a.Version, a.Status, a.ErrorCode, a.ErrorMessage, a.EndMS, a.RequestID)
	return err
}

// AbandonAsyncInvocations ends every unfinished asynchronous invocation
// with status, code and message: a restarted server has lost them.
func (c *DB) AbandonAsyncInvocations(ctx context.Context, unfinished []string, status string, code int, message string, nowMS int64) error {
	if len(unfinished) == 0 {
		return nil
	}
	args := []any{status, code, message, nowMS}
	marks := make([]string, len(unfinished))
	for i, s := range unfinished {
		args = append(args, s)
		marks[i] = "$" + strconv.Itoa(len(args))
	}
	_, err := c.sql.ExecContext(ctx, `UPDATE function_async_invocations SET status = $1, error_code = $2, error_message = $3, end_ms = $4
		WHERE status IN (`+strings.Join(marks, ", ")+`)`, args...)
	return err
}

// AsyncFilter selects asynchronous invocations of a function; empty fields
// match all. Limit 0 means no limit.
type AsyncFilter struct {
	RequestID string
	Qualifier string
	Status    string
	// FromMS and ToMS bound the start time, inclusive, when not zero.
	FromMS int64
	ToMS   int64
	Offset int
	Limit  int
}

// AsyncInvocations lists a function's asynchronous invocations matching f,
// newest first, and how many match in all.
func (c *DB) AsyncInvocations(ctx context.Context, functionID string, f AsyncFilter) ([]AsyncInvocation, int, error) {
	where := `function_id = $1 AND ($2 = '' OR request_id = $2) AND ($3 = '' OR qualifier = $3) AND ($4 = '' OR status = $4)
		AND (CAST($5 AS BIGINT) = 0 OR start_ms >= $5) AND (CAST($6 AS BIGINT) = 0 OR start_ms <= $6)`
	args := []any{functionID, f.RequestID, f.Qualifier, f.Status, f.FromMS, f.ToMS}
	var total int
	if err := c.sql.QueryRowContext(ctx, `SELECT count(*) FROM function_async_invocations WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = total
	}
	var out []AsyncInvocation
	err := c.each(ctx, `SELECT request_id, function_id, qualifier, version, status, error_code, error_message, start_ms, end_ms
		FROM function_async_invocations WHERE `+where+` ORDER BY start_ms DESC, request_id LIMIT $7 OFFSET $8`, func(r *sql.Rows) error {
		var a AsyncInvocation
		err := r.Scan(&a.RequestID, &a.FunctionID, &a.Qualifier, &a.Version, &a.Status, &a.ErrorCode, &a.ErrorMessage, &a.StartMS, &a.EndMS)
		out = append(out, a)
		return err
	}, append(args, limit, f.Offset)...)
	return out, total, err
}
