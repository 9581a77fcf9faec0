package wire

import (
	"fmt"
	"net/http"
)

// Error is a service error as a client sees it: an HTTP status and a body
// with a code and a message. Services build them from their catalogues.
type Error struct {
	Status int
	Code   string
	Msg    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// WithMsg returns a copy of e whose message says more precisely what was wrong.
func (e *Error) WithMsg(format string, args ...any) *Error {
	c := *e
	c.Msg = fmt.Sprintf(format, args...)
	return &c
}

// body is the JSON shape of every error: both keys are always non-empty
// strings, because the SDK falls back to the raw body text otherwise.
type errorBody struct {
	Code string `json:"error_code"`
	Msg  string `json:"error_msg"`
}

// WriteError renders e. The request id header is set by the server before
// any handler runs, so it is already on w.
func WriteError(w http.ResponseWriter, e *Error) {
	WriteJSON(w, e.Status, errorBody{Code: e.Code, Msg: e.Msg})
}

// Internal is a failure whose cause goes to the server's log, while the
// client gets only Err, so no internal detail leaks into a response.
type Internal struct {
	Err   *Error
	Cause error
}

func (e *Internal) Error() string { return e.Err.Error() + ": " + e.Cause.Error() }
func (e *Internal) Unwrap() error { return e.Cause }
