package conformance

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/objstore"
	"logtank/internal/server"
)

// transferEnv is a server whose transfers write to a folder of buckets.
type transferEnv struct {
	*env
	obsDir string
}

func startTransfers(t *testing.T, dir, obsDir string, configure func(*server.Config)) *transferEnv {
	t.Helper()
	if obsDir == "" {
		obsDir = t.TempDir()
	}
	objects, err := objstore.NewDir(obsDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	e := startWith(t, dir, func(c *server.Config) {
		c.Objects = objects
		if configure != nil {
			configure(c)
		}
	})
	return &transferEnv{env: e, obsDir: obsDir}
}

func (te *transferEnv) bucket(t *testing.T, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(te.obsDir, name), 0o700); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func obsTransfer(group string, streams []string, bucket string, format string, detail func(*model.LogTransferDetail)) *model.CreateTransferRequest {
	d := &model.LogTransferDetail{ObsPeriod: 2, ObsPeriodUnit: "min", ObsBucketName: bucket}
	if detail != nil {
		detail(d)
	}
	var ls []model.CreateTransferRequestBodyLogStreams
	for _, s := range streams {
		ls = append(ls, model.CreateTransferRequestBodyLogStreams{LogStreamId: s})
	}
	f := model.GetCreateTransferRequestBodyLogTransferInfoLogStorageFormatEnum().RAW
	if format == "JSON" {
		f = model.GetCreateTransferRequestBodyLogTransferInfoLogStorageFormatEnum().JSON
	}
	return &model.CreateTransferRequest{Body: &model.CreateTransferRequestBody{
		LogGroupId: group, LogStreams: ls,
		LogTransferInfo: &model.CreateTransferRequestBodyLogTransferInfo{
			LogTransferType:   "OBS",
			LogTransferMode:   model.GetCreateTransferRequestBodyLogTransferInfoLogTransferModeEnum().CYCLE,
			LogStorageFormat:  f,
			LogTransferStatus: model.GetCreateTransferRequestBodyLogTransferInfoLogTransferStatusEnum().ENABLE,
			LogTransferDetail: d,
		},
	}}
}

func TestTransferAPIsThroughSDK(t *testing.T) {
	te := startTransfers(t, "", "", nil)
	te.bucket(t, "dump-bucket")
	c := te.lts()
	group, s1 := te.createStream(t, "app", "web")
	s2r, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "api"}})
	if err != nil {
		t.Fatal(err)
	}
	s2 := *s2r.LogStreamId
	s3r, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "jobs"}})
	if err != nil {
		t.Fatal(err)
	}
	s3 := *s3r.LogStreamId

	// The seed's old API.
	dump, err := c.CreateLogDumpObs(&model.CreateLogDumpObsRequest{Body: &model.CreateLogDumpObsRequestBody{
		LogGroupId: group, LogStreamIds: []string{s1}, ObsBucketName: "dump-bucket", Type: "cycle",
		StorageFormat: "RAW", Period: 5, PeriodUnit: "min", PrefixName: ptr("app"), DirPrefixName: ptr("logs/web"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if dump.HttpStatusCode != http.StatusCreated || dump.LogDumpObsId == nil || *dump.LogDumpObsId == "" {
		t.Fatalf("CreateLogDumpObs: %d %+v", dump.HttpStatusCode, dump)
	}

	// The newer API, JSON with tags, a time zone and gzip.
	created, err := c.CreateTransfer(obsTransfer(group, []string{s2}, "dump-bucket", "JSON", func(d *model.LogTransferDetail) {
		d.ObsPeriod, d.ObsPeriodUnit = 1, "hour"
		d.Tags = &[]string{"hostName", "logStreamName"}
		d.ObsTimeZone, d.ObsTimeZoneId = ptr("UTC+01:00"), ptr("Africa/Lagos")
	}))
	if err != nil {
		t.Fatal(err)
	}
	info := created.LogTransferInfo
	if created.LogTransferId == nil || *created.LogGroupName != "app" || len(*created.LogStreams) != 1 || (*created.LogStreams)[0].LogStreamName != "api" ||
		info.LogTransferType.Value() != "OBS" || info.LogTransferMode.Value() != "cycle" || info.LogStorageFormat.Value() != "JSON" ||
		info.LogTransferStatus.Value() != "ENABLE" || info.LogCreateTime == 0 {
		t.Fatalf("CreateTransfer: %+v %+v", created, info)
	}
	d := info.LogTransferDetail
	if d.ObsPeriod.Value() != 1 || d.ObsPeriodUnit != "hour" || d.ObsBucketName != "dump-bucket" || *d.ObsTransferPath != "/dump-bucket/LogTanks/"+testRegion+"/" ||
		*d.ObsTimeZone != "UTC+01:00" || *d.ObsTimeZoneId != "Africa/Lagos" || strings.Join(*d.Tags, ",") != "hostName,logStreamName" {
		t.Fatalf("transfer detail: %+v", d)
	}

	// Both show in the list, the old one as an OBS cycle transfer.
	list, err := c.ListTransfers(&model.ListTransfersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(*list.LogTransfers) != 2 {
		t.Fatalf("ListTransfers: %+v", *list.LogTransfers)
	}
	old := (*list.LogTransfers)[0]
	if old.LogTransferId != *dump.LogDumpObsId || old.LogTransferInfo.LogTransferMode.Value() != "cycle" || old.LogTransferInfo.LogTransferType.Value() != "OBS" ||
		old.LogTransferInfo.LogTransferDetail.ObsPeriod.Value() != 5 || *old.LogTransferInfo.LogTransferDetail.ObsPrefixName != "app" ||
		*old.LogTransferInfo.LogTransferDetail.ObsDirPreFixName != "logs/web" || old.LogStreams[0].LogStreamName != "web" {
		t.Fatalf("the old API's transfer: %+v", old)
	}
	byStream, err := c.ListTransfers(&model.ListTransfersRequest{LogStreamName: ptr("api")})
	if err != nil || len(*byStream.LogTransfers) != 1 || (*byStream.LogTransfers)[0].LogTransferId != *created.LogTransferId {
		t.Fatalf("ListTransfers by stream name: %v %+v", err, byStream)
	}
	obsType := model.GetListTransfersRequestLogTransferTypeEnum().DIS
	if byType, err := c.ListTransfers(&model.ListTransfersRequest{LogTransferType: &obsType}); err != nil || len(*byType.LogTransfers) != 0 {
		t.Fatalf("ListTransfers of DIS: %v %+v", err, byType)
	}

	// Update: switch off, RAW, another period, add a stream.
	updated, err := c.UpdateTransfer(&model.UpdateTransferRequest{Body: &model.UpdateTransferRequestBody{
		LogTransferId: *created.LogTransferId,
		LogStreams:    &[]model.LogStreams{{LogStreamId: s2}, {LogStreamId: s3}},
		LogTransferInfo: &model.UpdateTransferRequestBodyLogTransferInfo{
			LogStorageFormat:  model.GetUpdateTransferRequestBodyLogTransferInfoLogStorageFormatEnum().RAW,
			LogTransferStatus: model.GetUpdateTransferRequestBodyLogTransferInfoLogTransferStatusEnum().DISABLE,
			LogTransferDetail: &model.LogTransferDetail{ObsPeriod: 30, ObsPeriodUnit: "min", ObsBucketName: "dump-bucket"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if updated.LogTransferInfo.LogTransferStatus.Value() != "DISABLE" || updated.LogTransferInfo.LogStorageFormat.Value() != "RAW" ||
		updated.LogTransferInfo.LogTransferDetail.ObsPeriod.Value() != 30 || len(*updated.LogStreams) != 2 {
		t.Fatalf("UpdateTransfer: %+v", updated)
	}

	// A stream or group a transfer writes cannot be deleted.
	_, err = c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: s1})
	wantErr(t, err, 400, "LTS.0207")
	_, err = c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: group})
	wantErr(t, err, 400, "LTS.0105")

	deleted, err := c.DeleteTransfer(&model.DeleteTransferRequest{LogTransferId: *dump.LogDumpObsId})
	if err != nil || *deleted.LogTransferId != *dump.LogDumpObsId {
		t.Fatalf("DeleteTransfer: %v %+v", err, deleted)
	}
	_, err = c.DeleteTransfer(&model.DeleteTransferRequest{LogTransferId: *dump.LogDumpObsId})
	wantErr(t, err, 400, "LTS.0405")
	// Its stream is free again: deleting it works.
	if _, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: s1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteTransfer(&model.DeleteTransferRequest{LogTransferId: *created.LogTransferId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: group}); err != nil {
		t.Fatal(err)
	}
}

func TestTransferErrors(t *testing.T) {
	te := startTransfers(t, "", "", nil)
	te.bucket(t, "dump-bucket")
	c := te.lts()
	group, stream := te.createStream(t, "app", "web")
	const missing = "00000000-0000-4000-8000-000000000000"

	dump := func(mod func(b *model.CreateLogDumpObsRequestBody)) error {
		b := &model.CreateLogDumpObsRequestBody{LogGroupId: group, LogStreamIds: []string{stream}, ObsBucketName: "dump-bucket", Type: "cycle", StorageFormat: "RAW", Period: 2, PeriodUnit: "min"}
		mod(b)
		_, err := c.CreateLogDumpObs(&model.CreateLogDumpObsRequest{Body: b})
		return err
	}
	for _, tc := range []struct {
		name   string
		mod    func(b *model.CreateLogDumpObsRequestBody)
		status int
		code   string
		msg    string
	}{
		{"type", func(b *model.CreateLogDumpObsRequestBody) { b.Type = "realtime" }, 400, "LTS.1901", "type is not in the list [cycle]"},
		{"format", func(b *model.CreateLogDumpObsRequestBody) { b.StorageFormat = "CSV" }, 400, "LTS.1901", "storage_format is not in the list [RAW, JSON]"},
		{"unit", func(b *model.CreateLogDumpObsRequestBody) { b.PeriodUnit = "day" }, 400, "LTS.1901", "period_unit is not in the list [min, hour]"},
		{"period", func(b *model.CreateLogDumpObsRequestBody) { b.Period = 3 }, 400, "LTS.1901", "period+period_unit is not in the list [2min, 5min, 30min, 1hour, 3hour, 6hour, 12hour]"},
		{"unset period", func(b *model.CreateLogDumpObsRequestBody) { b.Period = 0 }, 400, "LTS.1901", "period+period_unit"},
		{"prefix", func(b *model.CreateLogDumpObsRequestBody) { b.PrefixName = ptr("a b") }, 400, "LTS.1902", "prefix_name is invalid"},
		{"dir", func(b *model.CreateLogDumpObsRequestBody) { b.DirPrefixName = ptr("a//b") }, 400, "LTS.1902", "dir_prefix_name is invalid"},
		{"dir escape", func(b *model.CreateLogDumpObsRequestBody) { b.DirPrefixName = ptr("a/../b") }, 400, "LTS.1902", "dir_prefix_name is invalid"},
		{"no streams", func(b *model.CreateLogDumpObsRequestBody) { b.LogStreamIds = nil }, 400, "LTS.0009", "log_stream_ids"},
		{"group", func(b *model.CreateLogDumpObsRequestBody) { b.LogGroupId = missing }, 400, "LTS.0201", "The log group does not existed"},
		{"stream", func(b *model.CreateLogDumpObsRequestBody) { b.LogStreamIds = []string{missing} }, 400, "LTS.0208", "Log stream id does not exist: " + missing},
		{"bucket", func(b *model.CreateLogDumpObsRequestBody) { b.ObsBucketName = "no-such-bucket" }, 400, "LTS.0416", "obs bucket does not exist: no-such-bucket"},
		{"bucket name", func(b *model.CreateLogDumpObsRequestBody) { b.ObsBucketName = "Bad_Bucket" }, 400, "LTS.1902", "obs_bucket_name is invalid"},
	} {
		err := dump(tc.mod)
		wantErr(t, err, tc.status, tc.code)
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: message %q lacks %q", tc.name, err, tc.msg)
		}
	}
	if err := dump(func(*model.CreateLogDumpObsRequestBody) {}); err != nil {
		t.Fatal(err)
	}
	err := dump(func(*model.CreateLogDumpObsRequestBody) {})
	wantErr(t, err, 400, "LTS.0207")
	if !strings.Contains(err.Error(), "Log stream id is associated by transfer: "+stream) {
		t.Errorf("message %q", err)
	}
	_, err = c.CreateTransfer(obsTransfer(group, []string{stream}, "dump-bucket", "RAW", nil))
	wantErr(t, err, 400, "LTS.0207")

	_, other := te.createStream(t, "other", "s")
	create := func(mod func(r *model.CreateTransferRequest)) error {
		r := obsTransfer(group, []string{other}, "dump-bucket", "JSON", nil)
		r.Body.LogGroupId = ""
		mod(r)
		_, err := c.CreateTransfer(r)
		return err
	}
	otherGroup := func(r *model.CreateTransferRequest) {
		l, _ := c.ListLogGroups(&model.ListLogGroupsRequest{})
		for _, g := range *l.LogGroups {
			if g.LogGroupName == "other" {
				r.Body.LogGroupId = g.LogGroupId
			}
		}
	}
	for _, tc := range []struct {
		name string
		mod  func(r *model.CreateTransferRequest)
		code string
		msg  string
	}{
		{"DIS", func(r *model.CreateTransferRequest) { r.Body.LogTransferInfo.LogTransferType = "DIS" }, "LTS.1901", "only OBS"},
		{"type", func(r *model.CreateTransferRequest) { r.Body.LogTransferInfo.LogTransferType = "FTP" }, "LTS.1901", "log_transfer_type is not in the list [OBS, DIS, DMS]"},
		{"realTime", func(r *model.CreateTransferRequest) {
			r.Body.LogTransferInfo.LogTransferMode = model.GetCreateTransferRequestBodyLogTransferInfoLogTransferModeEnum().REAL_TIME
		}, "LTS.1901", "cycle"},
		{"period", func(r *model.CreateTransferRequest) { r.Body.LogTransferInfo.LogTransferDetail.ObsPeriod = 7 }, "LTS.1901", "obs_period+obs_period_unit is not in the list"},
		{"time zone alone", func(r *model.CreateTransferRequest) {
			r.Body.LogTransferInfo.LogTransferDetail.ObsTimeZone = ptr("UTC+01:00")
		}, "LTS.0009", "together"},
		{"time zone", func(r *model.CreateTransferRequest) {
			r.Body.LogTransferInfo.LogTransferDetail.ObsTimeZone, r.Body.LogTransferInfo.LogTransferDetail.ObsTimeZoneId = ptr("GMT+1"), ptr("Nowhere/City")
		}, "LTS.1902", "obs_time_zone is invalid"},
		{"tag", func(r *model.CreateTransferRequest) {
			r.Body.LogTransferInfo.LogTransferDetail.Tags = &[]string{"password"}
		}, "LTS.1901", "tags is not in the list"},
		{"dir", func(r *model.CreateTransferRequest) {
			r.Body.LogTransferInfo.LogTransferDetail.ObsDirPreFixName = ptr("a/../../etc")
		}, "LTS.1902", "obs_dir_pre_fix_name is invalid"},
		{"no detail", func(r *model.CreateTransferRequest) { r.Body.LogTransferInfo.LogTransferDetail = nil }, "LTS.0009", "log_transfer_detail is required"},
		{"no group", func(r *model.CreateTransferRequest) {}, "LTS.0009", "log_group_id is required"},
		{"bucket", func(r *model.CreateTransferRequest) {
			otherGroup(r)
			r.Body.LogTransferInfo.LogTransferDetail.ObsBucketName = "gone-bucket"
		}, "LTS.0416", "gone-bucket"},
	} {
		err := create(tc.mod)
		wantErr(t, err, 400, tc.code)
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: message %q lacks %q", tc.name, err, tc.msg)
		}
	}
	raw := obsTransfer(group, []string{other}, "dump-bucket", "RAW", func(d *model.LogTransferDetail) { d.Tags = &[]string{"hostName"} })
	otherGroup(raw)
	_, err = c.CreateTransfer(raw)
	wantErr(t, err, 400, "LTS.0009")

	_, err = c.UpdateTransfer(&model.UpdateTransferRequest{Body: &model.UpdateTransferRequestBody{LogTransferInfo: &model.UpdateTransferRequestBodyLogTransferInfo{
		LogStorageFormat: model.GetUpdateTransferRequestBodyLogTransferInfoLogStorageFormatEnum().RAW,
	}}})
	wantErr(t, err, 400, "LTS.0009")
	_, err = c.UpdateTransfer(&model.UpdateTransferRequest{Body: &model.UpdateTransferRequestBody{LogTransferId: missing, LogTransferInfo: &model.UpdateTransferRequestBodyLogTransferInfo{
		LogStorageFormat: model.GetUpdateTransferRequestBodyLogTransferInfoLogStorageFormatEnum().RAW,
	}}})
	wantErr(t, err, 400, "LTS.0405")
	_, err = c.DeleteTransfer(&model.DeleteTransferRequest{LogTransferId: missing})
	wantErr(t, err, 400, "LTS.0405")

	status, _, body := te.raw("GET", "/v2/"+testProject+"/transfers?log_transfer_type=FTP", nil, nil, signer(testAK, testSK, testProject, time.Now()))
	if status != 400 || errorCode(t, body) != "LTS.0001" {
		t.Fatalf("list of type FTP: %d %s", status, body)
	}
	status, body = te.post(t, "/v2/"+testProject+"/log-dump/obs", "{not json", nil)
	if status != 400 || errorCode(t, body) != "LTS.0007" {
		t.Fatalf("broken body: %d %s", status, body)
	}
}
