package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	aom "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2/model"
)

// aomClient is an AOM SDK client signing with ak/sk for project.
func (e *env) aomClient(ak, sk, project string, rt http.RoundTripper) *aom.AomClient {
	return aom.NewAomClient(e.sdkClient(aom.AomClientBuilder(), ak, sk, project, rt))
}

// aom is an AOM client with the first-start access key.
func (e *env) aom() *aom.AomClient { return e.aomClient(testAK, testSK, testProject, nil) }

// newAOMProject adds a fresh project and returns its id and an AOM client
// for it, so that subtests sharing a server never see each other's series.
func newAOMProject(t *testing.T, e *env) (string, *aom.AomClient) {
	t.Helper()
	id := createProject(t, e, fmt.Sprintf("%s_aom%d", testRegion, projectSeq.Add(1)))
	return id, e.aomClient(testAK, testSK, id, nil)
}

// point is one value to report: a series (namespace, metric, dimensions as
// name/value pairs) at a time.
type point struct {
	ns, metric string
	dims       []string
	unit       string
	at         int64
	value      float64
}

func (p point) item() model.MetricDataItem {
	var dims []model.Dimension2
	for i := 0; i+1 < len(p.dims); i += 2 {
		dims = append(dims, model.Dimension2{Name: p.dims[i], Value: p.dims[i+1]})
	}
	typ := model.GetValueDataTypeEnum().FLOAT
	return model.MetricDataItem{
		CollectTime: p.at,
		Metric:      &model.MetricItemInfo{Namespace: p.ns, Dimensions: dims},
		Values:      []model.ValueData{{MetricName: p.metric, Type: &typ, Unit: ptrTo(p.unit), Value: p.value}},
	}
}

// mustReport reports the points in one request and checks AOM's success body.
func mustReport(t *testing.T, c *aom.AomClient, points ...point) {
	t.Helper()
	items := make([]model.MetricDataItem, len(points))
	for i, p := range points {
		items[i] = p.item()
	}
	resp, err := c.AddMetricData(&model.AddMetricDataRequest{Body: &items})
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if resp.HttpStatusCode != 200 || resp.ErrorCode == nil || *resp.ErrorCode != "SVCSTG_AMS_2000000" ||
		resp.ErrorMessage == nil || *resp.ErrorMessage != "success" {
		t.Fatalf("report answered %+v", resp)
	}
}

// aomErrorBody is an error answer in any of AOM's three layouts.
type aomErrorBody struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	Status       string `json:"status"`
	ErrorType    string `json:"errorType"`
	Error        string `json:"error"`
}

// wantAMSErr checks that err is an ams error answer: the status, and a body
// {"errorCode": code, "errorMessage": ...} that the SDK, which does not
// parse this layout, hands over as the raw message.
func wantAMSErr(t *testing.T, err error, status int, code string) string {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	var body aomErrorBody
	if jerr := json.Unmarshal([]byte(se.ErrorMessage), &body); jerr != nil {
		t.Fatalf("not an ams error body: %s", se.ErrorMessage)
	}
	if se.StatusCode != status || body.ErrorCode != code || body.ErrorMessage == "" || se.RequestId == "" {
		t.Fatalf("want %d %s, got %d %s (request id %q)", status, code, se.StatusCode, se.ErrorMessage, se.RequestId)
	}
	return body.ErrorMessage
}

// wantPromErr checks that err is a Prometheus-style error answer.
func wantPromErr(t *testing.T, err error, status int, errorType string) string {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("want %d %s, got %v", status, errorType, err)
	}
	var body aomErrorBody
	if jerr := json.Unmarshal([]byte(se.ErrorMessage), &body); jerr != nil {
		t.Fatalf("not a Prometheus error body: %s", se.ErrorMessage)
	}
	if se.StatusCode != status || body.Status != "error" || body.ErrorType != errorType || body.Error == "" || se.RequestId == "" {
		t.Fatalf("want %d %s, got %d %s", status, errorType, se.StatusCode, se.ErrorMessage)
	}
	return body.Error
}

// minute is the start of the minute ago minutes before now, in Unix ms:
// points at whole minutes fall into predictable periods.
func minute(ago int) int64 {
	return time.Now().Truncate(time.Minute).Add(-time.Duration(ago) * time.Minute).UnixMilli()
}

// asJSON re-encodes an SDK value (such as a Data interface{}) for comparison.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
