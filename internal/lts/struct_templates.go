package lts

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// This file serves the custom templates of a project
// (/v3/{project_id}/lts/struct/customtemplate): rules kept under a name,
// which a v3 configuration copies onto a stream, in the v3 template shape
// whose rule.param is the keyObject JSON of lts.md §11.2.

// maxTemplateNameLen bounds template_name.
const maxTemplateNameLen = 64

// templateRule is the SDK's TemplateRule: a method and its JSON param.
type templateRule struct {
	Type  string `json:"type"`
	Param string `json:"param"`
}

// structTemplateModel is the SDK's StructTemplateModel, a custom
// template: the body of POST, and the elements of the GET answer.
type structTemplateModel struct {
	ProjectId    string        `json:"project_id"`
	TemplateName string        `json:"template_name"`
	TemplateType string        `json:"template_type"`
	DemoLog      string        `json:"demo_log"`
	DemoFields   []demoField   `json:"demo_fields"`
	TagFields    []tagFieldNew `json:"tag_fields"`
	Rule         *templateRule `json:"rule"`
	DemoLabel    string        `json:"demo_label,omitempty"`
	CreateTime   int64         `json:"create_time,omitempty"`
	Id           string        `json:"id,omitempty"`
}

// demoField is the SDK's DemoField.
type demoField struct {
	FieldName       string `json:"field_name"`
	Content         string `json:"content,omitempty"`
	Type            string `json:"type"`
	IsAnalysis      bool   `json:"is_analysis"`
	Index           int32  `json:"index"`
	Relation        string `json:"relation,omitempty"`
	UserDefinedName string `json:"user_defined_name,omitempty"`
}

// tagFieldNew is the SDK's TagFieldNew.
type tagFieldNew struct {
	FieldName  string `json:"field_name"`
	Content    string `json:"content,omitempty"`
	Type       string `json:"type"`
	IsAnalysis bool   `json:"is_analysis"`
	Index      int32  `json:"index"`
}

// templateTypes maps a rule method to structTemplateModel.template_type.
var templateTypes = map[structuring.Kind]string{
	structuring.KindRegex: "regex", structuring.KindJSON: "json", structuring.KindSplit: "split", structuring.KindNginx: "nginx",
}

// templateParamOut is the JSON inside templateRule.param (lts.md §11.2).
type templateParamOut struct {
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

// templateParam renders a valid rule as a templateRule.param. keyObject
// maps the group number (custom_regex) or token index (split) to the
// field's name, or the json path / nginx variable to its user-defined name
// ("" when it is the key itself). A built_in rule's param is its template
// name.
func templateParam(r *structuring.Rule) string {
	if r.Kind == structuring.KindBuiltIn {
		return r.Template
	}
	p := templateParamOut{KeyObject: map[string]string{}}
	fields := r.Schema()
	switch r.Kind {
	case structuring.KindRegex:
		p.RegexRules = r.Regex
		if cp, err := structuring.Compile(r); err == nil {
			groups := cp.CaptureGroups()
			for i, f := range fields {
				p.KeyObject[strconv.Itoa(groups[i])] = f.Name
			}
		}
	case structuring.KindSplit:
		if len(r.Delimiters) > 0 {
			p.Tokenizer = r.Delimiters[0]
		}
		for _, f := range fields {
			p.KeyObject[strconv.Itoa(f.Index)] = f.Name
		}
	case structuring.KindJSON, structuring.KindNginx:
		names := make([]string, 0, len(fields))
		for _, f := range fields {
			alias := f.Name
			if alias == f.Key {
				alias = ""
			}
			p.KeyObject[f.Key] = alias
			names = append(names, f.Key)
		}
		if r.Kind == structuring.KindJSON {
			p.Layers = r.Layers
			if p.Layers == 0 {
				p.Layers = structuring.DefaultLayers
			}
		} else {
			p.LogFormat = r.LogFormat
			if p.LogFormat == "" {
				p.LogFormat = structuring.NginxCombined
			}
			p.Regex = structuring.GeneratedRegex(r)
			p.FieldNames = strings.Join(names, ",")
		}
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// templateModel renders a valid rule (not built_in) as a custom template.
func templateModel(r *structuring.Rule, id, projectID, name string, createTime int64) structTemplateModel {
	m := structTemplateModel{ProjectId: projectID, TemplateName: name, TemplateType: templateTypes[r.Kind],
		DemoLog: r.Sample, DemoFields: []demoField{}, TagFields: []tagFieldNew{},
		Rule: &templateRule{Type: string(r.Kind), Param: templateParam(r)}, CreateTime: createTime, Id: id}
	for i, f := range r.Schema() {
		d := demoField{FieldName: f.Key, Content: f.Sample, Type: f.Type.String(), IsAnalysis: f.Analysis, Index: int32(i)}
		switch r.Kind {
		case structuring.KindSplit, structuring.KindRegex:
			d.FieldName, d.Index = f.Name, int32(f.Index)
		default:
			if f.Name != f.Key {
				d.UserDefinedName = f.Name
			}
		}
		m.DemoFields = append(m.DemoFields, d)
	}
	for i, t := range r.Tags {
		m.TagFields = append(m.TagFields, tagFieldNew{FieldName: t.Name, Content: t.Sample, Type: t.Type.String(),
			IsAnalysis: t.Analysis, Index: int32(i)})
	}
	return m
}

// ruleFromTemplate converts a custom template into a rule: the method and
// fields come from rule.type and rule.param's keyObject, the types and
// samples from demo_fields (matched by index for custom_regex and split,
// by field_name otherwise). Its errors are LTS.1901 or LTS.0009 naming the
// template's field ("rule.param").
func ruleFromTemplate(m *structTemplateModel) (structuring.Rule, error) {
	if m.Rule == nil {
		return structuring.Rule{}, invalid("rule is required")
	}
	kind, err := structuring.ParseKind("rule.type", m.Rule.Type)
	if err != nil || kind == structuring.KindBuiltIn {
		return structuring.Rule{}, ltscore.NotInList("rule.type", "custom_regex", "json", "split", "nginx")
	}
	var in templateParamIn
	if err := json.Unmarshal([]byte(m.Rule.Param), &in); err != nil {
		return structuring.Rule{}, invalid("rule.param is not a valid JSON object: %v", err)
	}
	if len(in.KeyObject) > structuring.MaxFields {
		return structuring.Rule{}, invalid("rule.param keyObject must have at most %d fields, got %d", structuring.MaxFields, len(in.KeyObject))
	}
	r := structuring.Rule{Kind: kind, Sample: m.DemoLog}
	byName := map[string]*demoField{}
	byIndex := map[int]*demoField{}
	for i := range m.DemoFields {
		d := &m.DemoFields[i]
		byName[d.FieldName] = d
		byIndex[int(d.Index)] = d
	}
	for k, v := range in.KeyObject {
		f := structuring.FieldSpec{Key: k, Name: v}
		var d *demoField
		switch kind {
		case structuring.KindRegex, structuring.KindSplit:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= structuring.MaxFields || kind == structuring.KindRegex && n == 0 {
				return structuring.Rule{}, invalid("rule.param keyObject key %q must be a field index", k)
			}
			f.Key, f.Index = "", n
			if kind == structuring.KindRegex {
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
			typ, err := parseFieldType("demo_fields.type", d.Type)
			if err != nil {
				return structuring.Rule{}, err
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
		typ, err := parseFieldType("tag_fields.type", t.Type)
		if err != nil {
			return structuring.Rule{}, err
		}
		r.Tags = append(r.Tags, structuring.TagSpec{Name: t.FieldName, Type: typ, Sample: t.Content, Analysis: t.IsAnalysis})
	}
	switch kind {
	case structuring.KindRegex:
		r.Regex = in.RegexRules
	case structuring.KindJSON:
		r.Layers = structuring.DefaultLayers
		if in.Layers.Set {
			if in.Layers.Value < structuring.MinLayers || in.Layers.Value > structuring.MaxLayers {
				return structuring.Rule{}, invalid("rule.param layers must be between %d and %d, got %d",
					structuring.MinLayers, structuring.MaxLayers, in.Layers.Value)
			}
			r.Layers = int(in.Layers.Value)
		}
	case structuring.KindSplit:
		d, err := structuring.ParseDelimiter(in.Tokenizer)
		if err != nil {
			return structuring.Rule{}, ltscore.StructuringError(err)
		}
		r.Delimiters = []string{d}
	case structuring.KindNginx:
		r.LogFormat = in.LogFormat
	}
	if err := r.Validate(); err != nil {
		return structuring.Rule{}, ltscore.StructuringError(err)
	}
	return r, nil
}

// createCustomTemplate stores a custom template of the project. The SDK
// has no operation for it (the console makes them); the body is the
// StructTemplateModel the list operation answers, and the answer is
// {"id": ...}.
func (s *Service) createCustomTemplate(w http.ResponseWriter, r *http.Request) error {
	var in structTemplateModel
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.TemplateName == "" || utf8.RuneCountInString(in.TemplateName) > maxTemplateNameLen {
		return invalid("template_name must be 1 to %d characters", maxTemplateNameLen)
	}
	rule, err := ruleFromTemplate(&in)
	if err != nil {
		return err
	}
	t, err := s.core.CreateTemplate(r.Context(), r.PathValue("project_id"),
		ltscore.Template{Name: in.TemplateName, Type: templateTypes[rule.Kind], Rule: rule})
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusCreated, map[string]string{"id": t.ID})
	return nil
}

// listCustomTemplates answers the project's custom template of the id
// query parameter, or all of them without it.
func (s *Service) listCustomTemplates(w http.ResponseWriter, r *http.Request) error {
	project, id := r.PathValue("project_id"), r.URL.Query().Get("id")
	var templates []ltscore.Template
	if id != "" {
		t, err := s.core.Template(r.Context(), project, id)
		if err != nil {
			return err
		}
		templates = append(templates, t)
	} else {
		var err error
		if templates, err = s.core.Templates(r.Context(), project); err != nil {
			return err
		}
	}
	out := make([]structTemplateModel, 0, len(templates))
	for _, t := range templates {
		out = append(out, templateModel(&t.Rule, t.ID, project, t.Name, t.CreatedMS))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

type briefTemplateJSON struct {
	CreateTime   int64  `json:"create_time"`
	ID           string `json:"id"`
	TemplateName string `json:"template_name"`
	TemplateType string `json:"template_type"`
	ProjectID    string `json:"project_id"`
}

func (s *Service) listBriefCustomTemplates(w http.ResponseWriter, r *http.Request) error {
	project := r.PathValue("project_id")
	templates, err := s.core.Templates(r.Context(), project)
	if err != nil {
		return err
	}
	out := make([]briefTemplateJSON, 0, len(templates))
	for _, t := range templates {
		out = append(out, briefTemplateJSON{CreateTime: t.CreatedMS, ID: t.ID, TemplateName: t.Name, TemplateType: t.Type, ProjectID: project})
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

func (s *Service) deleteCustomTemplate(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if id == "" {
		return invalid("id is required")
	}
	if err := s.core.DeleteTemplate(r.Context(), r.PathValue("project_id"), id); err != nil {
		return err
	}
	wire.NoContent(w)
	return nil
}
