package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// TestShippersCreateStreams: with the project's setting on, a group and
// streams that shippers name are created on first use, within the quotas
// and naming rules of the LTS APIs; off (the default), they are refused.
func TestShippersCreateStreams(t *testing.T) {
	e := start(t, "")
	settings := "/v2/" + testProject + "/lts/shipper-settings"
	signed := signer(testAK, testSK, testProject, time.Now())
	show := func() string {
		status, _, body := e.raw("GET", settings, nil, nil, signed)
		if status != 200 {
			t.Fatalf("settings: %d %s", status, body)
		}
		return string(body)
	}
	if got := show(); got != `{"create_streams":false,"ttl_in_days":7}` {
		t.Fatalf("default settings %s", got)
	}
	bulk := func(path, body string) []map[string]struct {
		Status int
		Error  struct{ Reason string }
	} {
		t.Helper()
		h := http.Header{"Content-Type": {"application/x-ndjson"}, "Authorization": {basicAuth(testAK, testSK)}}
		status, _, resp := e.raw("POST", "/v2/"+testProject+"/es"+path, []byte(body), h, nil)
		var ans struct {
			Items []map[string]struct {
				Status int
				Error  struct{ Reason string }
			}
		}
		if status != 200 || json.Unmarshal(resp, &ans) != nil {
			t.Fatalf("bulk: %d %s", status, resp)
		}
		return ans.Items
	}
	doc := func(index, msg string) string {
		return fmt.Sprintf("{\"create\":{\"_index\":%q}}\n{\"message\":%q}\n", index, msg)
	}
	if items := bulk("/_bulk?group=shipped", doc("app-a", "refused")); items[0]["create"].Status != 400 || !strings.Contains(items[0]["create"].Error.Reason, "shipped") {
		t.Fatalf("a missing group with the setting off: %+v", items)
	}

	for _, tc := range []struct{ body, code string }{
		{`{"ttl_in_days":0}`, "LTS.0009"},
		{`{"ttl_in_days":366}`, "LTS.0009"},
		{`{"create_streams":"yes"}`, "LTS.0009"},
		{`not json`, ""},
	} {
		status, _, body := e.raw("PUT", settings, []byte(tc.body), http.Header{"Content-Type": {"application/json"}}, signed)
		if status != 400 || tc.code != "" && errorCode(t, body) != tc.code {
			t.Errorf("PUT %s: %d %s", tc.body, status, body)
		}
	}
	status, _, body := e.raw("PUT", settings, []byte(`{"create_streams":true,"ttl_in_days":3}`), http.Header{"Content-Type": {"application/json"}}, signed)
	if status != 200 || string(body) != `{"create_streams":true,"ttl_in_days":3}` || show() != string(body) {
		t.Fatalf("PUT: %d %s", status, body)
	}
	status, _, body = e.raw("PUT", settings, []byte(`{}`), http.Header{"Content-Type": {"application/json"}}, signed)
	if status != 200 || string(body) != `{"create_streams":true,"ttl_in_days":3}` {
		t.Fatalf("an empty change: %d %s", status, body)
	}

	// Eight requests at once name the same new stream: one group, one
	// stream, every line stored.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := http.Header{"Content-Type": {"application/x-ndjson"}, "Authorization": {basicAuth(testAK, testSK)}}
			status, _, resp := send(t, e.URL, "POST", "/v2/"+testProject+"/es/_bulk?group=shipped", []byte(doc("app-a", fmt.Sprintf("concurrent %d", i))), h, nil)
			if status != 200 || strings.Contains(string(resp), `"errors":true`) {
				t.Errorf("concurrent bulk: %d %s", status, resp)
			}
		}()
	}
	wg.Wait()
	groups, err := e.lts().ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var group model.LogGroup
	n := 0
	for _, g := range *groups.LogGroups {
		if g.LogGroupName == "shipped" {
			group, n = g, n+1
		}
	}
	if n != 1 || group.TtlInDays != 3 {
		t.Fatalf("%d groups named shipped, %+v", n, group)
	}
	streams, err := e.lts().ListLogStream(&model.ListLogStreamRequest{LogGroupId: group.LogGroupId})
	if err != nil || len(*streams.LogStreams) != 1 || *(*streams.LogStreams)[0].LogStreamName != "app-a" {
		t.Fatalf("streams: %+v %v", streams, err)
	}
	if lines := otlpLines(t, e, group.LogGroupId, *(*streams.LogStreams)[0].LogStreamId, "concurrent"); len(lines) != 8 {
		t.Fatalf("%d lines", len(lines))
	}

	// Quotas and names apply: 99 more streams fit the group, the 101st
	// and a bad name do not, and only their items fail.
	var sb strings.Builder
	for i := range 100 {
		sb.WriteString(doc(fmt.Sprintf("s%03d", i), "quota"))
	}
	sb.WriteString(doc("bad name!", "named badly"))
	items := bulk("/_bulk?group=shipped", sb.String())
	failed := map[int]string{}
	for i, it := range items {
		if it["create"].Status != 201 {
			failed[i] = it["create"].Error.Reason
		}
	}
	if len(items) != 101 || len(failed) != 2 || !strings.Contains(failed[99], "100") || !strings.Contains(failed[100], "may contain only") {
		t.Fatalf("%d items, failed %v", len(items), failed)
	}

	// Another project's groups are never reached: the setting is per
	// project, and names resolve within the path's project only.
	h := http.Header{"Content-Type": {"application/x-ndjson"}, "Authorization": {basicAuth(testAK, testSK)}}
	if status, _, _ := e.raw("POST", "/v2/ffffffffffffffffffffffffffffffff/es/_bulk?group=shipped", []byte(doc("app-a", "x")), h, nil); status != 403 {
		t.Fatalf("another project: %d", status)
	}
}
