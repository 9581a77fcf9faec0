package conformance

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

func TestSmokeCreateAndListGroup(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	resp, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "smoke", TtlInDays: 7}})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(*list.LogGroups) != 1 || (*list.LogGroups)[0].LogGroupId != *resp.LogGroupId {
		t.Fatalf("got %+v", list)
	}
	tc := e.ltsToken(e.adminToken(), testProject)
	if _, err := tc.ListLogGroups(&model.ListLogGroupsRequest{}); err != nil {
		t.Fatal(err)
	}
}
