package logquery

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	cjk := NewTokenizer("，。 ", false)
	tests := []struct {
		name string
		tok  *Tokenizer
		in   string
		want []string
	}{
		{"spec example", DefaultTokenizer(), "2023-01-01 09:30:00", []string{"2023-01-01", "09", "30", "00"}},
		{"seed line", DefaultTokenizer(), "2020-07-25/14:44:42 this log is Error NO 1\n", []string{"2020-07-25", "14", "44", "42", "this", "log", "is", "error", "no", "1"}},
		{"every default delimiter", DefaultTokenizer(), "a,b c'd\"e;f=g(h)i[j]k{l}m@n&o<p>q/r:s\nt\tu\rv", strings.Split("abcdefghijklmnopqrstuv", "")},
		{"not delimiters", DefaultTokenizer(), `a-b.c_d?e*f\g|h#i`, []string{`a-b.c_d?e*f\g|h#i`}},
		{"only delimiters", DefaultTokenizer(), " ,;/ ", nil},
		{"empty", DefaultTokenizer(), "", nil},
		{"leading and trailing delimiters", DefaultTokenizer(), "  [x]  ", []string{"x"}},
		{"non-ASCII kept whole", DefaultTokenizer(), "Überall straße/日志", []string{"Überall", "straße", "日志"}},
		{"empty delimiter set", NewTokenizer("", false), "Hello World, 1", []string{"hello world, 1"}},
		{"case-sensitive", NewTokenizer(DefaultDelimiters, true), "Error NO", []string{"Error", "NO"}},
		{"non-ASCII delimiters", cjk, "你好，世界。Done", []string{"你好", "世界", "done"}},
		{"invalid UTF-8 is token bytes", DefaultTokenizer(), "a\xffb c", []string{"a\xffb", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.AppendTokens(nil, tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("AppendTokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
			var raw []string
			tt.tok.EachToken(tt.in, func(tok string) { raw = append(raw, tok) })
			if len(raw) != len(tt.want) {
				t.Fatalf("EachToken(%q) = %q, want %d tokens", tt.in, raw, len(tt.want))
			}
			for i, r := range raw {
				if tt.tok.Normalize(r) != tt.want[i] {
					t.Errorf("EachToken token %d = %q, normalises to %q, want %q", i, r, tt.tok.Normalize(r), tt.want[i])
				}
				if !strings.Contains(tt.in, r) {
					t.Errorf("EachToken token %q is not a substring of the input", r)
				}
			}
		})
	}
}

func TestNewTokenizerIgnoresInvalidAndDuplicateDelimiters(t *testing.T) {
	tok := NewTokenizer("，，\xff ", false)
	if len(tok.wide) != 1 || tok.wide[0] != '，' {
		t.Fatalf("wide delimiters = %q, want just '，'", tok.wide)
	}
	if got := tok.AppendTokens(nil, "a\xffb，c d"); !slices.Equal(got, []string{"a\xffb", "c", "d"}) {
		t.Fatalf("tokens = %q", got)
	}
}

func TestNormalize(t *testing.T) {
	def, cs := DefaultTokenizer(), NewTokenizer(DefaultDelimiters, true)
	for _, tt := range []struct {
		tok  *Tokenizer
		in   string
		want string
	}{
		{def, "ERROR", "error"},
		{def, "MiXeD-Case_1", "mixed-case_1"},
		{def, "Überall", "Überall"}, // only ASCII folds: see the package doc
		{def, "ÜBER", "Über"},
		{cs, "ERROR", "ERROR"},
	} {
		if got := tt.tok.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !cs.CaseSensitive() || def.CaseSensitive() {
		t.Error("CaseSensitive does not report the constructor's choice")
	}
}

// TestTokenizeAllocations checks the allocation contract: tokens already in
// normal form are substrings, only folded tokens allocate.
func TestTokenizeAllocations(t *testing.T) {
	tok := DefaultTokenizer()
	line := "2020-07-25/14:44:42 this log is error no 1 user=alice path=/var/log/app.log"
	dst := make([]string, 0, 64)
	if n := testing.AllocsPerRun(100, func() { dst = tok.AppendTokens(dst[:0], line) }); n != 0 {
		t.Errorf("AppendTokens of a lower-case line: %v allocations, want 0", n)
	}
	upper := "THIS Log IS error"
	if n := testing.AllocsPerRun(100, func() { dst = tok.AppendTokens(dst[:0], upper) }); n != 3 {
		t.Errorf("AppendTokens with 3 tokens to fold: %v allocations, want 3", n)
	}
	count := 0
	if n := testing.AllocsPerRun(100, func() { tok.EachToken(upper, func(string) { count++ }) }); n != 0 {
		t.Errorf("EachToken: %v allocations, want 0", n)
	}
}

// TestSpanAgainstReference compares the tokenizer with a naive split on
// random text over a small alphabet, including multi-byte delimiters.
func TestSpanAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "B", " ", ",", "/", "é", "，", "日", "-", "\xff"}
	for _, delims := range []string{DefaultDelimiters, "，/", ""} {
		tok := NewTokenizer(delims, false)
		for range 2000 {
			var b strings.Builder
			for range rng.IntN(12) {
				b.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			s := b.String()
			want := strings.FieldsFunc(s, func(r rune) bool { return r != '\uFFFD' && strings.ContainsRune(delims, r) })
			var got []string
			tok.EachToken(s, func(x string) { got = append(got, x) })
			if !slices.Equal(got, want) {
				t.Fatalf("delims %q, text %q: tokens %q, want %q", delims, s, got, want)
			}
		}
	}
}
