// Command sdkquickstart creates a log group and a log stream on a logtank
// server with the official Huawei Cloud Go SDK, then lists the groups.
package main

import (
	"fmt"
	"os"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

func main() {
	if err := run(os.Getenv("LOGTANK_ENDPOINT"), os.Getenv("LOGTANK_ACCESS_KEY"),
		os.Getenv("LOGTANK_SECRET_KEY"), os.Getenv("LOGTANK_PROJECT_ID")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(endpoint, ak, sk, projectID string) error {
	hc, err := lts.LtsClientBuilder().
		WithEndpoints([]string{endpoint}). // e.g. http://127.0.0.1:8102
		WithCredential(basic.NewCredentialsBuilder().
			WithAk(ak).WithSk(sk).WithProjectId(projectID).Build()).
		SafeBuild()
	if err != nil {
		return err
	}
	client := lts.NewLtsClient(hc)

	group, err := client.CreateLogGroup(&model.CreateLogGroupRequest{
		Body: &model.CreateLogGroupParams{LogGroupName: "quickstart", TtlInDays: 7},
	})
	if err != nil {
		return err
	}
	stream, err := client.CreateLogStream(&model.CreateLogStreamRequest{
		LogGroupId: *group.LogGroupId,
		Body:       &model.CreateLogStreamParams{LogStreamName: "app"},
	})
	if err != nil {
		return err
	}
	fmt.Println("group", *group.LogGroupId, "stream", *stream.LogStreamId)

	groups, err := client.ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		return err
	}
	for _, g := range *groups.LogGroups {
		fmt.Println(g.LogGroupName, g.LogGroupId, g.TtlInDays)
	}
	return nil
}
