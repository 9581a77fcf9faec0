package structuring

import (
	"reflect"
	"strings"
	"testing"
)

// seedLine is the example line of the LTS struct-query documentation
// (seeds/000): it becomes test1..test4.
const seedLine = "2020-07-27/08:59:53 this log is Error NO 151687"

var seedWant = []Field{
	{Name: "test1", Type: String, Str: "2020-07-27"},
	{Name: "test2", Type: String, Str: "08:59:53"},
	{Name: "test3", Type: String, Str: "this"},
	{Name: "test4", Type: Long, Int: 151687},
}

func mustCompile(t testing.TB, r Rule) *Parser {
	t.Helper()
	p, err := Compile(&r)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", r, err)
	}
	return p
}

func check(t *testing.T, p *Parser, line string, want []Field, wantRes Result) {
	t.Helper()
	got, res := p.Parse(line, nil)
	if res != wantRes {
		t.Errorf("Parse(%q) result = %+v, want %+v", line, res, wantRes)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", line, got, want)
	}
}

func TestSeedLineRegex(t *testing.T) {
	// The service's own (?<name>...) syntax, named groups.
	p := mustCompile(t, Rule{Kind: KindRegex,
		Regex: `^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`,
		Fields: []FieldSpec{
			{Key: "test1", Name: "test1"}, {Key: "test2", Name: "test2"},
			{Key: "test3", Name: "test3"}, {Key: "test4", Name: "test4", Type: Long},
		}})
	check(t, p, seedLine, seedWant, Result{Matched: true})
}

func TestSeedLinePositionalRegex(t *testing.T) {
	// Positional groups mapped by index, the keyObject {"1":"test1"} form.
	p := mustCompile(t, Rule{Kind: KindRegex,
		Regex: `^([^/]+)/(\S+) (\S+) .* (\d+)$`,
		Fields: []FieldSpec{
			{Index: 1, Name: "test1"}, {Index: 2, Name: "test2"},
			{Index: 3, Name: "test3"}, {Index: 4, Name: "test4", Type: Long},
		}})
	check(t, p, seedLine, seedWant, Result{Matched: true})
	check(t, p, "no slash here", nil, Result{})
}

func TestSeedLineSplit(t *testing.T) {
	// Cut at '/' and ' ': 2020-07-27 | 08:59:53 | this | log | is | Error | NO | 151687
	p := mustCompile(t, Rule{Kind: KindSplit, Delimiters: []string{"/", " "},
		Fields: []FieldSpec{
			{Index: 0, Name: "test1"}, {Index: 1, Name: "test2"},
			{Index: 2, Name: "test3"}, {Index: 7, Name: "test4", Type: Long},
		}})
	check(t, p, seedLine, seedWant, Result{Matched: true})
}

func TestRegexTypeFailuresCounted(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindRegex, Regex: `^(?P<a>\S+) (?P<b>\S+)(?: (?P<c>\S+))?$`,
		Fields: []FieldSpec{{Key: "a", Name: "a", Type: Long}, {Key: "b", Name: "b", Type: Float}, {Key: "c", Name: "c"}}})
	check(t, p, "12x 1.5", []Field{
		{Name: "a", Type: Long}, {Name: "b", Type: Float, Float: 1.5}, {Name: "c", Type: String},
	}, Result{Matched: true, Failed: 2}) // 12x does not convert, c did not participate
	check(t, p, "7 NaN z", []Field{
		{Name: "a", Type: Long, Int: 7}, {Name: "b", Type: Float}, {Name: "c", Type: String, Str: "z"},
	}, Result{Matched: true, Failed: 1})
}

func TestRegexWithoutFields(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindRegex, Regex: `(?<level>[A-Z]+): (?:x)?(?<msg>.*)`})
	check(t, p, "ERROR: disk full", []Field{
		{Name: "level", Type: String, Str: "ERROR"}, {Name: "msg", Type: String, Str: "disk full"},
	}, Result{Matched: true})
	p = mustCompile(t, Rule{Kind: KindRegex, Regex: `(\d+)-(\d+)`})
	check(t, p, "10-20", []Field{{Name: "field1", Str: "10"}, {Name: "field2", Str: "20"}}, Result{Matched: true})
}

func TestSplit(t *testing.T) {
	p := mustCompile(t, Rule{Kind: KindSplit, Delimiters: []string{"||"},
		Fields: []FieldSpec{{Index: 0, Name: "a"}, {Index: 2, Name: "c", Type: Long}, {Index: 3, Name: "d", Type: Float}}})
	check(t, p, "x||y||42||2.5||rest", []Field{
		{Name: "a", Str: "x"}, {Name: "c", Type: Long, Int: 42}, {Name: "d", Type: Float, Float: 2.5},
	}, Result{Matched: true})
	// Missing trailing fields: defaults, counted.
	check(t, p, "x||y", []Field{{Name: "a", Str: "x"}, {Name: "c", Type: Long}, {Name: "d", Type: Float}},
		Result{Matched: true, Failed: 2})
	// Without fields: every token, empty ones included.
	p = mustCompile(t, Rule{Kind: KindSplit, Delimiters: []string{"\t"}})
	check(t, p, "a\t\tb", []Field{{Name: "field1", Str: "a"}, {Name: "field2"}, {Name: "field3", Str: "b"}},
		Result{Matched: true})
}

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]string{
		`\t`: "\t", "tab": "\t", "space": " ", `|`: "|", `\x01`: "\x01", `\u00e9`: "é",
		`a\b`: `a\b`, `\\`: `\`, `\`: `\`, `::`: "::",
	} {
		got, err := ParseDelimiter(in)
		if err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", `\x`, `\xZZ`, `\u12`} {
		if _, err := ParseDelimiter(in); err == nil || !strings.HasPrefix(err.Error(), "tokenizer ") {
			t.Errorf("ParseDelimiter(%q) error = %v, want one naming tokenizer", in, err)
		}
	}
}
