package lts

import (
	"encoding/json"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"

	"logtank/internal/structuring"
)

func TestIndexConfigFromSDK(t *testing.T) {
	sdk := model.LtsIndexConfigInfo{
		LogStreamId:             "s1",
		FullTextIndex:           &model.LtsFullTextIndexInfo{Enable: true, CaseSensitive: true, Tokenizer: ", ;", Ascii: &[]string{"1", "|"}},
		FastAnalysisSampleCount: new(int64(200000)),
		Fields: &[]model.LtsFieldsInfo{
			{FieldType: model.GetLtsFieldsInfoFieldTypeEnum().LONG, FieldName: "status", QuickAnalysis: new(true)},
			{FieldType: model.GetLtsFieldsInfoFieldTypeEnum().JSON, FieldName: "req", Tokenizer: "/",
				LtsSubFieldsInfoList: &[]model.LtsSubFieldsInfo{{FieldType: model.GetLtsSubFieldsInfoFieldTypeEnum().STRING, FieldName: "path"}}},
		},
	}
	b, _ := json.Marshal(sdk)
	var in ltsIndexConfigInfo
	if err := decodeJSON(b, &in); err != nil {
		t.Fatal(err)
	}
	c, err := in.normalize()
	if err != nil {
		t.Fatalf("normalize(%s): %v", b, err)
	}
	ci := c.Compile()
	if !ci.FullText || !ci.CaseSensitive || ci.Delimiters != ", ;\x01|" || ci.Fields["status"].Type != "long" ||
		!ci.Fields["status"].QuickAnalysis || ci.Fields["req.path"].Delimiters != "/" {
		t.Errorf("Compile = %+v", ci)
	}
	// The stored form is the GET answer the SDK reads.
	out, _ := json.Marshal(c)
	var got model.ListLogStreamIndexResponse
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("SDK cannot read %s: %v", out, err)
	}
	if *got.LogStreamId != "s1" || len(*got.Fields) != 2 || (*got.Fields)[1].FieldType.Value() != "json" ||
		(*(*got.Fields)[1].LtsSubFieldsInfoList)[0].FieldName != "path" || (*got.FullTextIndex.Ascii)[1] != "|" {
		t.Errorf("SDK read %s as %+v", out, got)
	}
	if c.FastAnalysisSampleCount != 200000 {
		t.Errorf("fastAnalysisSampleCount = %d", c.FastAnalysisSampleCount)
	}
}

func TestIndexConfigValidation(t *testing.T) {
	many := `[` + func() string {
		s := ""
		for i := 0; i <= structuring.MaxFields; i++ {
			if i > 0 {
				s += ","
			}
			s += `{"fieldType":"string","fieldName":"f` + string(rune('a'+i%26)) + `"}`
		}
		return s
	}() + `]`
	for body, want := range map[string]struct{ code, msg string }{
		`{"fullTextIndex":{}}`: {"LTS.0009", "logStreamId is required"},
		`{"logStreamId":"s"}`:  {"LTS.0009", "fullTextIndex is required"},
		`{"logStreamId":"s","fullTextIndex":{},"fastAnalysisSampleCount":99999}`: {"LTS.0009",
			"fastAnalysisSampleCount must be between 100000 and 10000000, got 99999"},
		`{"logStreamId":"s","fullTextIndex":{},"fields":[{"fieldType":"date","fieldName":"a"}]}`: {"LTS.1901",
			"fields[0].fieldType is not in the list [string, long, float, json]"},
		`{"logStreamId":"s","fullTextIndex":{},"fields":[{"fieldType":"long","fieldName":"a b"}]}`: {"LTS.0009",
			`fields[0].fieldName "a b" may contain only letters, digits, '_', '-' and '.', found ' '`},
		`{"logStreamId":"s","fullTextIndex":{},"fields":[{"fieldType":"long","fieldName":"x__"}]}`: {"LTS.0009",
			`fields[0].fieldName "x__" must not start or end with '.' nor end with "__"`},
		`{"logStreamId":"s","fullTextIndex":{},"fields":[{"fieldType":"long","fieldName":"__time"}]}`: {"LTS.0009",
			`fields[0].fieldName "__time" is a system field (__time, line_num, content) and cannot be redefined`},
		`{"logStreamId":"s","fullTextIndex":{},"fields":[{"fieldType":"long","fieldName":"a"},{"fieldType":"float","fieldName":"a"}]}`: {"LTS.0009",
			`fields[1].fieldName "a" is already indexed by fields[0]`},
		`{"logStreamId":"s","fullTextIndex":{},"fields":[{"fieldType":"long","fieldName":"a","ltsSubFieldsInfoList":[{"fieldType":"long","fieldName":"b"}]}]}`: {"LTS.0009",
			"fields[0].ltsSubFieldsInfoList is allowed only when fieldType is json"},
		`{"logStreamId":"s","fullTextIndex":{"ascii":["200"]}}`:        {"LTS.0009", `fullTextIndex.ascii[0] "200" must be an ASCII code 0-127`},
		`{"logStreamId":"s","fullTextIndex":{},"fields":` + many + `}`: {"LTS.0009", "fields must have at most 500 fields, got 501"},
	} {
		var in ltsIndexConfigInfo
		if err := decodeJSON([]byte(body), &in); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		_, err := in.normalize()
		wantCatalogued(t, "normalize("+body[:min(len(body), 80)]+")", err, want.code, want.msg)
	}
}
