package structuring

import (
	"encoding/json"
	"testing"
)

// sampleIndexConfig is a configuration as the LTS API validates it: the
// full text with extra ascii delimiters, a long field and a json field
// with a sub-field.
func sampleIndexConfig() IndexConfig {
	return IndexConfig{
		LogStreamId: "s1", FastAnalysisSampleCount: 200000,
		FullTextIndex: FullTextIndex{Enable: true, CaseSensitive: true, Tokenizer: ", ;", Ascii: []string{"1", "|"}},
		Fields: []FieldIndex{
			{FieldType: "long", FieldName: "status", QuickAnalysis: true},
			{FieldType: "json", FieldName: "req", Tokenizer: "/",
				LtsSubFieldsInfoList: []SubFieldIndex{{FieldType: "string", FieldName: "path"}}},
		},
	}
}

func TestIndexConfigCompile(t *testing.T) {
	c := sampleIndexConfig()
	ci := c.Compile()
	if !ci.FullText || !ci.CaseSensitive || ci.Delimiters != ", ;\x01|" || ci.Fields["status"].Type != "long" ||
		!ci.Fields["status"].QuickAnalysis || ci.Fields["req.path"].Delimiters != "/" {
		t.Errorf("Compile = %+v", ci)
	}
}

// TestIndexConfigStorageForm pins the JSON the catalog stores: a
// configuration stored by an earlier version must read back the same.
func TestIndexConfigStorageForm(t *testing.T) {
	const stored = `{"fullTextIndex":{"enable":true,"caseSensitive":true,"includeChinese":false,"tokenizer":", ;","ascii":["1","|"]},` +
		`"fields":[{"fieldType":"long","fieldName":"status","caseSensitive":false,"includeChinese":false,"tokenizer":"","quickAnalysis":true},` +
		`{"fieldType":"json","fieldName":"req","caseSensitive":false,"includeChinese":false,"tokenizer":"/","quickAnalysis":false,` +
		`"ltsSubFieldsInfoList":[{"fieldType":"string","fieldName":"path","quickAnalysis":false}]}],` +
		`"sqlAnalysisEnable":false,"logStreamId":"s1","fastAnalysisSampleCount":200000}`
	c := sampleIndexConfig()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != stored {
		t.Errorf("stored form\n %s\nwant\n %s", b, stored)
	}
	var back IndexConfig
	if err := json.Unmarshal([]byte(stored), &back); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(back); string(got) != stored {
		t.Errorf("read back as %s", got)
	}
}

func TestDelimiterSet(t *testing.T) {
	if d, err := DelimiterSet("fields[0]", "ab", []string{"9", "|"}); d != "ab\t|" || err != nil {
		t.Errorf("DelimiterSet = %q, %v", d, err)
	}
	for ascii, msg := range map[string]string{
		"200": `fields[0].ascii[0] "200" must be an ASCII code 0-127`,
		"ab":  `fields[0].ascii[0] "ab" must be an ASCII code or a single character`,
	} {
		if _, err := DelimiterSet("fields[0]", "", []string{ascii}); err == nil || err.Error() != msg {
			t.Errorf("ascii %q: error %v, want %q", ascii, err, msg)
		}
	}
}
