package iam

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

// API returns the IAM routes for the server to mount.
func (s *Service) API() wire.Service {
	return wire.Service{
		Name:   "iam",
		Errors: Errors,
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v3/auth/tokens", Public: true, Handle: s.createToken},
			{Method: "GET", Pattern: "/v3/auth/tokens", Handle: s.validateToken},
			{Method: "DELETE", Pattern: "/v3/auth/tokens", Handle: s.revokeToken},
			{Method: "GET", Pattern: "/v3/projects", Handle: s.listProjects},
			{Method: "POST", Pattern: "/v3/projects", Handle: s.createProject},
			{Method: "GET", Pattern: "/v3/domains", Handle: s.listDomains},
			{Method: "POST", Pattern: "/v3/domains", Handle: s.createDomain},
			{Method: "GET", Pattern: "/v3/users", Handle: s.listUsers},
			{Method: "POST", Pattern: "/v3.0/OS-USER/users", Handle: s.createUser},
			{Method: "GET", Pattern: "/v3.0/OS-CREDENTIAL/credentials", Handle: s.listCredentials},
			{Method: "POST", Pattern: "/v3.0/OS-CREDENTIAL/credentials", Handle: s.createCredential},
			{Method: "DELETE", Pattern: "/v3.0/OS-CREDENTIAL/credentials/{access_key}", Handle: s.deleteCredential},
		},
	}
}

func decode(r *http.Request, v any) error {
	err := wire.Decode(wire.Body(r), v)
	var fe *wire.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return ErrInvalid.WithMsg("Failed to validate the request body: %s %s", fe.Field, fe.Reason)
	default:
		return ErrNotJSON
	}
}

func invalid(format string, args ...any) error {
	return ErrInvalid.WithMsg("Failed to validate the request body: "+format, args...)
}

func caller(r *http.Request) Principal {
	p, _ := FromContext(r.Context())
	return p
}

func isoTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000000Z")
}

func (s *Service) createToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	id := req.Auth.Identity
	hasPassword := false
	for _, m := range id.Methods {
		hasPassword = hasPassword || m == "password"
	}
	if !hasPassword {
		return invalid(`auth.identity.methods must contain "password"`)
	}
	u := id.Password.User
	if (u.Name == "" && u.ID == "") || u.Password == "" {
		return invalid("auth.identity.password.user needs a name (or id) and a password")
	}
	addr := clientAddr(r)
	if wait := s.signins.wait(addr, s.now()); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return ErrThrottled.WithMsg("Too many failed sign-ins from this address: retry in %d s", int(wait.Seconds())+1)
	}
	user, ok := s.findUser(u.nameOrID)
	if !ok {
		checkPassword(dummyHash, u.Password)
		s.signins.failed(addr, s.now())
		return ErrBadPassword
	}
	if !checkPassword(user.PasswordHash, u.Password) {
		s.signins.failed(addr, s.now())
		return ErrBadPassword
	}
	claims := tokenClaims{UserID: user.ID, DomainID: user.DomainID, Methods: "password"}
	var project *catalog.Project
	switch sc := req.Auth.Scope; {
	case sc.Project != nil:
		p, ok := s.findProject(user.DomainID, *sc.Project)
		if !ok {
			return ErrNotFound.WithMsg("Could not find project %s%s in the user's domain", sc.Project.ID, sc.Project.Name)
		}
		project, claims.ProjectID = &p, p.ID
	case sc.Domain != nil:
		if (sc.Domain.ID != "" && sc.Domain.ID != user.DomainID) || (sc.Domain.Name != "" && !s.domainNamed(user.DomainID, sc.Domain.Name)) {
			return ErrForbidden.WithMsg("The user may not scope a token to that domain")
		}
	default:
		return invalid("auth.scope must name a project (or a domain)")
	}
	now := s.now()
	claims.IssuedMS = now.UnixMilli()
	claims.ExpiresMS = now.Add(TokenLifetime).UnixMilli()
	w.Header().Set("X-Subject-Token", signToken(s.tokenKey, claims))
	wire.WriteJSON(w, http.StatusCreated, tokenAnswer{Token: s.tokenInfo(r, claims, user, project)})
	return nil
}

// tokenInfo is what the token APIs tell of a token.
func (s *Service) tokenInfo(r *http.Request, claims tokenClaims, user catalog.User, project *catalog.Project) tokenInfo {
	domain, _ := s.dir.domain(user.DomainID)
	dom := domainRef{ID: domain.ID, Name: domain.Name}
	t := tokenInfo{
		Domain:    dom,
		ExpiresAt: isoTime(claims.ExpiresMS),
		IssuedAt:  isoTime(claims.IssuedMS),
		Methods:   []string{"password"},
		Roles:     []roleRef{{ID: "0", Name: "te_admin"}},
		User:      tokenUser{Domain: dom, ID: user.ID, Name: user.Name},
	}
	if project != nil {
		t.Project = &tokenProject{Domain: dom, ID: project.ID, Name: project.Name}
	}
	if r.URL.Query().Get("nocatalog") == "" {
		t.Catalog = s.catalogFor(r)
	}
	return t
}

// subjectToken reads the X-Subject-Token a token API acts on and checks
// that the caller may: its own tokens, or as an admin its domain's (the
// operator's admins: any).
func (s *Service) subjectToken(r *http.Request) (string, tokenClaims, catalog.User, error) {
	tok := r.Header.Get("X-Subject-Token")
	if tok == "" {
		return "", tokenClaims{}, catalog.User{}, invalid("the X-Subject-Token header is required")
	}
	if _, err := s.verifyToken(tok, s.now()); err != nil {
		return "", tokenClaims{}, catalog.User{}, ErrNotFound.WithMsg("The token is not valid: %v", err)
	}
	c, _ := parseToken(s.tokenKey, tok, s.now())
	user, _ := s.dir.user(c.UserID)
	p := caller(r)
	if p.UserID != c.UserID && !p.Operator && !(p.Admin && p.DomainID == c.DomainID) {
		return "", tokenClaims{}, catalog.User{}, ErrForbidden.WithMsg("Only the token's user or an admin of its domain may act on it")
	}
	return tok, c, user, nil
}

// validateToken tells what a token is (Keystone's GET /v3/auth/tokens).
func (s *Service) validateToken(w http.ResponseWriter, r *http.Request) error {
	tok, c, user, err := s.subjectToken(r)
	if err != nil {
		return err
	}
	var project *catalog.Project
	if c.ProjectID != "" {
		if p, ok := s.dir.project(c.ProjectID); ok {
			project = &p
		}
	}
	w.Header().Set("X-Subject-Token", tok)
	wire.WriteJSON(w, http.StatusOK, tokenAnswer{Token: s.tokenInfo(r, c, user, project)})
	return nil
}

// revokeToken makes a token invalid before it expires (Keystone's DELETE
// /v3/auth/tokens).
func (s *Service) revokeToken(w http.ResponseWriter, r *http.Request) error {
	tok, c, _, err := s.subjectToken(r)
	if err != nil {
		return err
	}
	if err := s.db.RevokeToken(r.Context(), tokenDigest(tok), c.ExpiresMS, s.now().UnixMilli()); err != nil {
		return &wire.Internal{Err: ErrInternal, Cause: err}
	}
	if err := s.dir.reload(r.Context()); err != nil {
		return &wire.Internal{Err: ErrInternal, Cause: err}
	}
	wire.NoContent(w)
	return nil
}

// catalogFor lists this server as the endpoint of every service it serves.
func (s *Service) catalogFor(r *http.Request) []catalogService {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	url := scheme + "://" + r.Host
	var out []catalogService
	for _, svc := range []string{"lts", "aom", "functiongraph"} {
		out = append(out, catalogService{
			ID: svc, Name: svc, Type: svc,
			Endpoints: []catalogEndpoint{{ID: svc, Interface: "public", Region: s.region, RegionID: s.region, URL: url}},
		})
	}
	return out
}

func (s *Service) findUser(u nameOrID) (catalog.User, bool) {
	if u.ID != "" {
		return s.dir.user(u.ID)
	}
	if u.Domain != nil {
		domainID := u.Domain.ID
		if domainID == "" {
			d, ok := s.dir.domainByName(u.Domain.Name)
			if !ok {
				return catalog.User{}, false
			}
			domainID = d.ID
		}
		return s.dir.userByName(domainID, u.Name)
	}
	// Without a domain the name must be unambiguous across domains.
	var found catalog.User
	n := 0
	for _, d := range s.dir.allDomains() {
		if x, ok := s.dir.userByName(d.ID, u.Name); ok {
			found, n = x, n+1
		}
	}
	return found, n == 1
}

func (s *Service) findProject(domainID string, p nameOrID) (catalog.Project, bool) {
	if p.ID != "" {
		x, ok := s.dir.project(p.ID)
		return x, ok && x.DomainID == domainID
	}
	return s.dir.projectByName(domainID, p.Name)
}

func (s *Service) domainNamed(id, name string) bool {
	d, ok := s.dir.domain(id)
	return ok && d.Name == name
}

func projectOf(p catalog.Project) projectInfo {
	return projectInfo{
		ID: p.ID, Name: p.Name, DomainID: p.DomainID, ParentID: p.DomainID,
		Enabled: true, Links: selfLink{Self: "/v3/projects/" + p.ID},
	}
}

// targetDomain is the domain an admin operation acts on: the caller's own,
// or for operators any domain they name.
func (s *Service) targetDomain(p Principal, requested string) (string, error) {
	if !p.Admin {
		return "", ErrForbidden.WithMsg("Only an admin user may manage accounts")
	}
	if requested == "" || requested == p.DomainID {
		return p.DomainID, nil
	}
	if !p.Operator {
		return "", ErrForbidden.WithMsg("Only the operator domain's admins may manage another domain")
	}
	if _, ok := s.dir.domain(requested); !ok {
		return "", ErrNotFound.WithMsg("Could not find domain %s", requested)
	}
	return requested, nil
}

func (s *Service) listProjects(w http.ResponseWriter, r *http.Request) error {
	p := caller(r)
	domainID := p.DomainID
	if q := r.URL.Query().Get("domain_id"); q != "" && q != domainID {
		if !p.Operator {
			return ErrForbidden.WithMsg("Only the operator domain's admins may list another domain")
		}
		domainID = q
	}
	name := r.URL.Query().Get("name")
	out := []projectInfo{}
	for _, x := range s.dir.projectsOf(domainID) {
		if name == "" || x.Name == name {
			out = append(out, projectOf(x))
		}
	}
	wire.WriteJSON(w, http.StatusOK, projectsAnswer{Projects: out, Links: selfLink{Self: "/v3/projects"}})
	return nil
}

// validName accepts the names of domains, projects and users.
func validName(name string, max int) bool {
	if name == "" || len(name) > max {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.", c)) {
			return false
		}
	}
	return true
}

func (s *Service) create(w http.ResponseWriter, r *http.Request, err error, notFoundMsg string, out func() any) error {
	switch {
	case errors.Is(err, catalog.ErrExists):
		return ErrConflict.WithMsg("%s", notFoundMsg)
	case err != nil:
		return err
	}
	if err := s.dir.reload(r.Context()); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, out())
	return nil
}

func (s *Service) createProject(w http.ResponseWriter, r *http.Request) error {
	var req projectRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	domainID, err := s.targetDomain(caller(r), req.Project.DomainID)
	if err != nil {
		return err
	}
	if !validName(req.Project.Name, 64) {
		return invalid("project.name must be 1-64 letters, digits, '-', '_' or '.'")
	}
	p := catalog.Project{ID: newID(), DomainID: domainID, Name: req.Project.Name, CreatedMS: s.now().UnixMilli()}
	err = s.db.CreateProject(r.Context(), p)
	return s.create(w, r, err, "The domain already has a project named "+p.Name, func() any { return projectAnswer{Project: projectOf(p)} })
}

func domainOf(d catalog.Domain) domainInfo {
	return domainInfo{ID: d.ID, Name: d.Name, Enabled: true}
}

func (s *Service) listDomains(w http.ResponseWriter, r *http.Request) error {
	p := caller(r)
	out := []domainInfo{}
	for _, d := range s.dir.allDomains() {
		if p.Operator || d.ID == p.DomainID {
			out = append(out, domainOf(d))
		}
	}
	wire.WriteJSON(w, http.StatusOK, domainsAnswer{Domains: out})
	return nil
}

func (s *Service) createDomain(w http.ResponseWriter, r *http.Request) error {
	if !caller(r).Operator {
		return ErrForbidden.WithMsg("Only the operator domain's admins may create domains")
	}
	var req domainRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if !validName(req.Domain.Name, 64) {
		return invalid("domain.name must be 1-64 letters, digits, '-', '_' or '.'")
	}
	d := catalog.Domain{ID: newID(), Name: req.Domain.Name, CreatedMS: s.now().UnixMilli()}
	err := s.db.CreateDomain(r.Context(), d)
	return s.create(w, r, err, "A domain named "+d.Name+" exists", func() any { return domainAnswer{Domain: domainOf(d)} })
}

func userOf(u catalog.User) userInfo {
	return userInfo{
		ID: u.ID, Name: u.Name, DomainID: u.DomainID, Enabled: true,
		IsDomainOwner: u.Admin, CreateTime: isoTime(u.CreatedMS),
	}
}

func (s *Service) listUsers(w http.ResponseWriter, r *http.Request) error {
	domainID, err := s.targetDomain(caller(r), r.URL.Query().Get("domain_id"))
	if err != nil {
		return err
	}
	out := []userInfo{}
	for _, u := range s.dir.usersOf(domainID) {
		out = append(out, userOf(u))
	}
	wire.WriteJSON(w, http.StatusOK, usersAnswer{Users: out})
	return nil
}

func (s *Service) createUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	domainID, err := s.targetDomain(caller(r), req.User.DomainID)
	if err != nil {
		return err
	}
	if !validName(req.User.Name, 64) {
		return invalid("user.name must be 1-64 letters, digits, '-', '_' or '.'")
	}
	if len(req.User.Password) < 8 {
		return invalid("user.password must have at least 8 characters")
	}
	hash, err := hashPassword(req.User.Password)
	if err != nil {
		return err
	}
	u := catalog.User{ID: newID(), DomainID: domainID, Name: req.User.Name, PasswordHash: hash, Admin: req.User.Admin.Value, CreatedMS: s.now().UnixMilli()}
	err = s.db.CreateUser(r.Context(), u)
	return s.create(w, r, err, "The domain already has a user named "+u.Name, func() any { return userAnswer{User: userOf(u)} })
}

// keyOwner is the user whose keys an operation touches: the caller, or a
// user of a domain the caller administers.
func (s *Service) keyOwner(p Principal, userID string) (catalog.User, error) {
	if userID == "" {
		userID = p.UserID
	}
	u, ok := s.dir.user(userID)
	// A user of another domain is as absent as one that does not exist:
	// the answer must not tell them apart.
	if !ok || (u.DomainID != p.DomainID && !p.Operator) {
		return u, ErrNotFound.WithMsg("Could not find user %s", userID)
	}
	if u.ID == p.UserID {
		return u, nil
	}
	if _, err := s.targetDomain(p, u.DomainID); err != nil {
		return u, err
	}
	return u, nil
}

// credentialOf tells of an access key without its secret.
func credentialOf(k catalog.AccessKey) credentialInfo {
	return credentialInfo{
		Access: k.Access, UserID: k.UserID, Status: "active",
		CreateTime: isoTime(k.CreatedMS), Description: k.Description,
	}
}

func (s *Service) listCredentials(w http.ResponseWriter, r *http.Request) error {
	u, err := s.keyOwner(caller(r), r.URL.Query().Get("user_id"))
	if err != nil {
		return err
	}
	out := []credentialInfo{}
	for _, k := range s.dir.keysOf(u.ID) {
		out = append(out, credentialOf(k))
	}
	wire.WriteJSON(w, http.StatusOK, credentialsAnswer{Credentials: out})
	return nil
}

func (s *Service) createCredential(w http.ResponseWriter, r *http.Request) error {
	var req credentialRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := s.keyOwner(caller(r), req.Credential.UserID)
	if err != nil {
		return err
	}
	if len(req.Credential.Description) > 255 {
		return invalid("credential.description must be at most 255 characters")
	}
	ak, sk := newAccessKey()
	k := catalog.AccessKey{Access: ak, Secret: sk, UserID: u.ID, Description: req.Credential.Description, CreatedMS: s.now().UnixMilli()}
	err = s.db.CreateAccessKey(r.Context(), k)
	return s.create(w, r, err, "access key collision, retry", func() any {
		c := credentialOf(k)
		c.Secret = k.Secret
		return credentialAnswer{Credential: c}
	})
}

func (s *Service) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	access := r.PathValue("access_key")
	k, ok := s.dir.key(access)
	if !ok {
		return ErrNotFound.WithMsg("Could not find access key %s", access)
	}
	if _, err := s.keyOwner(caller(r), k.UserID); err != nil {
		if we, ok := err.(*wire.Error); ok && we.Code == ErrNotFound.Code {
			return ErrNotFound.WithMsg("Could not find access key %s", access)
		}
		return err
	}
	if err := s.db.DeleteAccessKey(r.Context(), access); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if err := s.dir.reload(r.Context()); err != nil {
		return err
	}
	wire.NoContent(w)
	return nil
}
