package logsql

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// likeByRegexp is the reference: the pattern as an anchored regular
// expression, '%' any run and '_' one character.
func likeByRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, c := range p {
		switch c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func never() bool { return false }

func TestLikeCases(t *testing.T) {
	f := func(pattern, text string, want bool) {
		t.Helper()
		if got := compileLike(pattern).match(text, never); got != want {
			t.Errorf("%q LIKE %q = %v, want %v", text, pattern, got, want)
		}
	}
	f("", "", true)
	f("", "a", false)
	f("%", "", true)
	f("_", "", false)
	f("_", "é", true)
	f("__", "é", false)
	f("a_c", "abc", true)
	f("a_c", "abbc", false)
	f("a%c", "abbc", true)
	f("a%a", "a", false)
	f("a%a", "aa", true)
	f("%_%_%", "a", false)
	f("%_%_%", "ab", true)
	f("%b_d%", "abcde", true)
	f("%b_d%", "abcbxd", true)
	f("%b_d%x", "abcd", false)
	f("%ab%ab%", "abab", true)
	f("%ab%ab%", "aba", false)
	f("_%é_", "xéy", true)
	f("%\xff_", "a\xffb", true)
}

// TestLikeAgainstRegexp compares the matcher with the regular expression
// it replaced, on random short patterns and texts over a small alphabet
// (with a two-byte letter), where every shape of overlap occurs.
func TestLikeAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "é", "%", "_"}
	text := []string{"a", "b", "é"}
	for range 20000 {
		var p, s strings.Builder
		for range rng.IntN(7) {
			p.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		for range rng.IntN(9) {
			s.WriteString(text[rng.IntN(len(text))])
		}
		want := likeByRegexp(p.String()).MatchString(s.String())
		if got := compileLike(p.String()).match(s.String(), never); got != want {
			t.Fatalf("%q LIKE %q = %v, want %v", s.String(), p.String(), got, want)
		}
	}
}

// TestLikeHostilePatternIsLinear: the pattern that made the old regular
// expression too large to compile folds to a length check.
func TestLikeHostilePatternIsLinear(t *testing.T) {
	p := strings.Repeat("%_", 1_200_000)
	m := compileLike(p)
	if m.kind != 'p' || len(m.head) != 1_200_000 || m.tail != "" || len(m.mids) != 0 {
		t.Fatalf("not folded: kind %c, head %d bytes, %d middle parts", m.kind, len(m.head), len(m.mids))
	}
	if !m.match(strings.Repeat("x", 1_200_000), never) || m.match(strings.Repeat("x", 1_199_999), never) {
		t.Fatal("folded pattern matches the wrong lengths")
	}
}

// TestLikeStops: a middle part with '_' over a long text consults stop and
// gives up when it says so.
func TestLikeStops(t *testing.T) {
	m := compileLike("%" + strings.Repeat("a", 500) + "_b%")
	text := strings.Repeat("a", 1<<20)
	calls := 0
	if m.match(text, func() bool { calls++; return calls == 3 }) {
		t.Fatal("matched")
	}
	if calls != 3 {
		t.Fatalf("stop called %d times, want 3: the match went on after being told to stop", calls)
	}
}

func BenchmarkLikeContains(b *testing.B) {
	m := compileLike("%error%timeout%")
	s := "2026-12-06 12:00:00 ERROR request 42 failed: error while waiting, timeout after 30s"
	for b.Loop() {
		m.match(s, never)
	}
}
