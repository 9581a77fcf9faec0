package logquery

import "testing"

// benchLine is a typical 150-byte ASCII application log line.
const benchLine = "2024-03-18 10:41:07.351 INFO  [http-nio-8080-exec-7] c.e.shop.OrderController - order=84211 user=alice status=PAID amount=129.90 latency_ms=35 path=/api/v1/orders"

var benchLabels = map[string]string{"hostName": "ecs-kwxtest", "hostIP": "192.168.0.156", "category": "LTS", "code": "200"}

func BenchmarkTokenize(b *testing.B) {
	tok := DefaultTokenizer()
	b.Run("AppendTokens", func(b *testing.B) {
		dst := make([]string, 0, 64)
		b.SetBytes(int64(len(benchLine)))
		for b.Loop() {
			dst = tok.AppendTokens(dst[:0], benchLine)
		}
	})
	b.Run("EachToken", func(b *testing.B) {
		n := 0
		b.SetBytes(int64(len(benchLine)))
		for b.Loop() {
			tok.EachToken(benchLine, func(string) { n++ })
		}
	})
}

func benchMatch(b *testing.B, keywords string) {
	q := mustParse(b, keywords, nil)
	label := labelsOf(benchLabels)
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	for b.Loop() {
		q.Match(benchLine, label)
	}
}

func BenchmarkMatchTerm(b *testing.B)     { benchMatch(b, "alice") }
func BenchmarkMatchTermMiss(b *testing.B) { benchMatch(b, "bob") }
func BenchmarkMatchAnd(b *testing.B)      { benchMatch(b, "alice and PAID and orders") }
func BenchmarkMatchOr(b *testing.B)       { benchMatch(b, "bob or carol or alice") }
func BenchmarkMatchNot(b *testing.B)      { benchMatch(b, "info not error") }
func BenchmarkMatchWildcard(b *testing.B) { benchMatch(b, "ord*Controller") }
func BenchmarkMatchPhrase(b *testing.B)   { benchMatch(b, `#"user alice status paid"`) }
func BenchmarkMatchLabel(b *testing.B)    { benchMatch(b, "hostName:ecs-kwxtest and code>=200") }
func BenchmarkMatchManyTerms(b *testing.B) {
	benchMatch(b, "a1 or a2 or a3 or a4 or a5 or a6 or a7 or a8 or a9 or bob")
}
func BenchmarkMatchLabelFirst(b *testing.B) { benchMatch(b, "hostName:other and alice") }

func BenchmarkHighlight(b *testing.B) {
	q := mustParse(b, `alice or paid or #"order 84211"`, nil)
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	for b.Loop() {
		q.Highlight(benchLine)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`(error or warn*) and hostName:ecs-* not #"health check" and code in [500 599]`, nil); err != nil {
			b.Fatal(err)
		}
	}
}
