package iam

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"logtank/internal/apisign"
	"logtank/internal/catalog"
)

// MaxClockSkew bounds how far X-Sdk-Date may be from the server's clock, so
// a captured request cannot be replayed later.
const MaxClockSkew = 15 * time.Minute

// Principal is an authenticated caller.
type Principal struct {
	UserID   string
	UserName string
	DomainID string
	Admin    bool
	// Operator admins manage every domain.
	Operator bool
	// ProjectID is the token's project scope; empty for AK/SK callers, who
	// may use any project of their domain.
	ProjectID string
	// AccessKey is set for AK/SK callers.
	AccessKey string
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller that the server authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// AuthError says why a request was not authenticated. The reason is for the
// server's log and the error message; it never echoes a secret.
type AuthError struct{ Reason string }

func (e *AuthError) Error() string { return e.Reason }

func authErr(format string, args ...any) error {
	return &AuthError{Reason: fmt.Sprintf(format, args...)}
}

// Authenticate identifies the caller of r (whose body has been read into
// body) by X-Auth-Token or by an AK/SK signature. It returns an *AuthError
// for anything but a valid credential.
func (s *Service) Authenticate(r *http.Request, body []byte) (Principal, error) {
	now := s.now()
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		return s.verifyToken(tok, now)
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return Principal{}, authErr("no credentials: send X-Auth-Token or an SDK-HMAC-SHA256 signature")
	}
	a, err := apisign.ParseAuthorization(auth)
	if err != nil {
		return Principal{}, authErr("%v", err)
	}
	key, ok := s.dir.key(a.AccessKey)
	if !ok {
		return Principal{}, authErr("unknown access key")
	}
	date, err := time.Parse(apisign.DateLayout, r.Header.Get(apisign.HeaderDate))
	if err != nil {
		return Principal{}, authErr("missing or malformed X-Sdk-Date")
	}
	if d := now.Sub(date); d > MaxClockSkew || d < -MaxClockSkew {
		return Principal{}, authErr("X-Sdk-Date is more than %v away from the server's time", MaxClockSkew)
	}
	if !apisign.Verify(r, body, a, key.Secret) {
		return Principal{}, authErr("verify aksk signature fail")
	}
	u, ok := s.dir.user(key.UserID)
	if !ok {
		return Principal{}, authErr("unknown access key")
	}
	p := s.principal(u)
	p.AccessKey = a.AccessKey
	return p, nil
}

func (s *Service) verifyToken(tok string, now time.Time) (Principal, error) {
	c, err := parseToken(s.tokenKey, tok, now)
	if err != nil {
		return Principal{}, &AuthError{Reason: err.Error()}
	}
	if s.dir.isRevoked(tokenDigest(tok)) {
		return Principal{}, authErr("the token was revoked")
	}
	u, ok := s.dir.user(c.UserID)
	if !ok || u.DomainID != c.DomainID {
		return Principal{}, authErr("the token's user no longer exists")
	}
	if c.ProjectID != "" {
		if _, ok := s.dir.project(c.ProjectID); !ok {
			return Principal{}, authErr("the token's project no longer exists")
		}
	}
	p := s.principal(u)
	p.ProjectID = c.ProjectID
	return p, nil
}

func (s *Service) principal(u catalog.User) Principal {
	return Principal{
		UserID: u.ID, UserName: u.Name, DomainID: u.DomainID, Admin: u.Admin,
		Operator: u.Admin && s.dir.isOperatorDomain(u.DomainID),
	}
}

// ErrWrongProject: the caller may not act in the project it addressed.
var ErrWrongProject = errors.New("invalid projectId")

// AuthorizeProject checks that p may act in projectID, the project of a
// request's path. headerProject is its X-Project-Id header, if any.
func (s *Service) AuthorizeProject(p Principal, projectID, headerProject string) error {
	if headerProject != "" && headerProject != projectID {
		return ErrWrongProject
	}
	if p.AccessKey == "" {
		// A token acts only in the project it is scoped to.
		if p.ProjectID != projectID {
			return ErrWrongProject
		}
		return nil
	}
	proj, ok := s.dir.project(projectID)
	if !ok || proj.DomainID != p.DomainID {
		return ErrWrongProject
	}
	return nil
}

// CheckKey reports whether secret is the secret of access key ak.
func (s *Service) CheckKey(ak, secret string) bool {
	k, ok := s.dir.key(ak)
	return ok && subtle.ConstantTimeCompare([]byte(k.Secret), []byte(secret)) == 1
}

// AuthenticateKey identifies a caller that presents a key pair itself (HTTP
// basic auth, for scrapers and Grafana) as if it had signed with it.
func (s *Service) AuthenticateKey(ak, secret string) (Principal, error) {
	if !s.CheckKey(ak, secret) {
		return Principal{}, authErr("unknown access key or wrong secret key")
	}
	k, _ := s.dir.key(ak)
	u, ok := s.dir.user(k.UserID)
	if !ok {
		return Principal{}, authErr("unknown access key")
	}
	p := s.principal(u)
	p.AccessKey = ak
	return p, nil
}
