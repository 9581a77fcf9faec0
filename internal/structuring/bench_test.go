package structuring

import (
	"fmt"
	"testing"
)

// Realistic lines of about 150 bytes.
const (
	benchJSONLine = `{"time":"2020-07-27T08:59:53.123Z","level":"info","service":"checkout","latency_ms":12.5,"status":200,"user":{"id":151687,"region":"cn-north-4"},"msg":"order placed"}`
	benchSplit    = "2020-07-27 08:59:53.123|INFO|checkout|151687|cn-north-4|12.5|200|order placed for user 151687 in region cn-north-4"
)

func benchParse(b *testing.B, r Rule, line string) {
	p := mustCompile(b, r)
	dst := make([]Field, 0, 64)
	if _, res := p.Parse(line, dst); !res.Matched || res.Failed != 0 {
		b.Fatalf("bench line does not structure cleanly: %+v", res)
	}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		dst, _ = p.Parse(line, dst[:0])
	}
}

func BenchmarkJSON(b *testing.B) {
	b.Run("all-fields", func(b *testing.B) { benchParse(b, Rule{Kind: KindJSON}, benchJSONLine) })
	b.Run("configured", func(b *testing.B) {
		benchParse(b, Rule{Kind: KindJSON, Fields: []FieldSpec{
			{Key: "level", Name: "level"}, {Key: "status", Name: "status", Type: Long},
			{Key: "latency_ms", Name: "latency", Type: Float}, {Key: "user.id", Name: "uid", Type: Long},
		}}, benchJSONLine)
	})
}

func BenchmarkRegex(b *testing.B) {
	benchParse(b, Rule{Kind: KindRegex,
		Regex: `^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`,
		Fields: []FieldSpec{{Key: "test1", Name: "test1"}, {Key: "test2", Name: "test2"},
			{Key: "test3", Name: "test3"}, {Key: "test4", Name: "test4", Type: Long}}}, seedLine)
}

func BenchmarkSplit(b *testing.B) {
	b.Run("all-fields", func(b *testing.B) { benchParse(b, Rule{Kind: KindSplit, Delimiters: []string{"|"}}, benchSplit) })
	b.Run("configured", func(b *testing.B) {
		benchParse(b, Rule{Kind: KindSplit, Delimiters: []string{"|"}, Fields: []FieldSpec{
			{Index: 1, Name: "level"}, {Index: 3, Name: "uid", Type: Long}, {Index: 5, Name: "lat", Type: Float}, {Index: 6, Name: "status", Type: Long},
		}}, benchSplit)
	})
}

func BenchmarkNginx(b *testing.B) {
	b.Run("combined", func(b *testing.B) { benchParse(b, Rule{Kind: KindNginx}, nginxLine) })
	b.Run("apache_common", func(b *testing.B) { benchParse(b, Rule{Kind: KindBuiltIn, Template: "apache_common"}, apacheLine) })
}

// BenchmarkParallelJSON runs the JSON parser on every core, the way
// ingestion would.
func BenchmarkParallelJSON(b *testing.B) {
	p := mustCompile(b, Rule{Kind: KindJSON})
	b.SetBytes(int64(len(benchJSONLine)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]Field, 0, 64)
		for pb.Next() {
			dst, _ = p.Parse(benchJSONLine, dst[:0])
		}
	})
}

func Example() {
	p, err := Compile(&Rule{Kind: KindSplit, Delimiters: []string{" "},
		Fields: []FieldSpec{{Index: 0, Name: "level"}, {Index: 2, Name: "code", Type: Long}}})
	if err != nil {
		panic(err)
	}
	fields, res := p.Parse("WARN disk 28 percent", nil)
	for _, f := range fields {
		fmt.Printf("%s=%s ", f.Name, f.AppendText(nil))
	}
	fmt.Println(res.Failed)
	// Output: level=WARN code=28 0
}
