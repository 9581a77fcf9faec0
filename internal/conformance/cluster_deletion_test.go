package conformance

import (
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/catalog/pgtest"
	"logtank/internal/server"
)

// TestClusterDeletionsAreTheCatalogs: two nodes on one PostgreSQL catalog,
// each keeping the logs it ingested in its own folder. A stream deleted
// through node a has its logs removed by node b while b runs; a group
// deleted while b is down has its streams' logs removed when b starts;
// and a stream that b's catalog does not list at its start, but that
// nobody deleted (as another node's stream created meanwhile), keeps its
// logs.
func TestClusterDeletionsAreTheCatalogs(t *testing.T) {
	url := pgtest.URL(t)
	a := startNode(t, url)
	bDir := t.TempDir()
	b := startWith(t, bDir, func(c *server.Config) { c.Catalog = url })

	// Three streams in two groups, made on a, fed through b.
	c := a.lts()
	groupOf := map[string]string{}
	streams := map[string]string{}
	for _, gs := range [][2]string{{"g1", "deleted-running"}, {"g2", "deleted-down"}, {"g3", "unlisted"}} {
		g, err := c.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: gs[0], TtlInDays: 7}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: *g.LogGroupId, Body: &model.CreateLogStreamParams{LogStreamName: gs[1]}})
		if err != nil {
			t.Fatal(err)
		}
		groupOf[gs[1]], streams[gs[1]] = *g.LogGroupId, *s.LogStreamId
		path := "/v2/" + testProject + "/lts/groups/" + *g.LogGroupId + "/streams/" + *s.LogStreamId + "/tenant/contents"
		within(t, 5*time.Second, "b takes logs for "+gs[1], func() bool {
			status, _ := b.post(t, path, map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": []string{"kept by b " + gs[1]}, "labels": map[string]string{}}, nil)
			return status == http.StatusOK
		})
	}
	folder := func(name string) string { return filepath.Join(bDir, "logs", "streams", streams[name]) }
	present := func(name string) bool {
		_, err := os.Stat(folder(name))
		return err == nil
	}
	// A restart writes b's logs into segments, in each stream's folder.
	b.stop()
	b = startWith(t, bDir, func(c *server.Config) { c.Catalog = url })
	for name := range streams {
		if !present(name) {
			t.Fatalf("b has no folder for %s", name)
		}
	}

	// Deleted through a while b runs: b removes its copy.
	if _, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: groupOf["deleted-running"], LogStreamId: streams["deleted-running"]}); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "b removes the logs of a stream deleted through a", func() bool { return !present("deleted-running") })

	// Deleted through a while b is down: removed as b starts.
	b.stop()
	if _, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: groupOf["deleted-down"]}); err != nil {
		t.Fatal(err)
	}
	// Not listed at b's start but not deleted: the catalog's row is set
	// aside while b starts, as if another node created it meanwhile.
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`CREATE TABLE set_aside AS SELECT * FROM log_streams WHERE id = '` + streams["unlisted"] + `'`,
		`DELETE FROM log_streams WHERE id = '` + streams["unlisted"] + `'`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	b = startWith(t, bDir, func(c *server.Config) { c.Catalog = url })
	if present("deleted-down") {
		t.Fatal("b kept the logs of a group deleted while it was down")
	}
	if !present("unlisted") {
		t.Fatal("b removed the logs of a stream its catalog did not list, which nobody deleted")
	}
	for _, q := range []string{
		`INSERT INTO log_streams SELECT * FROM set_aside`,
		`UPDATE catalog_versions SET version = version + 1 WHERE scope = 'streams'`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	within(t, 5*time.Second, "b finds the lines of the stream it kept", func() bool {
		resp, err := b.lts().ListLogs(&model.ListLogsRequest{LogGroupId: groupOf["unlisted"], LogStreamId: streams["unlisted"], Body: &model.QueryLtsLogParams{
			StartTime: strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10), EndTime: strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10), Limit: ptr(int32(10)),
		}})
		return err == nil && resp.Logs != nil && len(*resp.Logs) == 1 && *(*resp.Logs)[0].Content == "kept by b unlisted"
	})
}
