package lts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/logstore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// seedLine is the example line of the LTS struct-query documentation
// (seeds/000): the seed's rule makes it test1..test4.
const seedLine = "2020-07-27/08:59:53 this log is Error NO 151687"

var seedWant = []structuring.Field{
	{Name: "test1", Type: structuring.String, Str: "2020-07-27"},
	{Name: "test2", Type: structuring.String, Str: "08:59:53"},
	{Name: "test3", Type: structuring.String, Str: "this"},
	{Name: "test4", Type: structuring.Long, Int: 151687},
}

// Access-log lines in nginx's combined and Apache's common formats.
const (
	nginxLine  = `192.168.1.10 - alice [27/Jul/2020:08:59:53 +0800] "GET /api/v1/items?id=7 HTTP/1.1" 200 5123 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64) Firefox/79.0"`
	apacheLine = `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`
)

func mustCompile(t testing.TB, r structuring.Rule) *structuring.Parser {
	t.Helper()
	p, err := structuring.Compile(&r)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", r, err)
	}
	return p
}

func checkParse(t *testing.T, p *structuring.Parser, line string, want []structuring.Field, wantRes structuring.Result) {
	t.Helper()
	got, res := p.Parse(line, nil)
	if res != wantRes {
		t.Errorf("Parse(%q) result = %+v, want %+v", line, res, wantRes)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", line, got, want)
	}
}

// wantCatalogued checks that err is the catalogue's answer to a
// validation failure with message msg: LTS.1901 with msg as it is for a
// value outside a list, else LTS.0009 with msg after the usual prefix.
func wantCatalogued(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if code == "LTS.0009" {
		msg = "Failed to validate the request body: " + msg
	}
	var e *wire.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != code || e.Msg != msg {
		t.Errorf("%s: error = %#v, want %s %q", what, err, code, msg)
	}
}

// sdkSeedBody is the v2 body of the seed's regex rule, built with the SDK.
func sdkSeedBody() *model.LtsStructTemplateInfo {
	return &model.LtsStructTemplateInfo{
		ParseType:  model.GetLtsStructTemplateInfoParseTypeEnum().CUSTOM_REGEX,
		Content:    seedLine,
		LogGroupId: "g", LogStreamId: "s", ProjectId: "p",
		RegexRules: new(`^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`),
		DemoFields: []model.StructFieldInfo{
			{FieldName: new("test1"), Type: "string", Content: new("2020-07-27"), Index: new(int32(1)), IsAnalysis: new(true)},
			{FieldName: new("test2"), Type: "string", Content: new("08:59:53"), Index: new(int32(2))},
			{FieldName: new("test3"), Type: "string", Content: new("this"), Index: new(int32(3))},
			{FieldName: new("test4"), Type: "long", Content: new("151687"), Index: new(int32(4))},
		},
		TagFields: []model.TagField{{FieldName: "hostName", Type: "string", Content: new("host-1")}},
	}
}

// decodeV2 marshals an SDK body and decodes it the way the server does.
func decodeV2(t *testing.T, body any) structuring.Rule {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var in structTemplateInfo
	if err := decodeJSON(b, &in); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	r, err := ruleFromV2(&in)
	if err != nil {
		t.Fatalf("ruleFromV2(%s): %v", b, err)
	}
	return r
}

func TestV2FromSDKParsesSeed(t *testing.T) {
	r := decodeV2(t, sdkSeedBody())
	checkParse(t, mustCompile(t, r), seedLine, seedWant, structuring.Result{Matched: true})

	// The rule survives its storage form.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := structuring.UnmarshalRule(b)
	if err != nil {
		t.Fatalf("UnmarshalRule(%s): %v", b, err)
	}
	p := mustCompile(t, back)
	checkParse(t, p, seedLine, seedWant, structuring.Result{Matched: true})

	// Tags convert from labels.
	tags, failed := p.Tags(func(n string) (string, bool) { return "host-1", n == "hostName" }, nil)
	if failed != 0 || len(tags) != 1 || tags[0].Str != "host-1" {
		t.Errorf("Tags = %+v, %d", tags, failed)
	}
}

func TestV2SplitJSONNginxFromSDK(t *testing.T) {
	split := decodeV2(t, &model.LtsStructTemplateInfo{
		ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().SPLIT, Tokenizer: new(`\t`),
		DemoFields: []model.StructFieldInfo{{Type: "long", Index: new(int32(1)), UserDefinedName: new("n")}, {Type: "string", Index: new(int32(0))}},
	})
	checkParse(t, mustCompile(t, split), "a\t7", []structuring.Field{{Name: "n", Type: structuring.Long, Int: 7}, {Name: "field1", Str: "a"}},
		structuring.Result{Matched: true})

	js := decodeV2(t, &model.LtsStructTemplateInfo{
		ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().JSON, Layers: new(int32(2)),
		DemoFields: []model.StructFieldInfo{{FieldName: new("a.b"), Type: "float", UserDefinedName: new("ab")}},
	})
	checkParse(t, mustCompile(t, js), `{"a":{"b":2.5}}`, []structuring.Field{{Name: "ab", Type: structuring.Float, Float: 2.5}},
		structuring.Result{Matched: true})

	ng := decodeV2(t, &model.LtsStructTemplateInfo{ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().NGINX})
	if _, res := mustCompile(t, ng).Parse(nginxLine, nil); !res.Matched || res.Failed != 0 {
		t.Errorf("nginx default format: %+v", res)
	}
	bi := decodeV2(t, &model.LtsStructTemplateInfo{ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().BUILT_IN,
		Rule: &model.Rule{Type: "system", Param: "apache_common"}})
	if _, res := mustCompile(t, bi).Parse(apacheLine, nil); !res.Matched || res.Failed != 0 {
		t.Errorf("built-in apache: %+v", res)
	}
}

func TestV2Lenient(t *testing.T) {
	var in structTemplateInfo
	body := `{"parse_type":"json","layers":"2","demo_fields":[{"fieldName":"a","type":"long","isAnalysis":"true","index":"0"}],"tag_fields":[]}`
	if err := decodeJSON([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	r, err := ruleFromV2(&in)
	if err != nil || r.Layers != 2 || !r.Fields[0].Analysis {
		t.Fatalf("ruleFromV2 = %+v, %v", r, err)
	}
}

func TestV2ValidationMessages(t *testing.T) {
	base := func(mod func(*structTemplateInfo)) *structTemplateInfo {
		in := &structTemplateInfo{ParseType: "custom_regex", RegexRules: new(`(?<a>\w+)`),
			DemoFields: []structFieldInfo{{FieldName: new("a"), Type: "string"}}}
		mod(in)
		return in
	}
	many := make([]structFieldInfo, structuring.MaxFields+1)
	for tc, c := range map[string]struct {
		in   *structTemplateInfo
		code string
		msg  string
	}{
		"parse type": {base(func(in *structTemplateInfo) { in.ParseType = "xml" }), "LTS.1901",
			"parse_type is not in the list [built_in, json, custom_regex, split, nginx]"},
		"bad regex": {base(func(in *structTemplateInfo) { in.RegexRules = new(`(?<a>\w+`) }), "LTS.0009",
			"regex_rules is invalid: missing closing ): `(?<a>\\w+`"},
		"no regex": {base(func(in *structTemplateInfo) { in.RegexRules = nil }), "LTS.0009",
			"regex_rules is required when parse_type is custom_regex"},
		"lookbehind": {base(func(in *structTemplateInfo) { in.RegexRules = new(`(?<=x)(?<a>y)`) }), "LTS.0009",
			"regex_rules is invalid: lookbehind ((?<= and (?<!) is not supported"},
		"bad name": {base(func(in *structTemplateInfo) { in.DemoFields[0].UserDefinedName = new("a b") }), "LTS.0009",
			`demo_fields[0].fieldName "a b" may contain only letters, digits, '_', '-' and '.', found ' '`},
		"system": {base(func(in *structTemplateInfo) { in.DemoFields[0].UserDefinedName = new("line_num") }), "LTS.0009",
			`demo_fields[0].fieldName "line_num" is a system field (__time, line_num, content) and cannot be redefined`},
		"duplicate": {base(func(in *structTemplateInfo) {
			in.DemoFields = append(in.DemoFields, structFieldInfo{FieldName: new("a"), Type: "long"})
		}), "LTS.0009", `demo_fields[1].fieldName "a" is already used by demo_fields[0].fieldName`},
		"too many": {base(func(in *structTemplateInfo) { in.DemoFields = many }), "LTS.0009",
			"demo_fields must have at most 500 fields, got 501"},
		"type": {base(func(in *structTemplateInfo) { in.DemoFields[0].Type = "int" }), "LTS.1901",
			"demo_fields[0].type is not in the list [string, long, float]"},
		"no group": {base(func(in *structTemplateInfo) { in.DemoFields[0].FieldName = new("zz") }), "LTS.0009",
			`demo_fields[0] names no capture group of regex_rules (fieldName "zz", index 0; the regex has 1 groups)`},
		"layers": {&structTemplateInfo{ParseType: "json", Layers: wire.Int{Value: 5, Set: true}}, "LTS.0009",
			"layers must be between 1 and 4, got 5"},
		"tokenizer": {&structTemplateInfo{ParseType: "split"}, "LTS.0009", "tokenizer is required when parse_type is split"},
		"built in":  {&structTemplateInfo{ParseType: "built_in"}, "LTS.0009", "rule is required when parse_type is built_in"},
		"tag dup": {base(func(in *structTemplateInfo) { in.TagFields = []tagField{{FieldName: "a", Type: "string"}} }), "LTS.0009",
			`tag_fields[0].fieldName "a" is already used by demo_fields[0].fieldName`},
	} {
		_, err := ruleFromV2(c.in)
		wantCatalogued(t, tc, err, c.code, c.msg)
	}
}

// TestShowIntoSDK decodes the GET answer into the SDK's response model.
func TestShowIntoSDK(t *testing.T) {
	r := decodeV2(t, sdkSeedBody())
	out := showRule(&r, showMeta{ID: "id1", ProjectID: "p", LogGroupID: "g", LogStreamID: "s", TemplateName: "seed"})
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var sdk model.ShowStructTemplateResponse
	if err := json.Unmarshal(b, &sdk); err != nil {
		t.Fatalf("SDK cannot read %s: %v", b, err)
	}
	if *sdk.Id != "id1" || *sdk.LogStreamId != "s" || *sdk.DemoLog != seedLine || len(*sdk.DemoFields) != 4 ||
		*(*sdk.DemoFields)[3].FieldName != "test4" || *(*sdk.DemoFields)[3].Type != "long" || *(*sdk.DemoFields)[3].Index != 4 ||
		!*(*sdk.DemoFields)[0].IsAnalysis || *(*sdk.TagFields)[0].FieldName != "hostName" ||
		sdk.Rule.Type.Value() != "custom_regex" || !strings.HasPrefix(*sdk.Regex, "^(?<test1>") {
		t.Errorf("SDK read %s as %+v", b, sdk)
	}
	// The rule's param is the v3 keyObject form, and reads back as the same rule.
	var param map[string]any
	if err := json.Unmarshal([]byte(*sdk.Rule.Param), &param); err != nil {
		t.Fatalf("param %q: %v", *sdk.Rule.Param, err)
	}
	want := map[string]any{"1": "test1", "2": "test2", "3": "test3", "4": "test4"}
	if ko, _ := param["keyObject"].(map[string]any); len(ko) != 4 || ko["4"] != want["4"] || ko["1"] != want["1"] {
		t.Errorf("keyObject = %v, want %v", param["keyObject"], want)
	}
}

// rows reads every row of a stream with its fields.
func rows(t *testing.T, s *Service, stream string) []logstore.Row {
	t.Helper()
	var out []logstore.Row
	err := s.core.Logs().Rows(context.Background(), stream, logstore.Scan{Start: 0, End: math.MaxInt64, Fields: true}, func(r logstore.Row) bool {
		out = append(out, r)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fieldsText(fs []logstore.Field) string {
	var parts []string
	for _, f := range fs {
		switch f.Type {
		case logstore.FieldString:
			parts = append(parts, fmt.Sprintf("%s=%q", f.Name, f.Str))
		case logstore.FieldLong:
			parts = append(parts, fmt.Sprintf("%s=%d", f.Name, f.Long))
		case logstore.FieldFloat:
			parts = append(parts, fmt.Sprintf("%s=%gf", f.Name, f.Float))
		}
	}
	return strings.Join(parts, " ")
}

// TestIngestStructuresLines sets the seed's custom_regex rule through the
// handler, ingests through the report handler, and reads the stored
// fields back from the log engine, before and after a flush to segments.
func TestIngestStructuresLines(t *testing.T) {
	s, group, stream := openService(t, t.TempDir())
	ingestPath := map[string]string{"log_group_id": group, "log_stream_id": stream}
	report := func(lines ...string) {
		call(t, s.reportContents, "POST", "/", map[string]any{
			"log_time_ns": time.Now().UnixNano(), "contents": lines, "labels": map[string]string{"hostName": "web-1"},
		}, ingestPath)
	}
	report("2020-07-27/08:59:50 before the rule NO 1")
	w := call(t, s.createStructTemplate, "POST", "/", map[string]any{
		"log_group_id": group, "log_stream_id": stream, "project_id": testProject, "parse_type": "custom_regex",
		"content":     "2020-07-27/08:59:53 this log is Error NO 151687",
		"regex_rules": `^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\S+)`,
		"demo_fields": []map[string]any{
			{"fieldName": "test1", "type": "string"}, {"fieldName": "test2", "type": "string"},
			{"fieldName": "test3", "type": "string"}, {"fieldName": "test4", "type": "long"},
		},
		"tag_fields": []map[string]any{{"fieldName": "hostName", "type": "string"}},
	}, nil)
	if w.Code != http.StatusCreated || len(w.Body.String()) != 36 {
		t.Fatalf("create: %d %q", w.Code, w.Body)
	}
	report("2020-07-27/08:59:53 this log is Error NO 151687", "no match here", "2020-07-27/08:59:54 this log is Error NO x12")
	want := []string{
		"",
		`test1="2020-07-27" test2="08:59:53" test3="this" test4=151687 hostName="web-1"`,
		"",
		`test1="2020-07-27" test2="08:59:54" test3="this" test4=0 hostName="web-1"`,
	}
	check := func(when string) {
		got := rows(t, s, stream)
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows, want %d", when, len(got), len(want))
		}
		for i, r := range got {
			if f := fieldsText(r.Fields); f != want[i] {
				t.Errorf("%s: row %d (%q) fields %s, want %s", when, i, r.Content, f, want[i])
			}
		}
	}
	check("memtable")
	if err := s.core.Logs().Flush(); err != nil {
		t.Fatal(err)
	}
	check("segments")
	var show map[string]any
	w = call(t, s.showStructTemplate, "GET", "/?logGroupId="+group+"&logStreamId="+stream, nil, nil)
	if err := json.Unmarshal(w.Body.Bytes(), &show); err != nil || show["unparsedLines"] != 1.0 || show["failedValues"] != 1.0 {
		t.Fatalf("show: %v %s", err, w.Body)
	}
}

// TestRuleChangesDuringIngestion swaps rules while batches are ingested;
// run with -race, it checks that ingestion reads the cache safely and that
// every row got the fields of one of the rules.
func TestRuleChangesDuringIngestion(t *testing.T) {
	s, group, stream := openService(t, t.TempDir())
	setRule := func(typ string) error {
		_, err := request(s.createStructTemplate, "POST", "/", map[string]any{
			"log_group_id": group, "log_stream_id": stream, "parse_type": "split", "tokenizer": " ", "content": "a 1",
			"demo_fields": []map[string]any{{"fieldName": "n", "type": typ, "index": 1}},
		}, nil)
		return err
	}
	if err := setRule("long"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			if err := setRule([]string{"string", "long"}[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 20 {
		call(t, s.reportContents, "POST", "/", map[string]any{"log_time_ns": time.Now().UnixNano(), "contents": []string{"a 1", "b 2"}},
			map[string]string{"log_group_id": group, "log_stream_id": stream})
	}
	<-done
	for _, r := range rows(t, s, stream) {
		if len(r.Fields) != 1 || r.Fields[0].Name != "n" || r.Fields[0].Type == logstore.FieldFloat {
			t.Fatalf("row %q: fields %+v", r.Content, r.Fields)
		}
	}
}
