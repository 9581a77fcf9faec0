package iam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"

	"logtank/internal/catalog"
)

// Defaults fix the first-start accounts instead of random ones; empty fields
// are generated.
type Defaults struct {
	ProjectID     string
	AccessKey     string
	SecretKey     string
	AdminPassword string
}

// FirstStart is what the server created on its first start, to be shown once.
type FirstStart struct {
	Created    bool
	DomainName string
	UserName   string
	// AdminPassword is set only when the server generated it.
	AdminPassword string
	ProjectID     string
	ProjectName   string
	AccessKey     string
	SecretKey     string
}

// AdminName is the name of the first domain and of its first user.
const AdminName = "admin"

var projectIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Bootstrap makes sure the operator domain, its admin user, a default
// project named after the region and an access key exist. On first start it
// creates them (from def where given) and returns them with Created set. On
// later starts it applies what def fixes: the admin password, and the key
// pair and project, which are added if missing.
//
// Nodes sharing a catalog may start at the same instant: one that finds
// an account already made by another (catalog.ErrExists) reads the
// catalog again and goes on with what is there.
func (s *Service) Bootstrap(ctx context.Context, def Defaults) (FirstStart, error) {
	// What an attempt made stays made when a later one finishes: the node
	// that created the domain and the admin (with the password it drew)
	// reports them, though another node's project made it start again.
	created, password := false, ""
	for attempt := 1; ; attempt++ {
		fs, err := s.bootstrapOnce(ctx, def)
		created, password = created || fs.Created, cmp.Or(password, fs.AdminPassword)
		if !errors.Is(err, catalog.ErrExists) || attempt == 5 {
			fs.Created, fs.AdminPassword = created, password
			return fs, err
		}
		if err := s.dir.reload(ctx); err != nil {
			return fs, err
		}
	}
}

func (s *Service) bootstrapOnce(ctx context.Context, def Defaults) (FirstStart, error) {
	if def.ProjectID != "" && !projectIDPattern.MatchString(def.ProjectID) {
		return FirstStart{}, fmt.Errorf("project id %q: want 32 lower-case hex digits", def.ProjectID)
	}
	if (def.AccessKey == "") != (def.SecretKey == "") {
		return FirstStart{}, errors.New("set both the access key and the secret key, or neither")
	}
	now := s.now().UnixMilli()
	fs := FirstStart{DomainName: AdminName, UserName: AdminName, ProjectName: s.region}
	domain, ok := s.dir.domainByName(AdminName)
	if !ok {
		fs.Created = true
		domain = catalog.Domain{ID: newID(), Name: AdminName, CreatedMS: now}
		if err := s.db.CreateDomain(ctx, domain); err != nil {
			return fs, err
		}
		if _, err := s.db.InitSetting(ctx, settingOperatorDomain, domain.ID); err != nil {
			return fs, err
		}
	}
	if err := s.dir.reload(ctx); err != nil {
		return fs, err
	}
	user, ok := s.dir.userByName(domain.ID, AdminName)
	switch {
	case !ok:
		password := def.AdminPassword
		if password == "" {
			password = randomString(20, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789")
			fs.AdminPassword = password
		}
		hash, err := hashPassword(password)
		if err != nil {
			return fs, err
		}
		user = catalog.User{ID: newID(), DomainID: domain.ID, Name: AdminName, PasswordHash: hash, Admin: true, CreatedMS: now}
		if err := s.db.CreateUser(ctx, user); err != nil {
			return fs, err
		}
	case def.AdminPassword != "" && !checkPassword(user.PasswordHash, def.AdminPassword):
		hash, err := hashPassword(def.AdminPassword)
		if err != nil {
			return fs, err
		}
		if err := s.db.SetPassword(ctx, user.ID, hash); err != nil {
			return fs, err
		}
	}
	if err := s.ensureProject(ctx, domain.ID, def.ProjectID, now, &fs); err != nil {
		return fs, err
	}
	if err := s.ensureKey(ctx, user.ID, def, now, &fs); err != nil {
		return fs, err
	}
	return fs, s.dir.reload(ctx)
}

func (s *Service) ensureProject(ctx context.Context, domainID, id string, now int64, fs *FirstStart) error {
	if id != "" {
		if p, ok := s.dir.project(id); ok {
			if p.DomainID != domainID {
				return fmt.Errorf("project %s belongs to another domain", id)
			}
			fs.ProjectID, fs.ProjectName = p.ID, p.Name
			return nil
		}
	} else if p, ok := s.dir.projectByName(domainID, s.region); ok {
		fs.ProjectID = p.ID
		return nil
	}
	if id == "" {
		id = newID()
	}
	err := s.db.CreateProject(ctx, catalog.Project{ID: id, DomainID: domainID, Name: s.region, CreatedMS: now})
	if errors.Is(err, catalog.ErrExists) {
		// Most often another node made the same project at the same
		// instant: Bootstrap reads the catalog again and finds it. A
		// project of that name with another id stays a conflict.
		return fmt.Errorf("project %s: the admin domain already has a project named %q with another id: %w", id, s.region, err)
	}
	fs.ProjectID = id
	return err
}

func (s *Service) ensureKey(ctx context.Context, userID string, def Defaults, now int64, fs *FirstStart) error {
	if def.AccessKey != "" {
		fs.AccessKey, fs.SecretKey = def.AccessKey, def.SecretKey
		if k, ok := s.dir.key(def.AccessKey); ok {
			if k.UserID != userID || k.Secret != def.SecretKey {
				return fmt.Errorf("access key %s already exists with another owner or secret", def.AccessKey)
			}
			return nil
		}
		return s.db.CreateAccessKey(ctx, catalog.AccessKey{Access: def.AccessKey, Secret: def.SecretKey, UserID: userID, Description: "default", CreatedMS: now})
	}
	if keys := s.dir.keysOf(userID); len(keys) > 0 {
		fs.AccessKey, fs.SecretKey = keys[0].Access, keys[0].Secret
		return nil
	}
	fs.AccessKey, fs.SecretKey = newAccessKey()
	return s.db.CreateAccessKey(ctx, catalog.AccessKey{Access: fs.AccessKey, Secret: fs.SecretKey, UserID: userID, Description: "default", CreatedMS: now})
}
