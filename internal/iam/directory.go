package iam

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"logtank/internal/catalog"
)

// Directory is the in-memory view of every account record, reloaded after
// each change, so authenticating a request never touches the database.
type Directory struct {
	db *catalog.DB
	// reloadMu makes reloads publish in the order they read: a slow reload
	// must not replace a newer one (and bring back a deleted key).
	reloadMu sync.Mutex

	mu       sync.RWMutex
	domains  map[string]catalog.Domain
	projects map[string]catalog.Project
	users    map[string]catalog.User
	keys     map[string]catalog.AccessKey
	// revoked holds the digests of tokens revoked before they expire.
	revoked map[string]bool
	// operatorDomain is the first domain: its admins manage every domain.
	operatorDomain string
}

func newDirectory(ctx context.Context, db *catalog.DB) (*Directory, error) {
	d := &Directory{db: db}
	return d, d.reload(ctx)
}

func (d *Directory) reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	a, err := d.db.LoadAccounts(ctx)
	if err != nil {
		return err
	}
	op, err := d.db.Setting(ctx, settingOperatorDomain)
	if err != nil && err != catalog.ErrNotFound {
		return err
	}
	digests, err := d.db.RevokedTokens(ctx, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	revoked := make(map[string]bool, len(digests))
	for _, x := range digests {
		revoked[x] = true
	}
	domains := make(map[string]catalog.Domain, len(a.Domains))
	for _, x := range a.Domains {
		domains[x.ID] = x
	}
	projects := make(map[string]catalog.Project, len(a.Projects))
	for _, x := range a.Projects {
		projects[x.ID] = x
	}
	users := make(map[string]catalog.User, len(a.Users))
	for _, x := range a.Users {
		users[x.ID] = x
	}
	keys := make(map[string]catalog.AccessKey, len(a.Keys))
	for _, x := range a.Keys {
		keys[x.Access] = x
	}
	d.mu.Lock()
	d.domains, d.projects, d.users, d.keys, d.revoked, d.operatorDomain = domains, projects, users, keys, revoked, op
	d.mu.Unlock()
	return nil
}

func (d *Directory) user(id string) (catalog.User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	u, ok := d.users[id]
	return u, ok
}

func (d *Directory) isRevoked(digest string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.revoked[digest]
}

func (d *Directory) key(access string) (catalog.AccessKey, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	k, ok := d.keys[access]
	return k, ok
}

func (d *Directory) project(id string) (catalog.Project, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.projects[id]
	return p, ok
}

func (d *Directory) domain(id string) (catalog.Domain, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	x, ok := d.domains[id]
	return x, ok
}

func (d *Directory) domainByName(name string) (catalog.Domain, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, x := range d.domains {
		if x.Name == name {
			return x, true
		}
	}
	return catalog.Domain{}, false
}

func (d *Directory) userByName(domainID, name string) (catalog.User, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, u := range d.users {
		if u.DomainID == domainID && u.Name == name {
			return u, true
		}
	}
	return catalog.User{}, false
}

func (d *Directory) projectByName(domainID, name string) (catalog.Project, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, p := range d.projects {
		if p.DomainID == domainID && p.Name == name {
			return p, true
		}
	}
	return catalog.Project{}, false
}

// projectsOf lists a domain's projects (every project when domainID is
// empty), oldest first.
func (d *Directory) projectsOf(domainID string) []catalog.Project {
	d.mu.RLock()
	var out []catalog.Project
	for _, p := range d.projects {
		if domainID == "" || p.DomainID == domainID {
			out = append(out, p)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b catalog.Project) int {
		return cmp.Or(cmp.Compare(a.CreatedMS, b.CreatedMS), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// usersOf lists a domain's users, oldest first.
func (d *Directory) usersOf(domainID string) []catalog.User {
	d.mu.RLock()
	var out []catalog.User
	for _, u := range d.users {
		if u.DomainID == domainID {
			out = append(out, u)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b catalog.User) int {
		return cmp.Or(cmp.Compare(a.CreatedMS, b.CreatedMS), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// keysOf lists a user's access keys, oldest first.
func (d *Directory) keysOf(userID string) []catalog.AccessKey {
	d.mu.RLock()
	var out []catalog.AccessKey
	for _, k := range d.keys {
		if k.UserID == userID {
			out = append(out, k)
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b catalog.AccessKey) int {
		return cmp.Or(cmp.Compare(a.CreatedMS, b.CreatedMS), cmp.Compare(a.Access, b.Access))
	})
	return out
}

// allDomains lists every domain, oldest first.
func (d *Directory) allDomains() []catalog.Domain {
	d.mu.RLock()
	out := make([]catalog.Domain, 0, len(d.domains))
	for _, x := range d.domains {
		out = append(out, x)
	}
	d.mu.RUnlock()
	slices.SortFunc(out, func(a, b catalog.Domain) int {
		return cmp.Or(cmp.Compare(a.CreatedMS, b.CreatedMS), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (d *Directory) isOperatorDomain(id string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return id != "" && id == d.operatorDomain
}
