package fgs

import (
	"errors"
	"testing"

	"logtank/internal/wire"
)

const project = "0123456789abcdef0123456789abcdef"

func TestParseURN(t *testing.T) {
	full := "urn:fss:cn-north-4:" + project + ":function:app:fn"
	cases := []struct {
		in   string
		want ref
	}{
		{"fn", ref{project, "default", "fn", ""}},
		{"app:fn", ref{project, "app", "fn", ""}},
		{project + ":app:fn", ref{project, "app", "fn", ""}},
		{project + ":app:fn:v1", ref{project, "app", "fn", "v1"}},
		{project + ":app:fn:!live", ref{project, "app", "fn", "!live"}},
		{full, ref{project, "app", "fn", ""}},
		{full + ":latest", ref{project, "app", "fn", "latest"}},
		{full + ":!live", ref{project, "app", "fn", "!live"}},
	}
	for _, c := range cases {
		got, err := parseURN(c.in, project)
		if err != nil || got != c.want {
			t.Errorf("%s: got %+v, %v", c.in, got, err)
		}
	}
	if a, ok := (ref{Qualifier: "!live"}).alias(); !ok || a != "live" {
		t.Errorf("alias: %q %v", a, ok)
	}
	if _, ok := (ref{Qualifier: "v1"}).alias(); ok {
		t.Error("v1 is not an alias")
	}
}

func TestParseURNErrors(t *testing.T) {
	for in, code := range map[string]string{
		"":                             "FSS.1309",
		"a:b:c:d:e":                    "FSS.1309",
		"a:b:c:d:e:f":                  "FSS.1309",
		"urn:fss:r:p:function:a:b:c:d": "FSS.1309",
		"arn:fss:r:" + project + ":function:app:fn":  "FSS.1309",
		"urn:fss:r:" + project + ":lambda:app:fn":    "FSS.1309",
		"urn:fss:r:" + project + ":function:app:fn:": "FSS.1309",
		project + ":app:fn:!":                        "FSS.1309",
		":app:fn":                                    "FSS.1309",
		"ffffffffffffffffffffffffffffffff:app:fn":    "FSS.0403",
	} {
		_, err := parseURN(in, project)
		var we *wire.Error
		if !errors.As(err, &we) || we.Code != code {
			t.Errorf("%q: got %v, want %s", in, err, code)
		}
	}
}

// FuzzParseURN: any path parameter parses to a complete reference or to
// an FSS error, never a panic.
func FuzzParseURN(f *testing.F) {
	for _, s := range []string{"fn", "a:b", project + ":a:b:!c", "urn:fss:r:" + project + ":function:a:b:v1", ":::", "!", "urn:fss::::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseURN(s, project)
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) || (we.Code != "FSS.1309" && we.Code != "FSS.0403") {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if r.Project != project || r.Package == "" || r.Name == "" || r.Qualifier == "!" {
			t.Fatalf("%q: incomplete %+v", s, r)
		}
	})
}
