package wire

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/klauspost/compress/snappy"
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

// DecodedBody returns the request body decompressed per its
// Content-Encoding (gzip or snappy), refusing one that would expand past
// limit bytes, so that a small compressed body cannot take unbounded
// memory. Its errors say what is wrong with the body, for a 400.
func DecodedBody(r *http.Request, limit int) ([]byte, error) {
	raw := Body(r)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("the body is not valid gzip: %v", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
		if err != nil {
			return nil, fmt.Errorf("the body is not valid gzip: %v", err)
		}
		if len(out) > limit {
			return nil, fmt.Errorf("the decompressed body is larger than %d bytes", limit)
		}
		return out, nil
	case "snappy":
		return SnappyBlock(raw, limit)
	default:
		return nil, fmt.Errorf("Content-Encoding %q is not supported (gzip or snappy)", enc)
	}
}

// SnappyBlock decodes a snappy block (not the framed stream format), the
// compression that Prometheus remote write and Loki push use whatever the
// Content-Encoding says. The block states its decoded length up front: one
// past limit is refused before any memory is taken for it.
func SnappyBlock(raw []byte, limit int) ([]byte, error) {
	n, err := snappy.DecodedLen(raw)
	if err != nil {
		return nil, fmt.Errorf("the body is not valid snappy: %v", err)
	}
	if n > limit {
		return nil, fmt.Errorf("the decompressed body is larger than %d bytes", limit)
	}
	out, err := snappy.Decode(nil, raw)
	if err != nil {
		return nil, fmt.Errorf("the body is not valid snappy: %v", err)
	}
	return out, nil
}
