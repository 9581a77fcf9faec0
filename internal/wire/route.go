package wire

import "net/http"

// HandlerFunc serves one operation. It writes a success response itself and
// returns an error for everything else; the server renders the error, so no
// handler writes an error body by hand.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one operation of a service.
type Route struct {
	Method string
	// Pattern is a net/http ServeMux path pattern, such as
	// "/v2/{project_id}/groups/{log_group_id}".
	Pattern string
	// Public routes are reachable without credentials (token issuance).
	Public bool
	Handle HandlerFunc
}

// Errors are the answers the server gives on a service's behalf, before or
// around its handlers, in the service's own error format.
type Errors struct {
	// Unauthenticated: missing, malformed, expired or wrongly signed credentials.
	Unauthenticated func(reason string) *Error
	// WrongProject: the path's project is not the caller's.
	WrongProject func() *Error
	// Invalid: a request the server cannot read, such as a broken body.
	Invalid func(reason string) *Error
	// TooLarge: the request body is over the limit.
	TooLarge func(limit int64) *Error
	// Internal: anything unexpected, including a panic in a handler.
	Internal func() *Error
}

// Service is what a service package hands to the server.
type Service struct {
	Name   string
	Routes []Route
	Errors Errors
	// BodyLimit caps request bodies in bytes; zero means the server default.
	BodyLimit int64
	// BasicAuth also accepts HTTP basic auth with an access key as user
	// name and its secret key as password, for clients (Prometheus, Grafana)
	// that know no other scheme. Only over TLS does it keep the secret safe.
	BasicAuth bool
}
