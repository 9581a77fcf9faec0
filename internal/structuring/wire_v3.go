package structuring

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"logtank/internal/wire"
)

// StructConfig is the body of POST and PUT /v3/{project_id}/lts/struct/template,
// the SDK's StructConfig plus the demo_fields, tag_fields and
// quick_analysis members OTC documents. It is for decoding only.
type StructConfig struct {
	LogGroupId    string              `json:"log_group_id"`
	LogStreamId   string              `json:"log_stream_id"`
	TemplateId    string              `json:"template_id"`
	TemplateName  string              `json:"template_name"`
	TemplateType  string              `json:"template_type"`
	DemoFields    []StructConfigField `json:"demo_fields"`
	TagFields     []StructConfigField `json:"tag_fields"`
	QuickAnalysis wire.Bool           `json:"quick_analysis"`
}

// StructConfigField selects a template field for quick analysis.
type StructConfigField struct {
	FieldName  string    `json:"field_name"`
	IsAnalysis wire.Bool `json:"is_analysis"`
}

// Template types of StructConfig.
const (
	TemplateBuiltIn = "built_in"
	TemplateCustom  = "custom"
)

// MaxTemplateNameLen bounds template_name.
const MaxTemplateNameLen = 64

// Validate checks the body's own fields; the caller still resolves the
// template (by template_id for custom, BuiltInRule(template_name) for
// built_in).
func (c *StructConfig) Validate() error {
	switch {
	case c.LogGroupId == "":
		return invalidf("log_group_id", "is required")
	case c.LogStreamId == "":
		return invalidf("log_stream_id", "is required")
	case c.TemplateType != TemplateBuiltIn && c.TemplateType != TemplateCustom:
		return notInList("template_type", TemplateBuiltIn+", "+TemplateCustom)
	case c.TemplateName == "" || utf8.RuneCountInString(c.TemplateName) > MaxTemplateNameLen:
		return invalidf("template_name", "must be 1 to %d characters", MaxTemplateNameLen)
	case c.TemplateType == TemplateCustom && c.TemplateId == "":
		return invalidf("template_id", "is required when template_type is custom")
	}
	return nil
}

// BuiltInTemplateRule returns the rule of a built-in template by name.
func BuiltInTemplateRule(name string) (Rule, error) {
	_, canonical, ok := BuiltInFormat(name)
	if !ok {
		return Rule{}, notInList("template_name", strings.Join(BuiltInTemplates(), ", "))
	}
	r := Rule{Kind: KindBuiltIn, Template: canonical}
	return r, r.Validate()
}

// TemplateRule is the SDK's TemplateRule: a method and its JSON param.
type TemplateRule struct {
	Type  string `json:"type"`
	Param string `json:"param"`
}

// StructTemplateModel is the SDK's StructTemplateModel, a custom template
// (GET /v3/{project_id}/lts/struct/customtemplate answers a list of them).
type StructTemplateModel struct {
	ProjectId    string        `json:"project_id"`
	TemplateName string        `json:"template_name"`
	TemplateType string        `json:"template_type"`
	DemoLog      string        `json:"demo_log"`
	DemoFields   []DemoField   `json:"demo_fields"`
	TagFields    []TagFieldNew `json:"tag_fields"`
	Rule         *TemplateRule `json:"rule"`
	DemoLabel    string        `json:"demo_label,omitempty"`
	CreateTime   int64         `json:"create_time,omitempty"`
	Id           string        `json:"id,omitempty"`
}

// DemoField is the SDK's DemoField.
type DemoField struct {
	FieldName       string `json:"field_name"`
	Content         string `json:"content,omitempty"`
	Type            string `json:"type"`
	IsAnalysis      bool   `json:"is_analysis"`
	Index           int32  `json:"index"`
	Relation        string `json:"relation,omitempty"`
	UserDefinedName string `json:"user_defined_name,omitempty"`
}

// TagFieldNew is the SDK's TagFieldNew.
type TagFieldNew struct {
	FieldName  string `json:"field_name"`
	Content    string `json:"content,omitempty"`
	Type       string `json:"type"`
	IsAnalysis bool   `json:"is_analysis"`
	Index      int32  `json:"index"`
}

// templateTypes maps a rule method to StructTemplateModel.template_type.
var templateTypes = map[Kind]string{KindRegex: "regex", KindJSON: "json", KindSplit: "split", KindNginx: "nginx"}

// templateParam is the JSON inside TemplateRule.param (lts.md §11.2).
type templateParam struct {
	KeyObject  map[string]string `json:"keyObject"`
	RegexRules string            `json:"regex_rules,omitempty"`
	Layers     int               `json:"layers,omitempty"`
	Tokenizer  string            `json:"tokenizer,omitempty"`
	Regex      string            `json:"regex,omitempty"`
	FieldNames string            `json:"fieldNames,omitempty"`
	LogFormat  string            `json:"log_format,omitempty"`
}

// templateParamIn reads a param leniently (layers may be a string).
type templateParamIn struct {
	KeyObject  map[string]string `json:"keyObject"`
	RegexRules string            `json:"regex_rules"`
	Layers     wire.Int          `json:"layers"`
	Tokenizer  string            `json:"tokenizer"`
	LogFormat  string            `json:"log_format"`
}

// TemplateParam renders a valid rule as a v3 TemplateRule.param. keyObject
// maps the group number (custom_regex) or token index (split) to the
// field's name, or the json path / nginx variable to its user-defined name
// ("" when it is the key itself). A built_in rule's param is its template
// name.
func TemplateParam(r *Rule) string {
	if r.Kind == KindBuiltIn {
		return r.Template
	}
	p := templateParam{KeyObject: map[string]string{}}
	fields := r.schema()
	switch r.Kind {
	case KindRegex:
		p.RegexRules = r.Regex
		if cp, err := compile(r); err == nil {
			rp := cp.lp.(*regexParser)
			for i, f := range fields {
				p.KeyObject[strconv.Itoa(rp.groups[i])] = f.Name
			}
		}
	case KindSplit:
		if len(r.Delimiters) > 0 {
			p.Tokenizer = r.Delimiters[0]
		}
		for _, f := range fields {
			p.KeyObject[strconv.Itoa(f.Index)] = f.Name
		}
	case KindJSON, KindNginx:
		names := make([]string, 0, len(fields))
		for _, f := range fields {
			alias := f.Name
			if alias == f.Key {
				alias = ""
			}
			p.KeyObject[f.Key] = alias
			names = append(names, f.Key)
		}
		if r.Kind == KindJSON {
			p.Layers = r.Layers
			if p.Layers == 0 {
				p.Layers = DefaultLayers
			}
		} else {
			p.LogFormat = r.LogFormat
			if p.LogFormat == "" {
				p.LogFormat = NginxCombined
			}
			p.Regex = GeneratedRegex(r)
			p.FieldNames = strings.Join(names, ",")
		}
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// TemplateModel renders a valid rule (not built_in) as a custom template.
func (r *Rule) TemplateModel(id, projectID, name string, createTime int64) StructTemplateModel {
	m := StructTemplateModel{ProjectId: projectID, TemplateName: name, TemplateType: templateTypes[r.Kind],
		DemoLog: r.Sample, DemoFields: []DemoField{}, TagFields: []TagFieldNew{},
		Rule: &TemplateRule{Type: string(r.Kind), Param: TemplateParam(r)}, CreateTime: createTime, Id: id}
	for i, f := range r.schema() {
		d := DemoField{FieldName: f.Key, Content: f.Sample, Type: f.Type.String(), IsAnalysis: f.Analysis, Index: int32(i)}
		switch r.Kind {
		case KindSplit:
			d.FieldName, d.Index = f.Name, int32(f.Index)
		case KindRegex:
			d.FieldName, d.Index = f.Name, int32(f.Index)
		default:
			if f.Name != f.Key {
				d.UserDefinedName = f.Name
			}
		}
		m.DemoFields = append(m.DemoFields, d)
	}
	for i, t := range r.Tags {
		m.TagFields = append(m.TagFields, TagFieldNew{FieldName: t.Name, Content: t.Sample, Type: t.Type.String(),
			IsAnalysis: t.Analysis, Index: int32(i)})
	}
	return m
}

// RuleFromTemplate converts a custom template into a rule: the method and
// fields come from rule.type and rule.param's keyObject, the types and
// samples from demo_fields (matched by index for custom_regex and split,
// by field_name otherwise). Errors name the template's field ("rule.param").
func RuleFromTemplate(m *StructTemplateModel) (Rule, error) {
	if m.Rule == nil {
		return Rule{}, invalidf("rule", "is required")
	}
	kind, e := parseKind("rule.type", m.Rule.Type)
	if e != nil || kind == KindBuiltIn {
		return Rule{}, notInList("rule.type", "custom_regex, json, split, nginx")
	}
	var in templateParamIn
	if err := json.Unmarshal([]byte(m.Rule.Param), &in); err != nil {
		return Rule{}, invalidf("rule.param", "is not a valid JSON object: %v", err)
	}
	if len(in.KeyObject) > MaxFields {
		return Rule{}, invalidf("rule.param", "keyObject must have at most %d fields, got %d", MaxFields, len(in.KeyObject))
	}
	r := Rule{Kind: kind, Sample: m.DemoLog}
	byName := map[string]*DemoField{}
	byIndex := map[int]*DemoField{}
	for i := range m.DemoFields {
		d := &m.DemoFields[i]
		byName[d.FieldName] = d
		byIndex[int(d.Index)] = d
	}
	for k, v := range in.KeyObject {
		f := FieldSpec{Key: k, Name: v}
		var d *DemoField
		switch kind {
		case KindRegex, KindSplit:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= MaxFields || kind == KindRegex && n == 0 {
				return Rule{}, invalidf("rule.param", "keyObject key %q must be a field index", k)
			}
			f.Key, f.Index = "", n
			if kind == KindRegex {
				f.Key = v // a named group of that name, else group n
			}
			if d = byIndex[n]; d == nil {
				d = byName[v]
			}
		default:
			if f.Name == "" {
				f.Name = k
			}
			d = byName[k]
		}
		if d != nil {
			typ, e := parseFieldType("demo_fields.type", d.Type)
			if e != nil {
				return Rule{}, e
			}
			f.Type, f.Sample, f.Analysis = typ, d.Content, d.IsAnalysis
		}
		r.Fields = append(r.Fields, f)
	}
	sort.Slice(r.Fields, func(i, j int) bool {
		a, b := r.Fields[i], r.Fields[j]
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		return a.Key < b.Key
	})
	for _, t := range m.TagFields {
		typ, e := parseFieldType("tag_fields.type", t.Type)
		if e != nil {
			return Rule{}, e
		}
		r.Tags = append(r.Tags, TagSpec{Name: t.FieldName, Type: typ, Sample: t.Content, Analysis: t.IsAnalysis})
	}
	switch kind {
	case KindRegex:
		r.Regex = in.RegexRules
	case KindJSON:
		r.Layers = DefaultLayers
		if in.Layers.Set {
			if in.Layers.Value < MinLayers || in.Layers.Value > MaxLayers {
				return Rule{}, invalidf("rule.param", "layers must be between %d and %d, got %d", MinLayers, MaxLayers, in.Layers.Value)
			}
			r.Layers = int(in.Layers.Value)
		}
	case KindSplit:
		d, err := ParseDelimiter(in.Tokenizer)
		if err != nil {
			return Rule{}, err
		}
		r.Delimiters = []string{d}
	case KindNginx:
		r.LogFormat = in.LogFormat
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}
