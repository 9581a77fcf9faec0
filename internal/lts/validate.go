package lts

import (
	"errors"
	"logtank/internal/ltscore"
	"net/http"
	"strings"
	"unicode/utf8"

	"logtank/internal/wire"
)

// Quotas of the service, as documented.
const (
	MaxGroupsPerProject = 100
	MaxStreamsPerGroup  = 100
	MinTTLDays          = 1
	MaxTTLDays          = 365
	maxNameLen          = 64
	maxTags             = 20
	maxTagKeyLen        = 128
	maxTagValueLen      = 255
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

// checkName applies the naming rule of groups and streams: 1-64 letters,
// digits, '_', '-' and '.', not starting with '.' or '_', not ending with '.'.
func checkName(field, name string) error {
	if name == "" {
		return invalid("%s is required", field)
	}
	if len(name) > maxNameLen {
		return invalid("%s must be at most %d characters", field, maxNameLen)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return invalid("%s may contain only letters, digits, '_', '-' and '.', found %q", field, c)
		}
	}
	if name[0] == '.' || name[0] == '_' || name[len(name)-1] == '.' {
		return invalid("%s must not start with '.' or '_' nor end with '.'", field)
	}
	return nil
}

func checkAlias(field, alias string) error {
	if utf8.RuneCountInString(alias) > maxNameLen {
		return invalid("%s must be at most %d characters", field, maxNameLen)
	}
	return nil
}

func checkTTL(ttl wire.Int, required bool) error {
	if !ttl.Set {
		if required {
			return invalid("ttl_in_days is required")
		}
		return nil
	}
	if ttl.Value < MinTTLDays || ttl.Value > MaxTTLDays {
		return invalid("ttl_in_days must be between %d and %d, got %d", MinTTLDays, MaxTTLDays, ttl.Value)
	}
	return nil
}

// tag is one element of the "tags" array of create and update requests.
type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// tagMap validates tags and turns them into the map the list APIs return.
// It returns nil when the request carried no tags.
func tagMap(tags *[]tag) (map[string]string, error) {
	if tags == nil {
		return nil, nil
	}
	if len(*tags) > maxTags {
		return nil, invalid("tags may hold at most %d tags", maxTags)
	}
	m := make(map[string]string, len(*tags))
	for i, t := range *tags {
		switch {
		case t.Key == "" || utf8.RuneCountInString(t.Key) > maxTagKeyLen:
			return nil, invalid("tags[%d].key must be 1-%d characters", i, maxTagKeyLen)
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return nil, invalid("tags[%d].value must be at most %d characters", i, maxTagValueLen)
		case strings.HasPrefix(t.Key, "_sys_"):
			return nil, invalid("tags[%d].key must not start with the reserved prefix _sys_", i)
		}
		if _, dup := m[t.Key]; dup {
			return nil, invalid("tags[%d].key %q is repeated", i, t.Key)
		}
		m[t.Key] = t.Value
	}
	return m, nil
}
