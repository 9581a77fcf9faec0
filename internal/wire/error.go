package wire

import (
	"fmt"
	"net/http"
	"strconv"
)

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

// WriteError renders e in its shape. Code and message are always non-empty
// strings, because the SDK falls back to the raw body text otherwise. The
// request id header is set by the server before any handler runs, so it is
// already on w.
func WriteError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	switch e.Shape {
	case ShapeAMS:
		WriteJSON(w, e.Status, struct {
			Code string `json:"errorCode"`
			Msg  string `json:"errorMessage"`
		}{e.Code, e.Msg})
	case ShapeIngest:
		WriteJSON(w, e.Status, struct {
			Code   string `json:"errorCode"`
			Msg    string `json:"errorMessage"`
			Code2  string `json:"error_code"`
			Msg2   string `json:"error_msg"`
			Result any    `json:"result"`
		}{e.Code, e.Msg, e.Code, e.Msg, nil})
	case ShapePrometheus:
		WriteJSON(w, e.Status, struct {
			Status string `json:"status"`
			Code   string `json:"errorType"`
			Msg    string `json:"error"`
		}{"error", e.Code, e.Msg})
	default:
		WriteJSON(w, e.Status, struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}{e.Code, e.Msg})
	}
}

// Internal is a failure whose cause goes to the server's log, while the
// client gets only Err, so no internal detail leaks into a response.
type Internal struct {
	Err   *Error
	Cause error
}

func (e *Internal) Error() string { return e.Err.Error() + ": " + e.Cause.Error() }
func (e *Internal) Unwrap() error { return e.Cause }
