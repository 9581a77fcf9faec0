package lts

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"logtank/internal/catalog"
	"logtank/internal/ltscore"
	"logtank/internal/structuring"
)

// This file holds what the structuring operations (lts.md §11) share: a
// stream's rule is set by the v2 rule API (struct_rules_v2.go) or by a v3
// configuration from a template (struct_configs_v3.go), stored in the
// catalog, and applies to the lines ingested after it is set (see
// ltscore's structureEntries). The wire shapes of each API, and their
// conversion to and from a structuring.Rule, sit with its handlers; the
// conversions answer errors of the catalogue.

// structuringError maps a validation failure of package structuring onto
// the catalogue: a value outside an enumeration is LTS.1901, anything else
// LTS.0009; both keep the message, which names the field.
func structuringError(err error) error {
	var se *structuring.Error
	if errors.As(err, &se) && se.Kind == structuring.NotInList {
		return ltscore.ErrNotInList.WithMsg("%s", se.Msg)
	}
	if errors.As(err, &se) {
		return invalid("%s", se.Msg)
	}
	return invalid("%v", err)
}

// checkStream answers LTS.0009 for a missing id, LTS.0201 when the group is
// not the project's and LTS.0208 when the stream is not the group's.
func (s *Service) checkStream(r *http.Request, project, groupField, groupID, streamField, streamID string) error {
	switch {
	case groupID == "":
		return invalid("%s is required", groupField)
	case streamID == "":
		return invalid("%s is required", streamField)
	}
	if _, err := s.group(r, project, groupID); err != nil {
		return err
	}
	switch _, err := s.db.LogStream(r.Context(), project, groupID, streamID); {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound.WithMsg("The log stream does not existed in log group %s: %s", groupID, streamID)
	case err != nil:
		return internalFailure(ltscore.ErrInternal, err)
	}
	return nil
}

// writeText answers a plain-text body: the SDK hands the v2 and v3 rule
// operations' bodies to the caller as a raw string (Body *string), so the
// rule id, unquoted, is what a caller can use directly.
func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}

// existingRule returns the stream's stored rule, and whether there is one.
func (s *Service) existingRule(ctx context.Context, project, streamID string) (catalog.StructRule, bool, error) {
	prev, err := s.db.StructRuleOfStream(ctx, project, streamID)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return prev, false, nil
	case err != nil:
		return prev, false, internalFailure(ltscore.ErrInternal, err)
	}
	return prev, true, nil
}

// saveRule stores rule as the stream's rule (keeping the id of the rule it
// replaces), refreshes the ingestion cache and answers the rule id.
func (s *Service) saveRule(w http.ResponseWriter, r *http.Request, sr catalog.StructRule, prev catalog.StructRule, replaces bool, rule structuring.Rule, status int) error {
	text, err := json.Marshal(rule)
	if err != nil {
		return internalFailure(ltscore.ErrInternal, err)
	}
	now := s.core.Now().UnixMilli()
	sr.Rule, sr.ID, sr.CreatedMS, sr.UpdatedMS = string(text), uuid.NewString(), now, now
	if replaces {
		sr.ID, sr.CreatedMS = prev.ID, prev.CreatedMS
		if sr.UpdatedMS <= prev.UpdatedMS {
			// The cache tells rules apart by id and update time: a change
			// within the same millisecond must still look new.
			sr.UpdatedMS = prev.UpdatedMS + 1
		}
	}
	if err := s.streamConfigSaved(r.Context(), s.db.PutStructRule(r.Context(), sr)); err != nil {
		return err
	}
	writeText(w, status, sr.ID)
	return nil
}

// streamConfigSaved answers the storing of a stream's rule or index
// configuration: a stream gone meanwhile is LTS.0208, any other failure
// internal; once stored, the core's cache is refreshed.
func (s *Service) streamConfigSaved(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return ltscore.ErrStreamNotFound
	case err != nil:
		return internalFailure(ltscore.ErrInternal, err)
	}
	return s.reloadStreams(ctx)
}
