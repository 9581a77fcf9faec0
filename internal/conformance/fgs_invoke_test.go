package conformance

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fg "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2/model"
)

// canaryFunction builds the function of the canary tests: v1 is a Custom
// runtime (a bash bootstrap), v2 a Python handler; each answers with its
// version.
func canaryFunction(t *testing.T, c *fg.FunctionGraphClient, name string) {
	t.Helper()
	needPrograms(t, "bash", "python3")
	bootstrap := bashBootstrap(`handle() { body='{"version":"v1","runtime":"bash"}'; }`)
	createFunction(t, c, name, "Custom", "bootstrap", zipOf(t, zipFile{name: "bootstrap", mode: 0o755, text: bootstrap}))
	publish(t, c, name, "v1")
	if _, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf(name, ""), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: name, Runtime: model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9, Timeout: 30, Handler: "index.handler", MemorySize: 256,
	}}); err != nil {
		t.Fatal(err)
	}
	updateCode(t, c, name, zipOf(t, zipFile{name: "index.py", text: "def handler(event, context):\n    return {'version': 'v2', 'runtime': 'python'}\n"}))
	publish(t, c, name, "v2")
}

// countVersions invokes urn n times, from a few goroutines, and counts the
// versions that answered.
func countVersions(t *testing.T, c *fg.FunctionGraphClient, urn string, n int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				var got struct {
					Version string `json:"version"`
				}
				resultOf(t, invokeV1(t, c, urn, map[string]any{"i": i}), &got)
				mu.Lock()
				counts[got.Version]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return counts
}

func TestFGSCanaryRouting(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	canaryFunction(t, c, "canary")
	if _, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urnOf("canary", ""), Body: &model.CreateVersionAliasRequestBody{
		Name: "live", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 30},
	}}); err != nil {
		t.Fatal(err)
	}
	alias := urnOf("canary", "!live")

	// 30% by weight: 2,000 draws land within 30% ± 3%.
	counts := countVersions(t, c, alias, 2000)
	if counts["v1"]+counts["v2"] != 2000 || counts["v2"] < 540 || counts["v2"] > 660 {
		t.Fatalf("weighted routing: %v, want v2 in 540..660", counts)
	}
	t.Logf("weighted routing: %v", counts)

	// The version that ran is in a header and in the invoke summary.
	sign := signer(testAK, testSK, testProject, time.Now())
	path := "/v2/" + testProject + "/fgs/functions/" + alias + "/invocations"
	status, h, raw := e.raw("POST", path, []byte(`{}`), nil, sign)
	var summary, answer struct {
		Version string `json:"version"`
	}
	if status != 200 || json.Unmarshal([]byte(h.Get("X-Cff-Invoke-Summary")), &summary) != nil || summary.Version != h.Get("X-Cff-Function-Version") ||
		json.Unmarshal(raw, &answer) != nil || answer.Version != summary.Version {
		t.Fatalf("%d %v %s", status, h, raw)
	}

	// A header rule sends exactly the matching requests to v2.
	header, eq := model.GetVersionStrategyRulesRuleTypeEnum().HEADER, model.GetVersionStrategyRulesOpEnum().EQUAL
	param, value := "X-Canary", "yes"
	if _, err := c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urnOf("canary", ""), AliasName: "live", Body: &model.UpdateVersionAliasRequestBody{
		Version: "v1", AdditionalVersionStrategy: map[string]model.VersionStrategy{"v2": {Rules: &[]model.VersionStrategyRules{{RuleType: &header, Param: &param, Op: &eq, Value: &value}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	tagged := e.fgsClient(withHeaders{"X-Canary": {"yes"}})
	other := e.fgsClient(withHeaders{"X-Canary": {"no"}})
	if got := countVersions(t, tagged, alias, 100); got["v2"] != 100 {
		t.Fatalf("requests with the header: %v", got)
	}
	if got := countVersions(t, other, alias, 50); got["v1"] != 50 {
		t.Fatalf("requests with another value: %v", got)
	}
	if got := countVersions(t, c, alias, 50); got["v1"] != 50 {
		t.Fatalf("requests without the header: %v", got)
	}

	// A cookie rule with "in".
	cookie, in := model.GetVersionStrategyRulesRuleTypeEnum().COOKIE, model.GetVersionStrategyRulesOpEnum().IN
	cparam, cvalues := "group", "beta, staff"
	if _, err := c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urnOf("canary", ""), AliasName: "live", Body: &model.UpdateVersionAliasRequestBody{
		Version: "v1", AdditionalVersionStrategy: map[string]model.VersionStrategy{"v2": {Rules: &[]model.VersionStrategyRules{{RuleType: &cookie, Param: &cparam, Op: &in, Value: &cvalues}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if got := countVersions(t, e.fgsClient(withHeaders{"Cookie": {"session=1; group=staff"}}), alias, 20); got["v2"] != 20 {
		t.Fatalf("cookie in the list: %v", got)
	}
	if got := countVersions(t, e.fgsClient(withHeaders{"Cookie": {"group=ops"}}), alias, 20); got["v1"] != 20 {
		t.Fatalf("cookie not in the list: %v", got)
	}

	// Without a strategy everything goes to the main version, the header too.
	if _, err := c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urnOf("canary", ""), AliasName: "live", Body: &model.UpdateVersionAliasRequestBody{Version: "v1"}}); err != nil {
		t.Fatal(err)
	}
	if got := countVersions(t, tagged, alias, 100); got["v1"] != 100 {
		t.Fatalf("after deleting the strategy: %v", got)
	}
	// Versions are reachable directly too.
	var got struct {
		Runtime string `json:"runtime"`
	}
	resultOf(t, invokeV1(t, c, urnOf("canary", "v2"), nil), &got)
	if got.Runtime != "python" {
		t.Fatalf("v2: %+v", got)
	}
}

func TestFGSInvokeFormats(t *testing.T) {
	needPrograms(t, "python3", "node")
	e := start(t, "")
	c := e.fgs()
	code := `import os
def handler(event, context):
    print("greeting", os.environ["GREETING"])
    return {"greeting": os.environ["GREETING"], "event": event, "request_id": context.getRequestID()}
`
	resp := createFunction(t, c, "fmt", "Python3.9", "index.handler", zipOf(t, zipFile{name: "index.py", text: code}))
	userData := `{"GREETING":"bonjour"}`
	if _, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: *resp.FuncUrn, Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "fmt", Runtime: model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9, Timeout: 30, Handler: "index.handler", MemorySize: 128, UserData: &userData,
	}}); err != nil {
		t.Fatal(err)
	}

	// v1 through the SDK: the result is a string of JSON.
	v1 := invokeV1(t, c, urnOf("fmt", ""), map[string]any{"k": "v"})
	var result struct {
		Greeting  string            `json:"greeting"`
		Event     map[string]string `json:"event"`
		RequestID string            `json:"request_id"`
	}
	resultOf(t, v1, &result)
	if result.Greeting != "bonjour" || result.Event["k"] != "v" || result.RequestID != *v1.RequestId || *v1.XCffRequestId != *v1.RequestId {
		t.Fatalf("v1: %+v %+v", v1, result)
	}

	// v0 (the default): the body is the function's answer itself.
	sign := signer(testAK, testSK, testProject, time.Now())
	path := "/v2/" + testProject + "/fgs/functions/" + urnOf("fmt", "latest") + "/invocations"
	status, h, raw := e.raw("POST", path, []byte(`{"k":"v0"}`), http.Header{"X-Cff-Log-Type": {"tail"}}, sign)
	if status != 200 || !strings.Contains(string(raw), `"greeting": "bonjour"`) || h.Get("X-Cff-Response-Version") != "v0" ||
		h.Get("X-Func-Err-Code") != "0" || h.Get("X-Is-Func-Err") != "false" || h.Get("X-Cff-Request-Id") == "" || h.Get("X-Cff-Billing-Duration") == "" {
		t.Fatalf("v0: %d %v %s", status, h, raw)
	}
	var summary struct {
		Duration        float64 `json:"duration"`
		BillingDuration int     `json:"billingDuration"`
		MemorySize      int     `json:"memorySize"`
		MemoryUsed      float64 `json:"memoryUsed"`
	}
	if err := json.Unmarshal([]byte(h.Get("X-Cff-Invoke-Summary")), &summary); err != nil || summary.MemorySize != 128 || summary.Duration <= 0 || summary.BillingDuration < 1 {
		t.Fatalf("summary %q: %v", h.Get("X-Cff-Invoke-Summary"), err)
	}
	log, err := base64.StdEncoding.DecodeString(h.Get("X-Cff-Function-Log"))
	if err != nil || !strings.Contains(string(log), "greeting bonjour") || !strings.Contains(string(log), "Start invoke request '"+h.Get("X-Cff-Request-Id")+"', version: latest") ||
		!strings.Contains(string(log), "Finish invoke request") {
		t.Fatalf("log %q: %v", log, err)
	}
	// The SDK reads a v0 JSON answer too (its fields are not the model's).
	if r, err := c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urnOf("fmt", ""), Body: map[string]any{}}); err != nil || r.XCffRequestId == nil {
		t.Fatalf("v0 through the SDK: %+v %v", r, err)
	}
	// An empty body is the event {}.
	if status, _, raw := e.raw("POST", path, nil, nil, sign); status != 200 || !strings.Contains(string(raw), `"event": {}`) {
		t.Fatalf("empty body: %d %s", status, raw)
	}

	// Node.js.
	createFunction(t, c, "js", "Node.js18.15", "index.handler", zipOf(t, zipFile{name: "index.js",
		text: "exports.handler = async (event, context) => ({ hello: event.name, fn: context.getFunctionName() });\n"}))
	var js struct {
		Hello string `json:"hello"`
		Fn    string `json:"fn"`
	}
	resultOf(t, invokeV1(t, c, urnOf("js", ""), map[string]any{"name": "node"}), &js)
	if js.Hello != "node" || js.Fn != "js" {
		t.Fatalf("node: %+v", js)
	}
	// A function created without code gets FunctionGraph's default handler.
	createFunction(t, c, "dflt", "Python3.9", "index.handler", nil)
	var dflt struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	resultOf(t, invokeV1(t, c, urnOf("dflt", ""), map[string]any{"x": 1}), &dflt)
	if dflt.StatusCode != 200 || dflt.Body != `{"x": 1}` {
		t.Fatalf("default code: %+v", dflt)
	}
}

// pidOf invokes a function whose answer is {"pid": N}.
func pidOf(t *testing.T, c *fg.FunctionGraphClient, urn string) int {
	t.Helper()
	var got struct {
		PID int `json:"pid"`
	}
	resultOf(t, invokeV1(t, c, urn, map[string]any{}), &got)
	return got.PID
}

func TestFGSInvokeTimeoutAndCrash(t *testing.T) {
	needPrograms(t, "python3")
	e := start(t, "")
	c := e.fgs()
	createFunction(t, c, "wild", "Python3.9", "index.handler", zipOf(t, zipFile{name: "index.py", text: `import os
def handler(event, context):
    if event.get("spin"):
        while True:
            pass
    if event.get("crash"):
        os._exit(7)
    return {"pid": os.getpid()}
`}))
	if _, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("wild", ""), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "wild", Runtime: model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9, Timeout: 3, Handler: "index.handler", MemorySize: 128,
	}}); err != nil {
		t.Fatal(err)
	}
	urn := urnOf("wild", "")
	pid := pidOf(t, c, urn)

	// The runaway invocation fails after its 3 s with the documented error,
	// and its process is killed.
	sign := signer(testAK, testSK, testProject, time.Now())
	path := "/v2/" + testProject + "/fgs/functions/" + urn + "/invocations"
	status, h, raw := e.raw("POST", path, []byte(`{"spin":true}`), nil, sign)
	if status != 200 || h.Get("X-Is-Func-Err") != "true" || h.Get("X-Func-Err-Code") != "4010" || !strings.Contains(string(raw), `"errorMessage":"call invoke timeout 3s"`) {
		t.Fatalf("timeout: %d %v %s", status, h, raw)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the runaway process %d is still running", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if next := pidOf(t, c, urn); next == pid || next == 0 {
		t.Fatalf("after the timeout: pid %d", next)
	}

	// A crash is an error; the next invocation works on a new instance.
	v1 := "v1"
	crash, err := c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urn, XCFFRequestVersion: &v1, Body: map[string]any{"crash": true}})
	if err != nil || *crash.Status != 4204 || !strings.Contains(*crash.Result, "runtime process is exited") || !strings.Contains(*crash.Result, "exit status 7") {
		t.Fatalf("crash: %+v %v", crash, err)
	}
	if pidOf(t, c, urn) == 0 {
		t.Fatal("no answer after the crash")
	}

	// An exception is a function error.
	updateCode(t, c, "wild", zipOf(t, zipFile{name: "index.py", text: "def handler(event, context):\n    raise KeyError('missing')\n"}))
	status, h, raw = e.raw("POST", path, []byte(`{}`), nil, sign)
	if status != 200 || h.Get("X-Func-Err-Code") != "4002" || !strings.Contains(string(raw), `"errorType":"KeyError"`) ||
		!strings.Contains(string(raw), "function invocation exception, error: 'missing'") {
		t.Fatalf("exception: %d %v %s", status, h, raw)
	}
}

func TestFGSInvokeErrors(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	sign := signer(testAK, testSK, testProject, time.Now())
	invoke := func(urn string, body string, header http.Header) (int, []byte) {
		status, _, raw := e.raw("POST", "/v2/"+testProject+"/fgs/functions/"+urn+"/invocations", []byte(body), header, sign)
		return status, raw
	}
	createFunction(t, c, "py", "Python3.9", "index.handler", nil)
	createFunction(t, c, "java", "Java8", "com.example.Handler.handle", zipOf(t, zipFile{name: "Handler.class", text: "cafebabe"}))
	_, err := c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urnOf("nope", ""), Body: map[string]any{}})
	wantErr(t, err, 404, "FSS.1051")
	_, err = c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urnOf("py", "v3"), Body: map[string]any{}})
	wantErr(t, err, 404, "FSS.1052")
	_, err = c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urnOf("py", "!ghost"), Body: map[string]any{}})
	wantErr(t, err, 404, "FSS.1053")
	_, err = c.AsyncInvokeFunction(&model.AsyncInvokeFunctionRequest{FunctionUrn: urnOf("nope", ""), Body: map[string]any{}})
	wantErr(t, err, 404, "FSS.1051")

	// A runtime this server cannot run is refused, naming it.
	_, err = c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urnOf("java", ""), Body: map[string]any{}})
	wantErr(t, err, 503, "FSS.0503")
	if !strings.Contains(err.Error(), "Java8") {
		t.Fatalf("the refusal does not name the runtime: %v", err)
	}
	_, err = c.AsyncInvokeFunction(&model.AsyncInvokeFunctionRequest{FunctionUrn: urnOf("java", ""), Body: map[string]any{}})
	wantErr(t, err, 503, "FSS.0503")

	if status, raw := invoke(urnOf("py", ""), `{not json`, nil); status != 400 || errorCode(t, raw) != "FSS.0400" {
		t.Fatalf("broken event: %d %s", status, raw)
	}
	if status, raw := invoke(urnOf("py", ""), `{}`, http.Header{"X-Cff-Instance-Memory": {"100"}}); status != 400 || errorCode(t, raw) != "FSS.0400" {
		t.Fatalf("bad instance memory: %d %s", status, raw)
	}
	// A disabled function (concurrency 0) answers 429.
	if _, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("py", ""), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "py", Runtime: model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9, Timeout: 30, Handler: "index.handler", MemorySize: 128,
		StrategyConfig: &model.StrategyConfig{Concurrency: 0},
	}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urnOf("py", ""), Body: map[string]any{}})
	wantErr(t, err, 429, "FSS.0429")
}

func TestFGSAsyncInvocations(t *testing.T) {
	needPrograms(t, "python3")
	e := start(t, "")
	c := e.fgs()
	createFunction(t, c, "bg", "Python3.9", "index.handler", zipOf(t, zipFile{name: "index.py", text: `def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"ok": True}
`}))
	ok, err := c.AsyncInvokeFunction(&model.AsyncInvokeFunctionRequest{FunctionUrn: urnOf("bg", ""), Body: map[string]any{}})
	if err != nil || ok.HttpStatusCode != 202 || ok.RequestId == nil {
		t.Fatalf("async: %+v %v", ok, err)
	}
	bad, err := c.AsyncInvokeFunction(&model.AsyncInvokeFunctionRequest{FunctionUrn: urnOf("bg", ""), Body: map[string]any{"fail": true}})
	if err != nil {
		t.Fatal(err)
	}
	// Poll the list until both ended.
	byID := map[string]model.ListFunctionAsyncInvocationsResult{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := c.ListAsyncInvocations(&model.ListAsyncInvocationsRequest{FunctionUrn: urnOf("bg", "")})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, inv := range *list.Invocations {
			byID[*inv.RequestId] = inv
			if s := inv.Status.Value(); s == "SUCCESS" || s == "FAIL" {
				done++
			}
		}
		if done == 2 {
			if *list.Count != 2 {
				t.Fatalf("count %d", *list.Count)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not finished: %+v", byID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if inv := byID[*ok.RequestId]; inv.Status.Value() != "SUCCESS" || inv.StartTime == nil || *inv.EndTime == "" {
		t.Fatalf("success: %+v", inv)
	}
	if inv := byID[*bad.RequestId]; inv.Status.Value() != "FAIL" || *inv.ErrorCode != 4002 || !strings.Contains(*inv.ErrorMessage, "asked to fail") {
		t.Fatalf("failure: %+v", inv)
	}
	// Filters.
	failed := "FAIL"
	list, err := c.ListAsyncInvocations(&model.ListAsyncInvocationsRequest{FunctionUrn: urnOf("bg", ""), Status: &failed})
	if err != nil || *list.Count != 1 || *(*list.Invocations)[0].RequestId != *bad.RequestId {
		t.Fatalf("by status: %+v %v", list, err)
	}
	list, err = c.ListAsyncInvocations(&model.ListAsyncInvocationsRequest{FunctionUrn: urnOf("bg", ""), RequestId: ok.RequestId})
	if err != nil || *list.Count != 1 {
		t.Fatalf("by request id: %+v %v", list, err)
	}
	zero := "0"
	_, err = c.ListAsyncInvocations(&model.ListAsyncInvocationsRequest{FunctionUrn: urnOf("bg", ""), Limit: &zero})
	wantErr(t, err, 400, "FSS.1001")
}

// curlBootstrap is the README's custom runtime: the loop of FunctionGraph's
// documentation, with curl.
const curlBootstrap = `#!/bin/sh
set -eu
while true; do
  HEADERS="$(mktemp)"
  EVENT="$(curl -sS -D "$HEADERS" "http://$RUNTIME_API_ADDR/v1/runtime/invocation/request")"
  REQUEST_ID="$(grep -i '^x-cff-request-id:' "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
  rm -f "$HEADERS"
  RESPONSE="{\"version\":\"$RUNTIME_FUNC_VERSION\",\"message\":\"$GREETING\",\"event\":$EVENT}"
  curl -sS -o /dev/null -X POST "http://$RUNTIME_API_ADDR/v1/runtime/invocation/response/$REQUEST_ID" -d "$RESPONSE"
done
`

func TestFGSDocumentedCurlBootstrap(t *testing.T) {
	needPrograms(t, "sh", "curl")
	e := start(t, "")
	c := e.fgs()
	createFunction(t, c, "hello", "Custom", "bootstrap", zipOf(t, zipFile{name: "bootstrap", mode: 0o755, text: curlBootstrap}))
	userData := `{"GREETING":"hello from v1"}`
	if _, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("hello", ""), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "hello", Runtime: model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().CUSTOM, Timeout: 30, Handler: "bootstrap", MemorySize: 128, UserData: &userData,
	}}); err != nil {
		t.Fatal(err)
	}
	publish(t, c, "hello", "v1")
	var got struct {
		Version string         `json:"version"`
		Message string         `json:"message"`
		Event   map[string]any `json:"event"`
	}
	resultOf(t, invokeV1(t, c, urnOf("hello", "v1"), map[string]any{"n": 1}), &got)
	if got.Version != "v1" || got.Message != "hello from v1" || got.Event["n"] != 1.0 {
		t.Fatalf("got %+v", got)
	}
}

func TestFGSLimits(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	createFunction(t, c, "lim", "Python3.9", "index.handler", nil)
	_, err := c.UpdateFunctionConfig(&model.UpdateFunctionConfigRequest{FunctionUrn: urnOf("lim", ""), Body: &model.UpdateFunctionConfigRequestBody{
		FuncName: "lim", Runtime: model.GetUpdateFunctionConfigRequestBodyRuntimeEnum().PYTHON3_9, Timeout: 30, Handler: "index.handler", MemorySize: 128,
		StrategyConfig: &model.StrategyConfig{Concurrency: -5},
	}})
	wantErr(t, err, 400, "FSS.1026")
	// An event over 6 MB.
	big := `{"blob":"` + strings.Repeat("x", 6<<20) + `"}`
	status, _, raw := e.raw("POST", "/v2/"+testProject+"/fgs/functions/"+urnOf("lim", "")+"/invocations", []byte(big), nil, signer(testAK, testSK, testProject, time.Now()))
	if status != 413 || errorCode(t, raw) != "FSS.0413" {
		t.Fatalf("a 6 MB event: %d %.200s", status, raw)
	}
}

func TestFGSRestart(t *testing.T) {
	needPrograms(t, "python3")
	dir := t.TempDir()
	e := start(t, dir)
	c := e.fgs()
	versionedFunction(t, c, "kept", 1)
	if _, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urnOf("kept", ""), Body: &model.CreateVersionAliasRequestBody{Name: "live", Version: "v1"}}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version string `json:"version"`
	}
	resultOf(t, invokeV1(t, c, urnOf("kept", "!live"), nil), &got)
	e.stop()

	// The function, its versions, code and aliases survive; instances start afresh.
	e = start(t, dir)
	c = e.fgs()
	got.Version = ""
	resultOf(t, invokeV1(t, c, urnOf("kept", "!live"), nil), &got)
	if got.Version != "v1" {
		t.Fatalf("after restart: %+v", got)
	}
	list, err := c.ListFunctionVersions(&model.ListFunctionVersionsRequest{FunctionUrn: urnOf("kept", "")})
	if err != nil || *list.Count != 2 {
		t.Fatalf("versions after restart: %+v %v", list, err)
	}
}
