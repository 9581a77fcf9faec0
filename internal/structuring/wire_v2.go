package structuring

import (
	"fmt"
	"math"
	"strings"

	"logtank/internal/wire"
)

// StructTemplateInfo is the body of POST and PUT /v2/{project_id}/lts/struct/template,
// field for field the SDK's LtsStructTemplateInfo. Numbers and booleans
// are read leniently (also as JSON strings). It is for decoding only.
type StructTemplateInfo struct {
	DemoFields  []StructFieldInfo `json:"demo_fields"`
	TagFields   []TagField        `json:"tag_fields"`
	Content     string            `json:"content"`
	LogGroupId  string            `json:"log_group_id"`
	ParseType   string            `json:"parse_type"`
	LogStreamId string            `json:"log_stream_id"`
	ProjectId   string            `json:"project_id"`
	RegexRules  *string           `json:"regex_rules"`
	Layers      wire.Int          `json:"layers"`
	Tokenizer   *string           `json:"tokenizer"`
	LogFormat   *string           `json:"log_format"`
	Rule        *BuiltInRule      `json:"rule"`
}

// StructFieldInfo is the SDK's StructFieldInfo (camelCase on the wire).
type StructFieldInfo struct {
	IsAnalysis      wire.Bool `json:"isAnalysis"`
	Content         *string   `json:"content"`
	FieldName       *string   `json:"fieldName"`
	Type            string    `json:"type"`
	UserDefinedName *string   `json:"userDefinedName"`
	Index           wire.Int  `json:"index"`
}

// TagField is the SDK's TagField.
type TagField struct {
	FieldName  string    `json:"fieldName"`
	Type       string    `json:"type"`
	Content    *string   `json:"content"`
	IsAnalysis wire.Bool `json:"isAnalysis"`
}

// BuiltInRule is the SDK's Rule of a v2 body: the system template of a
// built_in rule (its name in Param; Type is read when Param is empty).
type BuiltInRule struct {
	Type  string `json:"type"`
	Param string `json:"param"`
}

// DeleteStructTemplateReqBody is the body of DELETE /v2/{project_id}/lts/struct/template.
type DeleteStructTemplateReqBody struct {
	Id string `json:"id"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func parseFieldType(field, s string) (Type, *Error) {
	if s == "" {
		return String, nil // LTS treats an untyped field as a string
	}
	t, ok := ParseType(strings.ToLower(s))
	if !ok {
		return 0, notInList(field, "string, long, float")
	}
	return t, nil
}

// RuleFromV2 converts and validates a v2 body. Errors are *Error values
// naming the body's field (parse_type, regex_rules, demo_fields[i]...).
func RuleFromV2(in *StructTemplateInfo) (Rule, error) {
	kind, e := parseKind("parse_type", in.ParseType)
	if e != nil {
		return Rule{}, e
	}
	r := Rule{Kind: kind, Sample: in.Content}
	if len(in.DemoFields) > MaxFields {
		return Rule{}, invalidf("demo_fields", "must have at most %d fields, got %d", MaxFields, len(in.DemoFields))
	}
	for i, d := range in.DemoFields {
		typ, e := parseFieldType(fmt.Sprintf("demo_fields[%d].type", i), d.Type)
		if e != nil {
			return Rule{}, e
		}
		if d.Index.Value < math.MinInt32 || d.Index.Value > math.MaxInt32 {
			return Rule{}, invalidf(fmt.Sprintf("demo_fields[%d].index", i), "must be a 32-bit integer, got %d", d.Index.Value)
		}
		f := FieldSpec{Key: deref(d.FieldName), Index: int(d.Index.Value), Type: typ,
			Sample: deref(d.Content), Analysis: d.IsAnalysis.Value}
		f.Name = deref(d.UserDefinedName)
		if f.Name == "" {
			f.Name = f.Key
		}
		if f.Name == "" && kind == KindSplit {
			f.Name = splitFieldName(f.Index)
		}
		r.Fields = append(r.Fields, f)
	}
	if len(in.TagFields) > MaxFields {
		return Rule{}, invalidf("tag_fields", "must have at most %d fields, got %d", MaxFields, len(in.TagFields))
	}
	for i, tf := range in.TagFields {
		typ, e := parseFieldType(fmt.Sprintf("tag_fields[%d].type", i), tf.Type)
		if e != nil {
			return Rule{}, e
		}
		r.Tags = append(r.Tags, TagSpec{Name: tf.FieldName, Type: typ, Sample: deref(tf.Content), Analysis: tf.IsAnalysis.Value})
	}
	switch kind {
	case KindRegex:
		r.Regex = deref(in.RegexRules)
	case KindJSON:
		if in.Layers.Set {
			if in.Layers.Value < MinLayers || in.Layers.Value > MaxLayers {
				return Rule{}, invalidf("layers", "must be between %d and %d, got %d", MinLayers, MaxLayers, in.Layers.Value)
			}
			r.Layers = int(in.Layers.Value)
		} else {
			r.Layers = DefaultLayers
		}
	case KindSplit:
		if in.Tokenizer == nil || *in.Tokenizer == "" {
			return Rule{}, invalidf("tokenizer", "is required when parse_type is split")
		}
		d, err := ParseDelimiter(*in.Tokenizer)
		if err != nil {
			return Rule{}, err
		}
		r.Delimiters = []string{d}
	case KindNginx:
		r.LogFormat = deref(in.LogFormat)
	case KindBuiltIn:
		if in.Rule == nil || in.Rule.Param == "" && in.Rule.Type == "" {
			return Rule{}, invalidf("rule", "is required when parse_type is built_in")
		}
		r.Template = in.Rule.Param
		if r.Template == "" {
			r.Template = in.Rule.Type
		}
		if _, canonical, ok := BuiltInFormat(r.Template); ok {
			r.Template = canonical
		}
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// ShowStructTemplateResponse is the answer of GET /v2/{project_id}/lts/struct/template,
// with the JSON names of the SDK's ShowStructTemplateResponse.
type ShowStructTemplateResponse struct {
	DemoFields           []StructFieldInfoReturn        `json:"demoFields"`
	TagFields            []TagFieldsInfo                `json:"tagFields"`
	DemoLog              string                         `json:"demoLog,omitempty"`
	DemoLabel            string                         `json:"demoLabel,omitempty"`
	Id                   string                         `json:"id,omitempty"`
	LogGroupId           string                         `json:"logGroupId,omitempty"`
	Rule                 *ShowStructTemplateRule        `json:"rule,omitempty"`
	ClusterInfo          *ShowStructTemplateClusterInfo `json:"cluster_info,omitempty"`
	LogStreamId          string                         `json:"logStreamId,omitempty"`
	ProjectId            string                         `json:"projectId,omitempty"`
	TemplateName         string                         `json:"templateName,omitempty"`
	Regex                string                         `json:"regex,omitempty"`
	CustomTimeInfo       *CustomTimeInfo                `json:"custom_time_info,omitempty"`
	UploadOriginalLog    *bool                          `json:"uploadOriginalLog,omitempty"`
	UploadParseFailedLog *bool                          `json:"uploadParseFailedLog,omitempty"`
}

// StructFieldInfoReturn is the SDK's StructFieldInfoReturn.
type StructFieldInfoReturn struct {
	FieldName  string `json:"fieldName"`
	Type       string `json:"type"`
	Content    string `json:"content"`
	IsAnalysis bool   `json:"isAnalysis"`
	Index      int32  `json:"index"`
}

// TagFieldsInfo is the SDK's TagFieldsInfo.
type TagFieldsInfo struct {
	FieldName  string `json:"fieldName"`
	Type       string `json:"type"`
	Content    string `json:"content"`
	IsAnalysis bool   `json:"isAnalysis"`
	Index      int32  `json:"index"`
}

// ShowStructTemplateRule is the SDK's ShowStructTemplateRule: the method
// and its v3 param (see TemplateParam).
type ShowStructTemplateRule struct {
	Param string `json:"param"`
	Type  string `json:"type"`
}

// ShowStructTemplateClusterInfo is the SDK's ShowStructTemplateclusterInfo.
type ShowStructTemplateClusterInfo struct {
	ClusterName           string `json:"cluster_name,omitempty"`
	KafkaBootstrapServers string `json:"kafka_bootstrap_servers,omitempty"`
	KafkaSslEnable        bool   `json:"kafka_ssl_enable"`
}

// CustomTimeInfo is the SDK's CustomTimeInfo.
type CustomTimeInfo struct {
	Enable     bool   `json:"enable"`
	Key        string `json:"key,omitempty"`
	Value      string `json:"value,omitempty"`
	TimeFormat string `json:"time_format,omitempty"`
}

// ShowMeta is what the GET answer carries beside the rule.
type ShowMeta struct {
	ID, ProjectID, LogGroupID, LogStreamID, TemplateName string
}

// Show renders a valid rule as the GET answer. Fields a method finds by
// itself (nginx variables, regex groups) are listed when the rule has no
// field list; json and split without one list none.
func (r *Rule) Show(m ShowMeta) ShowStructTemplateResponse {
	out := ShowStructTemplateResponse{
		DemoFields: []StructFieldInfoReturn{}, TagFields: []TagFieldsInfo{},
		DemoLog: r.Sample, Id: m.ID, LogGroupId: m.LogGroupID, LogStreamId: m.LogStreamID,
		ProjectId: m.ProjectID, TemplateName: m.TemplateName,
		Rule: &ShowStructTemplateRule{Type: string(r.Kind), Param: TemplateParam(r)},
	}
	for i, f := range r.schema() {
		idx := i
		if r.Kind == KindSplit || r.Kind == KindRegex {
			idx = f.Index
		}
		out.DemoFields = append(out.DemoFields, StructFieldInfoReturn{FieldName: f.Name, Type: f.Type.String(),
			Content: f.Sample, IsAnalysis: f.Analysis, Index: int32(idx)})
	}
	for i, t := range r.Tags {
		out.TagFields = append(out.TagFields, TagFieldsInfo{FieldName: t.Name, Type: t.Type.String(),
			Content: t.Sample, IsAnalysis: t.Analysis, Index: int32(i)})
	}
	switch r.Kind {
	case KindRegex:
		out.Regex = r.Regex
	case KindNginx, KindBuiltIn:
		out.Regex = GeneratedRegex(r)
	}
	return out
}

// schema is the rule's configured fields, or those its method finds by
// itself; nil for an invalid rule.
func (r *Rule) schema() []FieldSpec {
	if len(r.Fields) > 0 {
		return r.Fields
	}
	p, err := compile(r)
	if err != nil {
		return nil
	}
	return p.fields
}
