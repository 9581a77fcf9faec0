package conformance

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2/model"
)

// BenchmarkFGSInvokeAlias measures a synchronous invocation through an
// alias with a 30% canary, end to end: the SDK signs, the server
// authenticates, resolves the URN, routes and runs a warm Python instance.
func BenchmarkFGSInvokeAlias(b *testing.B) {
	// The harness's helpers take a *testing.T, as in BenchmarkIngestHTTP.
	t := &testing.T{}
	e := start(t, b.TempDir())
	defer e.stop()
	c := e.fgs()
	createFunction(t, c, "bench", "Python3.9", "index.handler", pythonVersion(t, "v1"))
	publish(t, c, "bench", "v1")
	updateCode(t, c, "bench", pythonVersion(t, "v2"))
	publish(t, c, "bench", "v2")
	if _, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urnOf("bench", ""), Body: &model.CreateVersionAliasRequestBody{
		Name: "live", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 30},
	}}); err != nil {
		b.Fatal(err)
	}
	urn := urnOf("bench", "!live")
	for range 20 { // warm both versions
		invokeV1(t, c, urn, nil)
	}
	v1 := "v1"
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.InvokeFunction(&model.InvokeFunctionRequest{FunctionUrn: urn, XCFFRequestVersion: &v1, Body: map[string]any{"k": "v"}}); err != nil {
			b.Fatal(err)
		}
	}
}
