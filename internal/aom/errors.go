package aom

import (
	"fmt"
	"net/http"

	"logtank/internal/wire"
)

// The AOM error catalogue. AOM answers in three layouts, one per family of
// endpoints: the ams APIs (/v1/{project_id}/ams/...) in
// {"errorCode","errorMessage"}, the v2 APIs (/v2/{project_id}/series and
// samples) in {"error_code","error_msg"}, and the Prometheus-compatible API
// in the Prometheus envelope.

func ams(status int, code, msg string) *wire.Error {
	return &wire.Error{Status: status, Code: code, Msg: msg, Shape: wire.ShapeAMS}
}

// The ams errors (SVCSTG_AMS_*). Several codes carry a different message
// depending on the API, as AOM documents them.
var (
	ErrInvalidParam      = ams(http.StatusBadRequest, "SVCSTG_AMS_4000001", "Invalid request parameter.")
	ErrInvalidNamespace  = ams(http.StatusBadRequest, "SVCSTG_AMS_4000002", "Invalid namespace.")
	ErrNoDimensions      = ams(http.StatusBadRequest, "SVCSTG_AMS_4000003", "Dimensions are left blank.")
	ErrInvalidType       = ams(http.StatusBadRequest, "SVCSTG_AMS_4000005", "Invalid metric data type.")
	ErrNoValue           = ams(http.StatusBadRequest, "SVCSTG_AMS_4000006", "The metric data value is left blank.")
	ErrDimensionLength   = ams(http.StatusBadRequest, "SVCSTG_AMS_4000007", "Invalid name or value length in the dimension.")
	ErrTooLarge          = ams(http.StatusBadRequest, "SVCSTG_AMS_4000008", "The request exceeds 40 KB.")
	ErrTooManyDimensions = ams(http.StatusBadRequest, "SVCSTG_AMS_4000009", "A metric supports a maximum of 20 dimensions.")
	ErrCollectTime       = ams(http.StatusBadRequest, "SVCSTG_AMS_4000010", "Invalid collection time.")
	ErrQueryNamespace    = ams(http.StatusBadRequest, "SVCSTG_AMS_4000101", "Invalid namespace.")
	ErrInventoryID       = ams(http.StatusBadRequest, "SVCSTG_AMS_4000102", "Invalid inventoryId.")
	ErrPeriod            = ams(http.StatusBadRequest, "SVCSTG_AMS_4000103", "Invalid period.")
	ErrStatistics        = ams(http.StatusBadRequest, "SVCSTG_AMS_4000104", "Invalid statistics.")
	ErrMetrics           = ams(http.StatusBadRequest, "SVCSTG_AMS_4000105", "Invalid metrics.")
	ErrLimit             = ams(http.StatusBadRequest, "SVCSTG_AMS_4000105", "Invalid limit.")
	ErrTimeRange         = ams(http.StatusBadRequest, "SVCSTG_AMS_4000106", "Invalid time range.")
	ErrStart             = ams(http.StatusBadRequest, "SVCSTG_AMS_4000106", "Invalid start (offset).")
	ErrTooManyPoints     = ams(http.StatusBadRequest, "SVCSTG_AMS_4000107", "The number of data points in a time range exceeds 1440.")
	ErrMetricName        = ams(http.StatusBadRequest, "SVCSTG_AMS_4000109", "Invalid metric name.")
	ErrFillValue         = ams(http.StatusBadRequest, "SVCSTG_AMS_4000110", "Invalid fillValue.")
	ErrAuth              = ams(http.StatusUnauthorized, "SVCSTG.AMS.2000051", "auth failed")
	ErrForbidden         = ams(http.StatusForbidden, "AOM.0403", "Forbidden")
	ErrInternal          = ams(http.StatusInternalServerError, "SVCSTG_AMS_5000000", "Internal server error.")
	ErrStorage           = ams(http.StatusServiceUnavailable, "SVCSTG_AMS_5030002", "The storage execution is abnormal.")
	// ErrUnreachable answers for a node of a cluster that forwards AOM
	// requests while the metrics node cannot be reached. AOM's code for a
	// storage it has no session with fits: the request may be sent again.
	ErrUnreachable = unreachable(ams(http.StatusServiceUnavailable, "SVCSTG_AMS_5030001", "The storage session is unavailable: the metrics node cannot be reached."))
)

// unreachableRetry is the Retry-After of the unreachable answers, in
// seconds: long enough for a restarting metrics node, short enough that a
// client's retry is not held up after it is back.
const unreachableRetry = 5

func unreachable(e *wire.Error) *wire.Error {
	e.RetryAfter = unreachableRetry
	return e
}

// detail returns e with the reason appended to its documented message, so
// that the client learns which field was wrong and why.
func detail(e *wire.Error, format string, args ...any) *wire.Error {
	return e.WithMsg("%s %s", e.Msg, fmt.Sprintf(format, args...))
}

// Errors are the ams answers the server gives on the service's behalf.
var Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error { return ErrAuth.WithMsg("auth failed: %s", reason) },
	WrongProject:    func() *wire.Error { return ErrForbidden },
	Invalid:         func(reason string) *wire.Error { return detail(ErrInvalidParam, "%s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return detail(ErrTooLarge, "The body is larger than %d bytes.", limit)
	},
	Internal: func() *wire.Error { return ErrInternal },
}

func v2(status int, code, msg string) *wire.Error {
	return &wire.Error{Status: status, Code: code, Msg: msg, Shape: wire.ShapeCodeMsg}
}

// The v2 errors, in the error_code/error_msg layout of AOM's newer APIs.
var (
	ErrV2Param     = v2(http.StatusBadRequest, "AOM.04007001", "please check request param")
	ErrV2Auth      = v2(http.StatusUnauthorized, "SVCSTG.AMS.2000051", "auth failed")
	ErrV2Forbidden = v2(http.StatusForbidden, "AOM.0403", "Forbidden")
	ErrV2TooLarge  = v2(http.StatusRequestEntityTooLarge, "AOM.04007001", "please check request param")
	ErrV2Internal  = v2(http.StatusInternalServerError, "SVCSTG_AMS_5000000", "Internal server error.")
	ErrV2Storage   = v2(http.StatusServiceUnavailable, "SVCSTG_AMS_5030002", "The storage execution is abnormal.")
	// ErrV2Unreachable is ErrUnreachable in the v2 layout.
	ErrV2Unreachable = ErrUnreachable.InShape(wire.ShapeCodeMsg)
)

func v2param(format string, args ...any) *wire.Error {
	return ErrV2Param.WithMsg("please check request param: "+format, args...)
}

// V2Errors are the v2 answers the server gives on the service's behalf.
var V2Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error { return ErrV2Auth.WithMsg("auth failed: %s", reason) },
	WrongProject:    func() *wire.Error { return ErrV2Forbidden },
	Invalid:         func(reason string) *wire.Error { return v2param("%s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return ErrV2TooLarge.WithMsg("please check request param: the body is larger than %d bytes", limit)
	},
	Internal: func() *wire.Error { return ErrV2Internal },
}

func prom(status int, errorType, msg string) *wire.Error {
	return &wire.Error{Status: status, Code: errorType, Msg: msg, Shape: wire.ShapePrometheus}
}

// The Prometheus-compatible API's errors: errorType and error, as AOM sends
// them (AOM says bad_param where Prometheus says bad_data).
var (
	ErrPromParam     = prom(http.StatusBadRequest, "bad_param", "param is invalid.")
	ErrPromAuth      = prom(http.StatusUnauthorized, "auth", "auth failed.")
	ErrPromForbidden = prom(http.StatusForbidden, "auth", "auth project_id not pass.")
	ErrPromExec      = prom(http.StatusUnprocessableEntity, "execution", "query execution failed.")
	ErrPromTimeout   = prom(http.StatusServiceUnavailable, "timeout", "query timed out.")
	ErrPromCanceled  = prom(http.StatusServiceUnavailable, "canceled", "query was canceled.")
	ErrPromInternal  = prom(http.StatusInternalServerError, "internal", "internal server error.")
	// ErrPromUnreachable is ErrUnreachable in the Prometheus envelope, with
	// the error type Prometheus gives when its storage is unavailable.
	ErrPromUnreachable = unreachable(prom(http.StatusServiceUnavailable, "unavailable", "the metrics node cannot be reached."))
)

func promParam(format string, args ...any) *wire.Error {
	return ErrPromParam.WithMsg("param is invalid. "+format, args...)
}

// PromErrors are the Prometheus-compatible API's answers the server gives on
// the service's behalf.
var PromErrors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error { return ErrPromAuth.WithMsg("auth failed: %s", reason) },
	WrongProject:    func() *wire.Error { return ErrPromForbidden },
	Invalid:         func(reason string) *wire.Error { return promParam("%s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return promParam("The body is larger than %d bytes.", limit)
	},
	Internal: func() *wire.Error { return ErrPromInternal },
}
