package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/catalog"
	"logtank/internal/catalog/pgtest"
	"logtank/internal/ltscore"
	"logtank/internal/objstore"
	"logtank/internal/objstore/s3test"
	"logtank/internal/server"
)

// clusterBucket is a bucket of a real S3 server (versitygw) for segments.
func clusterBucket(t testing.TB) objstore.Store {
	t.Helper()
	gw := s3test.Start(t, "segments-ak", "segments-secret-key")
	if err := os.Mkdir(filepath.Join(gw.Dir, "segments"), 0o755); err != nil {
		t.Fatal(err)
	}
	s3, err := objstore.NewS3(objstore.S3Config{Endpoint: "http://" + gw.Addr, AccessKey: gw.AccessKey, SecretKey: gw.SecretKey, PathStyle: true, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	return s3
}

// startClusterNode starts one node of a cluster on the catalog at url and
// the bucket "segments" of objects, quick to index and to take over.
func startClusterNode(t *testing.T, url string, objects objstore.Store) *env {
	t.Helper()
	return startWith(t, "", func(c *server.Config) {
		c.Catalog = url
		c.Cluster = &ltscore.Cluster{Objects: objects, Bucket: "segments", Poll: 50 * time.Millisecond,
			IndexAfter: 300 * time.Millisecond, LeaseTTL: 2 * time.Second}
	})
}

// roundRobin sends each request to the next of several nodes. The Host
// header stays the one the client signed.
type roundRobin struct {
	hosts []string
	n     atomic.Int64
}

func (r *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Host = req.URL.Host
	req.URL.Host = r.hosts[int(r.n.Add(1))%len(r.hosts)]
	return http.DefaultTransport.RoundTrip(req)
}

// besideEmbedded starts three cluster nodes with startNode and an embedded
// server, and creates the group "web" (30 days) with its stream "app" on
// both: through a round-robin client of the nodes, and on the embedded
// server; it returns once every node knows the stream. Tests then ask
// both the same questions.
func besideEmbedded(t *testing.T, startNode func() *env) (nodes []*env, embedded *env, rr *lts.LtsClient, group, stream, egroup, estream string) {
	t.Helper()
	nodes = []*env{startNode(), startNode(), startNode()}
	embedded = start(t, "")
	rr = roundRobinClient(nodes...)
	g, err := rr.CreateLogGroup(&model.CreateLogGroupRequest{Body: &model.CreateLogGroupParams{LogGroupName: "web", TtlInDays: 30}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := rr.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: *g.LogGroupId, Body: &model.CreateLogStreamParams{LogStreamName: "app"}})
	if err != nil {
		t.Fatal(err)
	}
	egroup, estream = embedded.createStream(t, "web", "app")
	group, stream = *g.LogGroupId, *s.LogStreamId
	for i, n := range nodes {
		within(t, 2*time.Second, fmt.Sprintf("node %d knows the new stream", i), func() bool {
			limit, yes := int32(1), true
			_, err := n.lts().ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
				StartTime: strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10), EndTime: strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10), IsCount: &yes, Limit: &limit,
			}})
			return err == nil
		})
	}
	return nodes, embedded, rr, group, stream, egroup, estream
}

func roundRobinClient(nodes ...*env) *lts.LtsClient {
	rr := &roundRobin{}
	for _, n := range nodes {
		u, _ := url.Parse(n.URL)
		rr.hosts = append(rr.hosts, u.Host)
	}
	return nodes[0].ltsClient(testAK, testSK, testProject, rr)
}

// clusterBatch is one ingestion request of the workload.
type clusterBatch struct {
	labels map[string]string
	lines  []map[string]any
}

// clusterWorkload is batches whose lines share few times (so that line
// numbers depend on the lines already taken), over two days, some with
// the word "error".
func clusterWorkload(n int, now time.Time) []clusterBatch {
	rng := rand.New(rand.NewPCG(7, 15))
	base := now.Add(-36 * time.Hour).Truncate(time.Second).UnixNano()
	var out []clusterBatch
	for i := range n {
		b := clusterBatch{labels: map[string]string{"host": fmt.Sprintf("h%d", i%3)}}
		for j := range 1 + rng.IntN(12) {
			word := "info"
			if rng.IntN(4) == 0 {
				word = "error"
			}
			at := base + rng.Int64N(30)*int64(time.Hour)
			b.lines = append(b.lines, map[string]any{"log_time_ns": at, "log": fmt.Sprintf("%s batch %d line %d", word, i, j)})
		}
		out = append(out, b)
	}
	return out
}

func ingestBatch(t *testing.T, e *env, group, stream string, b clusterBatch) {
	t.Helper()
	status, resp := e.post(t, "/v2/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/contents/high-accuracy",
		map[string]any{"contents": b.lines, "labels": b.labels}, nil)
	if status != 200 {
		t.Fatalf("ingest: %d %s", status, resp)
	}
}

// streamCount is the count of the stream's lines in the window through c.
func streamCount(t *testing.T, c *lts.LtsClient, group, stream string, from, to time.Time) int32 {
	t.Helper()
	limit, yes := int32(1), true
	resp, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
		StartTime: strconv.FormatInt(from.UnixMilli(), 10), EndTime: strconv.FormatInt(to.UnixMilli(), 10), IsCount: &yes, Limit: &limit,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return *resp.Count
}

// clusterAnswers asks c the core questions about a stream and returns the
// answers as text: pages of ListLogs in both orders with line_num cursors
// forwards and backwards, a keyword search with its count and labels, a
// histogram and SQL.
func clusterAnswers(t *testing.T, c *lts.LtsClient, group, stream string, from, to time.Time) []string {
	t.Helper()
	var out []string
	keep := func(what string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, _ := json.Marshal(v)
		out = append(out, what+": "+string(b))
	}
	start, end := strconv.FormatInt(from.UnixMilli(), 10), strconv.FormatInt(to.UnixMilli(), 10)
	yes, no := true, false
	for _, desc := range []bool{false, true} {
		limit := int32(17)
		var cursor *string
		for page := 0; ; page++ {
			var kind *model.QueryLtsLogParamsSearchType
			if cursor != nil {
				forwards := model.GetQueryLtsLogParamsSearchTypeEnum().FORWARDS
				kind = &forwards
			}
			resp, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
				StartTime: start, EndTime: end, IsCount: &yes, Limit: &limit, IsDesc: &desc, LineNum: cursor, SearchType: kind,
			}})
			keep(fmt.Sprintf("page %d desc %v", page, desc), resp, err)
			logs := *resp.Logs
			if len(logs) == 0 {
				break
			}
			if page == 2 {
				back := model.GetQueryLtsLogParamsSearchTypeEnum().BACKWARDS
				prev, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
					StartTime: start, EndTime: end, IsCount: &no, Limit: &limit, IsDesc: &desc, LineNum: logs[0].LineNum, SearchType: &back,
				}})
				keep(fmt.Sprintf("backwards from page 2 desc %v", desc), prev, err)
			}
			cursor = logs[len(logs)-1].LineNum
		}
	}
	limit := int32(100)
	kw := "error"
	found, err := c.ListLogs(&model.ListLogsRequest{LogGroupId: group, LogStreamId: stream, Body: &model.QueryLtsLogParams{
		StartTime: start, EndTime: end, Keywords: &kw, IsCount: &yes, Limit: &limit, Labels: map[string]string{"host": "h1"},
	}})
	keep("error on h1", found, err)
	hist, err := c.ListLogHistogram(&model.ListLogHistogramRequest{Body: &model.QueryLogKeyWordCountRequestBody{
		StartTime: start, EndTime: end, StepInterval: 3600000, GroupId: group, StreamId: stream, KeyWord: "error",
	}})
	keep("histogram", hist, err)
	sql, err := c.ListStructuredLogsWithTimeRange(&model.ListStructuredLogsWithTimeRangeRequest{LogStreamId: stream, Body: &model.QueryLtsStructLogParamsNew{
		Query: "error | select host, count(*) as n group by host order by host", Format: "k-v",
		TimeRange: &model.TimeRange{StartTime: from.UnixMilli(), EndTime: to.UnixMilli()},
	}})
	keep("sql", sql, err)
	return out
}

func sameAnswers(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d answers, embedded gave %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: answer %d differs\n got: %.600s\nwant: %.600s", what, i, got[i], want[i])
		}
	}
}

// TestClusterAnswersAsEmbedded: three nodes on one PostgreSQL catalog and
// one S3 bucket, written to and asked through a round-robin SDK client,
// answer the core questions (pages with line_num cursors, counts, labels,
// histograms, SQL) exactly as an embedded server given the same batches:
// while the rows are only in the ingest log, once their owner moved them
// into segments in the bucket, and from a node that joins afterwards with
// an empty data folder. Each batch acknowledged by one node is counted at
// once by the next.
func TestClusterAnswersAsEmbedded(t *testing.T) {
	pg := pgtest.URL(t)
	objects := clusterBucket(t)
	nodes, embedded, rr, group, stream, egroup, estream := besideEmbedded(t, func() *env { return startClusterNode(t, pg, objects) })
	now := time.Now()
	from, to := now.Add(-48*time.Hour), now.Add(time.Hour)
	for _, c := range []*lts.LtsClient{rr, embedded.lts()} {
		groups, err := c.ListLogGroups(&model.ListLogGroupsRequest{})
		if err != nil || len(*groups.LogGroups) != 1 || (*groups.LogGroups)[0].LogGroupName != "web" {
			t.Fatalf("groups: %+v, %v", groups, err)
		}
	}

	work := clusterWorkload(60, now)
	total := int32(0)
	for i, b := range work {
		ingestBatch(t, nodes[i%3], group, stream, b)
		ingestBatch(t, embedded, egroup, estream, b)
		total += int32(len(b.lines))
		if got := streamCount(t, nodes[(i+1)%3].lts(), group, stream, from, to); got != total {
			t.Fatalf("after batch %d acknowledged by node %d, node %d counts %d lines, want %d", i, i%3, (i+1)%3, got, total)
		}
	}
	want := clusterAnswers(t, embedded.lts(), egroup, estream, from, to)
	sameAnswers(t, "round robin, from the ingest log", clusterAnswers(t, rr, group, stream, from, to), want)

	db := openCatalog(t, pg)
	within(t, 30*time.Second, "the owner indexes every batch", func() bool {
		h, err := db.StreamIngestHead(context.Background(), stream)
		return err == nil && h.Indexed == int64(len(work))
	})
	segs, err := db.SegmentsAfter(context.Background(), stream, 0)
	if err != nil || len(segs) == 0 {
		t.Fatalf("manifest: %d segments, %v", len(segs), err)
	}
	keys, err := objects.List(context.Background(), "segments", "segments/"+stream+"/")
	if err != nil || len(keys) < len(segs) {
		t.Fatalf("bucket: %d objects for %d segments, %v", len(keys), len(segs), err)
	}
	t.Logf("%d segments in the manifest, %d objects in the bucket", len(segs), len(keys))
	if left, err := db.IngestAfter(context.Background(), stream, 0, 10); err != nil || len(left) != 0 {
		t.Fatalf("ingest log after indexing: %d batches, %v", len(left), err)
	}
	for i, n := range nodes {
		sameAnswers(t, fmt.Sprintf("node %d, from segments", i), clusterAnswers(t, n.lts(), group, stream, from, to), want)
	}

	// More batches after indexing: segments and log tail together.
	more := clusterWorkload(70, now)[60:]
	for i, b := range more {
		ingestBatch(t, nodes[(i+1)%3], group, stream, b)
		ingestBatch(t, embedded, egroup, estream, b)
	}
	want = clusterAnswers(t, embedded.lts(), egroup, estream, from, to)
	sameAnswers(t, "round robin, segments and log", clusterAnswers(t, rr, group, stream, from, to), want)
	late := startClusterNode(t, pg, objects)
	sameAnswers(t, "a node joining with an empty folder", clusterAnswers(t, late.lts(), group, stream, from, to), want)

	// Deleting the stream through one node deletes its log, manifest and
	// segments, and every node drops what it held of it.
	// A node holds the stream's segments as blocks in its segment cache
	// (the only stream here), and the rows not yet published in its folder.
	for i, n := range append(nodes, late) {
		if held := heldFiles(t, n, stream); held == 0 {
			t.Fatalf("node %d holds no files of the stream before its deletion", i)
		}
	}
	if _, err := rr.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: stream}); err != nil {
		t.Fatal(err)
	}
	if h := headOf(t, db, stream); h.Head != 0 {
		t.Fatalf("the deleted stream's head: %+v", h)
	}
	if segs, err := db.SegmentsAfter(context.Background(), stream, 0); err != nil || len(segs) != 0 {
		t.Fatalf("the deleted stream's manifest: %d segments, %v", len(segs), err)
	}
	if keys, err := objects.List(context.Background(), "segments", "segments/"+stream+"/"); err != nil || len(keys) != 0 {
		t.Fatalf("the deleted stream's objects: %v, %v", keys, err)
	}
	for i, n := range append(nodes, late) {
		within(t, 2*time.Second, fmt.Sprintf("node %d drops the deleted stream's files", i), func() bool {
			return heldFiles(t, n, stream) == 0
		})
	}
}

// heldFiles counts the files node n holds of a stream: in its log folder,
// and blocks in its segment cache.
func heldFiles(t *testing.T, n *env, stream string) int {
	t.Helper()
	held := 0
	for _, dir := range []string{filepath.Join(n.dir, "logs", "streams", stream), filepath.Join(n.dir, "segment-cache")} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				held++
			}
			if os.IsNotExist(err) {
				return nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return held
}

func headOf(t *testing.T, db *catalog.DB, stream string) catalog.IngestHead {
	t.Helper()
	h, err := db.StreamIngestHead(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
