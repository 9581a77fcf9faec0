package structuring

import (
	"encoding/json"
	"errors"
	"testing"
)

// seedRule is the seed's regex rule as the v2 API stores it: fields by
// group name and index, a tag from the labels.
func seedRule() Rule {
	return Rule{Kind: KindRegex, Sample: seedLine,
		Regex: `^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`,
		Fields: []FieldSpec{
			{Key: "test1", Index: 1, Name: "test1", Sample: "2020-07-27", Analysis: true},
			{Key: "test2", Index: 2, Name: "test2", Sample: "08:59:53"},
			{Key: "test3", Index: 3, Name: "test3", Sample: "this"},
			{Key: "test4", Index: 4, Name: "test4", Type: Long, Sample: "151687"},
		},
		Tags: []TagSpec{{Name: "hostName", Sample: "host-1"}},
	}
}

func TestRuleSurvivesStorageForm(t *testing.T) {
	r := seedRule()
	check(t, mustCompile(t, r), seedLine, seedWant, Result{Matched: true})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalRule(b)
	if err != nil {
		t.Fatalf("UnmarshalRule(%s): %v", b, err)
	}
	p := mustCompile(t, back)
	check(t, p, seedLine, seedWant, Result{Matched: true})

	// Tags convert from labels.
	tags, failed := p.Tags(func(n string) (string, bool) { return "host-1", n == "hostName" }, nil)
	if failed != 0 || len(tags) != 1 || tags[0].Str != "host-1" {
		t.Errorf("Tags = %+v, %d", tags, failed)
	}
}

func TestRuleValidationMessages(t *testing.T) {
	base := func(mod func(*Rule)) Rule {
		r := Rule{Kind: KindRegex, Regex: `(?<a>\w+)`, Fields: []FieldSpec{{Key: "a", Name: "a"}}}
		mod(&r)
		return r
	}
	for tc, c := range map[string]struct {
		r    Rule
		kind ErrorKind
		msg  string
	}{
		"kind": {Rule{Kind: "xml"}, NotInList, "parse_type is not in the list [built_in, json, custom_regex, split, nginx]"},
		"bad regex": {base(func(r *Rule) { r.Regex = `(?<a>\w+` }), Invalid,
			"regex_rules is invalid: missing closing ): `(?<a>\\w+`"},
		"no regex": {base(func(r *Rule) { r.Regex = "" }), Invalid, "regex_rules is required when parse_type is custom_regex"},
		"lookbehind": {base(func(r *Rule) { r.Regex = `(?<=x)(?<a>y)` }), Invalid,
			"regex_rules is invalid: lookbehind ((?<= and (?<!) is not supported"},
		"bad name": {base(func(r *Rule) { r.Fields[0].Name = "a b" }), Invalid,
			`demo_fields[0].fieldName "a b" may contain only letters, digits, '_', '-' and '.', found ' '`},
		"system": {base(func(r *Rule) { r.Fields[0].Name = "line_num" }), Invalid,
			`demo_fields[0].fieldName "line_num" is a system field (__time, line_num, content) and cannot be redefined`},
		"duplicate": {base(func(r *Rule) { r.Fields = append(r.Fields, FieldSpec{Key: "a", Name: "a", Type: Long}) }), Invalid,
			`demo_fields[1].fieldName "a" is already used by demo_fields[0].fieldName`},
		"too many": {base(func(r *Rule) { r.Fields = make([]FieldSpec, MaxFields+1) }), Invalid,
			"demo_fields must have at most 500 fields, got 501"},
		"type": {base(func(r *Rule) { r.Fields[0].Type = Float + 1 }), NotInList,
			"demo_fields[0].type is not in the list [string, long, float]"},
		"no group": {base(func(r *Rule) { r.Fields[0].Key, r.Fields[0].Name = "zz", "zz" }), Invalid,
			`demo_fields[0] names no capture group of regex_rules (fieldName "zz", index 0; the regex has 1 groups)`},
		"tag dup": {base(func(r *Rule) { r.Tags = []TagSpec{{Name: "a"}} }), Invalid,
			`tag_fields[0].fieldName "a" is already used by demo_fields[0].fieldName`},
	} {
		err := c.r.Validate()
		var e *Error
		if !errors.As(err, &e) || e.Msg != c.msg || e.Kind != c.kind {
			t.Errorf("%s: error = %#v, want kind %d %q", tc, err, c.kind, c.msg)
		}
	}
}

func TestParseKind(t *testing.T) {
	if k, err := ParseKind("parse_type", " split "); k != KindSplit || err != nil {
		t.Errorf("ParseKind(split) = %q, %v", k, err)
	}
	_, err := ParseKind("rule.type", "xml")
	var e *Error
	if !errors.As(err, &e) || e.Kind != NotInList || e.Field != "rule.type" {
		t.Errorf("ParseKind(xml) error = %#v", err)
	}
}

// TestSchema lists the fields a rule's method finds by itself, and the
// capture group each regex field reads.
func TestSchema(t *testing.T) {
	r := Rule{Kind: KindRegex, Regex: `(\d+)-(?<b>\w+)-(?<c>\w+)`}
	fields := r.Schema()
	if len(fields) != 2 || fields[0].Name != "b" || fields[1].Name != "c" {
		t.Errorf("Schema = %+v", fields)
	}
	if g := mustCompile(t, r).CaptureGroups(); len(g) != 2 || g[0] != 2 || g[1] != 3 {
		t.Errorf("CaptureGroups = %v", g)
	}
	if f := (&Rule{Kind: KindJSON}).Schema(); f != nil {
		t.Errorf("json without fields: Schema = %+v", f)
	}
	if g := mustCompile(t, Rule{Kind: KindNginx}).CaptureGroups(); g != nil {
		t.Errorf("nginx: CaptureGroups = %v", g)
	}
}
