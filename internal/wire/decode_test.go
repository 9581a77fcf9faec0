package wire

import (
	"errors"
	"testing"
)

type sample struct {
	TTL   Int  `json:"ttl_in_days"`
	Desc  Bool `json:"is_desc"`
	Inner struct {
		Limit Int `json:"limit"`
	} `json:"inner"`
	Name  string `json:"name"`
	Value Float  `json:"value"`
}

func TestDecodeLenient(t *testing.T) {
	var s sample
	if err := Decode([]byte(`{"ttl_in_days":"7","is_desc":"false","inner":{"limit":3},"extra":1}`+"\n"), &s); err != nil {
		t.Fatal(err)
	}
	if s.TTL != (Int{7, true}) || s.Desc != (Bool{false, true}) || s.Inner.Limit != (Int{3, true}) {
		t.Fatalf("got %+v", s)
	}
	s = sample{}
	if err := Decode([]byte(`{"ttl_in_days":30,"is_desc":true}`), &s); err != nil || s.TTL.Value != 30 || !s.Desc.Value {
		t.Fatalf("got %+v, %v", s, err)
	}
	if err := Decode([]byte(`{"value":"35.5"}`), &s); err != nil || s.Value != (Float{35.5, true}) {
		t.Fatalf("float as a string: %+v %v", s.Value, err)
	}
	if err := Decode([]byte(`{"ttl_in_days":null}`), &s); err != nil || s.TTL.Set {
		t.Fatalf("null must leave the field unset: %+v %v", s, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		body  string
		field string // empty: ErrNotJSON
	}{
		{``, ""},
		{`{`, ""},
		{`not json`, ""},
		{`{} {}`, ""},
		{`{"ttl_in_days":"seven"}`, "ttl_in_days"},
		{`{"ttl_in_days":7.5}`, "ttl_in_days"},
		{`{"is_desc":"maybe"}`, "is_desc"},
		{`{"inner":{"limit":"x"}}`, "inner.limit"},
		{`{"name":5}`, "name"},
		{`{"value":"x1"}`, "value"},
		{`[1,2]`, "body"},
	}
	for _, c := range cases {
		var s sample
		err := Decode([]byte(c.body), &s)
		var fe *FieldError
		switch {
		case c.field == "" && !errors.Is(err, ErrNotJSON):
			t.Errorf("%q: got %v, want ErrNotJSON", c.body, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%q: got %v, want a field error on %s", c.body, err, c.field)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"ttl_in_days":"7"}`, `{"is_desc":"TRUE"}`, `{"inner":{"limit":1e3}}`, `[`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s sample
		err := Decode(b, &s)
		var fe *FieldError
		if err != nil && !errors.Is(err, ErrNotJSON) && !errors.As(err, &fe) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}
