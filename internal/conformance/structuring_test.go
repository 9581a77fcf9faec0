package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	lts "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/lts/v2/model"
)

const (
	seedSample = "2020-07-27/08:59:53 this log is Error NO 151687"
	seedRegex  = `^(?<test1>[^/]+)/(?<test2>\S+) (?<test3>\S+) (?:\S+ ){4}(?<test4>\d+)`
)

func sp(s string) *string { return &s }

// seedRule is the v2 body that reproduces the fields of seed 000's
// structured query (test1..test4, test4 a long) from its sample line.
func seedRule(group, stream string) *model.LtsStructTemplateInfo {
	return &model.LtsStructTemplateInfo{
		LogGroupId: group, LogStreamId: stream, ProjectId: testProject,
		ParseType: model.GetLtsStructTemplateInfoParseTypeEnum().CUSTOM_REGEX,
		Content:   seedSample, RegexRules: sp(seedRegex),
		DemoFields: []model.StructFieldInfo{
			{FieldName: sp("test1"), Type: "string", Content: sp("2020-07-27")},
			{FieldName: sp("test2"), Type: "string", Content: sp("08:59:53")},
			{FieldName: sp("test3"), Type: "string", Content: sp("this")},
			{FieldName: sp("test4"), Type: "long", Content: sp("151687")},
		},
		TagFields: []model.TagField{},
	}
}

// structCall sends a signed request outside the SDK's operations and
// decodes a JSON answer into out when out is not nil.
func (e *env) structCall(t *testing.T, method, path string, body any, out any) (int, []byte) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	status, _, resp := e.raw(method, path, b, http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, signer(testAK, testSK, testProject, time.Now()))
	if out != nil && status < 300 {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, resp)
		}
	}
	return status, resp
}

// counters reads the extra keys of the GET answer.
func (e *env) counters(t *testing.T, group, stream string) (unparsed, failed float64) {
	t.Helper()
	var out map[string]any
	if status, body := e.structCall(t, "GET", "/v2/"+testProject+"/lts/struct/template?logGroupId="+group+"&logStreamId="+stream, nil, &out); status != 200 {
		t.Fatalf("show: %d %s", status, body)
	}
	u, _ := out["unparsedLines"].(float64)
	f, _ := out["failedValues"].(float64)
	return u, f
}

func fieldNames(fs *[]model.StructFieldInfoReturn) string {
	if fs == nil {
		return ""
	}
	var out []string
	for _, f := range *fs {
		out = append(out, *f.FieldName+":"+*f.Type)
	}
	return strings.Join(out, ",")
}

func show(t *testing.T, c *lts.LtsClient, group, stream string) *model.ShowStructTemplateResponse {
	t.Helper()
	resp, err := c.ShowStructTemplate(&model.ShowStructTemplateRequest{LogGroupId: group, LogStreamId: stream})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestStructTemplateV2(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group, stream := e.createStream(t, "struct-v2", "seed")

	_, err := c.ShowStructTemplate(&model.ShowStructTemplateRequest{LogGroupId: group, LogStreamId: stream})
	wantErr(t, err, 400, "LTS.0102")

	created, err := c.CreateStructTemplate(&model.CreateStructTemplateRequest{Body: seedRule(group, stream)})
	if err != nil {
		t.Fatal(err)
	}
	if created.Body == nil || len(*created.Body) != 36 {
		t.Fatalf("create answered %v, want the rule id", created.Body)
	}
	id := *created.Body
	got := show(t, c, group, stream)
	if *got.Id != id || *got.LogGroupId != group || *got.LogStreamId != stream || *got.ProjectId != testProject ||
		*got.DemoLog != seedSample || *got.Regex != seedRegex || got.Rule.Type.Value() != "custom_regex" {
		t.Fatalf("show: %s", asJSON(t, got))
	}
	if f := fieldNames(got.DemoFields); f != "test1:string,test2:string,test3:string,test4:long" {
		t.Fatalf("demo fields %s", f)
	}

	// Lines after the rule: one that matches, one that does not.
	e.ingestAt(t, group, stream, time.Now(), seedSample, "not a seed line")
	if u, f := e.counters(t, group, stream); u != 1 || f != 0 {
		t.Fatalf("counters after ingest: unparsed %v failed %v", u, f)
	}

	// Update: test4 now takes any token, so a word fails to convert.
	upd := seedRule(group, stream)
	upd.RegexRules = sp(strings.Replace(seedRegex, `\d+`, `\S+`, 1))
	updated, err := c.UpdateStructTemplate(&model.UpdateStructTemplateRequest{Body: upd})
	if err != nil {
		t.Fatal(err)
	}
	if *updated.Body != id {
		t.Fatalf("update answered %q, want the rule id %s", *updated.Body, id)
	}
	if got := show(t, c, group, stream); *got.Regex != *upd.RegexRules || *got.Id != id {
		t.Fatalf("after update: %s", asJSON(t, got))
	}
	if u, f := e.counters(t, group, stream); u != 0 || f != 0 {
		t.Fatalf("counters must restart with a new rule: %v %v", u, f)
	}
	e.ingestAt(t, group, stream, time.Now(), "2020-07-27/08:59:53 this log is Error NO abc")
	if u, f := e.counters(t, group, stream); u != 0 || f != 1 {
		t.Fatalf("counters after a bad value: unparsed %v failed %v", u, f)
	}

	if _, err := c.DeleteStructTemplate(&model.DeleteStructTemplateRequest{Body: &model.DeleteStructTemplateReqBody{Id: id}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ShowStructTemplate(&model.ShowStructTemplateRequest{LogGroupId: group, LogStreamId: stream})
	wantErr(t, err, 400, "LTS.0102")
	_, err = c.DeleteStructTemplate(&model.DeleteStructTemplateRequest{Body: &model.DeleteStructTemplateReqBody{Id: id}})
	wantErr(t, err, 400, "LTS.0102")
	_, err = c.UpdateStructTemplate(&model.UpdateStructTemplateRequest{Body: seedRule(group, stream)})
	wantErr(t, err, 400, "LTS.0102")
}

func TestStructTemplateV2Errors(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group, stream := e.createStream(t, "struct-v2-errors", "s")
	const missing = "00000000-0000-4000-8000-000000000000"
	create := func(mod func(*model.LtsStructTemplateInfo)) error {
		b := seedRule(group, stream)
		mod(b)
		_, err := c.CreateStructTemplate(&model.CreateStructTemplateRequest{Body: b})
		return err
	}
	cases := []struct {
		name, code, msg string
		mod             func(*model.LtsStructTemplateInfo)
	}{
		{"no group id", "LTS.0009", "log_group_id is required", func(b *model.LtsStructTemplateInfo) { b.LogGroupId = "" }},
		{"no stream id", "LTS.0009", "log_stream_id is required", func(b *model.LtsStructTemplateInfo) { b.LogStreamId = "" }},
		{"unknown group", "LTS.0201", "", func(b *model.LtsStructTemplateInfo) { b.LogGroupId = missing }},
		{"unknown stream", "LTS.0208", "", func(b *model.LtsStructTemplateInfo) { b.LogStreamId = missing }},
		{"other project", "LTS.0009", "project_id", func(b *model.LtsStructTemplateInfo) { b.ProjectId = strings.Repeat("f", 32) }},
		{"bad regex", "LTS.0009", "regex_rules is invalid", func(b *model.LtsStructTemplateInfo) { b.RegexRules = sp("(") }},
		{"no regex", "LTS.0009", "regex_rules is required", func(b *model.LtsStructTemplateInfo) { b.RegexRules = nil }},
		{"bad field type", "LTS.1901", "demo_fields[1].type", func(b *model.LtsStructTemplateInfo) { b.DemoFields[1].Type = "date" }},
		{"bad field name", "LTS.0009", "demo_fields[0].fieldName", func(b *model.LtsStructTemplateInfo) { b.DemoFields[0].FieldName = sp("a b") }},
		{"split without tokenizer", "LTS.0009", "tokenizer is required", func(b *model.LtsStructTemplateInfo) {
			b.ParseType = model.GetLtsStructTemplateInfoParseTypeEnum().SPLIT
		}},
		{"json layers", "LTS.0009", "layers must be between 1 and 4", func(b *model.LtsStructTemplateInfo) {
			b.ParseType, b.Layers, b.DemoFields = model.GetLtsStructTemplateInfoParseTypeEnum().JSON, new(int32(9)), nil
		}},
		{"built_in without rule", "LTS.0009", "rule is required", func(b *model.LtsStructTemplateInfo) {
			b.ParseType, b.DemoFields = model.GetLtsStructTemplateInfoParseTypeEnum().BUILT_IN, nil
		}},
	}
	for _, tc := range cases {
		err := create(tc.mod)
		wantErr(t, err, 400, tc.code)
		if !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v does not name %q", tc.name, err, tc.msg)
		}
	}
	// An unknown parse_type, which the SDK's enum cannot send.
	base := "/v2/" + testProject + "/lts/struct/template"
	status, body := e.structCall(t, "POST", base, map[string]any{"log_group_id": group, "log_stream_id": stream, "parse_type": "xml", "content": "x"}, nil)
	if status != 400 || errorCode(t, body) != "LTS.1901" || !strings.Contains(string(body), "parse_type") {
		t.Fatalf("parse_type xml: %d %s", status, body)
	}
	if status, body := e.structCall(t, "POST", base, "not an object", nil); status != 400 || errorCode(t, body) != "LTS.0009" {
		t.Fatalf("string body: %d %s", status, body)
	}
	_, err := c.ShowStructTemplate(&model.ShowStructTemplateRequest{LogGroupId: group})
	wantErr(t, err, 400, "LTS.0009")
	_, err = c.ShowStructTemplate(&model.ShowStructTemplateRequest{LogGroupId: missing, LogStreamId: stream})
	wantErr(t, err, 400, "LTS.0201")
	_, err = c.DeleteStructTemplate(&model.DeleteStructTemplateRequest{Body: &model.DeleteStructTemplateReqBody{}})
	wantErr(t, err, 400, "LTS.0009")
}

func TestStructConfigV3(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group, stream := e.createStream(t, "struct-v3", "nginx")
	builtIn := model.GetStructConfigTemplateTypeEnum().BUILT_IN
	custom := model.GetStructConfigTemplateTypeEnum().CUSTOM

	// Update before any config, then a built-in template.
	_, err := c.UpdateStructConfig(&model.UpdateStructConfigRequest{Body: &model.StructConfig{
		LogGroupId: group, LogStreamId: stream, TemplateName: "nginx", TemplateType: builtIn}})
	wantErr(t, err, 400, "LTS.2016")
	created, err := c.CreateStructConfig(&model.CreateStructConfigRequest{Body: &model.StructConfig{
		LogGroupId: group, LogStreamId: stream, TemplateName: "nginx", TemplateType: builtIn}})
	if err != nil {
		t.Fatal(err)
	}
	got := show(t, c, group, stream)
	if *got.Id != *created.Body || *got.TemplateName != "nginx" || got.Rule.Type.Value() != "built_in" ||
		!strings.HasPrefix(fieldNames(got.DemoFields), "remote_addr:string,remote_user:string,time_local:string,request:string,status:long") {
		t.Fatalf("built-in config: %s", asJSON(t, got))
	}
	e.ingestAt(t, group, stream, time.Now(),
		`10.0.0.1 - - [27/Jul/2020:08:59:53 +0800] "GET / HTTP/1.1" 200 612 "-" "curl/8.0"`, "not an access log")
	if u, f := e.counters(t, group, stream); u != 1 || f != 0 {
		t.Fatalf("counters: unparsed %v failed %v", u, f)
	}

	// Quick analysis on one field of the template, by a raw body (the SDK's
	// StructConfig has no demo_fields).
	base := "/v3/" + testProject + "/lts/struct/template"
	status, body := e.structCall(t, "PUT", base, map[string]any{"log_group_id": group, "log_stream_id": stream,
		"template_name": "nginx", "template_type": "built_in", "demo_fields": []map[string]any{{"field_name": "status", "is_analysis": true}}}, nil)
	if status != 201 {
		t.Fatalf("update with demo_fields: %d %s", status, body)
	}
	for _, f := range *show(t, c, group, stream).DemoFields {
		if (*f.FieldName == "status") != (f.IsAnalysis != nil && *f.IsAnalysis) {
			t.Fatalf("isAnalysis of %s: %v", *f.FieldName, f.IsAnalysis)
		}
	}
	status, body = e.structCall(t, "PUT", base, map[string]any{"log_group_id": group, "log_stream_id": stream,
		"template_name": "nginx", "template_type": "built_in", "demo_fields": []map[string]any{{"field_name": "nope", "is_analysis": true}}}, nil)
	if status != 400 || errorCode(t, body) != "LTS.0009" || !strings.Contains(string(body), "demo_fields[0].field_name") {
		t.Fatalf("unknown demo field: %d %s", status, body)
	}

	// A custom template: made outside the SDK, listed and used through it.
	tmplBase := "/v3/" + testProject + "/lts/struct/customtemplate"
	tmpl := map[string]any{"template_name": "orders", "demo_log": `{"order":{"id":7,"total":9.5},"user":"ann"}`,
		"rule": map[string]string{"type": "json", "param": `{"keyObject":{"order.id":"order_id","order.total":"","user":""},"layers":3}`},
		"demo_fields": []map[string]any{
			{"field_name": "order.id", "type": "long"}, {"field_name": "order.total", "type": "float"}, {"field_name": "user", "type": "string"},
		}}
	var made struct{ ID string }
	if status, body := e.structCall(t, "POST", tmplBase, tmpl, &made); status != 201 || made.ID == "" {
		t.Fatalf("create custom template: %d %s", status, body)
	}
	if status, body := e.structCall(t, "POST", tmplBase, tmpl, nil); status != 400 || errorCode(t, body) != "LTS.0009" {
		t.Fatalf("duplicate template name: %d %s", status, body)
	}
	bad := map[string]any{"template_name": "bad", "rule": map[string]string{"type": "json", "param": "nope"}}
	if status, body := e.structCall(t, "POST", tmplBase, bad, nil); status != 400 || !strings.Contains(string(body), "rule.param") {
		t.Fatalf("bad template param: %d %s", status, body)
	}
	listed, err := c.ListStructTemplate(&model.ListStructTemplateRequest{Id: &made.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(*listed.Results) != 1 || (*listed.Results)[0].TemplateName != "orders" || (*listed.Results)[0].TemplateType.Value() != "json" ||
		*(*listed.Results)[0].Id != made.ID || len((*listed.Results)[0].DemoFields) != 3 {
		t.Fatalf("custom template: %s", asJSON(t, listed))
	}
	brief, err := c.ListBreifStructTemplate(&model.ListBreifStructTemplateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(*brief.Results) != 1 || (*brief.Results)[0].Id != made.ID || (*brief.Results)[0].CreateTime == 0 {
		t.Fatalf("brief list: %s", asJSON(t, brief))
	}
	_, err = c.ListStructTemplate(&model.ListStructTemplateRequest{Id: sp("no-such-template")})
	wantErr(t, err, 400, "LTS.2017")

	_, stream2 := e.createStream(t, "struct-v3-custom", "orders")
	group2 := groupOf(t, c, "struct-v3-custom")
	if _, err := c.CreateStructConfig(&model.CreateStructConfigRequest{Body: &model.StructConfig{
		LogGroupId: group2, LogStreamId: stream2, TemplateId: made.ID, TemplateName: "orders", TemplateType: custom}}); err != nil {
		t.Fatal(err)
	}
	got = show(t, c, group2, stream2)
	if got.Rule.Type.Value() != "json" || *got.TemplateName != "orders" || fieldNames(got.DemoFields) != "order_id:long,order.total:float,user:string" {
		t.Fatalf("custom config: %s", asJSON(t, got))
	}

	// The errors of the v3 body.
	for _, tc := range []struct {
		body       model.StructConfig
		code, want string
	}{
		{model.StructConfig{LogGroupId: group, LogStreamId: stream, TemplateName: "tomcat", TemplateType: builtIn}, "LTS.2014", "template_name"},
		{model.StructConfig{LogGroupId: group, LogStreamId: stream, TemplateId: "nope", TemplateName: "x", TemplateType: custom}, "LTS.2014", "nope"},
		{model.StructConfig{LogGroupId: group, LogStreamId: stream, TemplateName: "x", TemplateType: custom}, "LTS.0009", "template_id is required"},
		{model.StructConfig{LogGroupId: group, LogStreamId: stream, TemplateType: builtIn}, "LTS.0009", "template_name"},
		{model.StructConfig{LogStreamId: stream, TemplateName: "nginx", TemplateType: builtIn}, "LTS.0009", "log_group_id"},
		{model.StructConfig{LogGroupId: group, LogStreamId: stream2, TemplateName: "nginx", TemplateType: builtIn}, "LTS.0208", ""},
	} {
		_, err := c.CreateStructConfig(&model.CreateStructConfigRequest{Body: &tc.body})
		wantErr(t, err, 400, tc.code)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v does not name %q", tc.body, err, tc.want)
		}
	}
	status, body = e.structCall(t, "POST", base, map[string]any{"log_group_id": group, "log_stream_id": stream, "template_name": "nginx", "template_type": "system"}, nil)
	if status != 400 || errorCode(t, body) != "LTS.1901" || !strings.Contains(string(body), "template_type") {
		t.Fatalf("template_type system: %d %s", status, body)
	}

	// Deleting the template leaves the rule made from it.
	if status, body := e.structCall(t, "DELETE", tmplBase+"?id="+made.ID, nil, nil); status != 204 {
		t.Fatalf("delete template: %d %s", status, body)
	}
	if status, body := e.structCall(t, "DELETE", tmplBase+"?id="+made.ID, nil, nil); status != 400 || errorCode(t, body) != "LTS.2017" {
		t.Fatalf("delete template twice: %d %s", status, body)
	}
	if got := show(t, c, group2, stream2); got.Rule.Type.Value() != "json" {
		t.Fatalf("rule after its template was deleted: %s", asJSON(t, got))
	}
}

// groupOf finds a group's id by name.
func groupOf(t *testing.T, c *lts.LtsClient, name string) string {
	t.Helper()
	groups, err := c.ListLogGroups(&model.ListLogGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range *groups.LogGroups {
		if g.LogGroupName == name {
			return g.LogGroupId
		}
	}
	t.Fatalf("no group %s", name)
	return ""
}

func TestIndexConfig(t *testing.T) {
	e := start(t, "")
	c := e.lts()
	group, stream := e.createStream(t, "index", "s")

	def, err := c.ListLogStreamIndex(&model.ListLogStreamIndexRequest{GroupId: group, StreamId: stream})
	if err != nil {
		t.Fatal(err)
	}
	if !def.FullTextIndex.Enable || def.FullTextIndex.CaseSensitive || def.FullTextIndex.Tokenizer == "" || *def.LogStreamId != stream || len(*def.Fields) != 0 {
		t.Fatalf("default index: %s", asJSON(t, def))
	}

	str, js, long := model.GetLtsFieldsInfoFieldTypeEnum().STRING, model.GetLtsFieldsInfoFieldTypeEnum().JSON, model.GetLtsFieldsInfoFieldTypeEnum().LONG
	yes := true
	cfg := &model.LtsIndexConfigInfo{
		LogStreamId:   stream,
		FullTextIndex: &model.LtsFullTextIndexInfo{Enable: true, CaseSensitive: true, Tokenizer: ", ;", Ascii: &[]string{"1", "#"}},
		Fields: &[]model.LtsFieldsInfo{
			{FieldType: str, FieldName: "level", Tokenizer: " ", QuickAnalysis: &yes, FieldAnalysisAlias: sp("lvl")},
			{FieldType: js, FieldName: "order", Tokenizer: "", LtsSubFieldsInfoList: &[]model.LtsSubFieldsInfo{
				{FieldType: model.GetLtsSubFieldsInfoFieldTypeEnum().LONG, FieldName: "id"}}},
			{FieldType: long, FieldName: "took"},
		},
		SqlAnalysisEnable: &yes, FastAnalysisSampleCount: new(int64(200000)),
	}
	saved, err := c.CreateLogStreamIndex(&model.CreateLogStreamIndexRequest{GroupId: group, StreamId: stream, Body: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Result == nil || *saved.Result != stream {
		t.Fatalf("saved: %s", asJSON(t, saved))
	}
	got, err := c.ListLogStreamIndex(&model.ListLogStreamIndexRequest{GroupId: group, StreamId: stream})
	if err != nil {
		t.Fatal(err)
	}
	ft := got.FullTextIndex
	if !ft.Enable || !ft.CaseSensitive || ft.Tokenizer != ", ;" || ft.Ascii == nil || strings.Join(*ft.Ascii, "|") != "1|#" {
		t.Fatalf("full text: %s", asJSON(t, ft))
	}
	fs := *got.Fields
	if len(fs) != 3 || fs[0].FieldName != "level" || fs[0].FieldType.Value() != "string" || !*fs[0].QuickAnalysis || *fs[0].FieldAnalysisAlias != "lvl" ||
		fs[1].LtsSubFieldsInfoList == nil || (*fs[1].LtsSubFieldsInfoList)[0].FieldName != "id" || fs[2].FieldType.Value() != "long" {
		t.Fatalf("fields: %s", asJSON(t, fs))
	}

	const missing = "00000000-0000-4000-8000-000000000000"
	for _, tc := range []struct {
		group, stream string
		mod           func(*model.LtsIndexConfigInfo)
		code, want    string
	}{
		{group, stream, func(b *model.LtsIndexConfigInfo) { b.LogStreamId = missing }, "LTS.0009", "logStreamId"},
		{group, stream, func(b *model.LtsIndexConfigInfo) { b.FullTextIndex = nil }, "LTS.0009", "fullTextIndex is required"},
		{group, stream, func(b *model.LtsIndexConfigInfo) { b.FastAnalysisSampleCount = new(int64(5)) }, "LTS.0009", "fastAnalysisSampleCount"},
		{group, stream, func(b *model.LtsIndexConfigInfo) {
			b.Fields = &[]model.LtsFieldsInfo{{FieldType: str, FieldName: "a"}, {FieldType: str, FieldName: "a"}}
		}, "LTS.0009", "fields[1].fieldName"},
		{group, stream, func(b *model.LtsIndexConfigInfo) {
			b.Fields = &[]model.LtsFieldsInfo{{FieldType: str, FieldName: ".a"}}
		}, "LTS.0009", "fields[0].fieldName"},
		{group, stream, func(b *model.LtsIndexConfigInfo) { b.FullTextIndex.Ascii = &[]string{"300"} }, "LTS.0009", "fullTextIndex.ascii[0]"},
		{missing, stream, func(*model.LtsIndexConfigInfo) {}, "LTS.0201", ""},
		{group, missing, func(b *model.LtsIndexConfigInfo) { b.LogStreamId = missing }, "LTS.0208", ""},
	} {
		b := *cfg
		ftCopy := *cfg.FullTextIndex
		b.FullTextIndex = &ftCopy
		tc.mod(&b)
		_, err := c.CreateLogStreamIndex(&model.CreateLogStreamIndexRequest{GroupId: tc.group, StreamId: tc.stream, Body: &b})
		wantErr(t, err, 400, tc.code)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v does not name %q", err, tc.want)
		}
	}
	status, body := e.structCall(t, "POST", "/v1.0/"+testProject+"/groups/"+group+"/stream/"+stream+"/index/config",
		map[string]any{"logStreamId": stream, "fullTextIndex": map[string]any{"enable": true}, "fields": []map[string]any{{"fieldName": "a", "fieldType": "date"}}}, nil)
	if status != 400 || errorCode(t, body) != "LTS.1901" || !strings.Contains(string(body), "fields[0].fieldType") {
		t.Fatalf("field type date: %d %s", status, body)
	}
	_, err = c.ListLogStreamIndex(&model.ListLogStreamIndexRequest{GroupId: group, StreamId: missing})
	wantErr(t, err, 400, "LTS.0208")
}

// TestStructuringLifecycle: rules and index configurations survive a
// restart (their counters do not), and go with their stream or group.
func TestStructuringLifecycle(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	c := e.lts()
	group, stream := e.createStream(t, "life", "s1")
	s2, err := c.CreateLogStream(&model.CreateLogStreamRequest{LogGroupId: group, Body: &model.CreateLogStreamParams{LogStreamName: "s2"}})
	if err != nil {
		t.Fatal(err)
	}
	stream2 := *s2.LogStreamId
	var ids []string
	for _, s := range []string{stream, stream2} {
		r, err := c.CreateStructTemplate(&model.CreateStructTemplateRequest{Body: seedRule(group, s)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *r.Body)
		if _, err := c.CreateLogStreamIndex(&model.CreateLogStreamIndexRequest{GroupId: group, StreamId: s, Body: &model.LtsIndexConfigInfo{
			LogStreamId: s, FullTextIndex: &model.LtsFullTextIndexInfo{Enable: true, CaseSensitive: true, Tokenizer: " "}}}); err != nil {
			t.Fatal(err)
		}
	}
	e.ingestAt(t, group, stream, time.Now(), "unparsed")
	if u, _ := e.counters(t, group, stream); u != 1 {
		t.Fatalf("unparsed %v before restart", u)
	}

	e.stop()
	e = start(t, dir)
	c = e.lts()
	if got := show(t, c, group, stream); *got.Id != ids[0] || *got.Regex != seedRegex {
		t.Fatalf("rule after restart: %s", asJSON(t, got))
	}
	if u, f := e.counters(t, group, stream); u != 0 || f != 0 {
		t.Fatalf("counters after restart: %v %v (they live in memory)", u, f)
	}
	e.ingestAt(t, group, stream, time.Now(), "still unparsed")
	if u, _ := e.counters(t, group, stream); u != 1 {
		t.Fatalf("the rule is not applied after restart: unparsed %v", u)
	}
	idx, err := c.ListLogStreamIndex(&model.ListLogStreamIndexRequest{GroupId: group, StreamId: stream})
	if err != nil || !idx.FullTextIndex.CaseSensitive || idx.FullTextIndex.Tokenizer != " " {
		t.Fatalf("index after restart: %v %s", err, asJSON(t, idx))
	}

	// Deleting the stream deletes its rule: its id is unknown afterwards.
	if _, err := c.DeleteLogStream(&model.DeleteLogStreamRequest{LogGroupId: group, LogStreamId: stream}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteStructTemplate(&model.DeleteStructTemplateRequest{Body: &model.DeleteStructTemplateReqBody{Id: ids[0]}})
	wantErr(t, err, 400, "LTS.0102")
	// Deleting the group deletes the rules of its streams.
	if _, err := c.DeleteLogGroup(&model.DeleteLogGroupRequest{LogGroupId: group}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteStructTemplate(&model.DeleteStructTemplateRequest{Body: &model.DeleteStructTemplateReqBody{Id: ids[1]}})
	wantErr(t, err, 400, "LTS.0102")
}
