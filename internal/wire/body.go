package wire

import (
	"context"
	"net/http"
)

type bodyKey struct{}

// WithBody returns ctx carrying the request body the server has read (it
// reads it whole, within the limit, to verify signatures).
func WithBody(ctx context.Context, body []byte) context.Context {
	return context.WithValue(ctx, bodyKey{}, body)
}

// Body returns the request body the server read for r.
func Body(r *http.Request) []byte {
	b, _ := r.Context().Value(bodyKey{}).([]byte)
	return b
}
