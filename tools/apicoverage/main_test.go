package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"logtank/internal/server"
)

// tinyMeta has the shapes parseMeta must tell apart: query fields among path,
// header and body ones, a response header field with a JSON tag, and a
// function that is not a request definition.
const tinyMeta = `package v2

import (
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
	"net/http"
)

func GenReqDefForListThings() *def.HttpRequestDef {
	reqDefBuilder := def.NewHttpRequestDefBuilder().
		WithMethod(http.MethodGet).
		WithPath("/v2/{project_id}/groups/{log_group_id}/things").
		WithResponse(new(model.ListThingsResponse)).
		WithContentType("application/json")

	reqDefBuilder.WithRequestField(def.NewFieldDef().
		WithName("LogGroupId").
		WithJsonTag("log_group_id").
		WithLocationType(def.Path))
	reqDefBuilder.WithRequestField(def.NewFieldDef().
		WithName("Limit").
		WithJsonTag("limit").
		WithLocationType(def.Query))
	reqDefBuilder.WithRequestField(def.NewFieldDef().
		WithName("Region").
		WithJsonTag("region").
		WithLocationType(def.Header))
	reqDefBuilder.WithRequestField(def.NewFieldDef().
		WithName("Offset").
		WithJsonTag("offset").
		WithLocationType(def.Query))

	reqDefBuilder.WithResponseField(def.NewFieldDef().
		WithName("XRequestId").
		WithJsonTag("X-Request-Id").
		WithKindName("string").
		WithLocationType(def.Header))

	requestDef := reqDefBuilder.Build()
	return requestDef
}

func GenReqDefForDeleteThing() *def.HttpRequestDef {
	reqDefBuilder := def.NewHttpRequestDefBuilder().
		WithMethod(http.MethodDelete).
		WithPath("/v2/{project_id}/things/{thing_id}").
		WithResponse(new(model.DeleteThingResponse)).
		WithContentType("application/json")

	reqDefBuilder.WithRequestField(def.NewFieldDef().
		WithName("Body").
		WithLocationType(def.Body))

	requestDef := reqDefBuilder.Build()
	return requestDef
}

func helper() {}
`

func TestParseMeta(t *testing.T) {
	file := filepath.Join(t.TempDir(), "lts_meta.go")
	if err := os.WriteFile(file, []byte(tinyMeta), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := parseMeta(file)
	if err != nil {
		t.Fatal(err)
	}
	want := []operation{
		{name: "ListThings", method: "GET", path: "/v2/{project_id}/groups/{log_group_id}/things", query: []string{"limit", "offset"}},
		{name: "DeleteThing", method: "DELETE", path: "/v2/{project_id}/things/{thing_id}"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMeta:\n got %+v\nwant %+v", got, want)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"same names", "GET /v2/{project_id}/groups/{log_group_id}/streams", true},
		{"other names", "GET /v2/{pid}/groups/{group}/streams", true},
		{"wildcard for literal", "GET /v2/{pid}/groups/{group}/{rest...}", false},
		{"other literal", "GET /v2/{pid}/groupz/{group}/streams", false},
		{"literal for parameter", "GET /v2/{pid}/groups/g1/streams", false},
		{"other method", "POST /v2/{pid}/groups/{group}/streams", false},
		{"shorter path", "GET /v2/{pid}/groups/{group}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops := []operation{{method: "GET", path: "/v2/{project_id}/groups/{log_group_id}/streams"}}
			extra, err := match(ops, []string{tt.pattern})
			if err != nil {
				t.Fatal(err)
			}
			if ops[0].implemented != tt.want {
				t.Errorf("implemented = %v, want %v", ops[0].implemented, tt.want)
			}
			// A pattern that serves no operation is reported as extra.
			if wantExtra := !tt.want; (len(extra) == 1) != wantExtra {
				t.Errorf("extra patterns = %q", extra)
			}
		})
	}

	t.Run("trailing wildcard serves last parameter", func(t *testing.T) {
		ops := []operation{{method: "GET", path: "/v2/{project_id}/files/{path}"}}
		if _, err := match(ops, []string{"GET /v2/{p}/files/{path...}"}); err != nil {
			t.Fatal(err)
		}
		if !ops[0].implemented {
			t.Error("not implemented")
		}
	})

	t.Run("malformed pattern", func(t *testing.T) {
		if _, err := match(nil, []string{"/v2/{p}/groups"}); err == nil {
			t.Error("pattern without method accepted")
		}
	})
}

func TestDocumentUpToDate(t *testing.T) {
	dir, err := sdkDir()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(dir, server.OperationPatterns())
	if err != nil {
		t.Fatal(err)
	}
	const fix = "run `go run ./tools/apicoverage > docs/api-coverage.md` from the module root"
	got, err := os.ReadFile("../../docs/api-coverage.md")
	if err != nil {
		t.Fatalf("%v; %s", err, fix)
	}
	if string(got) != want {
		t.Errorf("docs/api-coverage.md is out of date; %s", fix)
	}
}
