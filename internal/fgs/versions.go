package fgs

import (
	"errors"
	"net/http"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

type publishRequest struct {
	Digest      string `json:"digest"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// publishVersion snapshots latest as a new version, named v<date>-<time>
// unless the request names it.
func (s *Service) publishVersion(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	var req publishRequest
	// All fields are optional: an empty body publishes latest as it is.
	if len(wire.Body(r)) > 0 {
		if err := decode(r, &req); err != nil {
			return err
		}
	}
	if req.Version == "" {
		req.Version = "v" + s.now().Format("20060102-150405")
	}
	if err := checkVersionName("version", req.Version); err != nil {
		return err
	}
	if err := checkDescription("description", req.Description); err != nil {
		return err
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return err
	}
	v, err := s.db.PublishVersion(r.Context(), f.ID, catalog.Publication{
		Version: req.Version, Description: req.Description, Digest: req.Digest,
		NowMS: s.now().UnixMilli(), MaxVersions: MaxVersionsPerFunction,
	})
	switch {
	case errors.Is(err, catalog.ErrUnchanged):
		return fail(ErrUnchanged, "latest of %s is the same as its last published version; change its code or settings first", f.Name)
	case errors.Is(err, catalog.ErrExists):
		return fail(ErrVersionExists, "function %s has a version %s", f.Name, req.Version)
	case errors.Is(err, catalog.ErrQuota):
		return fail(ErrForbidden, "a function may have at most %d published versions; delete one first", MaxVersionsPerFunction)
	case errors.Is(err, catalog.ErrDigestMismatch):
		return fail(ErrInvalid, "digest %q is not the code digest of latest, which changed", req.Digest)
	case errors.Is(err, catalog.ErrNotFound):
		return fail(ErrFunctionNotFound, "function %s was deleted", f.Name)
	case err != nil:
		return internal(err)
	}
	c, err := decodeConfig(v)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, s.functionModel(f, v, c))
	return nil
}

func (s *Service) listVersions(w http.ResponseWriter, r *http.Request) error {
	ref, err := urnOf(r)
	if err != nil {
		return err
	}
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	f, err := s.function(r.Context(), ref)
	if err != nil {
		return err
	}
	all, err := s.db.FunctionVersions(r.Context(), f.ID)
	if err != nil {
		return internal(err)
	}
	items, next := page(all, offset, limit)
	out := make([]functionJSON, 0, len(items))
	for _, v := range items {
		c, err := decodeConfig(v)
		if err != nil {
			return err
		}
		out = append(out, s.functionModel(f, v, c))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"versions": out, "next_marker": next, "count": len(all)})
	return nil
}
