package structuring

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/wire"
)

func ptr[T any](v T) *T { return &v }

// sdkSeedBody is the v2 body of the seed's regex rule, built with the SDK.
func sdkSeedBody() *model.LtsStructTemplateInfo {
	return &model.LtsStructTemplateInfo{
		ParseType:  model.GetLtsStructTemplateInfoParseTypeEnum().CUSTOM_REGEX,
		Content:    seedLine,
		LogGroupId: "g", LogStreamId: "s", ProjectId: "p",
		RegexRules: ptr(`^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`),
		DemoFields: []model.StructFieldInfo{
			{FieldName: ptr("test1"), Type: "string", Content: ptr("2020-07-27"), Index: ptr(int32(1)), IsAnalysis: ptr(true)},
			{FieldName: ptr("test2"), Type: "string", Content: ptr("08:59:53"), Index: ptr(int32(2))},
			{FieldName: ptr("test3"), Type: "string", Content: ptr("this"), Index: ptr(int32(3))},
			{FieldName: ptr("test4"), Type: "long", Content: ptr("151687"), Index: ptr(int32(4))},
		},
		TagFields: []model.TagField{{FieldName: "hostName", Type: "string", Content: ptr("host-1")}},
	}
}

// decodeV2 marshals an SDK body and decodes it the way the server does.
func decodeV2(t *testing.T, body any) Rule {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var in StructTemplateInfo
	if err := wire.Decode(b, &in); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	r, err := RuleFromV2(&in)
	if err != nil {
		t.Fatalf("RuleFromV2(%s): %v", b, err)
	}
	return r
}

func TestV2FromSDKParsesSeed(t *testing.T) {
	r := decodeV2(t, sdkSeedBody())
	p := mustCompile(t, r)
	check(t, p, seedLine, seedWant, Result{Matched: true})

	// The rule survives its storage form.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalRule(b)
	if err != nil {
		t.Fatalf("UnmarshalRule(%s): %v", b, err)
	}
	check(t, mustCompile(t, back), seedLine, seedWant, Result{Matched: true})

	// Tags convert from labels.
	tags, failed := p.Tags(func(n string) (string, bool) { return "host-1", n == "hostName" }, nil)
	if failed != 0 || len(tags) != 1 || tags[0].Str != "host-1" {
		t.Errorf("Tags = %+v, %d", tags, failed)
	}
}

func TestV2SplitJSONNginxFromSDK(t *testing.T) {
	split := decodeV2(t, &model.LtsStructTemplateInfo{
		ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().SPLIT, Tokenizer: ptr(`\t`),
		DemoFields: []model.StructFieldInfo{{Type: "long", Index: ptr(int32(1)), UserDefinedName: ptr("n")}, {Type: "string", Index: ptr(int32(0))}},
	})
	check(t, mustCompile(t, split), "a\t7", []Field{{Name: "n", Type: Long, Int: 7}, {Name: "field1", Str: "a"}}, Result{Matched: true})

	js := decodeV2(t, &model.LtsStructTemplateInfo{
		ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().JSON, Layers: ptr(int32(2)),
		DemoFields: []model.StructFieldInfo{{FieldName: ptr("a.b"), Type: "float", UserDefinedName: ptr("ab")}},
	})
	check(t, mustCompile(t, js), `{"a":{"b":2.5}}`, []Field{{Name: "ab", Type: Float, Float: 2.5}}, Result{Matched: true})

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
	var in StructTemplateInfo
	body := `{"parse_type":"json","layers":"2","demo_fields":[{"fieldName":"a","type":"long","isAnalysis":"true","index":"0"}],"tag_fields":[]}`
	if err := wire.Decode([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	r, err := RuleFromV2(&in)
	if err != nil || r.Layers != 2 || !r.Fields[0].Analysis {
		t.Fatalf("RuleFromV2 = %+v, %v", r, err)
	}
}

func TestV2ValidationMessages(t *testing.T) {
	base := func(mod func(*StructTemplateInfo)) *StructTemplateInfo {
		in := &StructTemplateInfo{ParseType: "custom_regex", RegexRules: ptr(`(?<a>\w+)`),
			DemoFields: []StructFieldInfo{{FieldName: ptr("a"), Type: "string"}}}
		mod(in)
		return in
	}
	many := make([]StructFieldInfo, MaxFields+1)
	for tc, c := range map[string]struct {
		in   *StructTemplateInfo
		kind ErrorKind
		msg  string
	}{
		"parse type": {base(func(in *StructTemplateInfo) { in.ParseType = "xml" }), NotInList,
			"parse_type is not in the list [built_in, json, custom_regex, split, nginx]"},
		"bad regex": {base(func(in *StructTemplateInfo) { in.RegexRules = ptr(`(?<a>\w+`) }), Invalid,
			"regex_rules is invalid: missing closing ): `(?<a>\\w+`"},
		"no regex": {base(func(in *StructTemplateInfo) { in.RegexRules = nil }), Invalid,
			"regex_rules is required when parse_type is custom_regex"},
		"lookbehind": {base(func(in *StructTemplateInfo) { in.RegexRules = ptr(`(?<=x)(?<a>y)`) }), Invalid,
			"regex_rules is invalid: lookbehind ((?<= and (?<!) is not supported"},
		"bad name": {base(func(in *StructTemplateInfo) { in.DemoFields[0].UserDefinedName = ptr("a b") }), Invalid,
			`demo_fields[0].fieldName "a b" may contain only letters, digits, '_', '-' and '.', found ' '`},
		"system": {base(func(in *StructTemplateInfo) { in.DemoFields[0].UserDefinedName = ptr("line_num") }), Invalid,
			`demo_fields[0].fieldName "line_num" is a system field (__time, line_num, content) and cannot be redefined`},
		"duplicate": {base(func(in *StructTemplateInfo) {
			in.DemoFields = append(in.DemoFields, StructFieldInfo{FieldName: ptr("a"), Type: "long"})
		}), Invalid, `demo_fields[1].fieldName "a" is already used by demo_fields[0].fieldName`},
		"too many": {base(func(in *StructTemplateInfo) { in.DemoFields = many }), Invalid,
			"demo_fields must have at most 500 fields, got 501"},
		"type": {base(func(in *StructTemplateInfo) { in.DemoFields[0].Type = "int" }), NotInList,
			"demo_fields[0].type is not in the list [string, long, float]"},
		"no group": {base(func(in *StructTemplateInfo) { in.DemoFields[0].FieldName = ptr("zz") }), Invalid,
			`demo_fields[0] names no capture group of regex_rules (fieldName "zz", index 0; the regex has 1 groups)`},
		"layers": {&StructTemplateInfo{ParseType: "json", Layers: wire.Int{Value: 5, Set: true}}, Invalid,
			"layers must be between 1 and 4, got 5"},
		"tokenizer": {&StructTemplateInfo{ParseType: "split"}, Invalid, "tokenizer is required when parse_type is split"},
		"built in":  {&StructTemplateInfo{ParseType: "built_in"}, Invalid, "rule is required when parse_type is built_in"},
		"tag dup": {base(func(in *StructTemplateInfo) { in.TagFields = []TagField{{FieldName: "a", Type: "string"}} }), Invalid,
			`tag_fields[0].fieldName "a" is already used by demo_fields[0].fieldName`},
	} {
		_, err := RuleFromV2(c.in)
		var e *Error
		if !errors.As(err, &e) || e.Msg != c.msg || e.Kind != c.kind {
			t.Errorf("%s: error = %#v, want kind %d %q", tc, err, c.kind, c.msg)
		}
	}
}

// TestShowIntoSDK decodes the GET answer into the SDK's response model.
func TestShowIntoSDK(t *testing.T) {
	r := decodeV2(t, sdkSeedBody())
	out := r.Show(ShowMeta{ID: "id1", ProjectID: "p", LogGroupID: "g", LogStreamID: "s", TemplateName: "seed"})
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

// TestV3TemplateRoundTrip goes rule -> StructTemplateModel -> SDK model ->
// JSON -> StructTemplateModel -> rule, for each method.
func TestV3TemplateRoundTrip(t *testing.T) {
	rules := map[string]Rule{
		"regex": decodeV2(t, sdkSeedBody()),
		"split": {Kind: KindSplit, Delimiters: []string{" "}, Fields: []FieldSpec{{Index: 0, Name: "d"}, {Index: 7, Name: "n", Type: Long}}},
		"json":  {Kind: KindJSON, Layers: 2, Fields: []FieldSpec{{Key: "a.b", Name: "ab", Type: Float}, {Key: "c", Name: "c"}}},
		"nginx": {Kind: KindNginx, Fields: []FieldSpec{{Key: "status", Name: "code", Type: Long}, {Key: "request", Name: "request"}}},
	}
	lines := map[string]string{"regex": seedLine, "split": seedLine, "json": `{"a":{"b":1.5},"c":"x"}`, "nginx": nginxLine}
	for name, r := range rules {
		m := r.TemplateModel("t1", "p", name, 1595811593539)
		b, _ := json.Marshal(m)
		var sdk model.StructTemplateModel
		if err := json.Unmarshal(b, &sdk); err != nil {
			t.Fatalf("%s: SDK cannot read %s: %v", name, b, err)
		}
		if sdk.TemplateType.Value() != templateTypes[r.Kind] || sdk.Rule.Type.Value() != string(r.Kind) {
			t.Errorf("%s: SDK read %+v", name, sdk)
		}
		sb, _ := json.Marshal(&sdk)
		var back StructTemplateModel
		if err := json.Unmarshal(sb, &back); err != nil {
			t.Fatal(err)
		}
		r2, err := RuleFromTemplate(&back)
		if err != nil {
			t.Fatalf("%s: RuleFromTemplate(%s): %v", name, sb, err)
		}
		want, res1 := mustCompile(t, r).Parse(lines[name], nil)
		got, res2 := mustCompile(t, r2).Parse(lines[name], nil)
		if res1 != res2 || !sameFields(got, want) {
			t.Errorf("%s: after the round trip %+v %+v, before %+v %+v", name, got, res2, want, res1)
		}
	}
}

// sameFields compares fields as a set (the v3 keyObject has no order).
func sameFields(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[Field]int{}
	for _, f := range a {
		m[f]++
	}
	for _, f := range b {
		m[f]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestV3ParamExamples(t *testing.T) {
	// The SDK's documented examples of TemplateRule.param.
	for typ, param := range map[string]string{
		"custom_regex": `{"keyObject":{"1":"date","2":"num"},"regex_rules":"^(?<date>[^/]+)(?:[^ ]* ){8}(?<num>\\d+)"}`,
		"json":         `{"keyObject":{"metadata.dimention":"dimention","metadata.value":"","metadata.unit":"","collectionTime":""},"layers":3}`,
		"split":        `{"keyObject":{"0":"field1","1":"field2","2":"field3"},"tokenizer":" "}`,
		"nginx":        `{"keyObject":{"http_host":"host","remote_addr":"","request_method":"","request_uri":"","time_local":""},"regex":"x","fieldNames":"time_local,remote_addr,request_method,http_host,request_uri","log_format":"log_format upstreaminfo '$time_local $remote_addr  $request_method $http_host \"$request_uri\"';"}`,
	} {
		r, err := RuleFromTemplate(&StructTemplateModel{Rule: &TemplateRule{Type: typ, Param: param},
			DemoFields: []DemoField{{FieldName: "num", Type: "long", Index: 2}}})
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if typ == "custom_regex" {
			got, res := mustCompile(t, r).Parse("2020-07-27/a b c d e f g h 151687", nil)
			if !res.Matched || len(got) != 2 || got[1].Name != "num" || got[1].Int != 151687 {
				t.Errorf("regex example on the seed: %+v %+v", got, res)
			}
		}
		if typ == "nginx" {
			got, res := mustCompile(t, r).Parse(`27/Jul/2020:08:59:53 +0800 10.0.0.1  GET example.com "/a?b"`, nil)
			if !res.Matched || len(got) != 5 || got[0].Name != "host" || got[0].Str != "example.com" {
				t.Errorf("nginx example: %+v %+v", got, res)
			}
		}
	}
	for param, msg := range map[string]string{
		`nope`:                    "rule.param is not a valid JSON object: invalid character 'o' in literal null (expecting 'u')",
		`{"keyObject":{"x":"a"}}`: `rule.param keyObject key "x" must be a field index`,
		`{"keyObject":{"1":"a"}}`: "regex_rules is required when parse_type is custom_regex",
	} {
		_, err := RuleFromTemplate(&StructTemplateModel{Rule: &TemplateRule{Type: "custom_regex", Param: param}})
		if err == nil || err.Error() != msg {
			t.Errorf("param %s: error %v, want %q", param, err, msg)
		}
	}
}

func TestStructConfig(t *testing.T) {
	sdk := model.StructConfig{LogGroupId: "g", LogStreamId: "s", TemplateName: "nginx",
		TemplateType: model.GetStructConfigTemplateTypeEnum().BUILT_IN}
	b, _ := json.Marshal(sdk)
	var c StructConfig
	if err := wire.Decode(b, &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(%s): %v", b, err)
	}
	if r, err := BuiltInTemplateRule(c.TemplateName); err != nil || r.Kind != KindBuiltIn {
		t.Errorf("BuiltInTemplateRule: %+v %v", r, err)
	}
	c.TemplateType = "other"
	if err := c.Validate(); err == nil || err.Error() != "template_type is not in the list [built_in, custom]" {
		t.Errorf("template_type: %v", err)
	}
	c.TemplateType, c.TemplateId = TemplateCustom, ""
	if err := c.Validate(); err == nil || err.Error() != "template_id is required when template_type is custom" {
		t.Errorf("template_id: %v", err)
	}
}
