package lts

import (
	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// Errors are the LTS answers the server gives on the service's behalf.
var Errors = wire.Errors{
	Unauthenticated: func(reason string) *wire.Error {
		return ltscore.ErrUnauthorized.WithMsg("Invalid token: incorrect IAM authentication information: %s", reason)
	},
	WrongProject: func() *wire.Error { return ltscore.ErrWrongProject },
	Invalid:      func(reason string) *wire.Error { return invalid("%s", reason) },
	TooLarge: func(limit int64) *wire.Error {
		return ltscore.ErrTooLarge.WithMsg("The request body is larger than the limit of %d bytes", limit)
	},
	Internal: func() *wire.Error { return ltscore.ErrInternal },
}

func invalid(format string, args ...any) *wire.Error { return ltscore.Invalid(format, args...) }

// internalFailure wraps an unexpected failure (of the catalog, the log
// engine...) in the operation's own 500 error: the server logs the cause
// and sends only the catalogue message.
func internalFailure(e *wire.Error, cause error) error {
	return &wire.Internal{Err: e, Cause: cause}
}
