package structuring

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzJSON checks that the scanner never panics, agrees with encoding/json
// on which objects are valid, and keeps the configured-field contract.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{benchJSONLine, `{"a":[1,{"b":"\u00e9"}],"c":{"d":{"e":{"f":1}}}}`, `{"a":1e5,"b":-0.0}`, `{"a":"\ud83d"}`, `{}`, `{"a":}`} {
		f.Add(s, uint8(3))
	}
	all := make(map[int]*Parser)
	conf := make(map[int]*Parser)
	for l := MinLayers; l <= MaxLayers; l++ {
		all[l] = mustCompile(f, Rule{Kind: KindJSON, Layers: l})
		conf[l] = mustCompile(f, Rule{Kind: KindJSON, Layers: l, Fields: []FieldSpec{
			{Key: "a", Name: "a", Type: Long}, {Key: "c.d", Name: "cd"}, {Key: "b", Name: "b", Type: Float}}})
	}
	f.Fuzz(func(t *testing.T, line string, layers uint8) {
		l := int(layers)%MaxLayers + 1
		fields, res := all[l].Parse(line, nil)
		if !res.Matched && len(fields) != 0 {
			t.Fatalf("unmatched line with fields %+v", fields)
		}
		if len(fields) > MaxFields {
			t.Fatalf("%d fields", len(fields))
		}
		trimmed := strings.TrimLeft(line, " \t\r\n")
		if strings.HasPrefix(trimmed, "{") && strings.Count(line, "{")+strings.Count(line, "[") < maxJSONNesting {
			var v map[string]any
			if std := json.Unmarshal([]byte(line), &v) == nil; std != res.Matched {
				t.Fatalf("Matched = %v, encoding/json valid = %v", res.Matched, std)
			}
		}
		cf, cres := conf[l].Parse(line, nil)
		if cres.Matched != res.Matched || cres.Matched && (len(cf) != 3 || cres.Failed > 3) {
			t.Fatalf("configured: %+v %+v", cf, cres)
		}
	})
}

func FuzzRegexRule(f *testing.F) {
	f.Add(`^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`, seedLine, 2)
	f.Add(`(\d+)-(\d+)`, "10-20", 1)
	f.Add(`(?P<a>x)|(?P<b>y)`, "y", 0)
	f.Fuzz(func(t *testing.T, expr, line string, index int) {
		r := Rule{Kind: KindRegex, Regex: expr}
		p, err := Compile(&r)
		if err == nil {
			p.Parse(line, nil)
		}
		r.Fields = []FieldSpec{{Index: index, Name: "f", Type: Long}}
		if p, err := Compile(&r); err == nil {
			fields, res := p.Parse(line, nil)
			if res.Matched && len(fields) != 1 {
				t.Fatalf("fields %+v", fields)
			}
		}
	})
}

func FuzzSplit(f *testing.F) {
	f.Add(`\t`, "a\tb\t\tc", 2)
	f.Add("||", "x||y||42", 7)
	f.Add(`\x01`, "a\x01b", 0)
	f.Fuzz(func(t *testing.T, tokenizer, line string, index int) {
		d, err := ParseDelimiter(tokenizer)
		if err != nil {
			return
		}
		p, err := Compile(&Rule{Kind: KindSplit, Delimiters: []string{d, " "}})
		if err != nil {
			return
		}
		fields, _ := p.Parse(line, nil)
		if len(fields) == 0 || len(fields) > MaxFields {
			t.Fatalf("%d fields", len(fields))
		}
		p, err = Compile(&Rule{Kind: KindSplit, Delimiters: []string{d}, Fields: []FieldSpec{{Index: index, Name: "x", Type: Float}}})
		if err != nil {
			return
		}
		fields, res := p.Parse(line, nil)
		if !res.Matched || len(fields) != 1 {
			t.Fatalf("configured split: %+v %+v", fields, res)
		}
	})
}

func FuzzNginxFormat(f *testing.F) {
	f.Add(NginxCombined, nginxLine)
	f.Add(`log_format main escape=json '$a [$b] "${c}"' '$d';`, `1 [2] "3"4`)
	f.Add(`$a$b`, "xy")
	f.Fuzz(func(t *testing.T, format, line string) {
		r := Rule{Kind: KindNginx, LogFormat: format}
		p, err := Compile(&r)
		if err != nil {
			return
		}
		fields, res := p.Parse(line, nil)
		if res.Matched && len(fields) != len(p.Fields()) {
			t.Fatalf("%d fields for %d variables", len(fields), len(p.Fields()))
		}
		_ = GeneratedRegex(&r)
		_ = r.Schema()
	})
}
