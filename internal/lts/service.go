package lts

import (
	"time"

	"logtank/internal/catalog"
	"logtank/internal/wire"
)

// Service is the LTS API. It is safe for concurrent use.
type Service struct {
	db  *catalog.DB
	now func() time.Time
}

// New returns the service over db.
func New(db *catalog.DB) *Service { return &Service{db: db, now: time.Now} }

// API returns the LTS routes for the server to mount. The handlers are
// method values, so API works on a nil *Service to list the routes.
func (s *Service) API() wire.Service {
	return wire.Service{
		Name:   "lts",
		Errors: Errors,
		Routes: []wire.Route{
			{Method: "POST", Pattern: "/v2/{project_id}/groups", Handle: s.createGroup},
			{Method: "GET", Pattern: "/v2/{project_id}/groups", Handle: s.listGroups},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}", Handle: s.updateGroup},
			{Method: "DELETE", Pattern: "/v2/{project_id}/groups/{log_group_id}", Handle: s.deleteGroup},
			{Method: "POST", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams", Handle: s.createStream},
			{Method: "GET", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams", Handle: s.listGroupStreams},
			{Method: "DELETE", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams/{log_stream_id}", Handle: s.deleteStream},
			{Method: "PUT", Pattern: "/v2/{project_id}/groups/{log_group_id}/streams-ttl/{log_stream_id}", Handle: s.updateStream},
			{Method: "GET", Pattern: "/v2/{project_id}/log-streams", Handle: s.listAllStreams},
		},
	}
}
