// Package apierr defines the error a service answers with: an HTTP status,
// a code of the service's catalogue and a message, and the shape of its
// JSON body. It sits apart from the HTTP layer so that service cores, which
// never import net/http, can return the same errors the handlers render.
//
// It never writes responses and knows no service's codes.
package apierr

import "fmt"

// Error is a service error as a client sees it: an HTTP status and a body
// with a code and a message. Services build them from their catalogues.
type Error struct {
	Status int
	Code   string
	Msg    string
	// Shape is the JSON layout of the body; the zero value is the
	// error_code/error_msg layout of LTS, IAM and FunctionGraph.
	Shape Shape
	// RetryAfter, when positive, is sent as the Retry-After header (in
	// seconds): the request may succeed if sent again after it.
	RetryAfter int
}

// Shape is the JSON layout of an error body.
type Shape int

const (
	// ShapeCodeMsg is {"error_code": Code, "error_msg": Msg}.
	ShapeCodeMsg Shape = iota
	// ShapeAMS is AOM's {"errorCode": Code, "errorMessage": Msg}.
	ShapeAMS
	// ShapePrometheus is the Prometheus HTTP API's
	// {"status": "error", "errorType": Code, "error": Msg}.
	ShapePrometheus
	// ShapeIngest is the LTS ingestion APIs' body, which carries both key
	// spellings because their client families read one or the other:
	// {"errorCode", "errorMessage", "error_code", "error_msg", "result": null}.
	ShapeIngest
)

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// InShape returns a copy of e rendered in shape s.
func (e *Error) InShape(s Shape) *Error {
	c := *e
	c.Shape = s
	return &c
}

// WithMsg returns a copy of e whose message says more precisely what was wrong.
func (e *Error) WithMsg(format string, args ...any) *Error {
	c := *e
	c.Msg = fmt.Sprintf(format, args...)
	return &c
}

// Internal is a failure whose cause goes to the server's log, while the
// client gets only Err, so no internal detail leaks into a response.
type Internal struct {
	Err   *Error
	Cause error
}

func (e *Internal) Error() string { return e.Err.Error() + ": " + e.Cause.Error() }
func (e *Internal) Unwrap() error { return e.Cause }
