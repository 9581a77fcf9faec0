package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/apisign"
)

// Helpers shared by the log group and log stream tests.

func ptrTo[T any](v T) *T { return &v }

// sdkTags is the SDK form of a tag map.
func sdkTags(m map[string]string) *[]model.TagsBody {
	out := []model.TagsBody{}
	for k, v := range m {
		out = append(out, model.TagsBody{Key: k, Value: ptrTo(v)})
	}
	return &out
}

// wantUUID checks that id is a 36-character UUID, as LTS ids are.
func wantUUID(t *testing.T, id *string) string {
	t.Helper()
	if id == nil {
		t.Fatal("no id in the response")
	}
	if _, err := uuid.Parse(*id); err != nil || len(*id) != 36 {
		t.Fatalf("id %q is not a 36-character UUID", *id)
	}
	return *id
}

// mustCreateGroup creates a log group and returns its id.
func mustCreateGroup(t *testing.T, c *lts.LtsClient, name string, ttl int32) string {
	t.Helper()
	resp, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: name, TtlInDays: ttl}})
	if err != nil {
		t.Fatalf("create group %q: %v", name, err)
	}
	return wantUUID(t, resp.LogGroupId)
}

// mustListGroups lists the client's log groups.
func mustListGroups(t *testing.T, c *lts.LtsClient) []model.LogGroup {
	t.Helper()
	resp, err := c.ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		t.Fatalf("list groups: %v", err)
	}
	if resp.HttpStatusCode != http.StatusOK || resp.LogGroups == nil {
		t.Fatalf("list groups: status %d, log_groups %v", resp.HttpStatusCode, resp.LogGroups)
	}
	return *resp.LogGroups
}

// mustFindGroup returns the listed group with this id.
func mustFindGroup(t *testing.T, c *lts.LtsClient, id string) model.LogGroup {
	t.Helper()
	for _, g := range mustListGroups(t, c) {
		if g.LogGroupId == id {
			return g
		}
	}
	t.Fatalf("group %s is not listed", id)
	return model.LogGroup{}
}

func groupNames(groups []model.LogGroup) []string {
	out := []string{}
	for _, g := range groups {
		out = append(out, g.LogGroupName)
	}
	return out
}

// wantSameStrings checks got against want, in any order.
func wantSameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, s := range want {
		count[s]++
	}
	for _, s := range got {
		count[s]--
	}
	for s, n := range count {
		if n != 0 {
			t.Fatalf("%s: got %q, want %q (in any order; %q differs)", what, got, want, s)
		}
	}
}

// wantTags checks a listed tag map; no tags may be listed as {} or left out.
func wantTags(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("tag = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("tag = %v, want %v", got, want)
		}
	}
}

// wantRecentMS checks a creation time in milliseconds against the wall
// clock around the call that created the resource.
func wantRecentMS(t *testing.T, ms int64, before, after time.Time) {
	t.Helper()
	if ms < before.UnixMilli() || ms > after.UnixMilli() {
		t.Fatalf("creation_time %d (%v) is not between %d and %d", ms, time.UnixMilli(ms), before.UnixMilli(), after.UnixMilli())
	}
}

// signed sends a hand-made request signed with the first-start key as the
// SDK signs it. project, when not empty, is sent as X-Project-Id.
func signed(t *testing.T, e *env, method, path, project string, body []byte) (int, []byte) {
	t.Helper()
	h := http.Header{}
	h.Set("User-Agent", "logtank-conformance")
	h.Set("Content-Type", "application/json;charset=UTF-8")
	if project != "" {
		h.Set("X-Project-Id", project)
	}
	status, _, data := send(t, e.URL, method, path, body, h, func(r *http.Request, b []byte) {
		apisign.Sign(r, b, testAK, testSK, time.Now())
	})
	return status, data
}

// wantRawErr checks a hand-made request's error answer and returns its message.
func wantRawErr(t *testing.T, status int, body []byte, wantStatus int, wantCode string) string {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
	}
	if code := errorCode(t, body); code != wantCode {
		t.Fatalf("error_code %s, want %s: %s", code, wantCode, body)
	}
	var eb struct {
		Msg string `json:"error_msg"`
	}
	_ = json.Unmarshal(body, &eb)
	return eb.Msg
}

// createProject adds a project to the admin's domain through the IAM API and
// returns its id.
func createProject(t *testing.T, e *env, name string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"project": map[string]string{"name": name}})
	status, data := signed(t, e, http.MethodPost, "/v3/projects", "", body)
	var out struct {
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	}
	if err := json.Unmarshal(data, &out); status != http.StatusCreated || err != nil || len(out.Project.ID) != 32 {
		t.Fatalf("create project %q: %d %s", name, status, data)
	}
	return out.Project.ID
}

var projectSeq atomic.Int64

// newProject adds a fresh project to the admin's domain and returns its id
// and an AK/SK client for it. Subtests that share a server each work in
// their own project, so that lists, quotas and names never collide.
func newProject(t *testing.T, e *env) (string, *lts.LtsClient) {
	t.Helper()
	id := createProject(t, e, fmt.Sprintf("%s_other%d", testRegion, projectSeq.Add(1)))
	return id, e.ltsClient(testAK, testSK, id, nil)
}

// TestLogGroups drives the log group APIs through the SDK, signed with
// AK/SK, then with an IAM token. One server serves every subtest (each
// start pays for hashing the admin password).
func TestLogGroups(t *testing.T) {
	e := start(t, "")
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"CreateAndList", testLogGroupCreateAndList},
		{"ListEmptyIsArray", testLogGroupListEmptyIsArray},
		{"CreateErrors", testLogGroupCreateErrors},
		{"Quota", testLogGroupQuota},
		{"HandMadeBodies", testLogGroupHandMadeBodies},
		{"Update", testLogGroupUpdate},
		{"Delete", testLogGroupDelete},
		{"ProjectIsolation", testLogGroupProjectIsolation},
		{"WrongProject", testLogGroupWrongProject},
		{"WithToken", testLogGroupsWithToken},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
	}
}

// Log group tests.

func testLogGroupCreateAndList(t *testing.T, e *env) {
	_, c := newProject(t, e)

	var created []string // ids of the groups this test created

	t.Run("created returns 201 and a UUID", func(t *testing.T) {
		resp, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "created", TtlInDays: 7}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusCreated {
			t.Fatalf("status %d, want 201", resp.HttpStatusCode)
		}
		created = append(created, wantUUID(t, resp.LogGroupId))
	})

	t.Run("listed with its fields", func(t *testing.T) {
		before := time.Now()
		id := mustCreateGroup(t, c, "listed-fields", 30)
		after := time.Now()
		created = append(created, id)
		g := mustFindGroup(t, c, id)
		if g.LogGroupName != "listed-fields" || g.TtlInDays != 30 {
			t.Fatalf("listed %+v", g)
		}
		wantRecentMS(t, g.CreationTime, before, after)
		wantTags(t, g.Tag, nil)
		if g.LogGroupNameAlias != nil && *g.LogGroupNameAlias != "" {
			t.Fatalf("alias %q, want none", *g.LogGroupNameAlias)
		}
	})

	t.Run("tags and alias are listed", func(t *testing.T) {
		tags := map[string]string{"team": "core", "env": "prod", "empty": ""}
		resp, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{
			LogGroupName: "tagged", TtlInDays: 14, Tags: sdkTags(tags), LogGroupNameAlias: ptrTo("Tagged group"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		id := wantUUID(t, resp.LogGroupId)
		created = append(created, id)
		g := mustFindGroup(t, c, id)
		wantTags(t, g.Tag, tags)
		if g.LogGroupNameAlias == nil || *g.LogGroupNameAlias != "Tagged group" {
			t.Fatalf("alias %v, want %q", g.LogGroupNameAlias, "Tagged group")
		}
	})

	t.Run("boundary names and TTLs are accepted", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			ttl  int32
		}{
			{strings.Repeat("n", 64), 1},
			{"a", 365},
			{"Mixed-Case_name.v2", 7},
			{"-leading-dash", 7},
			{"trailing_", 7},
			{"0digits", 7},
		} {
			id := mustCreateGroup(t, c, tc.name, tc.ttl)
			created = append(created, id)
			if g := mustFindGroup(t, c, id); g.LogGroupName != tc.name || g.TtlInDays != tc.ttl {
				t.Fatalf("listed %+v, want name %q ttl %d", g, tc.name, tc.ttl)
			}
		}
	})

	t.Run("list holds every group once", func(t *testing.T) {
		var ids []string
		for _, g := range mustListGroups(t, c) {
			ids = append(ids, g.LogGroupId)
		}
		wantSameStrings(t, "group ids", ids, created)
	})
}

func testLogGroupListEmptyIsArray(t *testing.T, e *env) {
	project, c := newProject(t, e)
	if got := mustListGroups(t, c); len(got) != 0 {
		t.Fatalf("new project lists %d groups", len(got))
	}
	status, body := signed(t, e, http.MethodGet, "/v2/"+project+"/groups", project, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if got := string(out["log_groups"]); got != "[]" {
		t.Fatalf("log_groups = %s, want []", got)
	}
}

func testLogGroupCreateErrors(t *testing.T, e *env) {
	_, c := newProject(t, e)
	mustCreateGroup(t, c, "taken", 7)

	for _, tc := range []struct {
		name   string
		params model.CreateLogGroupParams
		code   string
	}{
		{"duplicate name", model.CreateLogGroupParams{LogGroupName: "taken", TtlInDays: 30}, "LTS.0101"},
		{"ttl unset (sent as 0)", model.CreateLogGroupParams{LogGroupName: "ttl-unset"}, "LTS.0009"},
		{"ttl 366", model.CreateLogGroupParams{LogGroupName: "ttl-366", TtlInDays: 366}, "LTS.0009"},
		{"ttl negative", model.CreateLogGroupParams{LogGroupName: "ttl-negative", TtlInDays: -1}, "LTS.0009"},
		{"empty name", model.CreateLogGroupParams{LogGroupName: "", TtlInDays: 7}, "LTS.0009"},
		{"name of 65 characters", model.CreateLogGroupParams{LogGroupName: strings.Repeat("n", 65), TtlInDays: 7}, "LTS.0009"},
		{"name with a space", model.CreateLogGroupParams{LogGroupName: "with space", TtlInDays: 7}, "LTS.0009"},
		{"name with a slash", model.CreateLogGroupParams{LogGroupName: "a/b", TtlInDays: 7}, "LTS.0009"},
		{"name starting with a dot", model.CreateLogGroupParams{LogGroupName: ".hidden", TtlInDays: 7}, "LTS.0009"},
		{"name starting with an underscore", model.CreateLogGroupParams{LogGroupName: "_private", TtlInDays: 7}, "LTS.0009"},
		{"name ending with a dot", model.CreateLogGroupParams{LogGroupName: "dotted.", TtlInDays: 7}, "LTS.0009"},
		{"tag without a key", model.CreateLogGroupParams{LogGroupName: "bad-tag", TtlInDays: 7, Tags: &[]model.TagsBody{{Key: ""}}}, "LTS.0009"},
		{"alias of 65 characters", model.CreateLogGroupParams{LogGroupName: "bad-alias", TtlInDays: 7, LogGroupNameAlias: ptrTo(strings.Repeat("a", 65))}, "LTS.0009"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &tc.params})
			wantErr(t, err, http.StatusBadRequest, tc.code)
		})
	}

	t.Run("failed creations left nothing behind", func(t *testing.T) {
		wantSameStrings(t, "groups", groupNames(mustListGroups(t, c)), []string{"taken"})
		if g := mustListGroups(t, c)[0]; g.TtlInDays != 7 {
			t.Fatalf("the duplicate changed the group: %+v", g)
		}
	})
}

func testLogGroupQuota(t *testing.T, e *env) {
	_, c := newProject(t, e)
	var first string
	for i := range 100 {
		id := mustCreateGroup(t, c, fmt.Sprintf("quota-%03d", i), 7)
		if i == 0 {
			first = id
		}
	}
	_, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "one-too-many", TtlInDays: 7}})
	wantErr(t, err, http.StatusBadRequest, "LTS.0104")
	if n := len(mustListGroups(t, c)); n != 100 {
		t.Fatalf("listed %d groups, want 100", n)
	}

	// Deleting a group frees its place.
	if _, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: first}); err != nil {
		t.Fatal(err)
	}
	mustCreateGroup(t, c, "one-too-many", 7)
}

// TestLogGroupHandMadeBodies sends bodies the SDK cannot produce.
func testLogGroupHandMadeBodies(t *testing.T, e *env) {
	project, c := newProject(t, e)
	groups := "/v2/" + project + "/groups"
	existing := mustCreateGroup(t, c, "existing", 7)

	for _, tc := range []struct {
		name, path, body string
		code, field      string
	}{
		{"create: truncated JSON", groups, `{"log_group_name":"x",`, "LTS.0007", ""},
		{"create: not JSON", groups, `log_group_name=x&ttl_in_days=7`, "LTS.0007", ""},
		{"create: empty body", groups, ``, "LTS.0007", ""},
		{"create: two documents", groups, `{"log_group_name":"x","ttl_in_days":7} {}`, "LTS.0007", ""},
		{"create: ttl_in_days missing", groups, `{"log_group_name":"no-ttl"}`, "LTS.0009", "ttl_in_days"},
		{"create: ttl_in_days null", groups, `{"log_group_name":"null-ttl","ttl_in_days":null}`, "LTS.0009", "ttl_in_days"},
		{"create: ttl_in_days not a number", groups, `{"log_group_name":"x","ttl_in_days":"seven"}`, "LTS.0009", "ttl_in_days"},
		{"create: ttl_in_days a fraction", groups, `{"log_group_name":"x","ttl_in_days":7.5}`, "LTS.0009", "ttl_in_days"},
		{"create: ttl_in_days a quoted 0", groups, `{"log_group_name":"x","ttl_in_days":"0"}`, "LTS.0009", "ttl_in_days"},
		{"create: log_group_name a number", groups, `{"log_group_name":5,"ttl_in_days":7}`, "LTS.0009", "log_group_name"},
		{"create: tags an object", groups, `{"log_group_name":"x","ttl_in_days":7,"tags":{"k":"v"}}`, "LTS.0009", "tags"},
		{"update: truncated JSON", groups + "/" + existing, `{"ttl_in_days":`, "LTS.0007", ""},
		{"update: ttl_in_days missing", groups + "/" + existing, `{}`, "LTS.0009", "ttl_in_days"},
		{"update: ttl_in_days not a number", groups + "/" + existing, `{"ttl_in_days":"seven"}`, "LTS.0009", "ttl_in_days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := signed(t, e, http.MethodPost, tc.path, project, []byte(tc.body))
			msg := wantRawErr(t, status, body, http.StatusBadRequest, tc.code)
			if !strings.Contains(msg, tc.field) {
				t.Fatalf("message %q does not name %s", msg, tc.field)
			}
		})
	}

	t.Run("ttl_in_days as a numeric string is accepted", func(t *testing.T) {
		status, body := signed(t, e, http.MethodPost, groups, project, []byte(`{"log_group_name":"lenient","ttl_in_days":"7"}`))
		if status != http.StatusCreated {
			t.Fatalf("status %d: %s", status, body)
		}
		var out struct {
			ID string `json:"log_group_id"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if g := mustFindGroup(t, c, wantUUID(t, &out.ID)); g.LogGroupName != "lenient" || g.TtlInDays != 7 {
			t.Fatalf("listed %+v", g)
		}
	})

	t.Run("unknown fields are ignored", func(t *testing.T) {
		status, body := signed(t, e, http.MethodPost, groups, project, []byte(`{"log_group_name":"extra","ttl_in_days":3,"future_field":{"a":[1]}}`))
		if status != http.StatusCreated {
			t.Fatalf("status %d: %s", status, body)
		}
	})

	t.Run("update: ttl_in_days as a numeric string is accepted", func(t *testing.T) {
		status, body := signed(t, e, http.MethodPost, groups+"/"+existing, project, []byte(`{"ttl_in_days":"12"}`))
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if g := mustFindGroup(t, c, existing); g.TtlInDays != 12 {
			t.Fatalf("ttl %d, want 12", g.TtlInDays)
		}
	})

	t.Run("nothing was created by the failures", func(t *testing.T) {
		wantSameStrings(t, "groups", groupNames(mustListGroups(t, c)), []string{"existing", "lenient", "extra"})
	})
}

func testLogGroupUpdate(t *testing.T, e *env) {
	_, c := newProject(t, e)
	before := time.Now()
	id := mustCreateGroup(t, c, "updated", 7)
	after := time.Now()
	other := mustCreateGroup(t, c, "untouched", 7)

	update := func(t *testing.T, ttl int32, tags map[string]string) *model.UpdateLogGroupResponse {
		t.Helper()
		params := &model.UpdateLogGroupParams{TtlInDays: ttl}
		if tags != nil {
			params.Tags = sdkTags(tags)
		}
		resp, err := c.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: id, Body: params})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("new ttl is returned and listed", func(t *testing.T) {
		resp := update(t, 30, nil)
		if resp.HttpStatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.HttpStatusCode)
		}
		if resp.LogGroupId == nil || *resp.LogGroupId != id || resp.LogGroupName == nil || *resp.LogGroupName != "updated" ||
			resp.TtlInDays == nil || *resp.TtlInDays != 30 || resp.CreationTime == nil {
			t.Fatalf("response %+v", resp)
		}
		wantRecentMS(t, *resp.CreationTime, before, after)
		if g := mustFindGroup(t, c, id); g.TtlInDays != 30 || g.CreationTime != *resp.CreationTime {
			t.Fatalf("listed %+v", g)
		}
		if g := mustFindGroup(t, c, other); g.TtlInDays != 7 {
			t.Fatalf("another group changed: %+v", g)
		}
	})

	t.Run("tags are replaced when sent and kept when not", func(t *testing.T) {
		update(t, 30, map[string]string{"k": "v"})
		wantTags(t, mustFindGroup(t, c, id).Tag, map[string]string{"k": "v"})
		update(t, 31, nil)
		g := mustFindGroup(t, c, id)
		wantTags(t, g.Tag, map[string]string{"k": "v"})
		if g.TtlInDays != 31 {
			t.Fatalf("ttl %d, want 31", g.TtlInDays)
		}
	})

	t.Run("boundary ttls", func(t *testing.T) {
		for _, ttl := range []int32{1, 365} {
			if got := *update(t, ttl, nil).TtlInDays; got != ttl {
				t.Fatalf("ttl %d, want %d", got, ttl)
			}
		}
	})

	for _, tc := range []struct {
		name  string
		group string
		ttl   int32
		code  string
	}{
		{"ttl 0", id, 0, "LTS.0009"},
		{"ttl 366", id, 366, "LTS.0009"},
		{"unknown group", uuid.NewString(), 7, "LTS.0201"},
		{"group id that is not a UUID", "not-a-group", 7, "LTS.0201"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: tc.group, Body: &model.UpdateLogGroupParams{TtlInDays: tc.ttl}})
			wantErr(t, err, http.StatusBadRequest, tc.code)
		})
	}

	t.Run("failed updates changed nothing", func(t *testing.T) {
		if g := mustFindGroup(t, c, id); g.TtlInDays != 365 {
			t.Fatalf("ttl %d, want 365", g.TtlInDays)
		}
	})
}

func testLogGroupDelete(t *testing.T, e *env) {
	_, c := newProject(t, e)
	doomed := mustCreateGroup(t, c, "doomed", 7)
	kept := mustCreateGroup(t, c, "kept", 7)
	mustCreateStream(t, c, doomed, "doomed-a", nil)
	mustCreateStream(t, c, doomed, "doomed-b", nil)
	keptStream := mustCreateStream(t, c, kept, "kept-a", nil)

	t.Run("returns 204", func(t *testing.T) {
		resp, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: doomed})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("status %d, want 204", resp.HttpStatusCode)
		}
	})

	t.Run("group is no longer listed", func(t *testing.T) {
		wantSameStrings(t, "groups", groupNames(mustListGroups(t, c)), []string{"kept"})
	})

	t.Run("its streams are gone", func(t *testing.T) {
		_, err := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: doomed})
		wantErr(t, err, http.StatusBadRequest, "LTS.0201")
		all := mustListStreams(t, c, nil, nil)
		if len(all) != 1 || all[0].LogStreamId != keptStream {
			t.Fatalf("streams after delete: %+v", all)
		}
		if got := mustListStreams(t, c, ptrTo("doomed"), nil); len(got) != 0 {
			t.Fatalf("streams of the deleted group by name: %+v", got)
		}
	})

	t.Run("deleting again", func(t *testing.T) {
		_, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: doomed})
		wantErr(t, err, http.StatusBadRequest, "LTS.0201")
	})

	t.Run("unknown group", func(t *testing.T) {
		_, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: uuid.NewString()})
		wantErr(t, err, http.StatusBadRequest, "LTS.0201")
	})

	t.Run("the name can be used again", func(t *testing.T) {
		id := mustCreateGroup(t, c, "doomed", 7)
		if id == doomed {
			t.Fatal("the new group reuses the deleted group's id")
		}
		if got := mustListGroupStreams(t, c, id); len(got) != 0 {
			t.Fatalf("the new group inherited streams: %+v", got)
		}
	})
}

// TestLogGroupProjectIsolation checks that projects do not see each other's
// groups and streams, even for the same caller.
func testLogGroupProjectIsolation(t *testing.T, e *env) {
	_, a := newProject(t, e)
	_, b := newProject(t, e)

	groupA := mustCreateGroup(t, a, "shared-name", 7)
	streamA := mustCreateStream(t, a, groupA, "stream-a", nil)

	t.Run("the other project lists nothing", func(t *testing.T) {
		if got := mustListGroups(t, b); len(got) != 0 {
			t.Fatalf("project B lists %q", groupNames(got))
		}
		if got := mustListStreams(t, b, nil, nil); len(got) != 0 {
			t.Fatalf("project B lists streams %+v", got)
		}
	})

	var groupB string
	t.Run("the same name is free in the other project", func(t *testing.T) {
		groupB = mustCreateGroup(t, b, "shared-name", 30)
		mustCreateStream(t, b, groupB, "stream-a", nil)
		if g := mustListGroups(t, a); len(g) != 1 || g[0].LogGroupId != groupA || g[0].TtlInDays != 7 {
			t.Fatalf("project A lists %+v", g)
		}
		if s := mustListStreams(t, a, nil, nil); len(s) != 1 || s[0].LogStreamId != streamA {
			t.Fatalf("project A lists streams %+v", s)
		}
	})

	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"update group", func() error {
			_, err := b.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: groupA, Body: &model.UpdateLogGroupParams{TtlInDays: 9}})
			return err
		}, "LTS.0201"},
		{"delete group", func() error {
			_, err := b.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: groupA})
			return err
		}, "LTS.0201"},
		{"create stream", func() error {
			_, err := b.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: groupA, Body: &model.CreateLogStreamParams{LogStreamName: "intruder"}})
			return err
		}, "LTS.0201"},
		{"list group streams", func() error {
			_, err := b.ListLogStream(&model.ListLogStreamRequest{LogGroupId: groupA})
			return err
		}, "LTS.0201"},
		{"update stream", func() error {
			_, err := b.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: groupA, LogStreamId: streamA, Body: &model.UpdateLogStreamParams{TtlInDays: 9}})
			return err
		}, "LTS.0201"},
		{"delete stream", func() error {
			_, err := b.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: groupA, LogStreamId: streamA})
			return err
		}, "LTS.0201"},
		{"update stream of A under B's group", func() error {
			_, err := b.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: groupB, LogStreamId: streamA, Body: &model.UpdateLogStreamParams{TtlInDays: 9}})
			return err
		}, "LTS.0208"},
		{"delete stream of A under B's group", func() error {
			_, err := b.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: groupB, LogStreamId: streamA})
			return err
		}, "LTS.0208"},
	} {
		t.Run("A's ids under B's path: "+tc.name, func(t *testing.T) {
			wantErr(t, tc.call(), http.StatusBadRequest, tc.code)
		})
	}

	t.Run("A is unchanged", func(t *testing.T) {
		if g := mustFindGroup(t, a, groupA); g.TtlInDays != 7 {
			t.Fatalf("group of A: %+v", g)
		}
		s := mustListGroupStreams(t, a, groupA)
		if len(s) != 1 || *s[0].LogStreamId != streamA || *s[0].TtlInDays != 7 {
			t.Fatalf("streams of A: %+v", s)
		}
	})

	t.Run("the quota is per project", func(t *testing.T) {
		for i := len(mustListGroups(t, b)); i < 100; i++ {
			mustCreateGroup(t, b, fmt.Sprintf("fill-%03d", i), 7)
		}
		_, err := b.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "over", TtlInDays: 7}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0104")
		mustCreateGroup(t, a, "still-room", 7)
	})
}

// TestLogGroupWrongProject addresses projects that are not the caller's.
func testLogGroupWrongProject(t *testing.T, e *env) {
	_, c := newProject(t, e)
	group := mustCreateGroup(t, c, "mine", 7)

	// A project of another domain: it exists, but the caller may not use it.
	status, body := signed(t, e, http.MethodPost, "/v3/domains", "", []byte(`{"domain":{"name":"stranger"}}`))
	var dom struct {
		Domain struct {
			ID string `json:"id"`
		} `json:"domain"`
	}
	if err := json.Unmarshal(body, &dom); status != http.StatusCreated || err != nil || dom.Domain.ID == "" {
		t.Fatalf("create domain: %d %s", status, body)
	}
	status, body = signed(t, e, http.MethodPost, "/v3/projects", "", []byte(`{"project":{"name":"cn-north-4","domain_id":"`+dom.Domain.ID+`"}}`))
	var proj struct {
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	}
	if err := json.Unmarshal(body, &proj); status != http.StatusCreated || err != nil || proj.Project.ID == "" {
		t.Fatalf("create project: %d %s", status, body)
	}

	for _, project := range []struct{ name, id string }{
		{"unknown project", "fedcba9876543210fedcba9876543210"},
		{"another domain's project", proj.Project.ID},
	} {
		wrong := e.ltsClient(testAK, testSK, project.id, nil)
		for _, op := range groupAndStreamCalls(wrong, group) {
			t.Run(project.name+": "+op.name, func(t *testing.T) {
				wantErr(t, op.call(), http.StatusForbidden, "LTS.0001")
			})
		}
	}

	t.Run("nothing changed", func(t *testing.T) {
		g := mustListGroups(t, c)
		if len(g) != 1 || g[0].LogGroupId != group || g[0].TtlInDays != 7 {
			t.Fatalf("groups: %+v", g)
		}
		if s := mustListStreams(t, c, nil, nil); len(s) != 0 {
			t.Fatalf("streams: %+v", s)
		}
	})
}

type namedCall struct {
	name string
	call func() error
}

// groupAndStreamCalls are one valid call of each group and stream API,
// addressing group (and a made-up stream in it) through c.
func groupAndStreamCalls(c *lts.LtsClient, group string) []namedCall {
	stream := uuid.NewString()
	return []namedCall{
		{"create group", func() error {
			_, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "intruder", TtlInDays: 7}})
			return err
		}},
		{"list groups", func() error { _, err := c.ListLogGroups(&model.ListLogGroupsRequest{}); return err }},
		{"update group", func() error {
			_, err := c.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: group, Body: &model.UpdateLogGroupParams{TtlInDays: 9}})
			return err
		}},
		{"delete group", func() error {
			_, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: group})
			return err
		}},
		{"create stream", func() error {
			_, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "intruder"}})
			return err
		}},
		{"list group streams", func() error { _, err := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: group}); return err }},
		{"list streams", func() error { _, err := c.ListLogStreams(&model.ListLogStreamsRequest{}); return err }},
		{"update stream", func() error {
			_, err := c.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: group, LogStreamId: stream, Body: &model.UpdateLogStreamParams{TtlInDays: 9}})
			return err
		}},
		{"delete stream", func() error {
			_, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: stream})
			return err
		}},
	}
}

// TestLogGroupsWithToken repeats the main group calls with an IAM token.
func testLogGroupsWithToken(t *testing.T, e *env) {
	// The admin token is scoped to the first-start project.
	token := e.adminToken()
	c := e.ltsToken(token, testProject)
	otherID, other := newProject(t, e)

	var id string
	t.Run("create", func(t *testing.T) {
		resp, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{
			LogGroupName: "by-token", TtlInDays: 7, Tags: sdkTags(map[string]string{"via": "token"}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusCreated {
			t.Fatalf("status %d", resp.HttpStatusCode)
		}
		id = wantUUID(t, resp.LogGroupId)
	})

	t.Run("list shows the group to both kinds of client", func(t *testing.T) {
		for _, client := range []*lts.LtsClient{c, e.lts()} {
			g := mustFindGroup(t, client, id)
			if g.LogGroupName != "by-token" || g.TtlInDays != 7 {
				t.Fatalf("listed %+v", g)
			}
			wantTags(t, g.Tag, map[string]string{"via": "token"})
		}
	})

	t.Run("duplicate name", func(t *testing.T) {
		_, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "by-token", TtlInDays: 7}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0101")
	})

	t.Run("bad ttl", func(t *testing.T) {
		_, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "bad-ttl", TtlInDays: 0}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0009")
	})

	t.Run("update", func(t *testing.T) {
		resp, err := c.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: id, Body: &model.UpdateLogGroupParams{TtlInDays: 60}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.TtlInDays == nil || *resp.TtlInDays != 60 {
			t.Fatalf("response %+v", resp)
		}
		if g := mustFindGroup(t, c, id); g.TtlInDays != 60 {
			t.Fatalf("ttl %d, want 60", g.TtlInDays)
		}
	})

	t.Run("unknown group", func(t *testing.T) {
		_, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: uuid.NewString()})
		wantErr(t, err, http.StatusBadRequest, "LTS.0201")
	})

	t.Run("token of project A on project B's path", func(t *testing.T) {
		// The AK/SK caller may use B; the token is scoped to A only.
		if got := mustListGroups(t, other); len(got) != 0 {
			t.Fatalf("project B lists %q", groupNames(got))
		}
		wrong := e.ltsToken(token, otherID)
		for _, op := range groupAndStreamCalls(wrong, id) {
			t.Run(op.name, func(t *testing.T) {
				wantErr(t, op.call(), http.StatusForbidden, "LTS.0001")
			})
		}
	})

	t.Run("delete", func(t *testing.T) {
		resp, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: id})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("status %d", resp.HttpStatusCode)
		}
		if got := mustListGroups(t, c); len(got) != 0 {
			t.Fatalf("listed %q", groupNames(got))
		}
	})
}
