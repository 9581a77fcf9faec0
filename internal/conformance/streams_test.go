package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// TestLogStreams drives the log stream APIs through the SDK, signed with
// AK/SK, then with an IAM token. Like TestLogGroups, its subtests share one
// server and each works in a project of its own.
func TestLogStreams(t *testing.T) {
	e := start(t, "")
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"CreateAndList", testLogStreamCreateAndList},
		{"ListAll", testLogStreamListAll},
		{"CreateErrors", testLogStreamCreateErrors},
		{"Quota", testLogStreamQuota},
		{"Update", testLogStreamUpdate},
		{"Delete", testLogStreamDelete},
		{"HandMadeBodies", testLogStreamHandMadeBodies},
		{"WithToken", testLogStreamsWithToken},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
	}
}

// mustCreateStream creates a log stream (with its own TTL when ttl is not
// nil) and returns its id.
func mustCreateStream(t *testing.T, c *lts.LtsClient, group, name string, ttl *int32) string {
	t.Helper()
	resp, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: name, TtlInDays: ttl}})
	if err != nil {
		t.Fatalf("create stream %q: %v", name, err)
	}
	return wantUUID(t, resp.LogStreamId)
}

// mustListGroupStreams lists the streams of one group (ListLogStream).
func mustListGroupStreams(t *testing.T, c *lts.LtsClient, group string) []model.LogStreamResBody {
	t.Helper()
	resp, err := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: group})
	if err != nil {
		t.Fatalf("list streams of %s: %v", group, err)
	}
	if resp.HttpStatusCode != http.StatusOK || resp.LogStreams == nil {
		t.Fatalf("list streams of %s: status %d, log_streams %v", group, resp.HttpStatusCode, resp.LogStreams)
	}
	return *resp.LogStreams
}

// mustListStreams lists the project's streams (ListLogStreams), filtered by
// group and stream name when they are not nil.
func mustListStreams(t *testing.T, c *lts.LtsClient, groupName, streamName *string) []model.ListLogStreamsResponseBody1LogStreams {
	t.Helper()
	resp, err := c.ListLogStreams(&model.ListLogStreamsRequest{LogGroupName: groupName, LogStreamName: streamName})
	if err != nil {
		t.Fatalf("list streams: %v", err)
	}
	if resp.HttpStatusCode != http.StatusOK || resp.LogStreams == nil {
		t.Fatalf("list streams: status %d, log_streams %v", resp.HttpStatusCode, resp.LogStreams)
	}
	return *resp.LogStreams
}

// streamView is what both list APIs say about one stream.
type streamView struct {
	group        string // only from ListLogStreams
	name         string
	ttl          int32
	created      int64
	filterCount  int32
	tag          map[string]string
	alias        string
	logStorage   bool
	hasGroupID   bool
	hasTTL       bool
	hasStorage   bool
	hasFilterCnt bool
}

func deref[T any](p *T) (v T, ok bool) {
	if p == nil {
		return v, false
	}
	return *p, true
}

// mustFindStream returns what ListLogStream (of group) and ListLogStreams
// list for stream id, after checking that the two agree.
func mustFindStream(t *testing.T, c *lts.LtsClient, group, id string) streamView {
	t.Helper()
	var inGroup, inAll *streamView
	for _, s := range mustListGroupStreams(t, c, group) {
		if sid, _ := deref(s.LogStreamId); sid != id {
			continue
		}
		v := streamView{tag: s.Tag}
		v.name, _ = deref(s.LogStreamName)
		v.ttl, v.hasTTL = deref(s.TtlInDays)
		v.created, _ = deref(s.CreationTime)
		v.filterCount, v.hasFilterCnt = deref(s.FilterCount)
		v.alias, _ = deref(s.LogStreamNameAlias)
		v.logStorage, v.hasStorage = deref(s.WhetherLogStorage)
		inGroup = &v
	}
	for _, s := range mustListStreams(t, c, nil, nil) {
		if s.LogStreamId != id {
			continue
		}
		v := streamView{name: s.LogStreamName, created: s.CreationTime, filterCount: s.FilterCount, hasFilterCnt: true, tag: s.Tag}
		v.group, v.hasGroupID = deref(s.LogGroupId)
		v.ttl, v.hasTTL = deref(s.TtlInDays)
		v.alias, _ = deref(s.LogStreamNameAlias)
		v.logStorage, v.hasStorage = deref(s.WhetherLogStorage)
		inAll = &v
	}
	switch {
	case inGroup == nil:
		t.Fatalf("stream %s is not listed in its group %s", id, group)
	case inAll == nil:
		t.Fatalf("stream %s is not listed by ListLogStreams", id)
	case !inAll.hasGroupID || inAll.group != group:
		t.Fatalf("ListLogStreams gives stream %s log_group_id %q, want %s", id, inAll.group, group)
	case !inGroup.hasTTL || !inAll.hasTTL || !inGroup.hasFilterCnt || !inGroup.hasStorage || !inAll.hasStorage:
		t.Fatalf("stream %s lacks ttl_in_days, filter_count or whether_log_storage: %+v / %+v", id, *inGroup, *inAll)
	case inGroup.name != inAll.name || inGroup.ttl != inAll.ttl || inGroup.created != inAll.created ||
		inGroup.alias != inAll.alias || inGroup.logStorage != inAll.logStorage || inGroup.filterCount != inAll.filterCount:
		t.Fatalf("the list APIs disagree on stream %s: %+v / %+v", id, *inGroup, *inAll)
	}
	wantTags(t, inAll.tag, inGroup.tag)
	return *inAll
}

func testLogStreamCreateAndList(t *testing.T, e *env) {
	_, c := newProject(t, e)
	group := mustCreateGroup(t, c, "streams-home", 7)
	otherGroup := mustCreateGroup(t, c, "streams-elsewhere", 30)

	var inheriting, own string
	t.Run("created returns 201 and a UUID", func(t *testing.T) {
		resp, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "inheriting"}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusCreated {
			t.Fatalf("status %d, want 201", resp.HttpStatusCode)
		}
		inheriting = wantUUID(t, resp.LogStreamId)
	})

	t.Run("listed with its fields", func(t *testing.T) {
		before := time.Now()
		id := mustCreateStream(t, c, group, "fields", nil)
		after := time.Now()
		v := mustFindStream(t, c, group, id)
		if v.name != "fields" || v.filterCount != 0 || !v.logStorage || v.alias != "" {
			t.Fatalf("listed %+v", v)
		}
		wantRecentMS(t, v.created, before, after)
		wantTags(t, v.tag, nil)
	})

	t.Run("without ttl the group's ttl is listed", func(t *testing.T) {
		if v := mustFindStream(t, c, group, inheriting); v.ttl != 7 {
			t.Fatalf("ttl %d, want the group's 7", v.ttl)
		}
	})

	t.Run("with ttl its own ttl is listed", func(t *testing.T) {
		own = mustCreateStream(t, c, group, "own-ttl", ptrTo[int32](90))
		if v := mustFindStream(t, c, group, own); v.ttl != 90 {
			t.Fatalf("ttl %d, want 90", v.ttl)
		}
	})

	t.Run("a new group ttl reaches only the streams without their own", func(t *testing.T) {
		if _, err := c.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: group, Body: &model.UpdateLogGroupParams{TtlInDays: 45}}); err != nil {
			t.Fatal(err)
		}
		if v := mustFindStream(t, c, group, inheriting); v.ttl != 45 {
			t.Fatalf("inheriting stream ttl %d, want 45", v.ttl)
		}
		if v := mustFindStream(t, c, group, own); v.ttl != 90 {
			t.Fatalf("own-ttl stream ttl %d, want 90", v.ttl)
		}
	})

	t.Run("tags, alias and enterprise project", func(t *testing.T) {
		tags := map[string]string{"app": "web", "tier": ""}
		resp, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{
			LogStreamName: "decorated", Tags: sdkTags(tags), LogStreamNameAlias: ptrTo("Decorated stream"),
			EnterpriseProjectName: ptrTo("ep_prod-1"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		v := mustFindStream(t, c, group, wantUUID(t, resp.LogStreamId))
		wantTags(t, v.tag, tags)
		if v.alias != "Decorated stream" {
			t.Fatalf("alias %q", v.alias)
		}
	})

	t.Run("the same name in another group", func(t *testing.T) {
		id := mustCreateStream(t, c, otherGroup, "inheriting", nil)
		if id == inheriting {
			t.Fatal("two streams share an id")
		}
		if v := mustFindStream(t, c, otherGroup, id); v.ttl != 30 || v.name != "inheriting" {
			t.Fatalf("listed %+v", v)
		}
	})

	t.Run("boundary names and ttls are accepted", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			ttl  int32
		}{
			{strings.Repeat("s", 64), 1},
			{"s", 365},
			{"Mixed-Case_name.v2", 7},
			{"-leading-dash", 7},
			{"trailing_", 7},
		} {
			id := mustCreateStream(t, c, otherGroup, tc.name, ptrTo(tc.ttl))
			if v := mustFindStream(t, c, otherGroup, id); v.name != tc.name || v.ttl != tc.ttl {
				t.Fatalf("listed %+v, want name %q ttl %d", v, tc.name, tc.ttl)
			}
		}
	})

	t.Run("each group lists only its streams", func(t *testing.T) {
		var names []string
		for _, s := range mustListGroupStreams(t, c, group) {
			names = append(names, *s.LogStreamName)
		}
		wantSameStrings(t, "streams of the group", names, []string{"inheriting", "fields", "own-ttl", "decorated"})
	})
}

func testLogStreamListAll(t *testing.T, e *env) {
	project, c := newProject(t, e)
	alpha := mustCreateGroup(t, c, "alpha", 7)
	beta := mustCreateGroup(t, c, "beta", 14)
	gamma := mustCreateGroup(t, c, "gamma", 7)
	ids := map[string]string{ // "group/stream" -> stream id
		"alpha/s1": mustCreateStream(t, c, alpha, "s1", nil),
		"alpha/s2": mustCreateStream(t, c, alpha, "s2", ptrTo[int32](3)),
		"beta/s1":  mustCreateStream(t, c, beta, "s1", nil),
		"beta/s3":  mustCreateStream(t, c, beta, "s3", nil),
	}
	groupName := map[string]string{alpha: "alpha", beta: "beta", gamma: "gamma"}
	ttl := map[string]int32{"alpha/s1": 7, "alpha/s2": 3, "beta/s1": 14, "beta/s3": 14}

	for _, tc := range []struct {
		name          string
		group, stream *string
		want          []string
	}{
		{"no filter", nil, nil, []string{"alpha/s1", "alpha/s2", "beta/s1", "beta/s3"}},
		{"by group name", ptrTo("alpha"), nil, []string{"alpha/s1", "alpha/s2"}},
		{"by stream name", nil, ptrTo("s1"), []string{"alpha/s1", "beta/s1"}},
		{"by group and stream name", ptrTo("beta"), ptrTo("s1"), []string{"beta/s1"}},
		{"group without streams", ptrTo("gamma"), nil, nil},
		{"stream not in that group", ptrTo("alpha"), ptrTo("s3"), nil},
		{"unknown group name", ptrTo("delta"), nil, nil},
		{"unknown stream name", nil, ptrTo("s9"), nil},
		{"group name prefix is not a match", ptrTo("alp"), nil, nil},
		{"stream name prefix is not a match", nil, ptrTo("s"), nil},
		{"names are case-sensitive", ptrTo("ALPHA"), ptrTo("S1"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range mustListStreams(t, c, tc.group, tc.stream) {
				if s.LogGroupId == nil {
					t.Fatalf("stream %s without log_group_id", s.LogStreamId)
				}
				key := groupName[*s.LogGroupId] + "/" + s.LogStreamName
				if ids[key] != s.LogStreamId {
					t.Fatalf("listed %s as %s, want id %s", s.LogStreamId, key, ids[key])
				}
				if s.TtlInDays == nil || *s.TtlInDays != ttl[key] {
					t.Fatalf("%s ttl %v, want %d", key, s.TtlInDays, ttl[key])
				}
				got = append(got, key)
			}
			wantSameStrings(t, "streams", got, tc.want)
		})
	}

	t.Run("ListLogStream lists one group", func(t *testing.T) {
		for group, want := range map[string][]string{alpha: {"s1", "s2"}, beta: {"s1", "s3"}, gamma: nil} {
			var got []string
			for _, s := range mustListGroupStreams(t, c, group) {
				if *s.LogStreamId != ids[groupName[group]+"/"+*s.LogStreamName] {
					t.Fatalf("group %s lists a stranger: %+v", groupName[group], s)
				}
				got = append(got, *s.LogStreamName)
			}
			wantSameStrings(t, "streams of "+groupName[group], got, want)
		}
	})

	t.Run("empty lists are [] on the wire", func(t *testing.T) {
		for _, path := range []string{
			"/v2/" + project + "/groups/" + gamma + "/streams",
			"/v2/" + project + "/log-streams?log_group_name=delta",
		} {
			status, body := signed(t, e, http.MethodGet, path, project, nil)
			var out map[string]json.RawMessage
			if err := json.Unmarshal(body, &out); status != http.StatusOK || err != nil {
				t.Fatalf("%s: %d %s", path, status, body)
			}
			if got := string(out["log_streams"]); got != "[]" {
				t.Fatalf("%s: log_streams = %s, want []", path, got)
			}
		}
	})

	t.Run("unknown group for ListLogStream", func(t *testing.T) {
		for _, group := range []string{uuid.NewString(), "not-a-group"} {
			_, err := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: group})
			wantErr(t, err, http.StatusBadRequest, "LTS.0201")
		}
	})

	t.Run("filter of 65 characters", func(t *testing.T) {
		_, err := c.ListLogStreams(&model.ListLogStreamsRequest{LogGroupName: ptrTo(strings.Repeat("g", 65))})
		wantErr(t, err, http.StatusBadRequest, "LTS.0009")
	})
}

func testLogStreamCreateErrors(t *testing.T, e *env) {
	_, c := newProject(t, e)
	group := mustCreateGroup(t, c, "home", 7)
	mustCreateStream(t, c, group, "taken", nil)

	for _, tc := range []struct {
		name   string
		group  string
		params model.CreateLogStreamParams
		code   string
	}{
		{"duplicate name in the group", group, model.CreateLogStreamParams{LogStreamName: "taken"}, "LTS.0205"},
		{"duplicate name with another ttl", group, model.CreateLogStreamParams{LogStreamName: "taken", TtlInDays: ptrTo[int32](30)}, "LTS.0205"},
		{"unknown group", uuid.NewString(), model.CreateLogStreamParams{LogStreamName: "orphan"}, "LTS.0201"},
		{"group id that is not a UUID", "not-a-group", model.CreateLogStreamParams{LogStreamName: "orphan"}, "LTS.0201"},
		{"ttl 0", group, model.CreateLogStreamParams{LogStreamName: "ttl-0", TtlInDays: ptrTo[int32](0)}, "LTS.0009"},
		{"ttl 366", group, model.CreateLogStreamParams{LogStreamName: "ttl-366", TtlInDays: ptrTo[int32](366)}, "LTS.0009"},
		{"ttl negative", group, model.CreateLogStreamParams{LogStreamName: "ttl-negative", TtlInDays: ptrTo[int32](-7)}, "LTS.0009"},
		{"empty name", group, model.CreateLogStreamParams{LogStreamName: ""}, "LTS.0009"},
		{"name of 65 characters", group, model.CreateLogStreamParams{LogStreamName: strings.Repeat("s", 65)}, "LTS.0009"},
		{"name with a space", group, model.CreateLogStreamParams{LogStreamName: "with space"}, "LTS.0009"},
		{"name with a colon", group, model.CreateLogStreamParams{LogStreamName: "a:b"}, "LTS.0009"},
		{"name starting with a dot", group, model.CreateLogStreamParams{LogStreamName: ".hidden"}, "LTS.0009"},
		{"name starting with an underscore", group, model.CreateLogStreamParams{LogStreamName: "_private"}, "LTS.0009"},
		{"name ending with a dot", group, model.CreateLogStreamParams{LogStreamName: "dotted."}, "LTS.0009"},
		{"alias of 65 characters", group, model.CreateLogStreamParams{LogStreamName: "long-alias", LogStreamNameAlias: ptrTo(strings.Repeat("a", 65))}, "LTS.0009"},
		{`enterprise project "default"`, group, model.CreateLogStreamParams{LogStreamName: "ep-default", EnterpriseProjectName: ptrTo("default")}, "LTS.0009"},
		{`enterprise project "DEFAULT"`, group, model.CreateLogStreamParams{LogStreamName: "ep-upper", EnterpriseProjectName: ptrTo("DEFAULT")}, "LTS.0009"},
		{`enterprise project "Default"`, group, model.CreateLogStreamParams{LogStreamName: "ep-mixed", EnterpriseProjectName: ptrTo("Default")}, "LTS.0009"},
		{"enterprise project with a space", group, model.CreateLogStreamParams{LogStreamName: "ep-space", EnterpriseProjectName: ptrTo("my project")}, "LTS.0009"},
		{"tag without a key", group, model.CreateLogStreamParams{LogStreamName: "bad-tag", Tags: &[]model.TagsBody{{Key: ""}}}, "LTS.0009"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: tc.group, Body: &tc.params})
			wantErr(t, err, http.StatusBadRequest, tc.code)
		})
	}

	t.Run("failed creations left nothing behind", func(t *testing.T) {
		all := mustListStreams(t, c, nil, nil)
		if len(all) != 1 || all[0].LogStreamName != "taken" || all[0].TtlInDays == nil || *all[0].TtlInDays != 7 {
			t.Fatalf("streams: %+v", all)
		}
	})
}

func testLogStreamQuota(t *testing.T, e *env) {
	_, c := newProject(t, e)
	full := mustCreateGroup(t, c, "full", 7)
	var first string
	for i := range 100 {
		id := mustCreateStream(t, c, full, fmt.Sprintf("stream-%03d", i), nil)
		if i == 0 {
			first = id
		}
	}
	_, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: full, Body: &model.CreateLogStreamParams{LogStreamName: "one-too-many"}})
	wantErr(t, err, http.StatusBadRequest, "LTS.0206")
	if n := len(mustListGroupStreams(t, c, full)); n != 100 {
		t.Fatalf("the group lists %d streams, want 100", n)
	}

	// The quota is per group, and deleting a stream frees its place.
	mustCreateStream(t, c, mustCreateGroup(t, c, "roomy", 7), "one-too-many", nil)
	if _, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: full, LogStreamId: first}); err != nil {
		t.Fatal(err)
	}
	mustCreateStream(t, c, full, "one-too-many", nil)
}

func testLogStreamUpdate(t *testing.T, e *env) {
	_, c := newProject(t, e)
	group := mustCreateGroup(t, c, "home", 7)
	neighbour := mustCreateGroup(t, c, "neighbour", 7)
	before := time.Now()
	stream := mustCreateStream(t, c, group, "target", nil)
	after := time.Now()
	bystander := mustCreateStream(t, c, group, "bystander", nil)
	update := func(group, stream string, params model.UpdateLogStreamParams) (*model.UpdateLogStreamResponse, error) {
		return c.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: group, LogStreamId: stream, Body: &params})
	}

	t.Run("response uses log_topic names", func(t *testing.T) {
		resp, err := update(group, stream, model.UpdateLogStreamParams{TtlInDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.HttpStatusCode)
		}
		if resp.LogTopicId == nil || *resp.LogTopicId != stream || resp.LogTopicName == nil || *resp.LogTopicName != "target" ||
			resp.TtlInDays == nil || resp.TtlInDays.Value() != 30 || resp.CreationTime == nil {
			t.Fatalf("response %+v", resp)
		}
		wantRecentMS(t, *resp.CreationTime, before, after)
	})

	t.Run("new ttl is listed", func(t *testing.T) {
		if v := mustFindStream(t, c, group, stream); v.ttl != 30 {
			t.Fatalf("ttl %d, want 30", v.ttl)
		}
		if v := mustFindStream(t, c, group, bystander); v.ttl != 7 {
			t.Fatalf("another stream changed: ttl %d", v.ttl)
		}
	})

	t.Run("an updated stream keeps its ttl when the group's changes", func(t *testing.T) {
		if _, err := c.UpdateLogGroup(&model.UpdateLogGroupRequest{LogGroupId: group, Body: &model.UpdateLogGroupParams{TtlInDays: 60}}); err != nil {
			t.Fatal(err)
		}
		if v := mustFindStream(t, c, group, stream); v.ttl != 30 {
			t.Fatalf("ttl %d, want 30", v.ttl)
		}
		if v := mustFindStream(t, c, group, bystander); v.ttl != 60 {
			t.Fatalf("inheriting stream ttl %d, want 60", v.ttl)
		}
	})

	t.Run("tags and log storage", func(t *testing.T) {
		if _, err := update(group, stream, model.UpdateLogStreamParams{TtlInDays: 30, Tags: sdkTags(map[string]string{"k": "v"}), WhetherLogStorage: ptrTo(false)}); err != nil {
			t.Fatal(err)
		}
		v := mustFindStream(t, c, group, stream)
		wantTags(t, v.tag, map[string]string{"k": "v"})
		if v.logStorage {
			t.Fatal("whether_log_storage still true")
		}
		// Fields left out stay as they are.
		if _, err := update(group, stream, model.UpdateLogStreamParams{TtlInDays: 31}); err != nil {
			t.Fatal(err)
		}
		v = mustFindStream(t, c, group, stream)
		wantTags(t, v.tag, map[string]string{"k": "v"})
		if v.logStorage || v.ttl != 31 {
			t.Fatalf("listed %+v", v)
		}
	})

	t.Run("boundary ttls", func(t *testing.T) {
		for _, ttl := range []int32{1, 365} {
			resp, err := update(group, stream, model.UpdateLogStreamParams{TtlInDays: ttl})
			if err != nil {
				t.Fatal(err)
			}
			if resp.TtlInDays.Value() != ttl {
				t.Fatalf("ttl %d, want %d", resp.TtlInDays.Value(), ttl)
			}
		}
	})

	for _, tc := range []struct {
		name          string
		group, stream string
		ttl           int32
		code          string
	}{
		{"ttl 0", group, stream, 0, "LTS.0009"},
		{"ttl 366", group, stream, 366, "LTS.0009"},
		{"unknown group", uuid.NewString(), stream, 7, "LTS.0201"},
		{"unknown stream", group, uuid.NewString(), 7, "LTS.0208"},
		{"stream id that is not a UUID", group, "not-a-stream", 7, "LTS.0208"},
		{"stream of another group", neighbour, stream, 7, "LTS.0208"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.group, tc.stream, model.UpdateLogStreamParams{TtlInDays: tc.ttl})
			wantErr(t, err, http.StatusBadRequest, tc.code)
		})
	}

	t.Run("failed updates changed nothing", func(t *testing.T) {
		if v := mustFindStream(t, c, group, stream); v.ttl != 365 {
			t.Fatalf("ttl %d, want 365", v.ttl)
		}
	})
}

func testLogStreamDelete(t *testing.T, e *env) {
	_, c := newProject(t, e)
	group := mustCreateGroup(t, c, "home", 7)
	neighbour := mustCreateGroup(t, c, "neighbour", 7)
	doomed := mustCreateStream(t, c, group, "doomed", nil)
	kept := mustCreateStream(t, c, group, "kept", nil)

	for _, tc := range []struct {
		name          string
		group, stream string
		code          string
	}{
		{"unknown group", uuid.NewString(), doomed, "LTS.0201"},
		{"unknown stream", group, uuid.NewString(), "LTS.0208"},
		{"stream of another group", neighbour, doomed, "LTS.0208"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: tc.group, LogStreamId: tc.stream})
			wantErr(t, err, http.StatusBadRequest, tc.code)
		})
	}

	t.Run("returns 204", func(t *testing.T) {
		resp, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: doomed})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("status %d, want 204", resp.HttpStatusCode)
		}
	})

	t.Run("no longer listed", func(t *testing.T) {
		if s := mustListGroupStreams(t, c, group); len(s) != 1 || *s[0].LogStreamId != kept {
			t.Fatalf("streams of the group: %+v", s)
		}
		if s := mustListStreams(t, c, nil, nil); len(s) != 1 || s[0].LogStreamId != kept {
			t.Fatalf("streams: %+v", s)
		}
		if s := mustListStreams(t, c, nil, ptrTo("doomed")); len(s) != 0 {
			t.Fatalf("streams named doomed: %+v", s)
		}
	})

	t.Run("deleting again", func(t *testing.T) {
		_, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: doomed})
		wantErr(t, err, http.StatusBadRequest, "LTS.0208")
	})

	t.Run("updating the deleted stream", func(t *testing.T) {
		_, err := c.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: group, LogStreamId: doomed, Body: &model.UpdateLogStreamParams{TtlInDays: 7}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0208")
	})

	t.Run("the name can be used again", func(t *testing.T) {
		if id := mustCreateStream(t, c, group, "doomed", nil); id == doomed {
			t.Fatal("the new stream reuses the deleted stream's id")
		}
	})
}

// TestLogStreamHandMadeBodies sends bodies the SDK cannot produce.
func testLogStreamHandMadeBodies(t *testing.T, e *env) {
	project, c := newProject(t, e)
	group := mustCreateGroup(t, c, "home", 7)
	stream := mustCreateStream(t, c, group, "existing", nil)
	streams := "/v2/" + project + "/groups/" + group + "/streams"
	ttlPath := "/v2/" + project + "/groups/" + group + "/streams-ttl/" + stream

	for _, tc := range []struct {
		name, method, path, body string
		code, field              string
	}{
		{"create: truncated JSON", http.MethodPost, streams, `{"log_stream_name":`, "LTS.0007", ""},
		{"create: empty body", http.MethodPost, streams, ``, "LTS.0007", ""},
		{"create: ttl_in_days not a number", http.MethodPost, streams, `{"log_stream_name":"x","ttl_in_days":"thirty"}`, "LTS.0009", "ttl_in_days"},
		{"create: log_stream_name a number", http.MethodPost, streams, `{"log_stream_name":5}`, "LTS.0009", "log_stream_name"},
		{"create: enterprise_project_name a boolean", http.MethodPost, streams, `{"log_stream_name":"x","enterprise_project_name":true}`, "LTS.0009", "enterprise_project_name"},
		{"update: truncated JSON", http.MethodPut, ttlPath, `{"ttl_in_days":7`, "LTS.0007", ""},
		{"update: ttl_in_days missing", http.MethodPut, ttlPath, `{"whether_log_storage":true}`, "LTS.0009", "ttl_in_days"},
		{"update: ttl_in_days not a number", http.MethodPut, ttlPath, `{"ttl_in_days":"eight"}`, "LTS.0009", "ttl_in_days"},
		{"update: whether_log_storage not a boolean", http.MethodPut, ttlPath, `{"ttl_in_days":8,"whether_log_storage":"maybe"}`, "LTS.0009", "whether_log_storage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := signed(t, e, tc.method, tc.path, project, []byte(tc.body))
			msg := wantRawErr(t, status, body, http.StatusBadRequest, tc.code)
			if !strings.Contains(msg, tc.field) {
				t.Fatalf("message %q does not name %s", msg, tc.field)
			}
		})
	}

	createRaw := func(t *testing.T, body string) string {
		t.Helper()
		status, data := signed(t, e, http.MethodPost, streams, project, []byte(body))
		var out struct {
			ID string `json:"log_stream_id"`
		}
		if err := json.Unmarshal(data, &out); status != http.StatusCreated || err != nil {
			t.Fatalf("status %d: %s", status, data)
		}
		return wantUUID(t, &out.ID)
	}

	t.Run("create: ttl_in_days as a numeric string is its own ttl", func(t *testing.T) {
		id := createRaw(t, `{"log_stream_name":"lenient","ttl_in_days":"30"}`)
		if v := mustFindStream(t, c, group, id); v.ttl != 30 {
			t.Fatalf("ttl %d, want 30", v.ttl)
		}
	})

	t.Run("create: ttl_in_days null inherits", func(t *testing.T) {
		id := createRaw(t, `{"log_stream_name":"null-ttl","ttl_in_days":null}`)
		if v := mustFindStream(t, c, group, id); v.ttl != 7 {
			t.Fatalf("ttl %d, want the group's 7", v.ttl)
		}
	})

	t.Run("update: strings for numbers and booleans are accepted", func(t *testing.T) {
		status, body := signed(t, e, http.MethodPut, ttlPath, project, []byte(`{"ttl_in_days":"8","whether_log_storage":"false"}`))
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		if v := mustFindStream(t, c, group, stream); v.ttl != 8 || v.logStorage {
			t.Fatalf("listed %+v", v)
		}
	})

	t.Run("nothing was created by the failures", func(t *testing.T) {
		var names []string
		for _, s := range mustListGroupStreams(t, c, group) {
			names = append(names, *s.LogStreamName)
		}
		wantSameStrings(t, "streams", names, []string{"existing", "lenient", "null-ttl"})
	})
}

// TestLogStreamsWithToken repeats the main stream calls with an IAM token.
func testLogStreamsWithToken(t *testing.T, e *env) {
	// The admin token is scoped to the first-start project.
	c := e.ltsToken(e.adminToken(), testProject)
	group := mustCreateGroup(t, c, "token-home", 7)

	var stream string
	t.Run("create and list", func(t *testing.T) {
		resp, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "by-token"}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusCreated {
			t.Fatalf("status %d", resp.HttpStatusCode)
		}
		stream = wantUUID(t, resp.LogStreamId)
		for _, client := range []*lts.LtsClient{c, e.lts()} {
			if v := mustFindStream(t, client, group, stream); v.name != "by-token" || v.ttl != 7 {
				t.Fatalf("listed %+v", v)
			}
		}
		if s := mustListStreams(t, c, ptrTo("token-home"), ptrTo("by-token")); len(s) != 1 || s[0].LogStreamId != stream {
			t.Fatalf("filtered list: %+v", s)
		}
	})

	t.Run("duplicate name", func(t *testing.T) {
		_, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "by-token"}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0205")
	})

	t.Run("enterprise project default", func(t *testing.T) {
		_, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "ep", EnterpriseProjectName: ptrTo("default")}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0009")
	})

	t.Run("update", func(t *testing.T) {
		resp, err := c.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: group, LogStreamId: stream, Body: &model.UpdateLogStreamParams{TtlInDays: 20}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.LogTopicId == nil || *resp.LogTopicId != stream || resp.TtlInDays == nil || resp.TtlInDays.Value() != 20 {
			t.Fatalf("response %+v", resp)
		}
		if v := mustFindStream(t, c, group, stream); v.ttl != 20 {
			t.Fatalf("ttl %d, want 20", v.ttl)
		}
	})

	t.Run("unknown stream", func(t *testing.T) {
		_, err := c.UpdateLogStream(&model.UpdateLogStreamRequest{LogGroupId: group, LogStreamId: uuid.NewString(), Body: &model.UpdateLogStreamParams{TtlInDays: 20}})
		wantErr(t, err, http.StatusBadRequest, "LTS.0208")
	})

	t.Run("unknown group", func(t *testing.T) {
		_, err := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: uuid.NewString()})
		wantErr(t, err, http.StatusBadRequest, "LTS.0201")
	})

	t.Run("delete", func(t *testing.T) {
		resp, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: stream})
		if err != nil {
			t.Fatal(err)
		}
		if resp.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("status %d", resp.HttpStatusCode)
		}
		if s := mustListGroupStreams(t, c, group); len(s) != 0 {
			t.Fatalf("streams: %+v", s)
		}
	})
}
