package lts

import (
	"encoding/json"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/structuring"
)

// TestV3TemplateRoundTrip goes rule -> structTemplateModel -> SDK model ->
// JSON -> structTemplateModel -> rule, for each method.
func TestV3TemplateRoundTrip(t *testing.T) {
	rules := map[string]structuring.Rule{
		"regex": decodeV2(t, sdkSeedBody()),
		"split": {Kind: structuring.KindSplit, Delimiters: []string{" "},
			Fields: []structuring.FieldSpec{{Index: 0, Name: "d"}, {Index: 7, Name: "n", Type: structuring.Long}}},
		"json": {Kind: structuring.KindJSON, Layers: 2,
			Fields: []structuring.FieldSpec{{Key: "a.b", Name: "ab", Type: structuring.Float}, {Key: "c", Name: "c"}}},
		"nginx": {Kind: structuring.KindNginx,
			Fields: []structuring.FieldSpec{{Key: "status", Name: "code", Type: structuring.Long}, {Key: "request", Name: "request"}}},
	}
	lines := map[string]string{"regex": seedLine, "split": seedLine, "json": `{"a":{"b":1.5},"c":"x"}`, "nginx": nginxLine}
	for name, r := range rules {
		m := templateModel(&r, "t1", "p", name, 1595811593539)
		b, _ := json.Marshal(m)
		var sdk model.StructTemplateModel
		if err := json.Unmarshal(b, &sdk); err != nil {
			t.Fatalf("%s: SDK cannot read %s: %v", name, b, err)
		}
		if sdk.TemplateType.Value() != templateTypes[r.Kind] || sdk.Rule.Type.Value() != string(r.Kind) {
			t.Errorf("%s: SDK read %+v", name, sdk)
		}
		sb, _ := json.Marshal(&sdk)
		var back structTemplateModel
		if err := json.Unmarshal(sb, &back); err != nil {
			t.Fatal(err)
		}
		r2, err := ruleFromTemplate(&back)
		if err != nil {
			t.Fatalf("%s: ruleFromTemplate(%s): %v", name, sb, err)
		}
		want, res1 := mustCompile(t, r).Parse(lines[name], nil)
		got, res2 := mustCompile(t, r2).Parse(lines[name], nil)
		if res1 != res2 || !sameFields(got, want) {
			t.Errorf("%s: after the round trip %+v %+v, before %+v %+v", name, got, res2, want, res1)
		}
	}
}

// sameFields compares fields as a set (the v3 keyObject has no order).
func sameFields(a, b []structuring.Field) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[structuring.Field]int{}
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
		r, err := ruleFromTemplate(&structTemplateModel{Rule: &templateRule{Type: typ, Param: param},
			DemoFields: []demoField{{FieldName: "num", Type: "long", Index: 2}}})
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
		_, err := ruleFromTemplate(&structTemplateModel{Rule: &templateRule{Type: "custom_regex", Param: param}})
		wantCatalogued(t, "param "+param, err, "LTS.0009", msg)
	}
}

// FuzzTemplateParamNginx renders the v3 param and the v2 answer of any
// valid nginx rule, which must never panic.
func FuzzTemplateParamNginx(f *testing.F) {
	f.Add(structuring.NginxCombined)
	f.Add(`log_format main escape=json '$a [$b] "${c}"' '$d';`)
	f.Add(`$a$b`)
	f.Fuzz(func(t *testing.T, format string) {
		r := structuring.Rule{Kind: structuring.KindNginx, LogFormat: format}
		if r.Validate() != nil {
			return
		}
		var p templateParamIn
		if err := json.Unmarshal([]byte(templateParam(&r)), &p); err != nil {
			t.Fatalf("param of %q is not JSON: %v", format, err)
		}
		_ = showRule(&r, showMeta{})
	})
}
