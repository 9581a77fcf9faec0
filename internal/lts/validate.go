package lts

import (
	"errors"
	"net/http"

	"logtank/internal/ltscore"
	"logtank/internal/wire"
)

// decode reads the request body into v, mapping decoding failures to the
// catalogue: LTS.0007 for a body that is not JSON, LTS.0009 naming the field
// for a mistyped one.
func decode(r *http.Request, v any) error { return decodeJSON(wire.Body(r), v) }

func decodeJSON(b []byte, v any) error {
	err := wire.Decode(b, v)
	var fe *wire.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return invalid("%s %s", fe.Field, fe.Reason)
	default:
		return ltscore.ErrNotJSON
	}
}

// ttlOf is a request's ttl_in_days as the core reads it.
func ttlOf(v wire.Int) ltscore.TTL { return ltscore.TTL{Days: v.Value, Set: v.Set} }

// tag is one element of the "tags" array of create and update requests.
type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// tagsOf is a request's tags as the core reads them: nil when the
// request carried none.
func tagsOf(tags *[]tag) []ltscore.Tag {
	if tags == nil {
		return nil
	}
	out := make([]ltscore.Tag, len(*tags))
	for i, t := range *tags {
		out[i] = ltscore.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}
