package conformance

import (
	"reflect"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

func TestRestartKeepsGroupsAndStreams(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	c := e.lts()
	alias := "the first"
	value := "v"
	for _, name := range []string{"g-one", "g-two"} {
		g, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{
			LogGroupName: name, TtlInDays: 30, LogGroupNameAlias: &alias, Tags: &[]model.TagsBody{{Key: "team", Value: &value}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		own := int32(3)
		for _, ttl := range []*int32{&own, nil} {
			s := "s-own"
			if ttl == nil {
				s = "s-inherits"
			}
			if _, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: *g.LogGroupId, Body: &model.CreateLogStreamParams{LogStreamName: s, TtlInDays: ttl}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	groups, err := c.ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	streams, err := c.ListLogStreams(&model.ListLogStreamsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(*groups.LogGroups) != 2 || len(*streams.LogStreams) != 4 {
		t.Fatalf("before restart: %d groups, %d streams", len(*groups.LogGroups), len(*streams.LogStreams))
	}
	e.stop()

	e2 := start(t, dir)
	if e2.Info.Created {
		t.Fatal("the restarted server created its accounts again")
	}
	c2 := e2.lts()
	groups2, err := c2.ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	streams2, err := c2.ListLogStreams(&model.ListLogStreamsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(groups.LogGroups, groups2.LogGroups) {
		t.Fatalf("groups changed across restart:\n%v\n%v", groups, groups2)
	}
	if !reflect.DeepEqual(streams.LogStreams, streams2.LogStreams) {
		t.Fatalf("streams changed across restart:\n%v\n%v", streams, streams2)
	}
	// A token issued before the restart stays valid: the signing key persists.
	tok := e2.adminToken()
	e2.stop()
	e3 := start(t, dir)
	if err := listGroups(e3.ltsToken(tok, testProject)); err != nil {
		t.Fatalf("token from before the restart: %v", err)
	}
}
