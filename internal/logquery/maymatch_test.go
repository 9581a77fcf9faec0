package logquery

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// blockSummary is the exact token and label summary of a block of lines,
// the most precise answers MayMatch's callbacks can give.
type blockSummary struct {
	tokens map[string]bool
	labels map[[2]string]bool // {key, value} and {key, ""}
	asked  []string
}

func summarize(tok *Tokenizer, contents []string, labels []map[string]string) *blockSummary {
	b := &blockSummary{tokens: map[string]bool{}, labels: map[[2]string]bool{}}
	for _, c := range contents {
		tok.EachToken(c, func(x string) { b.tokens[tok.Normalize(x)] = true })
	}
	for _, ls := range labels {
		for k, v := range ls {
			b.labels[[2]string{k, v}] = true
			b.labels[[2]string{k, ""}] = true
		}
	}
	return b
}

func (b *blockSummary) hasToken(tok string) bool {
	b.asked = append(b.asked, "token "+tok)
	return b.tokens[tok]
}

func (b *blockSummary) hasLabel(key, value string) bool {
	b.asked = append(b.asked, "label "+key+"="+value)
	return b.labels[[2]string{key, value}]
}

func TestMayMatch(t *testing.T) {
	contents := []string{"ERROR main started", "user alice"}
	labels := []map[string]string{{"hostName": "ecs-1"}, {"hostName": "ecs-2", "pod": "p1"}}
	tests := []struct {
		keywords string
		want     bool
		asked    []string
	}{
		{"", true, nil},
		{"error", true, []string{"token error"}},
		{"ERROR", true, []string{"token error"}},
		{"warn", false, []string{"token warn"}},
		{"error warn", false, []string{"token error", "token warn"}},
		{"warn error", false, []string{"token warn"}},
		{"error or warn", true, []string{"token error"}},
		{"warn or alice", true, []string{"token warn", "token alice"}},
		{"warn or fatal", false, []string{"token warn", "token fatal"}},
		{"not error", true, nil},
		{"not warn", true, nil},
		{"warn*", true, nil},
		{`#"error main"`, true, []string{"token error", "token main"}},
		{`#"main error"`, true, []string{"token main", "token error"}}, // order is not in a bloom filter
		{`#"error warn"`, false, []string{"token error", "token warn"}},
		{`""`, true, nil},
		{"content:*", true, nil},
		{"var/log", false, []string{"token var"}},
		{"hostName:ecs-9", true, []string{"label hostName="}}, // only key presence is asked
		{"podName:x", false, []string{"label podName="}},
		{"podName:* or error", true, []string{"label podName=", "token error"}},
		{"code>1", false, []string{"label code="}},
		{`pod:""`, true, []string{"label pod="}},
		{"error and not pod:*", true, []string{"token error"}},
	}
	for _, tt := range tests {
		b := summarize(DefaultTokenizer(), contents, labels)
		q := mustParse(t, tt.keywords, nil)
		if got := q.MayMatch(b.hasToken, b.hasLabel); got != tt.want {
			t.Errorf("MayMatch(%q) = %v, want %v", tt.keywords, got, tt.want)
		}
		if !slices.Equal(b.asked, tt.asked) {
			t.Errorf("MayMatch(%q) asked %q, want %q", tt.keywords, b.asked, tt.asked)
		}
		if !q.MayMatch(nil, nil) {
			t.Errorf("MayMatch(%q) with nil callbacks = false, want true", tt.keywords)
		}
	}
}

// queryGen builds random valid keywords over a small vocabulary, so that
// random lines often match them.
type queryGen struct {
	rng   *rand.Rand
	words []string
	keys  []string
	depth int
}

func (g *queryGen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *queryGen) term() string {
	w := g.pick(g.words)
	switch g.rng.IntN(14) {
	case 0:
		return w[:1] + "*"
	case 1:
		if len(w) > 1 {
			return w[:len(w)-1] + "?"
		}
	case 2:
		return `"` + w + " " + g.pick(g.words) + `"`
	case 3:
		return `#"` + w + " " + g.pick(g.words) + `"`
	case 4:
		return g.pick(g.keys) + ":" + w
	case 5:
		return g.pick(g.keys) + ":*"
	case 6:
		return g.pick(g.keys) + `:""`
	case 7:
		return g.pick(g.keys) + ":" + w[:1] + "*"
	case 8:
		return g.pick(g.keys) + `:#"` + w + " " + g.pick(g.words) + `"`
	case 9:
		return g.pick(g.keys) + g.pick([]string{">", ">=", "<", "<=", "="}) + g.pick([]string{"1", "2", "10"})
	case 10:
		return g.pick(g.keys) + " in [1 " + g.pick([]string{"1", "2", "10"}) + "]"
	case 11:
		return "content:" + w
	case 12:
		return strings.ToUpper(w)
	}
	return w
}

func (g *queryGen) expr() string {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > 3 || g.rng.IntN(3) == 0 {
		return g.term()
	}
	left, right := g.expr(), g.expr()
	switch g.rng.IntN(7) {
	case 0:
		return left + " or " + right
	case 1:
		return left + " || " + right
	case 2:
		return left + " and " + right
	case 3:
		return "not " + left
	case 4:
		return left + " not " + right
	case 5:
		return "(" + left + ") " + right
	}
	return left + " " + right
}

// TestMayMatchNeverFalse is the MayMatch contract as a property: whenever
// Match is true for some line of a block, MayMatch over the block's exact
// token and label sets is true.
func TestMayMatchNeverFalse(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := &queryGen{rng: rng, words: []string{"alpha", "beta", "Gamma", "de-lta", "1", "2", "10"}, keys: []string{"k1", "k2"}}
	delims := []string{" ", ",", "/", ":", "=", " - "}
	for _, tok := range []*Tokenizer{DefaultTokenizer(), NewTokenizer(DefaultDelimiters, true)} {
		matched, pruned := 0, 0
		for range 20000 {
			kw := g.expr()
			q, err := Parse(kw, tok)
			if err != nil {
				t.Fatalf("generated keywords %q do not parse: %v", kw, err)
			}
			n := 1 + rng.IntN(3)
			contents := make([]string, n)
			labels := make([]map[string]string, n)
			any := false
			for i := range n {
				var b strings.Builder
				for range rng.IntN(5) {
					b.WriteString(g.pick(g.words))
					b.WriteString(g.pick(delims))
				}
				contents[i] = b.String()
				labels[i] = map[string]string{}
				for _, k := range g.keys {
					switch rng.IntN(4) {
					case 0:
					case 1:
						labels[i][k] = ""
					default:
						labels[i][k] = g.pick(g.words) + g.pick(delims) + g.pick(g.words)
					}
				}
				any = any || q.Match(contents[i], labelsOf(labels[i]))
			}
			b := summarize(tok, contents, labels)
			may := q.MayMatch(b.hasToken, b.hasLabel)
			if any && !may {
				t.Fatalf("keywords %q: a line of %q (labels %v) matches but MayMatch is false", kw, contents, labels)
			}
			if any {
				matched++
			}
			if !may {
				pruned++
			}
		}
		// The property must be exercised both ways to mean something.
		if matched < 2000 || pruned < 2000 {
			t.Fatalf("weak sample: %d blocks matched, %d pruned of 20000", matched, pruned)
		}
	}
}

func TestNeedles(t *testing.T) {
	tok := DefaultTokenizer()
	for query, want := range map[string]string{
		"error":                      "error",
		"ERROR and timeout":          "error,timeout",
		`error and #"disk full"`:     "error,disk,full",
		"error or timeout":           "",
		"not error":                  "",
		"err* and level:warn and db": "db",
	} {
		q, err := Parse(query, tok)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(q.Needles(), ","); got != want {
			t.Errorf("Needles(%q) = %q, want %q", query, got, want)
		}
	}
	// A line lacking a needle never matches: checked against Match on
	// lines with and without each needle.
	q, _ := Parse(`Error and #"disk full"`, NewTokenizer(DefaultDelimiters, true))
	for _, line := range []string{"Error: disk full", "error: disk full", "Error disk", "ERROR DISK FULL"} {
		lower := strings.ToLower(line)
		has := true
		for _, n := range q.Needles() {
			has = has && strings.Contains(lower, n)
		}
		if q.Match(line, nil) && !has {
			t.Errorf("%q matches but lacks a needle of %q", line, q.Needles())
		}
	}
}

func TestKeys(t *testing.T) {
	q, err := Parse(`error and (status:500 or status>499) and not host:a* and level:warn`, DefaultTokenizer())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(q.Keys(), ","); got != "status,host,level" {
		t.Fatalf("Keys() = %q", got)
	}
}
