package logquery

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// labelsOf turns a map into Match's label callback.
func labelsOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func mustParse(t testing.TB, keywords string, tok *Tokenizer) *Query {
	t.Helper()
	q, err := Parse(keywords, tok)
	if err != nil {
		t.Fatalf("Parse(%q): %v", keywords, err)
	}
	return q
}

const line1 = "2023-01-01 09:30:00 ERROR [main] user=alice action=login path=/var/log/app.log took 35ms say \"hi\""

var labels1 = map[string]string{
	"hostName": "ecs-kwxtest",
	"hostIP":   "192.168.0.156",
	"code":     "200",
	"latency":  " 35.5 ",
	"neg":      "-1e3",
	"empty":    "",
	"pathFile": "/var/log/app.log",
	"msg":      "Hello World again",
}

func TestMatch(t *testing.T) {
	tests := []struct {
		keywords string
		want     bool
	}{
		// empty keywords
		{"", true},
		{" \t\n", true},
		// whole tokens (spec §7.1)
		{"2023", false},
		{"2023-01-01", true},
		{"2023-01*", true},
		{"09", true},
		{"30", true},
		{"00", true},
		{`"09:30:00"`, true},
		{"09:30", false}, // field search on a label named 09
		{"err", false},
		{"error", true},
		{"ERROR", true},
		{"Error", true},
		{"app.log", true},
		{"app", false},
		{"35ms", true},
		// search words with delimiters are ANDs of their tokens
		{"var/log", true},
		{"var/nothere", false},
		{"user=alice", false}, // '=' is a numeric operator on label user, which is absent
		{`"user=alice"`, true},
		// wildcards
		{"err*", true},
		{"e*r", true},
		{"e**r", true},
		{"e?ror", true},
		{"e?or", false},
		{"2023-01-0?", true},
		{"2023-01-?", false},
		{"a*e", true},  // alice
		{"lo*", true},  // log, login
		{"zz*", false}, //
		{"ma?n", true}, // main
		{"35*", true},
		// quotes make * and ? literal, \" is a quote
		{`"app*"`, false},
		{`"say \"hi\""`, true},
		{`"and"`, false},
		{`"in"`, false},
		// AND
		{"alice login", true},
		{"alice and login", true},
		{"alice AND login", true},
		{"alice And login", true},
		{"alice && login", true},
		{"alice&&login", true},
		{"alice and nobody", false},
		{"nobody alice", false},
		// OR
		{"nobody or alice", true},
		{"nobody OR alice", true},
		{"nobody||alice", true},
		{"nobody || ghost", false},
		// NOT
		{"not error", false},
		{"NOT nobody", true},
		{"alice not bob", true},
		{"alice not error", false},
		{"alice and not error", false},
		{"not nobody and not ghost", true},
		{"not not error", true},
		{"not (alice or bob)", false},
		// precedence: and binds tighter than or; parentheses group
		{"nobody or alice and ghost", false},
		{"alice or nobody and ghost", true},
		{"(alice or nobody) and ghost", false},
		{"(nobody or alice) and login", true},
		{"((alice))", true},
		{"(alice)(login)", true},
		// phrases
		{`#"user alice"`, true},
		{`#"alice user"`, false},
		{`#"error main user"`, true},
		{`#"ERROR Main"`, true},
		{`#"error user"`, false},
		{`#"app*"`, false},
		{`#"09 30 00"`, true},
		{`#"09"`, true},
		// field search on labels
		{"hostName:ecs-kwxtest", true},
		{"hostName:ECS-KWXTEST", true},
		{"hostName:ecs", false},
		{"hostName:ecs*", true},
		{"hostName:ecs-kwxt?st", true},
		{"hostname:ecs-kwxtest", false}, // label keys keep their case
		{`"hostName":ecs-kwxtest`, true},
		{"hostName : ecs-kwxtest", true},
		{"hostIP:192.168.0.156", true},
		{"hostIP:192.168.0.*", true},
		{"pathFile:/var/log/app.log", true},
		{"pathFile:var", true},
		{"pathFile:error", false},
		{`pathFile:#"var log"`, true},
		{`pathFile:#"log var"`, false},
		{`msg:"hello world"`, true},
		{`msg:#"world hello"`, false},
		{`msg:#"hello world"`, true},
		{"error hostName:ecs*", true},
		{"nobody or msg:again", true},
		// field presence and emptiness
		{`empty:""`, true},
		{`hostName:""`, false},
		{`missing:""`, false},
		{"hostName:*", true},
		{"missing:*", false},
		{"not missing:*", true},
		{"not hostName:*", false},
		{"not missing:x", true},
		{"not hostName:ecs-kwxtest", false},
		// content is the full text
		{"content:error", true},
		{"content:alice", true},
		{`content:"and"`, false},
		{"content:*", true},
		{`content:#"error main"`, true},
		{`content:""`, false},
		{`""`, false},
		{"not content:*", false},
		// numbers
		{"code>100", true},
		{"code > 100", true},
		{"code>=200", true},
		{"code>200", false},
		{"code<300", true},
		{"code<=199", false},
		{"code<=200", true},
		{"code=200", true},
		{"code=200.0", true},
		{"code=2e2", true},
		{"code:200.0", false}, // ':' is a token match
		{"latency>35", true},
		{"latency in [35 36]", true},
		{"latency in (35.5 36]", false},
		{"latency in [35.5 36)", true},
		{"latency in [1,10]", false},
		{"latency in [35, 36]", true},
		{"code in [200 200]", true},
		{"code in (200 300]", false},
		{"neg<0", true},
		{"neg in [-1000 -999]", true},
		{`code>"100"`, true},
		{"hostName>1", false}, // not a number
		{"missing>1", false},
		{"not missing>1", true},
		{"code=abc", false},              // = with a word is ':'
		{"hostName=ecs-kwxtest", true},   //
		{"hostName = ECS-KWXTEST", true}, //
		{"code=*", true},                 // presence
	}
	for _, tt := range tests {
		q := mustParse(t, tt.keywords, nil)
		if got := q.Match(line1, labelsOf(labels1)); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.keywords, got, tt.want)
		}
	}
}

func TestMatchAll(t *testing.T) {
	for kw, want := range map[string]bool{"": true, "  ": true, "content:*": true, "a": false, "not a": false, "k:*": false} {
		if got := mustParse(t, kw, nil).MatchAll(); got != want {
			t.Errorf("MatchAll(%q) = %v, want %v", kw, got, want)
		}
	}
	q := mustParse(t, "", nil)
	if !q.Match("", nil) || !q.Match("anything", nil) {
		t.Error("empty keywords must match every line")
	}
}

func TestMatchNilLabels(t *testing.T) {
	if mustParse(t, "k:v", nil).Match("k v", nil) {
		t.Error("a field search matched a line without labels")
	}
	if !mustParse(t, "not k:*", nil).Match("x", nil) {
		t.Error("not k:* did not match a line without labels")
	}
}

func TestMatchEmptyContent(t *testing.T) {
	for kw, want := range map[string]bool{`""`: true, `content:""`: true, `not ""`: false, "a": false, "not a": true} {
		if got := mustParse(t, kw, nil).Match("", nil); got != want {
			t.Errorf("Match(%q) on empty content = %v, want %v", kw, got, want)
		}
	}
}

func TestMatchTokenizers(t *testing.T) {
	cs := NewTokenizer(DefaultDelimiters, true)
	whole := NewTokenizer("", false)
	cjk := NewTokenizer("，。 ", false)
	tests := []struct {
		tok      *Tokenizer
		content  string
		keywords string
		want     bool
	}{
		{cs, "ERROR main", "ERROR", true},
		{cs, "ERROR main", "error", false},
		{cs, "ERROR main", "ERR*", true},
		{cs, "ERROR main", "err*", false},
		{cs, "ERROR main", `#"ERROR main"`, true},
		{cs, "ERROR main", `#"error main"`, false},
		{whole, "Hello World", "hello", false},
		{whole, "Hello World", `"hello world"`, true},
		{whole, "Hello World", "hello*", true},
		{whole, "Hello World", "hello*d", true},
		{cjk, "你好，世界。", "世界", true},
		{cjk, "你好，世界。", "世", false},
		{cjk, "你好，世界。", "世?", true},
		{cjk, "你好，世界。", `#"你好 世界"`, true},
		{cjk, "你好，世界。", `"你好，世界"`, true},
		{DefaultTokenizer(), "Überall GROSS straße", "gross", true},
		{DefaultTokenizer(), "Überall GROSS straße", "Überall", true},
		{DefaultTokenizer(), "Überall GROSS straße", "überall", false}, // only ASCII folds
		{DefaultTokenizer(), "Überall GROSS straße", "stra?e", true},   // ? is one character, ß is two bytes
		{DefaultTokenizer(), "Überall GROSS straße", "stra??e", false},
		{DefaultTokenizer(), "Überall GROSS straße", "Ü*l", true},
	}
	for _, tt := range tests {
		q := mustParse(t, tt.keywords, tt.tok)
		if got := q.Match(tt.content, nil); got != tt.want {
			t.Errorf("Match(%q) on %q = %v, want %v", tt.keywords, tt.content, got, tt.want)
		}
	}
}

// TestMatchManyTerms covers the map lookup used for long lists of exact
// terms, and more phrases than the stack buffer holds.
func TestMatchManyTerms(t *testing.T) {
	var words, phrases []string
	for i := range 40 {
		words = append(words, fmt.Sprintf("w%d", i))
		phrases = append(phrases, fmt.Sprintf("#\"p%d q%d\"", i, i))
	}
	orWords := strings.Join(words, " or ")
	orPhrases := strings.Join(phrases, " or ")
	long := strings.Repeat("x", 70)
	for _, tt := range []struct {
		keywords, content string
		want              bool
	}{
		{orWords, "a b W39 c", true},
		{orWords, "a b w40 c", false},
		{orWords, "W7", true},
		{orWords + " or " + long, strings.ToUpper(long), true},
		{orWords, strings.ToUpper(long), false},
		{orPhrases, "a p12 q12 b", true},
		{orPhrases, "a p12 q13 b", false},
		{strings.Join(words, " "), strings.Join(words, ","), true},
		{strings.Join(words, " "), strings.Join(words[1:], ","), false},
	} {
		if got := mustParse(t, tt.keywords, nil).Match(tt.content, nil); got != tt.want {
			t.Errorf("Match(%.40q...) on %.40q = %v, want %v", tt.keywords, tt.content, got, tt.want)
		}
	}
	cs := NewTokenizer(DefaultDelimiters, true)
	q := mustParse(t, strings.ToUpper(orWords), cs)
	if !q.Match("x W12 y", nil) || q.Match("x w12 y", nil) {
		t.Error("case-sensitive lookup of many terms is wrong")
	}
}

// TestMatchAllocations checks that the common cases scan without allocating.
func TestMatchAllocations(t *testing.T) {
	label := labelsOf(labels1)
	for _, kw := range []string{
		"error",
		"alice and login",
		"nobody or Alice",
		"err* not ghost",
		`#"error main user"`,
		"hostName:ecs-kwxtest error",
		"code>=200 and latency in [35 36]",
		"w1 or w2 or w3 or w4 or w5 or w6 or w7 or w8 or w9 or w10 or ALICE",
	} {
		q := mustParse(t, kw, nil)
		if n := testing.AllocsPerRun(200, func() { q.Match(line1, label) }); n != 0 {
			t.Errorf("Match(%q): %v allocations per line, want 0", kw, n)
		}
	}
}

// TestWildcardAgainstRegexp compares the wildcard matcher with an
// equivalent regular expression on random patterns and tokens.
func TestWildcardAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "b", "A", "é", "*", "?"}
	gen := func(n int, wild bool) string {
		var b strings.Builder
		for range rng.IntN(n) {
			c := alphabet[rng.IntN(len(alphabet))]
			if !wild && (c == "*" || c == "?") {
				c = "a"
			}
			b.WriteString(c)
		}
		return b.String()
	}
	for range 5000 {
		pat := strings.ToLower(gen(7, true)) // patterns are normalised
		s := gen(8, false)
		var re strings.Builder
		re.WriteString("^")
		for _, r := range pat {
			switch r {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		fold := rng.IntN(2) == 0
		subject := s
		if fold {
			subject = DefaultTokenizer().Normalize(s)
		}
		want := regexp.MustCompile(re.String()).MatchString(subject)
		if got := wildcardMatch(compactStars(pat), s, fold, nil); got != want {
			t.Fatalf("wildcardMatch(%q, %q, fold=%v) = %v, want %v", pat, s, fold, got, want)
		}
	}
}

// TestEqualAgainstNormalize checks the allocation-free comparison against
// its definition, Normalize(tok) == norm.
func TestEqualAgainstNormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "A", "z", "Z", "é", "É", "[", "@", "`", "{"}
	gen := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for _, tok := range []*Tokenizer{DefaultTokenizer(), NewTokenizer(DefaultDelimiters, true)} {
		for range 5000 {
			a, b := gen(), tok.Normalize(gen())
			if got, want := tok.equal(a, b), tok.Normalize(a) == b; got != want {
				t.Fatalf("equal(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}
