// Package doors holds what the ingestion doors for shippers' protocols
// (OTLP, Elasticsearch bulk, Loki push, syslog) share: which log stream a
// request writes to, and the limits and error answers of their HTTP
// routes.
//
// A door is a thin decoder in front of the LTS core's ingestion: it turns
// a protocol's batch into ltscore.Batch values and lets the core check,
// structure and store them, so a line is acknowledged only once it is in
// the synced write-ahead log, as through the LTS report APIs. Doors never
// write to the log engine or the catalog themselves.
package doors

import (
	"net/http"

	"logtank/internal/lts"
	"logtank/internal/ltscore"
)

// Request limits of every door: the body as sent, and once decompressed.
const (
	BodyLimit         = lts.IngestBodyLimit
	DecompressedLimit = 32 << 20
)

// Headers and query parameters that route a request to a stream.
const (
	GroupHeader  = "X-LTS-Log-Group"
	StreamHeader = "X-LTS-Log-Stream"
	GroupParam   = "group"
	StreamParam  = "stream"
)

// Target is the stream of the path's project that a shipper's request
// writes to. The rule is the same for every door: the headers
// X-LTS-Log-Group and X-LTS-Log-Stream, or else the query parameters group
// and stream (for shippers that cannot set headers), each an id or a
// name; a door whose protocol names a stream itself (an Elasticsearch
// index) passes it as fallback for when the request names none. A missing
// one is LTS.0009 saying how to name it; an unknown group or stream is
// LTS.0201 or LTS.0208, as is any stream of another project.
func Target(r *http.Request, core *ltscore.Core, fallback string) (ltscore.Target, error) {
	group, stream := Names(r)
	if stream == "" {
		stream = fallback
	}
	if group == "" || stream == "" {
		return ltscore.Target{}, ltscore.Invalid("name the log group and stream to write to with the headers %s and %s, or the query parameters %s and %s (ids or names)",
			GroupHeader, StreamHeader, GroupParam, StreamParam)
	}
	return core.ResolveForShipper(r.Context(), r.PathValue("project_id"), group, stream)
}

// Names returns the group and stream a request names, by header or else
// by query parameter; either may be empty.
func Names(r *http.Request) (group, stream string) {
	group, stream = r.Header.Get(GroupHeader), r.Header.Get(StreamHeader)
	if group == "" {
		group = r.URL.Query().Get(GroupParam)
	}
	if stream == "" {
		stream = r.URL.Query().Get(StreamParam)
	}
	return group, stream
}
