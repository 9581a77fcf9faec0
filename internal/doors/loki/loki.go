// Package loki is the Loki push door: what Promtail, Grafana Alloy's
// loki.write, Fluent Bit's loki output and Vector's loki sink send to
// Loki's push API, protobuf compressed as a snappy block (their default)
// or JSON (optionally gzip), turned into LTS lines through the LTS core.
//
// Each Loki stream of a push is one batch: its label set (the Prometheus
// text form, {app="web", env="prod"}) becomes the lines' LTS labels; each
// entry is a line, its timestamp the line's time, its structured metadata
// text fields (the first 128 names; a name given twice keeps its last
// value). Where the lines go is the rule of every door (internal/doors):
// a push holds many label sets that no single stream name is drawn from.
//
// Loki answers 204 with no body. A push it cannot read is a 400 saying
// what is wrong, and nothing of it is stored. Lines the core refuses
// (outside the stream's TTL, too large) are left out while the rest is
// stored, and the answer is a 400 naming the first refused: that is what
// Loki answers then, and its clients do not retry a 400, so no line is
// stored twice.
//
// It decodes the protobuf by hand after Loki's public push.proto, with
// protowire (the Loki module is AGPL and is not used), and never stores
// anything but through the core.
package loki

import (
	"mime"
	"net/http"
	"strings"

	"logtank/internal/doors"
	"logtank/internal/lts"
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// Path is the push route: a client's URL is
// http://HOST:8102/v2/{project_id}/loki/api/v1/push.
const Path = "/v2/{project_id}/loki/api/v1/push"

// maxFields bounds the structured fields (structured metadata) of a line,
// as the OTLP door bounds its attributes.
const maxFields = 128

const (
	contentProto = "application/x-protobuf"
	contentJSON  = "application/json"
)

// Door serves Loki push.
type Door struct{ core *ltscore.Core }

// New returns the door in front of core.
func New(core *ltscore.Core) *Door { return &Door{core: core} }

// API returns the door's route. Clients sign in with HTTP basic auth
// (access key and secret key), as well as with a token or a signature.
func (d *Door) API() wire.Service {
	return wire.Service{
		Name:      "loki",
		Errors:    lts.Errors,
		BodyLimit: doors.BodyLimit,
		BasicAuth: true,
		Routes:    []wire.Route{{Method: "POST", Pattern: Path, Handle: d.push}},
	}
}

func (d *Door) push(w http.ResponseWriter, r *http.Request) error {
	batches, err := decode(r)
	if err != nil {
		return err
	}
	t, err := doors.Target(r, d.core, "")
	if err != nil {
		return err
	}
	refused, err := d.core.IngestEach(r.Context(), t, batches...)
	if err != nil {
		return err
	}
	if refused.Lines > 0 {
		return ltscore.Invalid("%d lines were refused and the others stored; the first refused: %s", refused.Lines, refused.First)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decode reads a push request's batches. As Loki does, a request without
// a Content-Type is protobuf, and protobuf is always a snappy block: a
// Content-Encoding of snappy (which some clients add) says nothing more,
// while gzip would wrap that block. A push of no entries stores nothing
// and is answered 204, as Loki does.
func decode(r *http.Request) ([]ltscore.Batch, error) {
	raw := r.Header.Get("Content-Type")
	ct, _, _ := mime.ParseMediaType(raw)
	if raw == "" {
		ct = contentProto
	}
	if ct != contentProto && ct != contentJSON {
		return nil, ltscore.Invalid("Content-Type must be %s (snappy-compressed) or %s, got %q", contentProto, contentJSON, raw)
	}
	var body []byte
	var err error
	if ct == contentProto && strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "snappy") {
		body = wire.Body(r)
	} else if body, err = wire.DecodedBody(r, doors.DecompressedLimit); err != nil {
		return nil, ltscore.Invalid("%v", err)
	}
	var batches []ltscore.Batch
	if ct == contentJSON {
		batches, err = decodeJSON(body)
	} else if body, err = wire.SnappyBlock(body, doors.DecompressedLimit); err == nil {
		batches, err = decodeProto(body)
	}
	if err != nil {
		return nil, ltscore.Invalid("%v", err)
	}
	return batches, nil
}
