package fgs

import (
	"fmt"
	"net/http"
	"strings"

	"logtank/internal/wire"
)

// The FunctionGraph error catalogue: status, code and message as the
// service sends them. Handlers refine the message with WithMsg to say
// which input was wrong.
var (
	ErrInvalid          = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.0400", Msg: "Invalid parameter."}
	ErrUnauthorized     = &wire.Error{Status: http.StatusUnauthorized, Code: "FSS.0401", Msg: "Unauthorized access."}
	ErrForbidden        = &wire.Error{Status: http.StatusForbidden, Code: "FSS.0403", Msg: "Forbidden"}
	ErrTooLarge         = &wire.Error{Status: http.StatusRequestEntityTooLarge, Code: "FSS.0413", Msg: "The request body is too large."}
	ErrTooManyRequests  = &wire.Error{Status: http.StatusTooManyRequests, Code: "FSS.0429", Msg: "Too many requests."}
	ErrInternal         = &wire.Error{Status: http.StatusInternalServerError, Code: "FSS.0500", Msg: "Internal server error."}
	ErrUnavailable      = &wire.Error{Status: http.StatusServiceUnavailable, Code: "FSS.0503", Msg: "Service unavailable."}
	ErrQuery            = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1001", Msg: "Invalid query parameter."}
	ErrFuncName         = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1002", Msg: "Invalid function name."}
	ErrHandler          = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1003", Msg: "Invalid function handler."}
	ErrPackage          = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1004", Msg: "Invalid Package (function app)."}
	ErrRuntime          = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1005", Msg: "Invalid runtime."}
	ErrCodeType         = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1006", Msg: "Invalid function code entry mode."}
	ErrMemory           = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1007", Msg: "Invalid function memory."}
	ErrTimeout          = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1008", Msg: "Invalid function timeout."}
	ErrUserData         = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1009", Msg: "Invalid function UserData."}
	ErrURL              = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1010", Msg: "Invalid URL."}
	ErrCode             = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1011", Msg: "Invalid function code."}
	ErrCodeRequired     = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1012", Msg: "The function code must be configured."}
	ErrAlias            = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1014", Msg: "Invalid function alias."}
	ErrVersion          = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1015", Msg: "Invalid function version."}
	ErrUnchanged        = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1016", Msg: "The function cannot be published because no changes have been made since last publication."}
	ErrUserDataItems    = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1017", Msg: "The number of items in the UserData field exceeds the maximum allowed limit (20)."}
	ErrUserDataSize     = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1018", Msg: "The total size of the UserData field exceeds the maximum allowed limit (4 KB)."}
	ErrDescription      = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1019", Msg: "The description exceeds the maximum allowed limit."}
	ErrConcurrency      = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1026", Msg: "Invalid Concurrency."}
	ErrFunctionQuota    = &wire.Error{Status: http.StatusForbidden, Code: "FSS.1041", Msg: "The number of functions exceeds the maximum allowed limit."}
	ErrAliasQuota       = &wire.Error{Status: http.StatusForbidden, Code: "FSS.1043", Msg: "The number of aliases exceeds the maximum allowed limit."}
	ErrFunctionNotFound = &wire.Error{Status: http.StatusNotFound, Code: "FSS.1051", Msg: "Not found the function"}
	ErrVersionNotFound  = &wire.Error{Status: http.StatusNotFound, Code: "FSS.1052", Msg: "The version does not exist."}
	ErrAliasNotFound    = &wire.Error{Status: http.StatusNotFound, Code: "FSS.1053", Msg: "Not found the function alias"}
	ErrFunctionExists   = &wire.Error{Status: http.StatusConflict, Code: "FSS.1061", Msg: "The function already exists."}
	ErrVersionExists    = &wire.Error{Status: http.StatusConflict, Code: "FSS.1062", Msg: "The version already exists."}
	ErrAliasExists      = &wire.Error{Status: http.StatusConflict, Code: "FSS.1063", Msg: "The alias already exists."}
	ErrVersionAliased   = &wire.Error{Status: http.StatusConflict, Code: "FSS.1066", Msg: "The version is already in use by another alias."}
	ErrPackageTooLarge  = &wire.Error{Status: http.StatusRequestEntityTooLarge, Code: "FSS.1071", Msg: "The size of the code package to be uploaded exceeds the maximum allowed limit (50 MB)."}
	ErrInlineTooLarge   = &wire.Error{Status: http.StatusRequestEntityTooLarge, Code: "FSS.1072", Msg: "The size of the inline code exceeds the maximum allowed limit (10 KB)."}
	ErrAdditional       = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1091", Msg: "The additional version is invalid."}
	ErrWeight           = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1092", Msg: "The weight of the additional version is invalid."}
	ErrSameVersion      = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1093", Msg: "The major version and the additional version cannot be the same."}
	ErrAdditionalInUse  = &wire.Error{Status: http.StatusForbidden, Code: "FSS.1094", Msg: "The version cannot be deleted because it has been used as the additional version of an alias."}
	ErrURN              = &wire.Error{Status: http.StatusBadRequest, Code: "FSS.1309", Msg: "Invalid function URN."}
)

// Errors are the FunctionGraph answers the server gives on the service's behalf.
var Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error {
		return ErrUnauthorized.WithMsg("Unauthorized access: %s", reason)
	},
	WrongProject: func() *wire.Error {
		return ErrForbidden.WithMsg("Forbidden: the project in the path is not the caller's project")
	},
	Invalid: func(reason string) *wire.Error { return ErrInvalid.WithMsg("Invalid parameter: %s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return ErrTooLarge.WithMsg("The request body is too large: the limit is %d bytes", limit)
	},
	Internal: func() *wire.Error { return ErrInternal },
}

// fail refines a catalogue error: its message followed by the detail.
func fail(e *wire.Error, format string, args ...any) *wire.Error {
	return e.WithMsg("%s: %s", strings.TrimSuffix(e.Msg, "."), fmt.Sprintf(format, args...))
}

// internal wraps an unexpected failure: the server logs the cause and the
// client gets FSS.0500 only.
func internal(cause error) error {
	return &wire.Internal{Err: ErrInternal, Cause: cause}
}
