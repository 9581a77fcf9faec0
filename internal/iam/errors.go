package iam

import (
	"net/http"

	"logtank/internal/wire"
)

// The IAM error catalogue. Bodies use error_code/error_msg, which the SDKs decode.
var (
	ErrNotJSON      = &wire.Error{Status: http.StatusBadRequest, Code: "IAM.0007", Msg: "The request body format must be json"}
	ErrInvalid      = &wire.Error{Status: http.StatusBadRequest, Code: "IAM.0009", Msg: "Failed to validate the request body"}
	ErrBadPassword  = &wire.Error{Status: http.StatusUnauthorized, Code: "IAM.0002", Msg: "The username or password is wrong."}
	ErrUnauthorized = &wire.Error{Status: http.StatusUnauthorized, Code: "IAM.0003", Msg: "Invalid token"}
	ErrForbidden    = &wire.Error{Status: http.StatusForbidden, Code: "IAM.0004", Msg: "You have no permission to perform this operation"}
	ErrNotFound     = &wire.Error{Status: http.StatusNotFound, Code: "IAM.0005", Msg: "The resource could not be found"}
	ErrConflict     = &wire.Error{Status: http.StatusConflict, Code: "IAM.0006", Msg: "The resource already exists"}
	ErrTooLarge     = &wire.Error{Status: http.StatusRequestEntityTooLarge, Code: "IAM.0008", Msg: "The request body is too large"}
	// ErrThrottled is what Huawei's API gateway answers a throttled call.
	ErrThrottled      = &wire.Error{Status: http.StatusTooManyRequests, Code: "APIGW.0308", Msg: "The request is throttled"}
	ErrInternal       = &wire.Error{Status: http.StatusInternalServerError, Code: "IAM.0010", Msg: "The system encountered an internal error"}
	errProjectForward = &wire.Error{Status: http.StatusForbidden, Code: "IAM.0001", Msg: "Invalid projectId"}
)

// Errors are the IAM answers the server gives on the service's behalf.
var Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error { return ErrUnauthorized.WithMsg("Invalid token: %s", reason) },
	WrongProject:    func() *wire.Error { return errProjectForward },
	Invalid:         func(reason string) *wire.Error { return ErrInvalid.WithMsg("%s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return ErrTooLarge.WithMsg("The request body is larger than %d bytes", limit)
	},
	Internal: func() *wire.Error { return ErrInternal },
}
