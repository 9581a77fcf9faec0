package fgs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"logtank/internal/runtime"
)

// Code packages shared between the nodes of a cluster. Each node runs
// functions from its own runtime.Store; with Config.Packages set, every
// package accepted is also written to that bucket, under
// functions/<function id>/<digest>.zip, before the catalog names it, and a
// node asked to run (or show) a version whose package it lacks fetches it
// by its digest, checks the digest, and keeps it in its store. A package
// is immutable under its key, so a copy fetched once stays good.
//
// Packages leave the bucket with their function. Those of replaced
// versions stay until then: another node may be storing a package that
// the catalog does not name yet, and pruning by the catalog's list would
// remove it.
//
// A node's own copies follow the catalog whatever node changed it: at
// start and every sweepEvery, the packages no version of their function
// names any more (all of them for a deleted function) are removed from
// the node's store, those stored or run in the last sweepEvery excepted,
// as a request may be storing, fetching or running one the catalog names
// only after the sweep has read it.

// packageKey is where a function's package is kept in the bucket.
func packageKey(functionID, digest string) string {
	return "functions/" + functionID + "/" + digest + ".zip"
}

// sharePackage writes pkg to the packages bucket, if there is one.
func (s *Service) sharePackage(ctx context.Context, functionID, digest string, pkg []byte) error {
	if s.packages == nil {
		return nil
	}
	return s.packages.Put(ctx, s.bucket, packageKey(functionID, digest), bytes.NewReader(pkg), int64(len(pkg)))
}

// fetchPackage makes sure this node's store holds the package of digest,
// fetching it from the packages bucket when it does not.
func (s *Service) fetchPackage(ctx context.Context, functionID, digest string) error {
	if s.packages == nil || digest == "" {
		return nil
	}
	// Held, it is marked as used, so that the sweep leaves it.
	if held, err := s.rt.Store().Touch(functionID, digest); held || err != nil {
		return err
	}
	r, err := s.packages.Get(ctx, s.bucket, packageKey(functionID, digest))
	if err != nil {
		return fmt.Errorf("code package %s of function %s: %w", digest[:12], functionID, err)
	}
	defer r.Close()
	pkg, err := io.ReadAll(io.LimitReader(r, MaxPackageBytes+1))
	if err != nil {
		return fmt.Errorf("code package %s of function %s: %w", digest[:12], functionID, err)
	}
	if got := runtime.Digest(pkg); got != digest {
		return fmt.Errorf("code package %s of function %s: the bucket's copy has digest %s", digest[:12], functionID, got[:12])
	}
	_, err = s.rt.Store().Put(functionID, pkg)
	return err
}

// dropSharedPackages removes a deleted function's packages from the
// bucket; what fails is logged and left behind.
func (s *Service) dropSharedPackages(ctx context.Context, functionID string) {
	if s.packages == nil {
		return
	}
	keys, err := s.packages.List(ctx, s.bucket, "functions/"+functionID+"/")
	for _, k := range keys {
		err = errors.Join(err, s.packages.Delete(ctx, s.bucket, k))
	}
	if err != nil {
		s.log.Warn("removing shared code packages", "function_id", functionID, "error", err)
	}
}

// sweepEvery is how often a node with a packages bucket sweeps its own
// store, and how old a package must be to go.
const sweepEvery = 10 * time.Minute

// sweepLoop sweeps the node's store every sweepEvery until stop closes.
func (s *Service) sweepLoop(stop <-chan struct{}) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.sweepPackages(context.Background(), time.Now().Add(-sweepEvery))
		}
	}
}

// sweepPackages removes from the node's store the packages stored before
// before that no version of their function names; what fails is logged
// and tried again at the next sweep.
func (s *Service) sweepPackages(ctx context.Context, before time.Time) {
	ids, err := s.rt.Store().Functions()
	if err != nil {
		s.log.Warn("sweeping code packages", "error", err)
		return
	}
	for _, id := range ids {
		keep, err := s.db.FunctionCodeDigests(ctx, id)
		if err == nil {
			err = s.rt.Store().Sweep(id, keep, before)
		}
		if err != nil {
			s.log.Warn("sweeping code packages", "function_id", id, "error", err)
		}
	}
}
