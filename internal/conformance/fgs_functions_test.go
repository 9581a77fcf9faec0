package conformance

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2/model"
)

func TestFGSFunctionLifecycle(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	pkg := zipOf(t, zipFile{name: "index.py", text: "def handler(event, context):\n    return event\n"})
	sum := sha512.Sum512(pkg)
	desc, userData := "first", `{"GREETING":"hello"}`
	created, err := c.CreateFunction(&model.CreateFunctionRequest{Body: &model.CreateFunctionRequestBody{
		FuncName: "life", Package: "default", Runtime: model.GetCreateFunctionRequestBodyRuntimeEnum().PYTHON3_9,
		Timeout: 30, Handler: "index.handler", MemorySize: 256, CodeType: codeTypeOf(t, "zip"),
		FuncCode: &model.FuncCode{File: b64(pkg)}, Description: &desc, UserData: &userData,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *created.FuncUrn != urnOf("life", "") || *created.FuncName != "life" || *created.Namespace != testProject || *created.Version != "latest" ||
		*created.Digest != hex.EncodeToString(sum[:]) || *created.CodeSize != int64(len(pkg)) || *created.Cpu != 400 ||
		created.Runtime.Value() != "Python3.9" || *created.Handler != "index.handler" || *created.UserData != userData ||
		*created.Description != "first" || *created.DomainId == "" || *created.ProjectName != testRegion || created.LastModified == nil ||
		created.StrategyConfig == nil || created.StrategyConfig.Concurrency != -1 {
		t.Fatalf("created %+v", created)
	}

	// Every URN form reaches it.
	for _, urn := range []string{"life", "default:life", testProject + ":default:life", testProject + ":default:life:latest",
		urnOf("life", ""), urnOf("life", "latest")} {
		cfg, err := c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: urn})
		if err != nil || *cfg.FuncName != "life" || *cfg.MemorySize != 256 {
			t.Fatalf("URN %s: %+v %v", urn, cfg, err)
		}
	}

	// Other SDKs percent-encode the URN's ':' and '!'.
	status, _, raw := e.raw("GET", "/v2/"+testProject+"/fgs/functions/"+strings.ReplaceAll(urnOf("life", "latest"), ":", "%3A")+"/config", nil, nil,
		signer(testAK, testSK, testProject, time.Now()))
	if status != http.StatusOK || !strings.Contains(string(raw), `"func_name":"life"`) {
		t.Fatalf("percent-encoded URN: %d %s", status, raw)
	}

	code, err := c.ShowFunctionCode(&model.ShowFunctionCodeRequest{FunctionUrn: urnOf("life", "")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := base64.StdEncoding.DecodeString(*code.FuncCode.File)
	if !bytes.Equal(got, pkg) || *code.Digest != *created.Digest || code.CodeType.Value() != "zip" {
		t.Fatalf("code %+v", code)
	}

	// Update the configuration of latest.
	newDesc := "second"
	rt := model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9
	updated, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("life", "latest"), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "life", Runtime: rt, Timeout: 60, Handler: "index.handler", MemorySize: 512, Description: &newDesc,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *updated.Timeout != 60 || *updated.MemorySize != 512 || *updated.Description != "second" || *updated.UserData != userData {
		t.Fatalf("updated %+v", updated)
	}

	// Update the code.
	pkg2 := zipOf(t, zipFile{name: "index.py", text: "def handler(event, context):\n    return {'v': 2}\n"})
	newCode := updateCode(t, c, "life", pkg2)
	sum2 := sha512.Sum512(pkg2)
	if *newCode.Digest != hex.EncodeToString(sum2[:]) || *newCode.CodeSize != int64(len(pkg2)) {
		t.Fatalf("new code %+v", newCode)
	}

	// List, with paging and filters.
	createFunction(t, c, "other", "Node.js18.15", "index.handler", nil)
	createFunction(t, c, "life2", "Custom", "bootstrap", nil)
	list, err := c.ListFunctions(&model.ListFunctionsRequest{})
	if err != nil || *list.Count != 3 || len(*list.Functions) != 3 || *list.NextMarker != 3 {
		t.Fatalf("list %+v %v", list, err)
	}
	two := "2"
	page1, err := c.ListFunctions(&model.ListFunctionsRequest{Maxitems: &two})
	if err != nil || len(*page1.Functions) != 2 || *page1.NextMarker != 2 {
		t.Fatalf("page 1 %+v %v", page1, err)
	}
	next := strconv.Itoa(int(*page1.NextMarker))
	page2, err := c.ListFunctions(&model.ListFunctionsRequest{Maxitems: &two, Marker: &next})
	if err != nil || len(*page2.Functions) != 1 || (*page2.Functions)[0].FuncName != "life2" {
		t.Fatalf("page 2 %+v %v", page2, err)
	}
	fuzzy := "ife"
	filtered, err := c.ListFunctions(&model.ListFunctionsRequest{FuncName: &fuzzy})
	if err != nil || *filtered.Count != 2 {
		t.Fatalf("filtered %+v %v", filtered, err)
	}
	for _, f := range *list.Functions {
		if f.FuncUrn != urnOf(f.FuncName, "") || f.Version != "latest" || f.LastModified == nil {
			t.Fatalf("listed %+v", f)
		}
	}

	// Delete.
	if _, err := c.DeleteFunction(&model.DeleteFunctionRequest{FunctionUrn: urnOf("life", "")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: urnOf("life", "")})
	wantErr(t, err, 404, "FSS.1051")
	_, err = c.DeleteFunction(&model.DeleteFunctionRequest{FunctionUrn: urnOf("life", "")})
	wantErr(t, err, 404, "FSS.1051")
}

func TestFGSCreateFunctionErrors(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	valid := func() *model.CreateFunctionRequestBody {
		return &model.CreateFunctionRequestBody{FuncName: "f", Package: "default", Runtime: runtimeOf(t, "Python3.9"),
			Timeout: 30, Handler: "index.handler", MemorySize: 256}
	}
	notZip := "bm90IGEgemlw" // "not a zip"
	noise := make([]byte, 20<<10)
	rand.Read(noise)
	big := zipOf(t, zipFile{name: "index.py", text: "# code\n"}, zipFile{name: "blob.bin", text: string(noise)})
	cases := []struct {
		name   string
		edit   func(*model.CreateFunctionRequestBody)
		status int
		code   string
	}{
		{"name", func(b *model.CreateFunctionRequestBody) { b.FuncName = "9lives" }, 400, "FSS.1002"},
		{"long name", func(b *model.CreateFunctionRequestBody) { b.FuncName = "a" + strings.Repeat("b", 60) }, 400, "FSS.1002"},
		{"handler", func(b *model.CreateFunctionRequestBody) { b.Handler = "index" }, 400, "FSS.1003"},
		{"package", func(b *model.CreateFunctionRequestBody) { b.Package = "my app" }, 400, "FSS.1004"},
		{"runtime", func(b *model.CreateFunctionRequestBody) { b.Runtime = runtimeOf(t, "Fortran77") }, 400, "FSS.1005"},
		{"code type", func(b *model.CreateFunctionRequestBody) { b.CodeType = codeTypeOf(t, "floppy") }, 400, "FSS.1006"},
		{"memory", func(b *model.CreateFunctionRequestBody) { b.MemorySize = 100 }, 400, "FSS.1007"},
		{"short timeout", func(b *model.CreateFunctionRequestBody) { b.Timeout = 2 }, 400, "FSS.1008"},
		{"long timeout", func(b *model.CreateFunctionRequestBody) { b.Timeout = 259201 }, 400, "FSS.1008"},
		{"user data", func(b *model.CreateFunctionRequestBody) { b.UserData = strPtr(`["not","an","object"]`) }, 400, "FSS.1009"},
		{"user data key", func(b *model.CreateFunctionRequestBody) { b.UserData = strPtr(`{"RUNTIME_API_ADDR":"x"}`) }, 400, "FSS.1009"},
		{"obs url", func(b *model.CreateFunctionRequestBody) { b.CodeType = codeTypeOf(t, "obs") }, 400, "FSS.1010"},
		{"not base64", func(b *model.CreateFunctionRequestBody) {
			b.CodeType, b.FuncCode = codeTypeOf(t, "zip"), &model.FuncCode{File: strPtr("***")}
		}, 400, "FSS.1011"},
		{"not a zip", func(b *model.CreateFunctionRequestBody) {
			b.CodeType, b.FuncCode = codeTypeOf(t, "zip"), &model.FuncCode{File: &notZip}
		}, 400, "FSS.1011"},
		{"zip without code", func(b *model.CreateFunctionRequestBody) { b.CodeType = codeTypeOf(t, "zip") }, 400, "FSS.1012"},
		{"user data items", func(b *model.CreateFunctionRequestBody) {
			var kv []string
			for i := range 21 {
				kv = append(kv, `"K`+strconv.Itoa(i)+`":"v"`)
			}
			b.UserData = strPtr("{" + strings.Join(kv, ",") + "}")
		}, 400, "FSS.1017"},
		{"user data size", func(b *model.CreateFunctionRequestBody) {
			b.UserData = strPtr(`{"K":"` + strings.Repeat("v", 5000) + `"}`)
		}, 400, "FSS.1018"},
		{"description", func(b *model.CreateFunctionRequestBody) { b.Description = strPtr(strings.Repeat("d", 513)) }, 400, "FSS.1019"},
		{"inline size", func(b *model.CreateFunctionRequestBody) {
			b.CodeType, b.FuncCode = codeTypeOf(t, "inline"), &model.FuncCode{File: b64(big)}
		}, 413, "FSS.1072"},
		{"zip slip", func(b *model.CreateFunctionRequestBody) {
			b.CodeType, b.FuncCode = codeTypeOf(t, "zip"), &model.FuncCode{File: b64(zipOf(t, zipFile{name: "../evil.py", text: "x"}))}
		}, 400, "FSS.1011"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.edit(b)
			_, err := c.CreateFunction(&model.CreateFunctionRequest{Body: b})
			wantErr(t, err, tc.status, tc.code)
		})
	}
	if _, err := c.CreateFunction(&model.CreateFunctionRequest{Body: valid()}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateFunction(&model.CreateFunctionRequest{Body: valid()})
	wantErr(t, err, 409, "FSS.1061")

	// Raw bodies: numbers as strings are fine, a broken body is not.
	sign := signer(testAK, testSK, testProject, time.Now())
	path := "/v2/" + testProject + "/fgs/functions"
	status, _, raw := e.raw("POST", path, []byte(`{"func_name":"g","package":"default","runtime":"Python3.9","timeout":"30","handler":"index.handler","memory_size":"128"}`), nil, sign)
	if status != 200 {
		t.Fatalf("numbers as strings: %d %s", status, raw)
	}
	for _, body := range []string{`{`, `[]`, `{"timeout":"soon"}`} {
		status, _, raw := e.raw("POST", path, []byte(body), nil, sign)
		if status != 400 || errorCode(t, raw) != "FSS.0400" {
			t.Fatalf("%s: %d %s", body, status, raw)
		}
	}
	// A package over 50 MB.
	huge := strings.Repeat("A", (50<<20)/3*4+400)
	status, _, raw = e.raw("POST", path, []byte(`{"func_name":"h","package":"default","runtime":"Python3.9","timeout":30,"handler":"index.handler","memory_size":128,"code_type":"zip","func_code":{"file":"`+huge+`"}}`), nil, sign)
	if status != 413 || errorCode(t, raw) != "FSS.1071" {
		t.Fatalf("50 MB package: %d %.200s", status, raw)
	}
}

func TestFGSFunctionURNErrors(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	createFunction(t, c, "u", "Python3.9", "index.handler", nil)
	for _, urn := range []string{"a:b:c:d:e", "urn:xxx:r:" + testProject + ":function:default:u", "urn:fss:r:" + testProject + ":lambda:default:u", "::u", testProject + ":default:u:"} {
		_, err := c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: urn})
		wantErr(t, err, 400, "FSS.1309")
	}
	other := strings.Repeat("e", 32)
	_, err := c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: "urn:fss:" + testRegion + ":" + other + ":function:default:u"})
	wantErr(t, err, 403, "FSS.0403")
	_, err = c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: urnOf("u", "v7")})
	wantErr(t, err, 404, "FSS.1052")
	_, err = c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: urnOf("u", "!nope")})
	wantErr(t, err, 404, "FSS.1053")
	// Published versions are immutable.
	rt := model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9
	_, err = c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("u", "v1"), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "u", Runtime: rt, Timeout: 30, Handler: "index.handler", MemorySize: 128}})
	wantErr(t, err, 400, "FSS.1015")
	// A function keeps its name.
	_, err = c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("u", ""), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "v", Runtime: rt, Timeout: 30, Handler: "index.handler", MemorySize: 128}})
	wantErr(t, err, 400, "FSS.1002")
	// latest alone cannot be deleted.
	_, err = c.DeleteFunction(&model.DeleteFunctionRequest{FunctionUrn: urnOf("u", "latest")})
	wantErr(t, err, 400, "FSS.1015")
	// No credentials.
	status, _, raw := e.raw("GET", "/v2/"+testProject+"/fgs/functions", nil, nil, nil)
	if status != http.StatusUnauthorized || errorCode(t, raw) != "FSS.0401" {
		t.Fatalf("unsigned: %d %s", status, raw)
	}
	maxitems := "-1"
	_, err = c.ListFunctions(&model.ListFunctionsRequest{Maxitems: &maxitems})
	wantErr(t, err, 400, "FSS.1001")
}

func TestFGSVersions(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	createFunction(t, c, "ver", "Python3.9", "index.handler", pythonVersion(t, "v0"))
	desc := "first release"
	v1 := "v1"
	pub, err := c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{Version: &v1, Description: &desc}})
	if err != nil {
		t.Fatal(err)
	}
	if *pub.Version != "v1" || *pub.VersionDescription != desc || *pub.FuncUrn != urnOf("ver", "") {
		t.Fatalf("published %+v", pub)
	}
	// Nothing changed since: FSS.1016, whatever the name.
	v2 := "v2"
	_, err = c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{Version: &v2}})
	wantErr(t, err, 400, "FSS.1016")
	updateCode(t, c, "ver", pythonVersion(t, "v2"))
	_, err = c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{Version: &v1}})
	wantErr(t, err, 409, "FSS.1062")
	latest := "latest"
	_, err = c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{Version: &latest}})
	wantErr(t, err, 400, "FSS.1015")
	wrong := strings.Repeat("0", 128)
	_, err = c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{Digest: &wrong}})
	wantErr(t, err, 400, "FSS.0400")
	// Without a name, the version is named after the time.
	auto, err := c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{}})
	if err != nil || !strings.HasPrefix(*auto.Version, "v") || len(*auto.Version) != len("v20060102-150405") {
		t.Fatalf("auto version %+v %v", auto, err)
	}
	list, err := c.ListFunctionVersions(&model.ListFunctionVersionsRequest{FunctionUrn: urnOf("ver", "")})
	if err != nil || *list.Count != 3 {
		t.Fatalf("versions %+v %v", list, err)
	}
	names := []string{}
	for _, v := range *list.Versions {
		names = append(names, v.Version)
	}
	if names[0] != "latest" || names[1] != "v1" || names[2] != *auto.Version {
		t.Fatalf("versions %v", names)
	}
	// Each version keeps its own code.
	code1, err := c.ShowFunctionCode(&model.ShowFunctionCodeRequest{FunctionUrn: urnOf("ver", "v1")})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := base64.StdEncoding.DecodeString(*code1.FuncCode.File); !bytes.Equal(got, pythonVersion(t, "v0")) {
		t.Fatal("v1 lost its code")
	}
	// Delete a version, then the limit of 10 published versions.
	if _, err := c.DeleteFunction(&model.DeleteFunctionRequest{FunctionUrn: urnOf("ver", *auto.Version)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowFunctionConfig(&model.ShowFunctionConfigRequest{FunctionUrn: urnOf("ver", *auto.Version)})
	wantErr(t, err, 404, "FSS.1052")
	for i := 2; i <= 10; i++ {
		updateCode(t, c, "ver", pythonVersion(t, "n"+strconv.Itoa(i)))
		publish(t, c, "ver", "n"+strconv.Itoa(i))
	}
	updateCode(t, c, "ver", pythonVersion(t, "n11"))
	n11 := "n11"
	_, err = c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("ver", ""), Body: &model.CreateFunctionVersionRequestBody{Version: &n11}})
	wantErr(t, err, 403, "FSS.0403")
	_, err = c.CreateFunctionVersion(&model.CreateFunctionVersionRequest{FunctionUrn: urnOf("nope", ""), Body: &model.CreateFunctionVersionRequestBody{}})
	wantErr(t, err, 404, "FSS.1051")
	_, err = c.ListFunctionVersions(&model.ListFunctionVersionsRequest{FunctionUrn: urnOf("nope", "")})
	wantErr(t, err, 404, "FSS.1051")
}

func TestFGSFunctionQuota(t *testing.T) {
	e := start(t, "")
	sign := signer(testAK, testSK, testProject, time.Now())
	path := "/v2/" + testProject + "/fgs/functions"
	// OBS code stores nothing here, which keeps the 400 creations cheap.
	for i := range 400 {
		body := `{"func_name":"q` + strconv.Itoa(i) + `","package":"default","runtime":"Java8","timeout":30,"handler":"a.b","memory_size":128,"code_type":"obs","code_url":"https://obs.example.com/b/code.zip"}`
		if status, _, raw := e.raw("POST", path, []byte(body), nil, sign); status != 200 {
			t.Fatalf("function %d: %d %s", i, status, raw)
		}
	}
	_, err := e.fgs().CreateFunction(&model.CreateFunctionRequest{Body: &model.CreateFunctionRequestBody{
		FuncName: "one-too-many", Package: "default", Runtime: runtimeOf(t, "Java8"), Timeout: 30, Handler: "a.b", MemorySize: 128,
		CodeType: codeTypeOf(t, "obs"), CodeUrl: strPtr("https://obs.example.com/b/code.zip"),
	}})
	wantErr(t, err, 403, "FSS.1041")
}
