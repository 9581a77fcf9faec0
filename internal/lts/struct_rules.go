package lts

import (
	"context"
	"net/http"
)

// This file holds what the structuring operations (lts.md §11) share: a
// stream's rule is set by the v2 rule API (struct_rules_v2.go) or by a v3
// configuration from a template (struct_configs_v3.go) through the core
// (ltscore's rules.go), which stores it and applies it to the lines
// ingested after. The wire shapes of each API, and their conversion to and
// from a structuring.Rule, sit with its handlers; the conversions answer
// errors of the catalogue.

// checkStream answers LTS.0009 for a missing id, then asks the core
// whether the stream is the group's and the group the project's; the
// operations check a stream before they read the rest of the body.
func (s *Service) checkStream(ctx context.Context, project, groupField, groupID, streamField, streamID string) error {
	switch {
	case groupID == "":
		return invalid("%s is required", groupField)
	case streamID == "":
		return invalid("%s is required", streamField)
	}
	return s.core.CheckStream(ctx, project, groupID, streamID)
}

// writeText answers a plain-text body: the SDK hands the v2 and v3 rule
// operations' bodies to the caller as a raw string (Body *string), so the
// rule id, unquoted, is what a caller can use directly.
func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}
