package conformance

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

// BenchmarkIngestStructuredHTTP posts 1,000-line batches of ~150-byte JSON
// lines over HTTP from 2 senders, like BenchmarkIngestHTTP, into a stream
// with a json rule of 8 typed fields and into one without a rule; the
// ratio of the two lines/s figures is the cost of structuring.
func BenchmarkIngestStructuredHTTP(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var bodies [][]byte
	levels := []string{"INFO", "WARN", "ERROR", "DEBUG"}
	for range 16 {
		lines := make([]string, 1000)
		for i := range lines {
			lines[i] = fmt.Sprintf(`{"time":"2026-11-22T10:%02d:%02d.%03dZ","level":"%s","svc":"orders","user":%d,"order":%d,"ms":%d.%d,"ip":"10.%d.%d.%d","msg":"order placed"}`,
				rng.IntN(60), rng.IntN(60), rng.IntN(1000), levels[rng.IntN(4)], rng.IntN(1e6), rng.Int64N(1e9), rng.IntN(500), rng.IntN(10),
				rng.IntN(256), rng.IntN(256), rng.IntN(256))
		}
		body, _ := json.Marshal(map[string]any{"contents": lines, "labels": map[string]string{}})
		bodies = append(bodies, body[1:])
	}
	for _, withRule := range []bool{false, true} {
		name := "rule=none"
		if withRule {
			name = "rule=json"
		}
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			e := start(t, b.TempDir())
			defer e.stop()
			group, stream := e.createStream(t, "bench", "ingest")
			if withRule {
				f := func(name, typ string) model.StructFieldInfo {
					return model.StructFieldInfo{FieldName: sp(name), Type: typ}
				}
				_, err := e.lts().CreateStructTemplate(&model.CreateStructTemplateRequest{Body: &model.LtsStructTemplateInfo{
					LogGroupId: group, LogStreamId: stream, ProjectId: testProject,
					ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().JSON, Content: "{}",
					DemoFields: []model.StructFieldInfo{f("time", "string"), f("level", "string"), f("svc", "string"),
						f("user", "long"), f("order", "long"), f("ms", "float"), f("ip", "string"), f("msg", "string")},
				}})
				if err != nil {
					b.Fatal(err)
				}
			}
			sendBatches(b, e, group, stream, bodies)
			b.StopTimer()
			if withRule {
				if u, f := e.counters(t, group, stream); u != 0 || f != 0 || t.Failed() {
					b.Fatalf("every line must structure: unparsed %v failed %v", u, f)
				}
			}
		})
	}
}
