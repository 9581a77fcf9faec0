package wire

import (
	"net/http"
	"strconv"

	"logtank/internal/apierr"
)

// Error is a service error as a client sees it (see apierr.Error).
type Error = apierr.Error

// Internal is a failure whose cause stays in the server's log (see
// apierr.Internal).
type Internal = apierr.Internal

// Shape is the JSON layout of an error body.
type Shape = apierr.Shape

// The error body layouts (see apierr).
const (
	ShapeCodeMsg    = apierr.ShapeCodeMsg
	ShapeAMS        = apierr.ShapeAMS
	ShapePrometheus = apierr.ShapePrometheus
	ShapeIngest     = apierr.ShapeIngest
)

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
