package lts

import (
	"net/http"

	"logtank/internal/wire"
)

// The LTS error catalogue: status, code and message as the service sends them.
var (
	ErrNotJSON          = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0007", Msg: "The request body format must be json"}
	ErrInvalid          = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0009", Msg: "Failed to validate the request body"}
	ErrGroupExists      = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0101", Msg: "Failed to create log group, the group name has been existed"}
	ErrGroupQuota       = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0104", Msg: "Failed to create log group, the number of log groups exceeds the quota"}
	ErrGroupNotFound    = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0201", Msg: "The log group is not existed"}
	ErrStreamExists     = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0205", Msg: "The log stream name has been existed"}
	ErrStreamQuota      = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0206", Msg: "Failed to create log stream, the number of Log streams exceeds the quota"}
	ErrStreamNotFound   = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0208", Msg: "The log stream does not existed"}
	ErrGroupInTransfer  = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0105", Msg: "Log group is associated by transfer"}
	ErrStreamInTransfer = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0207", Msg: "Log stream is associated by transfer"}
	ErrTransferNotFound = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0405", Msg: "The log transfer does not existed"}
	ErrNoBucket         = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0416", Msg: "obs bucket does not exist"}
	ErrNotInList        = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.1901", Msg: "The value is not in the list"}
	ErrBadPattern       = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.1902", Msg: "The value is invalid, please verify if it's provided as required"}
	ErrBucketDenied     = &wire.Error{Status: http.StatusForbidden, Code: "LTS.0018", Msg: "Current user does not have the permission to operate obs"}
	ErrTransferType     = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0001", Msg: "Invalid log transfer type"}
	ErrUnauthorized     = &wire.Error{Status: http.StatusUnauthorized, Code: "LTS.0003", Msg: "Invalid token"}
	ErrWrongProject     = &wire.Error{Status: http.StatusForbidden, Code: "LTS.0001", Msg: "Invalid projectId"}
	ErrTooLarge         = &wire.Error{Status: http.StatusRequestEntityTooLarge, Code: "LTS.0009", Msg: "The request body is too large"}
	ErrInternal         = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0010", Msg: "The system encountered an internal error"}
	ErrCreateGroup      = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0102", Msg: "Failed to create log group"}
	ErrDeleteGroup      = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0103", Msg: "Failed to delete log group"}
	ErrUpdateGroup      = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0107", Msg: "Failed to update log group"}
	ErrCreateStream     = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0202", Msg: "Failed to create Log stream"}
	ErrDeleteStream     = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0203", Msg: "Failed to delete Log stream"}
	ErrStructQuery      = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0202", Msg: "Failed to query lts struct log"}
	ErrUpdateStream     = &wire.Error{Status: http.StatusInternalServerError, Code: "LTS.0204", Msg: "Failed to update log stream"}
	// Structuring (lts.md §11): a stream without a rule, a v3 template
	// that does not resolve, a v3 update with nothing to update.
	ErrStructNotFound     = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.0102", Msg: "Query empty."}
	ErrTemplateInvalid    = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.2014", Msg: "template_id is invalid!"}
	ErrUpdateStructConfig = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.2016", Msg: "Failed to update struct config"}
	ErrFindTemplate       = &wire.Error{Status: http.StatusBadRequest, Code: "LTS.2017", Msg: "Find struct template failed."}
)

// Errors are the LTS answers the server gives on the service's behalf.
var Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error {
		return ErrUnauthorized.WithMsg("Invalid token: incorrect IAM authentication information: %s", reason)
	},
	WrongProject: func() *wire.Error { return ErrWrongProject },
	Invalid:      func(reason string) *wire.Error { return invalid("%s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return ErrTooLarge.WithMsg("The request body is larger than the limit of %d bytes", limit)
	},
	Internal: func() *wire.Error { return ErrInternal },
}

func invalid(format string, args ...any) *wire.Error {
	return ErrInvalid.WithMsg("Failed to validate the request body: "+format, args...)
}

// ErrUnavailable: the logs cannot be stored for now (a full or failing
// disk). The service lists 503 among its statuses without a code for it,
// so the code is ours. Clients retry after Retry-After seconds.
var ErrUnavailable = &wire.Error{Status: http.StatusServiceUnavailable, Code: "LTS.0012",
	Msg: "The service cannot store logs for now, retry later", RetryAfter: 5}
