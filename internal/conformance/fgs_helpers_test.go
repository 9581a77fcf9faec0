package conformance

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"net/http"
	"os/exec"
	"testing"

	fg "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2/model"
)

// fgsClient is a FunctionGraph SDK client signing with the first-start
// key; rt, when not nil, carries its requests (to add headers).
func (e *env) fgsClient(rt http.RoundTripper) *fg.FunctionGraphClient {
	return fg.NewFunctionGraphClient(e.sdkClient(fg.FunctionGraphClientBuilder(), testAK, testSK, testProject, rt))
}

func (e *env) fgs() *fg.FunctionGraphClient { return e.fgsClient(nil) }

// withHeaders adds headers to every request after the SDK signed it, as a
// gateway in front of a function would pass a caller's headers.
type withHeaders http.Header

func (h withHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(r)
}

// urnOf is the URN of a function of the test project, with a qualifier
// (":v1", ":!alias") when one is given.
func urnOf(name, qualifier string) string {
	u := "urn:fss:" + testRegion + ":" + testProject + ":function:default:" + name
	if qualifier != "" {
		u += ":" + qualifier
	}
	return u
}

type zipFile struct {
	name string
	mode fs.FileMode
	text string
}

func zipOf(t *testing.T, files ...zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(0o644)
		if f.mode != 0 {
			h.SetMode(f.mode)
		}
		w, err := zw.CreateHeader(h)
		if err == nil {
			_, err = w.Write([]byte(f.text))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func b64(b []byte) *string {
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

// needPrograms fails the test when a program it runs functions with is
// missing: CI machines have them, so a missing one is a broken machine.
func needPrograms(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("this test runs functions with %s, which is not on PATH: %v", p, err)
		}
	}
}

func runtimeOf(t *testing.T, name string) model.CreateFunctionRequestBodyRuntime {
	t.Helper()
	var rt model.CreateFunctionRequestBodyRuntime
	if err := rt.UnmarshalJSON([]byte(`"` + name + `"`)); err != nil {
		t.Fatal(err)
	}
	return rt
}

func codeTypeOf(t *testing.T, name string) *model.CreateFunctionRequestBodyCodeType {
	t.Helper()
	var ct model.CreateFunctionRequestBodyCodeType
	if err := ct.UnmarshalJSON([]byte(`"` + name + `"`)); err != nil {
		t.Fatal(err)
	}
	return &ct
}

// createFunction creates a function from a zip package (nil: no code).
func createFunction(t *testing.T, c *fg.FunctionGraphClient, name, runtime, handler string, pkg []byte) *model.CreateFunctionResponse {
	t.Helper()
	body := &model.CreateFunctionRequestBody{
		FuncName: name, Package: "default", Runtime: runtimeOf(t, runtime), Timeout: 30, Handler: handler, MemorySize: 256,
	}
	if pkg != nil {
		body.CodeType = codeTypeOf(t, "zip")
		body.FuncCode = &model.FuncCode{File: b64(pkg)}
	}
	resp, err := c.CreateFunction(&model.CreateFunctionRequest{Body: body})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return resp
}

// updateCode replaces the code of latest.
func updateCode(t *testing.T, c *fg.FunctionGraphClient, name string, pkg []byte) *model.UpdateFunctionCodeResponse {
	t.Helper()
	var ct model.UpdateFunctionCodeRequestBodyCodeType
	if err := ct.UnmarshalJSON([]byte(`"zip"`)); err != nil {
		t.Fatal(err)
	}
	resp, err := c.UpdateFunctionCode(&model.UpdateFunctionCodeRequest{FunctionUrn: urnOf(name, "latest"), Body: &model.UpdateFunctionCodeRequestBody{
		CodeType: ct, FuncCode: &model.FuncCode{File: b64(pkg)},
	}})
	if err != nil {
		t.Fatalf("update code of %s: %v", name, err)
	}
	return resp
}

func publish(t *testing.T, c *fg.FunctionGraphClient, name, version string) *model.CreateFunctionVersionResponse {
	t.Helper()
	resp, err := c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf(name, ""), Body: &model.CreateFunctionVersionRequestBody{Version: &version}})
	if err != nil {
		t.Fatalf("publish %s %s: %v", name, version, err)
	}
	return resp
}

// invokeV1 invokes synchronously with the JSON (v1) answer format and
// returns the function's result.
func invokeV1(t *testing.T, c *fg.FunctionGraphClient, urn string, event map[string]any) *model.InvokeFunctionResponse {
	t.Helper()
	v1 := "v1"
	resp, err := c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urn, XCFFRequestVersion: &v1, Body: event})
	if err != nil {
		t.Fatalf("invoke %s: %v", urn, err)
	}
	return resp
}

// resultOf decodes a v1 answer's result.
func resultOf(t *testing.T, resp *model.InvokeFunctionResponse, v any) {
	t.Helper()
	if resp.Status == nil || *resp.Status != 200 || resp.Result == nil {
		t.Fatalf("invocation failed: %+v", resp)
	}
	if err := json.Unmarshal([]byte(*resp.Result), v); err != nil {
		t.Fatalf("result %q: %v", *resp.Result, err)
	}
}

// bashBootstrap is a Custom runtime in bash that speaks HTTP over
// /dev/tcp with builtins only, so that an invocation starts no process.
// handle is a bash function that sets body (and kind=error to fail) from
// event.
func bashBootstrap(handle string) string {
	return `#!/bin/bash
export LC_ALL=C
host=${RUNTIME_API_ADDR%:*}
port=${RUNTIME_API_ADDR##*:}
` + handle + `
while true; do
  exec 3<>"/dev/tcp/$host/$port"
  printf 'GET /v1/runtime/invocation/request HTTP/1.1\r\nHost: runtime\r\nConnection: close\r\n\r\n' >&3
  id=; len=0
  while IFS= read -r line <&3; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case ${line,,} in
      x-cff-request-id:*) id=${line#*: } ;;
      content-length:*) len=${line#*: } ;;
    esac
  done
  event=
  [ "$len" -gt 0 ] && read -r -N "$len" event <&3
  exec 3<&-
  kind=response
  handle
  exec 3<>"/dev/tcp/$host/$port"
  printf 'POST /v1/runtime/invocation/%s/%s HTTP/1.1\r\nHost: runtime\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' "$kind" "$id" "${#body}" "$body" >&3
  read -r status <&3
  exec 3<&-
done
`
}
