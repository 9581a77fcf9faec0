package fgs

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/iam"
	"logtank/internal/wire"
)

type createFunctionRequest struct {
	FuncName string `json:"func_name"`
	Package  string `json:"package"`
	settings
	codeRequest
	Type                *string  `json:"type"`
	Tags                *string  `json:"tags"`
	DependVersionList   []string `json:"depend_version_list"`
	CodeEncryptKMSKeyID *string  `json:"code_encrypt_kms_key_id"`
}

func (s *Service) createFunction(w http.ResponseWriter, r *http.Request) error {
	var req createFunctionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkFuncName(req.FuncName); err != nil {
		return err
	}
	if req.Package == "" {
		req.Package = defaultPackage
	}
	if err := checkPackage(req.Package); err != nil {
		return err
	}
	c := config{StrategyConfig: strategyConfig{Concurrency: -1, ConcurrentNum: 1}}
	if err := req.settings.apply(&c); err != nil {
		return err
	}
	if req.Type != nil {
		if *req.Type != "v1" && *req.Type != "v2" {
			return fail(ErrInvalid, "type %q must be v1 or v2", *req.Type)
		}
		c.Type = *req.Type
	}
	if req.Tags != nil {
		c.Tags = *req.Tags
	}
	if req.CodeEncryptKMSKeyID != nil {
		c.CodeEncryptKMSKeyID = *req.CodeEncryptKMSKeyID
	}
	c.DependVersionList = req.DependVersionList
	p, _ := iam.FromContext(r.Context())
	f := catalog.Function{
		ID: uuid.NewString(), ProjectID: r.PathValue("project_id"), DomainID: p.DomainID,
		Package: req.Package, Name: req.FuncName, CreatedMS: s.now().UnixMilli(),
	}
	s.codeMu.Lock()
	defer s.codeMu.Unlock()
	code, err := s.acceptCode(r.Context(), f.ID, &c, req.codeRequest, true)
	if err != nil {
		return err
	}
	v := s.newLatest(c, code)
	switch err := s.db.CreateFunction(r.Context(), f, v, MaxFunctionsPerProject); {
	case errors.Is(err, catalog.ErrExists):
		s.dropCode(r.Context(), f.ID)
		return fail(ErrFunctionExists, "package %s has a function named %s", f.Package, f.Name)
	case errors.Is(err, catalog.ErrQuota):
		s.dropCode(r.Context(), f.ID)
		return fail(ErrFunctionQuota, "a project may have at most %d functions", MaxFunctionsPerProject)
	case err != nil:
		s.dropCode(r.Context(), f.ID)
		return internal(err)
	}
	wire.WriteJSON(w, http.StatusOK, s.functionModel(f, v, c))
	return nil
}

// newLatest is the latest version with configuration c and code.
func (s *Service) newLatest(c config, code codeInfo) catalog.FunctionVersion {
	now := s.now().UnixMilli()
	doc := mustJSON(c)
	return catalog.FunctionVersion{
		Version: catalog.LatestVersion, Config: doc, CodeDigest: code.digest, CodeSize: code.size,
		Fingerprint: fingerprint(doc, code.digest), ModifiedMS: now, CreatedMS: now,
	}
}

func (s *Service) listFunctions(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	all, err := s.db.Functions(r.Context(), r.PathValue("project_id"), catalog.FunctionFilter{
		Package: q.Get("package_name"), NameContains: q.Get("func_name"),
	})
	if err != nil {
		return internal(err)
	}
	items, next := page(all, offset, limit)
	out := make([]functionJSON, 0, len(items))
	for _, fl := range items {
		c, err := decodeConfig(fl.Latest)
		if err != nil {
			return err
		}
		out = append(out, s.functionModel(fl.Function, fl.Latest, c))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"functions": out, "next_marker": next, "count": len(all)})
	return nil
}

func (s *Service) showConfig(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	f, v, c, err := s.resolve(r.Context(), ref)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, s.functionModel(f, v, c))
	return nil
}

type updateConfigRequest struct {
	FuncName string `json:"func_name"`
	settings
}

// latestFunction resolves the function of an update of latest and decodes
// the update's body into req.
func (s *Service) latestFunction(r *http.Request, req any) (catalog.Function, error) {
	ref, err := urnOf(r)
	if err != nil {
		return catalog.Function{}, err
	}
	if err := latestOnly(ref); err != nil {
		return catalog.Function{}, err
	}
	if err := decode(r, req); err != nil {
		return catalog.Function{}, err
	}
	return s.function(r.Context(), ref)
}

// latestOnly refuses to change anything but latest: published versions
// are immutable.
func latestOnly(r ref) error {
	if r.Qualifier != "" && r.Qualifier != catalog.LatestVersion {
		return fail(ErrVersion, "only latest can be changed; %s is a published version or an alias, which are immutable", r.Qualifier)
	}
	return nil
}

func (s *Service) updateConfig(w http.ResponseWriter, r *http.Request) error {
	var req updateConfigRequest
	f, err := s.latestFunction(r, &req)
	if err != nil {
		return err
	}
	if req.FuncName != "" && req.FuncName != f.Name {
		return fail(ErrFuncName, "func_name %q is not the name of function %s; a function cannot be renamed", req.FuncName, f.Name)
	}
	var c config
	v, err := s.db.UpdateLatest(r.Context(), f.ID, func(v *catalog.FunctionVersion) error {
		var err error
		if c, err = decodeConfig(*v); err != nil {
			return err
		}
		if err := req.settings.apply(&c); err != nil {
			return err
		}
		v.Config = mustJSON(c)
		v.Fingerprint = fingerprint(v.Config, v.CodeDigest)
		v.ModifiedMS = s.now().UnixMilli()
		return nil
	})
	if err != nil {
		return s.latestError(f, err)
	}
	s.rt.Retire(f.ID, catalog.LatestVersion)
	wire.WriteJSON(w, http.StatusOK, s.functionModel(f, v, c))
	return nil
}

// latestError maps a failed change of latest: a validation error as it
// is, a function deleted meanwhile as FSS.1051.
func (s *Service) latestError(f catalog.Function, err error) error {
	var we *wire.Error
	switch {
	case errors.As(err, &we):
		return we
	case errors.Is(err, catalog.ErrNotFound):
		return fail(ErrFunctionNotFound, "function %s was deleted", f.Name)
	}
	return internal(err)
}

// deleteFunction deletes a whole function without qualifier, else one
// version: the named one, or the one an alias points to. latest alone
// cannot be deleted.
func (s *Service) deleteFunction(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return err
	}
	s.codeMu.Lock()
	defer s.codeMu.Unlock()
	if ref.Qualifier == "" {
		if err := s.db.DeleteFunction(r.Context(), f.ID); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return internal(err)
		}
		s.rt.Retire(f.ID, "")
		s.dropCode(r.Context(), f.ID)
		wire.NoContent(w)
		return nil
	}
	version := ref.Qualifier
	if a, ok := ref.alias(); ok {
		al, err := s.alias(r.Context(), f, a)
		if err != nil {
			return err
		}
		version = al.Version
	}
	if version == catalog.LatestVersion {
		return fail(ErrVersion, "latest cannot be deleted alone; delete the function (its URN without version) instead")
	}
	switch err := s.db.DeleteFunctionVersion(r.Context(), f.ID, version); {
	case errors.Is(err, catalog.ErrNotFound):
		return fail(ErrVersionNotFound, "function %s has no version %s", f.Name, version)
	case errors.Is(err, catalog.ErrAdditionalInUse):
		return fail(ErrAdditionalInUse, "version %s is the additional version of an alias of %s", version, f.Name)
	case err != nil:
		return internal(err)
	}
	s.rt.Retire(f.ID, version)
	s.pruneCode(r, f.ID)
	wire.NoContent(w)
	return nil
}
