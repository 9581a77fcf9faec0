package conformance

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/objstore"
	"logtank/internal/objstore/s3test"
	"logtank/internal/server"
)

// testClock is a clock tests move by hand.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.set(t)
	return c
}

func (c *testClock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

var transferStart = time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)

// at is a time in the transfer tests' hour.
func at(minute, second int) time.Time {
	return time.Date(2026, 11, 22, 10, minute, second, 0, time.UTC)
}

func transferConfig(clk *testClock) func(*server.Config) {
	return func(c *server.Config) {
		c.Now = clk.now
		c.TransferGrace = -1
		c.TransferInterval = 10 * time.Millisecond
	}
}

// ingestAt writes lines into a stream with the given times, one second
// apart from t.
func (e *env) ingestAt(t *testing.T, group, stream string, start time.Time, lines ...string) {
	t.Helper()
	var contents []map[string]any
	for i, l := range lines {
		contents = append(contents, map[string]any{"log_time_ns": start.Add(time.Duration(i) * time.Second).UnixNano(), "log": l})
	}
	status, body := e.post(t, "/v2/"+testProject+"/lts/groups/"+group+"/streams/"+stream+"/tenant/contents/high-accuracy",
		map[string]any{"contents": contents, "labels": map[string]string{"hostName": "web-1", "hostIP": "10.0.0.7"}}, nil)
	if status != 200 {
		t.Fatalf("ingest: %d %s", status, body)
	}
}

func lines(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s line %d", prefix, i)
	}
	return out
}

// readDirObjects returns every object of a bucket folder by key, gunzipped
// when the key says so.
func readDirObjects(t *testing.T, bucketDir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(bucketDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := filepath.Rel(bucketDir, p)
		out[filepath.ToSlash(key)] = unzipIf(t, key, b)
		return nil
	})
	return out
}

func unzipIf(t *testing.T, key string, b []byte) string {
	t.Helper()
	if !strings.HasSuffix(key, ".gz") {
		return string(b)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return string(text)
}

// waitFor polls until cond holds (the worker runs every 10 ms).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
}

// exactlyOnce checks that the objects together hold every wanted line
// once and nothing else.
func exactlyOnce(t *testing.T, objects map[string]string, want []string) {
	t.Helper()
	var got []string
	for _, text := range objects {
		got = append(got, strings.Split(strings.TrimSuffix(text, "\n"), "\n")...)
	}
	slices.Sort(got)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Fatalf("objects hold %d lines, want %d once each:\ngot  %q\nwant %q", len(got), len(w), got, w)
	}
}

func (e *env) transferState(t *testing.T, id string) (status, failure string) {
	t.Helper()
	status0, _, body := e.raw("GET", "/v2/"+testProject+"/transfers", nil, nil, signer(testAK, testSK, testProject, time.Now()))
	if status0 != 200 {
		t.Fatalf("list transfers: %d %s", status0, body)
	}
	var out struct {
		Transfers []struct {
			ID   string `json:"log_transfer_id"`
			Info struct {
				Status  string `json:"log_transfer_status"`
				Failure string `json:"log_transfer_failure"`
			} `json:"log_transfer_info"`
		} `json:"log_transfers"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	for _, tr := range out.Transfers {
		if tr.ID == id {
			return tr.Info.Status, tr.Info.Failure
		}
	}
	t.Fatalf("transfer %s not listed: %s", id, body)
	return "", ""
}

// TestTransferToFolder runs a RAW transfer through windows, a late line,
// restarts in the middle of a period and a failed upload, and finds every
// line in exactly one object.
func TestTransferToFolder(t *testing.T) {
	dir, obsDir := t.TempDir(), t.TempDir()
	clk := newClock(transferStart)
	te := startTransfers(t, dir, obsDir, transferConfig(clk))
	te.bucket(t, "dumps")
	group, stream := te.createStream(t, "app", "web")
	created, err := te.lts().CreateTransfer(obsTransfer(group, []string{stream}, "dumps", "RAW", func(d *model.LogTransferDetail) { d.ObsPrefixName = ptr("p") }))
	if err != nil {
		t.Fatal(err)
	}
	id := *created.LogTransferId
	bucketDir := filepath.Join(obsDir, "dumps")
	var all []string

	first, second := lines("first", 60), lines("second", 5)
	te.ingestAt(t, group, stream, at(0, 40), first...)
	te.ingestAt(t, group, stream, at(2, 30), second...)
	all = append(all, first...)
	all = append(all, second...)
	if objs := readDirObjects(t, bucketDir); len(objs) != 0 {
		t.Fatalf("objects before the window closed: %v", objs)
	}

	clk.set(at(2, 0))
	key1 := "LogTanks/" + testRegion + "/2026/11/22/app/web/p_web_20261122T100030.000_20261122T100200.000_" + stream + ".log"
	waitFor(t, "the first window's object", func() bool { _, ok := readDirObjects(t, bucketDir)[key1]; return ok })
	if got := readDirObjects(t, bucketDir)[key1]; got != strings.Join(first, "\n")+"\n" {
		t.Fatalf("first window holds:\n%s", got)
	}

	// A late line of the first window goes into the second window's object.
	late := lines("late", 3)
	te.ingestAt(t, group, stream, at(1, 0), late...)
	all = append(all, late...)
	clk.set(at(4, 0))
	key2 := "LogTanks/" + testRegion + "/2026/11/22/app/web/p_web_20261122T100200.000_20261122T100400.000_" + stream + ".log"
	waitFor(t, "the second window's object", func() bool { _, ok := readDirObjects(t, bucketDir)[key2]; return ok })
	if got := readDirObjects(t, bucketDir)[key2]; got != strings.Join(append(slices.Clone(late), second...), "\n")+"\n" {
		t.Fatalf("second window holds:\n%s", got)
	}

	// Restarts in the middle of a period.
	third := lines("third", 4)
	te.ingestAt(t, group, stream, at(4, 30), third...)
	all = append(all, third...)
	clk.set(at(5, 0))
	te.stop()
	te = startTransfers(t, dir, obsDir, transferConfig(clk))
	more := lines("more", 2)
	te.ingestAt(t, group, stream, at(5, 30), more...)
	all = append(all, more...)
	te.stop()
	te = startTransfers(t, dir, obsDir, transferConfig(clk))
	clk.set(at(6, 0))
	waitFor(t, "the third window's object", func() bool { return len(readDirObjects(t, bucketDir)) == 3 })
	exactlyOnce(t, readDirObjects(t, bucketDir), all)

	// The bucket goes away: the transfer shows why, and survives a restart.
	if err := os.Rename(bucketDir, bucketDir+"-away"); err != nil {
		t.Fatal(err)
	}
	fourth := lines("fourth", 3)
	te.ingestAt(t, group, stream, at(6, 30), fourth...)
	all = append(all, fourth...)
	clk.set(at(8, 0))
	waitFor(t, "the transfer to fail", func() bool { s, _ := te.transferState(t, id); return s == "EXCEPTION" })
	if _, failure := te.transferState(t, id); !strings.Contains(failure, "obs bucket does not exist: dumps") {
		t.Fatalf("failure reason %q", failure)
	}
	te.stop()
	if err := os.Rename(bucketDir+"-away", bucketDir); err != nil {
		t.Fatal(err)
	}
	te = startTransfers(t, dir, obsDir, transferConfig(clk))
	waitFor(t, "the transfer to recover", func() bool { s, _ := te.transferState(t, id); return s == "ENABLE" })
	exactlyOnce(t, readDirObjects(t, bucketDir), all)

	// While running, a failure clears by itself after the back-off.
	if err := os.Rename(bucketDir, bucketDir+"-away"); err != nil {
		t.Fatal(err)
	}
	fifth := lines("fifth", 2)
	te.ingestAt(t, group, stream, at(8, 30), fifth...)
	all = append(all, fifth...)
	clk.set(at(10, 0))
	waitFor(t, "the transfer to fail again", func() bool { s, _ := te.transferState(t, id); return s == "EXCEPTION" })
	if err := os.Rename(bucketDir+"-away", bucketDir); err != nil {
		t.Fatal(err)
	}
	clk.set(at(10, 6)) // past the first back-off of 5 s
	waitFor(t, "the transfer to recover by itself", func() bool { s, _ := te.transferState(t, id); return s == "ENABLE" })
	exactlyOnce(t, readDirObjects(t, bucketDir), all)
}

// TestTransferToS3 writes gzipped JSON with tags to a real S3-compatible
// server, and runs a window on demand.
func TestTransferToS3(t *testing.T) {
	gw := s3test.Start(t, "transfer-ak", "transfer-secret-key")
	if err := os.Mkdir(filepath.Join(gw.Dir, "logs-bucket"), 0o755); err != nil {
		t.Fatal(err)
	}
	s3, err := objstore.NewS3(objstore.S3Config{Endpoint: "http://" + gw.Addr, AccessKey: gw.AccessKey, SecretKey: gw.SecretKey, PathStyle: true, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock(transferStart)
	e := startWith(t, "", func(c *server.Config) {
		transferConfig(clk)(c)
		c.Objects = s3
	})
	group, stream := e.createStream(t, "app", "web")
	body := map[string]any{
		"log_group_id": group,
		"log_streams":  []map[string]string{{"log_stream_id": stream}},
		"log_transfer_info": map[string]any{
			"log_transfer_type": "OBS", "log_transfer_mode": "cycle", "log_storage_format": "JSON", "log_transfer_status": "ENABLE",
			"log_transfer_detail": map[string]any{
				"obs_period": 2, "obs_period_unit": "min", "obs_bucket_name": "logs-bucket", "obs_compress_type": "gzip",
				"obs_dir_pre_fix_name": "lts/%Y/%m/%d/%H", "obs_time_zone": "UTC+01:00", "obs_time_zone_id": "Africa/Lagos",
				"tags": []string{"hostName", "logStreamName", "projectId"},
			},
		},
	}
	status, resp := e.post(t, "/v2/"+testProject+"/transfers", body, nil)
	if status != 200 {
		t.Fatalf("create: %d %s", status, resp)
	}
	var created struct {
		ID string `json:"log_transfer_id"`
	}
	json.Unmarshal(resp, &created)

	first := lines("first", 20)
	e.ingestAt(t, group, stream, at(0, 40), first...)
	clk.set(at(2, 0))
	ctx := context.Background()
	// The window's start and end in UTC+01:00.
	key := "LogTanks/" + testRegion + "/lts/2026/11/22/11/web_20261122T110030.000_20261122T110200.000_" + stream + ".log.gz"
	waitFor(t, "the object in S3", func() bool {
		keys, err := s3.List(ctx, "logs-bucket", "LogTanks/")
		return err == nil && slices.Contains(keys, key)
	})
	objects := readS3(t, s3, "logs-bucket")
	var got []string
	for i, l := range strings.Split(strings.TrimSuffix(objects[key], "\n"), "\n") {
		var o map[string]any
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("line %d is not JSON: %q", i, l)
		}
		wantTime := float64(at(0, 40).Add(time.Duration(i) * time.Second).UnixMilli())
		if o["time"] != wantTime || o["host_name"] != "web-1" || o["ip"] != "10.0.0.7" || o["hostName"] != "web-1" ||
			o["logStreamName"] != "web" || o["projectId"] != testProject || o["line_no"] == nil {
			t.Fatalf("line %d: %v", i, o)
		}
		got = append(got, o["message"].(string))
	}
	if !slices.Equal(got, first) {
		t.Fatalf("messages %q, want %q", got, first)
	}

	// Run now: the open window up to now is written at once.
	now := lines("now", 3)
	e.ingestAt(t, group, stream, at(2, 10), now...)
	// A clock finer than the millisecond windows end on.
	clk.set(at(2, 20).Add(123456 * time.Nanosecond))
	status, _, resp = e.raw("POST", "/v2/"+testProject+"/transfers/"+created.ID+"/run", nil, nil, signer(testAK, testSK, testProject, time.Now()))
	if status != 200 {
		t.Fatalf("run: %d %s", status, resp)
	}
	var ran struct {
		Objects []string `json:"objects"`
	}
	json.Unmarshal(resp, &ran)
	wantKey := "LogTanks/" + testRegion + "/lts/2026/11/22/11/web_20261122T110200.000_20261122T110220.000_" + stream + ".log.gz"
	if !slices.Equal(ran.Objects, []string{wantKey}) {
		t.Fatalf("run wrote %q, want %q", ran.Objects, wantKey)
	}
	if n := strings.Count(readS3(t, s3, "logs-bucket")[wantKey], "\n"); n != len(now) {
		t.Fatalf("the run's object holds %d lines, want %d", n, len(now))
	}
}

func readS3(t *testing.T, s objstore.Store, bucket string) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := s.List(ctx, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		r, err := s.Get(ctx, bucket, k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = unzipIf(t, k, b)
	}
	return out
}

// TestTransferRefusedWithoutBucketPermission: credentials the object store
// refuses make creation fail with 403 LTS.0018, not a missing bucket.
func TestTransferRefusedWithoutBucketPermission(t *testing.T) {
	gw := s3test.Start(t, "transfer-ak", "transfer-secret-key")
	if err := os.Mkdir(filepath.Join(gw.Dir, "logs-bucket"), 0o755); err != nil {
		t.Fatal(err)
	}
	s3, err := objstore.NewS3(objstore.S3Config{Endpoint: "http://" + gw.Addr, AccessKey: gw.AccessKey, SecretKey: "not-the-secret", PathStyle: true, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	e := startWith(t, "", func(c *server.Config) { c.Objects = s3 })
	group, stream := e.createStream(t, "app", "web")
	_, err = e.lts().CreateTransfer(obsTransfer(group, []string{stream}, "logs-bucket", "RAW", nil))
	wantErr(t, err, 403, "LTS.0018")
	if !strings.Contains(err.Error(), "logs-bucket") {
		t.Fatalf("message %q does not name the bucket", err)
	}
}

// TestTransferKeysAndPauses: streams of one name in two groups writing to
// one custom directory keep apart; a transfer switched off and on again
// writes every line; a run on a missing bucket says so.
func TestTransferKeysAndPauses(t *testing.T) {
	clk := newClock(transferStart)
	te := startTransfers(t, "", "", transferConfig(clk))
	te.bucket(t, "shared")
	c := te.lts()
	var ids []string
	var want []string
	for _, g := range []string{"web", "api"} {
		group, stream := te.createStream(t, g, "app")
		created, err := c.CreateTransfer(obsTransfer(group, []string{stream}, "shared", "RAW", func(d *model.LogTransferDetail) { d.ObsDirPreFixName = ptr("lts/%Y/%m/%d") }))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *created.LogTransferId)
		l := lines(g, 3)
		te.ingestAt(t, group, stream, at(1, 0), l...)
		want = append(want, l...)
	}
	// Off and on again before the window closes: nothing is skipped.
	for _, status := range []model.UpdateTransferRequestBodyLogTransferInfoLogTransferStatus{
		model.GetUpdateTransferRequestBodyLogTransferInfoLogTransferStatusEnum().DISABLE,
		model.GetUpdateTransferRequestBodyLogTransferInfoLogTransferStatusEnum().ENABLE,
	} {
		if _, err := c.UpdateTransfer(&model.UpdateTransferRequest{Body: &model.UpdateTransferRequestBody{
			LogTransferId:   ids[0],
			LogTransferInfo: &model.UpdateTransferRequestBodyLogTransferInfo{LogStorageFormat: model.GetUpdateTransferRequestBodyLogTransferInfoLogStorageFormatEnum().RAW, LogTransferStatus: status},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(at(2, 0))
	bucketDir := filepath.Join(te.obsDir, "shared")
	waitFor(t, "both objects", func() bool { return len(readDirObjects(t, bucketDir)) == 2 })
	exactlyOnce(t, readDirObjects(t, bucketDir), want)

	// A run on demand against a bucket that is gone.
	if err := os.Rename(bucketDir, bucketDir+"-away"); err != nil {
		t.Fatal(err)
	}
	group := ""
	l, _ := c.ListLogGroups(&model.ListLogGroupsRequest{})
	for _, g := range *l.LogGroups {
		if g.LogGroupName == "web" {
			group = g.LogGroupId
		}
	}
	streams, _ := c.ListLogStream(&model.ListLogStreamRequest{LogGroupId: group})
	te.ingestAt(t, group, *(*streams.LogStreams)[0].LogStreamId, at(2, 10), "late run")
	clk.set(at(2, 20))
	status, _, body := te.raw("POST", "/v2/"+testProject+"/transfers/"+ids[0]+"/run", nil, nil, signer(testAK, testSK, testProject, time.Now()))
	if status != 400 || errorCode(t, body) != "LTS.0416" || !strings.Contains(string(body), "shared") {
		t.Fatalf("run on a missing bucket: %d %s", status, body)
	}
}

// TestTransferJSONWithStructFields: a JSON transfer carries the chosen
// structured fields with their types.
func TestTransferJSONWithStructFields(t *testing.T) {
	clk := newClock(transferStart)
	te := startTransfers(t, "", "", transferConfig(clk))
	te.bucket(t, "dumps")
	c := te.lts()
	group, stream := te.createStream(t, "app", "web")
	if _, err := c.CreateStructTemplate(&model.CreateStructTemplateRequest{Body: &model.LtsStructTemplateInfo{
		LogGroupId: group, LogStreamId: stream, ProjectId: testProject, ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().CUSTOM_REGEX,
		Content: structSeedLines[0].text, RegexRules: ptr(`^(?P<test1>[^/]+)/(?P<test2>\S+) (?P<test3>\S+) .* (?P<test4>\d+)$`),
		DemoFields: []model.StructFieldInfo{{FieldName: ptr("test1"), Type: "string"}, {FieldName: ptr("test2"), Type: "string"}, {FieldName: ptr("test3"), Type: "string"}, {FieldName: ptr("test4"), Type: "long"}},
		TagFields:  []model.TagField{},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTransfer(obsTransfer(group, []string{stream}, "dumps", "JSON", func(d *model.LogTransferDetail) {
		d.StructFields = &[]string{"test1", "test4", "absent"}
	})); err != nil {
		t.Fatal(err)
	}
	te.ingestAt(t, group, stream, at(1, 0), structSeedLines[0].text)
	clk.set(at(2, 0))
	bucketDir := filepath.Join(te.obsDir, "dumps")
	waitFor(t, "the object", func() bool { return len(readDirObjects(t, bucketDir)) == 1 })
	for _, text := range readDirObjects(t, bucketDir) {
		var o map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &o); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if o["test1"] != "2020-07-27" || o["test4"] != float64(151684) || o["message"] != structSeedLines[0].text {
			t.Fatalf("object: %v", o)
		}
		if _, ok := o["absent"]; ok {
			t.Fatalf("a field no row has is present: %v", o)
		}
	}
	// RAW transfers have no place for fields.
	_, other := te.createStream(t, "app2", "web")
	raw := obsTransfer("", []string{other}, "dumps", "RAW", func(d *model.LogTransferDetail) { d.StructFields = &[]string{"test1"} })
	l, _ := c.ListLogGroups(&model.ListLogGroupsRequest{})
	for _, g := range *l.LogGroups {
		if g.LogGroupName == "app2" {
			raw.Body.LogGroupId = g.LogGroupId
		}
	}
	_, err := c.CreateTransfer(raw)
	wantErr(t, err, 400, "LTS.0009")
}
