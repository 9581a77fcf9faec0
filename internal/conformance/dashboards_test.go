package conformance

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// Dashboards (CreateDashBoard, CreateDashboardGroup, DeleteDashboard) and
// charts (ListCharts) through the official SDK; charts are created with
// this server's own addition, as the SDK has no operation for it.
func TestDashboards(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group := mustCreateGroup(t, c, "dash", 7)
	stream := mustCreateStream(t, c, group, "app", nil)

	g, err := c.CreateDashboardGroup(&model.CreateDashboardGroupRequest{Body: &model.CreateDashboardGroupReq{GroupName: "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	wantUUID(t, g.Result)
	_, err = c.CreateDashboardGroup(&model.CreateDashboardGroupRequest{Body: &model.CreateDashboardGroupReq{GroupName: "ops"}})
	wantErr(t, err, 400, "LTS.0814")

	d, err := c.CreateDashBoard(&model.CreateDashBoardRequest{Body: &model.CreateDashBoardReqBody{Title: "Errors", GroupName: ptrTo("ops")}})
	if err != nil {
		t.Fatal(err)
	}
	id := wantUUID(t, d.Id)
	if *d.Title != "Errors" || *d.GroupName != "ops" || *d.ProjectId != testProject || len(*d.Charts) != 0 || *d.LastUpdateTime == 0 {
		t.Fatalf("CreateDashBoard: %+v", d)
	}
	_, err = c.CreateDashBoard(&model.CreateDashBoardRequest{Body: &model.CreateDashBoardReqBody{Title: "Errors"}})
	wantErr(t, err, 400, "LTS.0811")
	_, err = c.CreateDashBoard(&model.CreateDashBoardRequest{Body: &model.CreateDashBoardReqBody{Title: "x", GroupName: ptrTo("nope")}})
	wantErr(t, err, 400, "LTS.0815")
	_, err = c.CreateDashBoard(&model.CreateDashBoardRequest{Body: &model.CreateDashBoardReqBody{Title: " "}})
	wantErr(t, err, 400, "LTS.0009")

	tok := e.adminToken()
	post := func(body any) (int, []byte) {
		b, _ := json.Marshal(body)
		status, _, resp := e.raw("POST", "/v2/"+testProject+"/groups/"+group+"/streams/"+stream+"/charts", b,
			http.Header{"X-Auth-Token": {tok}, "Content-Type": {"application/json"}}, nil)
		return status, resp
	}
	status, body := post(map[string]any{"title": "by level", "sql": "SELECT count(*) AS n", "type": "bar", "dashboard_id": id})
	if status != 200 {
		t.Fatalf("create chart: %d %s", status, body)
	}
	var chart struct{ ID string }
	_ = json.Unmarshal(body, &chart)
	status, body = post(map[string]any{"title": "t", "sql": "SELECT count(* FROM", "type": "bar"})
	wantRawErr(t, status, body, 400, "LTS.0009")
	status, body = post(map[string]any{"title": "t", "sql": "SELECT 1", "type": "donut"})
	wantRawErr(t, status, body, 400, "LTS.1901")
	status, body = post(map[string]any{"title": "t", "sql": "SELECT 1", "type": "pie", "dashboard_id": "missing"})
	wantRawErr(t, status, body, 400, "LTS.0813")
	if status, body = post(map[string]any{"title": "lines", "sql": "error | SELECT count(*) AS n", "type": "number"}); status != 200 {
		t.Fatalf("create chart: %d %s", status, body)
	}

	list, err := c.ListCharts(&model.ListChartsRequest{LogGroupId: group, LogStreamId: stream})
	if err != nil {
		t.Fatal(err)
	}
	if *list.Id != chart.ID || *list.Title != "by level" || *list.Sql != "SELECT count(*) AS n" || list.Type.Value() != "bar" ||
		*list.LogStreamName != "app" || *list.LogGroupName != "dash" || list.Config == nil {
		t.Fatalf("ListCharts: %+v", list)
	}
	_, err = c.ListCharts(&model.ListChartsRequest{LogGroupId: group, LogStreamId: "00000000-0000-0000-0000-000000000000"})
	wantErr(t, err, 400, "LTS.0208")
	_, err = c.ListCharts(&model.ListChartsRequest{LogGroupId: group, LogStreamId: stream, Limit: ptrTo(int32(0))})
	wantErr(t, err, 400, "LTS.0009")
	status, _, body = e.raw("GET", "/v2/"+testProject+"/dashboard", nil, http.Header{"X-Auth-Token": {tok}}, nil)
	if status != 200 || !bytes.Contains(body, []byte(`"charts":["`+chart.ID+`"]`)) {
		t.Fatalf("the dashboard does not list its chart: %d %s", status, body)
	}

	r, err := c.DeleteDashboard(&model.DeleteDashboardRequest{Id: id, IsDeleteCharts: true})
	if err != nil || *r.Result != "success" {
		t.Fatalf("DeleteDashboard: %v %+v", err, r)
	}
	_, err = c.DeleteDashboard(&model.DeleteDashboardRequest{Id: id})
	wantErr(t, err, 400, "LTS.0813")
	list, err = c.ListCharts(&model.ListChartsRequest{LogGroupId: group, LogStreamId: stream})
	if err != nil || *list.Title != "lines" {
		t.Fatalf("the dashboard's chart outlived it, or the other one went: %v %+v", err, list)
	}
}
