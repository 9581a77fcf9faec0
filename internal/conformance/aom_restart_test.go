package conformance

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/aom/v2/model"
)

// TestAOMRestartKeepsPoints reports points (one back-filled 23 hours), stops
// the server, starts it on the same folder and reads them back through the
// ams, v2 and Prometheus APIs.
func TestAOMRestartKeepsPoints(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	base := minute(15)
	tr := reportBuckets(t, e.aom(), base)
	old := minute(23 * 60)
	mustReport(t, e.aom(), point{"NOPAAS.ESC", "cpu_util", instance101, "percent", old, 7})
	e.stop()

	e = start(t, dir)
	c := e.aom()
	resp, err := c.ShowMetricsData(&model.ShowMetricsDataRequest{Body: metricDataQuery(tr, 60, allStatistics, instance101...)})
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, metricDataLines(t, resp), []string{
		fmt.Sprintf("%d percent maximum=30 minimum=10 sum=60 average=20 sampleCount=3", base),
		fmt.Sprintf("%d percent maximum=-1 minimum=-1 sum=-1 average=-1 sampleCount=-1", base+60_000),
		fmt.Sprintf("%d percent maximum=5 minimum=5 sum=5 average=5 sampleCount=1", base+120_000),
	})
	got := instant(t, c, `cpu_util{instance_id="instance-101"}`, old/1000)
	if want := fmt.Sprintf(`{"result":[{"metric":{"_NAMESPACE_":"NOPAAS.ESC","__name__":"cpu_util","instance_id":"instance-101"},"value":[%d,"7"]}],"resultType":"vector"}`, old/1000); got != want {
		t.Fatalf("the back-filled point after a restart: %s", got)
	}
	series, err := c.ListSeries(&model.ListSeriesRequest{Body: &model.SeriesApiQueryItemParam{Series: []model.QuerySeriesOptionParam{{Namespace: "NOPAAS.ESC"}}}})
	if err != nil || *series.MetaData.Total != 4 {
		t.Fatalf("series after a restart: %+v %v", series, err)
	}
}

// TestAOMCrashKeepsAcknowledgedPoints kills the server with SIGKILL while
// several senders report, restarts it, and checks that every point whose
// report was acknowledged is stored.
func TestAOMCrashKeepsAcknowledgedPoints(t *testing.T) {
	dir := t.TempDir()
	const cycles, senders, batch = 3, 3, 100
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Second).UnixMilli()
	reportPath := "/v1/" + testProject + "/ams/report/metricdata"
	type key struct {
		sender int
		at     int64
	}
	acked := map[key]float64{}
	var mu sync.Mutex
	var child *crashChild
	for cycle := range cycles {
		child = startCrashChild(t, dir)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := 0; ; seq++ {
					select {
					case <-stop:
						return
					default:
					}
					items := make([]map[string]any, batch)
					keys := make([]key, batch)
					for i := range items {
						at := base + int64(cycle)*10_000_000 + int64(seq*batch+i)
						keys[i] = key{s, at}
						items[i] = map[string]any{"collect_time": at,
							"metric": map[string]any{"namespace": "CRASH.TEST", "dimensions": []map[string]string{{"name": "sender", "value": strconv.Itoa(s)}}},
							"values": []map[string]any{{"metric_name": "crash_points", "value": float64(seq)}}}
					}
					body, _ := json.Marshal(items)
					status, _, err := signedPost(child.url, reportPath, body)
					if err != nil {
						return // the server died under us: this report is unacknowledged
					}
					if status == 200 {
						mu.Lock()
						for _, k := range keys {
							acked[k] = float64(seq)
						}
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(150+100*cycle) * time.Millisecond)
		child.kill()
		close(stop)
		wg.Wait()
	}
	child = startCrashChild(t, dir)
	defer child.kill()
	if len(acked) == 0 {
		t.Fatal("no report was acknowledged")
	}
	q := url.Values{"query": {"crash_points[3h]"}, "time": {strconv.FormatInt(time.Now().Unix(), 10)}}
	status, resp, err := signedPost(child.url, "/v1/"+testProject+"/aom/api/v1/query?"+q.Encode(), nil)
	if err != nil || status != 200 {
		t.Fatalf("query: %d %s %v", status, resp, err)
	}
	var out struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Values [][2]any          `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatal(err)
	}
	stored := map[key]float64{}
	for _, r := range out.Data.Result {
		s, _ := strconv.Atoi(r.Metric["sender"])
		for _, v := range r.Values {
			sec, _ := v[0].(float64)
			val, _ := strconv.ParseFloat(v[1].(string), 64)
			stored[key{s, int64(sec*1000 + 0.5)}] = val
		}
	}
	missing := 0
	for k, v := range acked {
		if got, ok := stored[k]; !ok || got != v {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged point %+v = %v: stored %v (%v)", k, v, got, ok)
			}
		}
	}
	t.Logf("%d cycles: %d points acknowledged, %d stored", cycles, len(acked), len(stored))
	if missing > 0 {
		t.Fatalf("%d acknowledged points missing", missing)
	}
}
