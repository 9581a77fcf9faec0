package fgs

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

// aliasRequest is the body of create (with name) and update (without).
type aliasRequest struct {
	Name        string                     `json:"name"`
	Version     string                     `json:"version"`
	Description *string                    `json:"description"`
	Weights     map[string]wire.Int        `json:"additional_version_weights"`
	Strategy    map[string]versionStrategy `json:"additional_version_strategy"`
}

// decodeAlias reads an alias request; a weight that is not an integer is
// an invalid weight (FSS.1092).
func decodeAlias(r *http.Request) (aliasRequest, error) {
	var req aliasRequest
	err := wire.Decode(wire.Body(r), &req)
	var fe *wire.FieldError
	if errors.As(err, &fe) && strings.HasPrefix(fe.Field, "additional_version_weights") {
		return req, fail(ErrWeight, "%s %s", fe.Field, fe.Reason)
	}
	if err != nil {
		return req, decode(r, &req)
	}
	return req, nil
}

// aliasJSON is an alias as the API returns it. The list API's SDK model
// lacks the strategy, which it ignores.
type aliasJSON struct {
	Name         string                     `json:"name"`
	Version      string                     `json:"version"`
	Description  string                     `json:"description"`
	LastModified string                     `json:"last_modified"`
	AliasURN     string                     `json:"alias_urn"`
	Weights      map[string]int64           `json:"additional_version_weights,omitempty"`
	Strategy     map[string]versionStrategy `json:"additional_version_strategy,omitempty"`
}

func (s *Service) aliasModel(f catalog.Function, a catalog.FunctionAlias) (aliasJSON, error) {
	rt, err := decodeRouting(a)
	if err != nil {
		return aliasJSON{}, err
	}
	return aliasJSON{
		Name: a.Name, Version: a.Version, Description: a.Description,
		// The alias APIs show times as the seed does: "2019-10-31 11:37:58".
		LastModified: time.UnixMilli(a.ModifiedMS).UTC().Format("2006-01-02 15:04:05"),
		AliasURN:     s.aliasURN(f.ProjectID, f.Package, f.Name, a.Name),
		Weights:      rt.Weights, Strategy: rt.Strategy,
	}, nil
}

// aliasRecord validates an alias request and builds the record. The
// version checks that need the catalog (existence, other aliases) are the
// catalog's, in the same transaction as the write.
func aliasRecord(f catalog.Function, name string, req aliasRequest) (catalog.FunctionAlias, error) {
	a := catalog.FunctionAlias{FunctionID: f.ID, Name: name, Version: req.Version}
	if req.Version == "" {
		return a, fail(ErrVersion, "version is required: the version the alias names")
	}
	if req.Version != catalog.LatestVersion && !versionPattern.MatchString(req.Version) {
		return a, fail(ErrVersion, "version %q is not a version name", req.Version)
	}
	if req.Description != nil {
		if err := checkDescription("description", *req.Description); err != nil {
			return a, err
		}
		a.Description = *req.Description
	}
	var rt routing
	switch {
	case len(req.Weights) > 0 && len(req.Strategy) > 0:
		return a, fail(ErrInvalid, "an alias shifts traffic by additional_version_weights or by additional_version_strategy, not both")
	case len(req.Weights) > 1, len(req.Strategy) > 1:
		return a, fail(ErrAdditional, "an alias has at most one additional version")
	}
	for v, w := range req.Weights {
		if err := checkAdditional(v, req.Version); err != nil {
			return a, err
		}
		if !w.Set || w.Value < 0 || w.Value > 100 {
			return a, fail(ErrWeight, "the weight of %s must be an integer from 0 to 100", v)
		}
		rt.Weights = map[string]int64{v: w.Value}
		a.AdditionalVersion = v
	}
	for v, st := range req.Strategy {
		if err := checkAdditional(v, req.Version); err != nil {
			return a, err
		}
		if err := checkStrategy(v, st); err != nil {
			return a, err
		}
		if st.Rules == nil {
			st.Rules = []strategyRule{}
		}
		rt.Strategy = map[string]versionStrategy{v: st}
		a.AdditionalVersion = v
	}
	a.Routing = mustJSON(rt)
	return a, nil
}

func checkAdditional(v, main string) error {
	switch {
	case v == "":
		return fail(ErrAdditional, "the additional version has an empty name")
	case v == catalog.LatestVersion:
		return fail(ErrAdditional, "latest cannot be an additional version: publish a version first")
	case v == main:
		return fail(ErrSameVersion, "%s is both the version and the additional version", v)
	case !versionPattern.MatchString(v):
		return fail(ErrAdditional, "%q is not a version name", v)
	}
	return nil
}

func checkStrategy(v string, st versionStrategy) error {
	switch strings.ToLower(st.CombineType) {
	case "", "and", "or":
	default:
		return fail(ErrInvalid, "combine_type %q of %s must be and or or", st.CombineType, v)
	}
	for i, rule := range st.Rules {
		switch t := strings.ToLower(rule.RuleType); {
		case t != "header" && t != "cookie":
			return fail(ErrInvalid, "rules[%d].rule_type %q of %s must be header or cookie", i, rule.RuleType, v)
		case !paramPattern.MatchString(rule.Param):
			return fail(ErrInvalid, "rules[%d].param %q of %s must be letters, digits, '_' and '-'", i, rule.Param, v)
		case rule.Op != "=" && !strings.EqualFold(rule.Op, "in"):
			return fail(ErrInvalid, "rules[%d].op %q of %s must be = or in", i, rule.Op, v)
		}
	}
	return nil
}

// aliasWriteError maps the catalog's refusals of an alias.
func aliasWriteError(f catalog.Function, a catalog.FunctionAlias, err error) error {
	switch {
	case errors.Is(err, catalog.ErrExists):
		return fail(ErrAliasExists, "function %s has an alias %s", f.Name, a.Name)
	case errors.Is(err, catalog.ErrQuota):
		return fail(ErrAliasQuota, "a function may have at most %d aliases", MaxAliasesPerFunction)
	case errors.Is(err, catalog.ErrNoVersion):
		return fail(ErrVersionNotFound, "function %s has no version %s", f.Name, a.Version)
	case errors.Is(err, catalog.ErrNoAdditionalVersion):
		return fail(ErrAdditional, "function %s has no version %s", f.Name, a.AdditionalVersion)
	case errors.Is(err, catalog.ErrVersionAliased):
		return fail(ErrVersionAliased, "another alias of %s already names version %s", f.Name, a.Version)
	case errors.Is(err, catalog.ErrNotFound):
		return fail(ErrAliasNotFound, "function %s has no alias %s", f.Name, a.Name)
	}
	return internal(err)
}

func (s *Service) createAlias(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	req, err := decodeAlias(r)
	if err != nil {
		return err
	}
	if !aliasPattern.MatchString(req.Name) {
		return fail(ErrAlias, "name %q must be 1-64 letters, digits, '_' and '-', start with a letter and end with a letter or digit", req.Name)
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return err
	}
	a, err := aliasRecord(f, req.Name, req)
	if err != nil {
		return err
	}
	a.CreatedMS = s.now().UnixMilli()
	a.ModifiedMS = a.CreatedMS
	if err := s.db.CreateAlias(r.Context(), a, s.rules); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return fail(ErrFunctionNotFound, "function %s was deleted", f.Name)
		}
		return aliasWriteError(f, a, err)
	}
	return s.writeAlias(w, f, a)
}

func (s *Service) writeAlias(w http.ResponseWriter, f catalog.Function, a catalog.FunctionAlias) error {
	out, err := s.aliasModel(f, a)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

// alias finds an alias of a function (FSS.1053).
func (s *Service) alias(ctx context.Context, f catalog.Function, name string) (catalog.FunctionAlias, error) {
	a, err := s.db.FunctionAlias(ctx, f.ID, name)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return a, fail(ErrAliasNotFound, "function %s has no alias %s", f.Name, name)
	case err != nil:
		return a, internal(err)
	}
	return a, nil
}

// aliasTarget finds the function of a request and the alias in its path.
func (s *Service) aliasTarget(r *http.Request) (catalog.Function, string, error) {
	ref, err := urnOf(r)
	if err != nil {
		return catalog.Function{}, "", err
	}
	f, err := s.function(r.Context(), ref)
	return f, r.PathValue("alias_name"), err
}

func (s *Service) listAliases(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return err
	}
	all, err := s.db.FunctionAliases(r.Context(), f.ID)
	if err != nil {
		return internal(err)
	}
	out := make([]aliasJSON, 0, len(all))
	for _, a := range all {
		m, err := s.aliasModel(f, a)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	// FunctionGraph answers with a bare array.
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) showAlias(w http.ResponseWriter, r *http.Request) error {
	f, name, err := s.aliasTarget(r)
	if err != nil {
		return err
	}
	a, err := s.alias(r.Context(), f, name)
	if err != nil {
		return err
	}
	return s.writeAlias(w, f, a)
}

// updateAlias replaces the alias's version, description and traffic
// shifting: maps left out of the request end the shifting.
func (s *Service) updateAlias(w http.ResponseWriter, r *http.Request) error {
	f, name, err := s.aliasTarget(r)
	if err != nil {
		return err
	}
	req, err := decodeAlias(r)
	if err != nil {
		return err
	}
	a, err := aliasRecord(f, name, req)
	if err != nil {
		return err
	}
	if req.Description == nil {
		cur, err := s.alias(r.Context(), f, name)
		if err != nil {
			return err
		}
		a.Description = cur.Description
	}
	a.ModifiedMS = s.now().UnixMilli()
	stored, err := s.db.UpdateAlias(r.Context(), a, s.rules)
	if err != nil {
		return aliasWriteError(f, a, err)
	}
	return s.writeAlias(w, f, stored)
}

func (s *Service) deleteAlias(w http.ResponseWriter, r *http.Request) error {
	f, name, err := s.aliasTarget(r)
	if err != nil {
		return err
	}
	switch err := s.db.DeleteAlias(r.Context(), f.ID, name); {
	case errors.Is(err, catalog.ErrNotFound):
		return fail(ErrAliasNotFound, "function %s has no alias %s", f.Name, name)
	case err != nil:
		return internal(err)
	}
	wire.NoContent(w)
	return nil
}
