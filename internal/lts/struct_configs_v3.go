package lts

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// This file serves the v3 configuration API: POST and PUT
// /v3/{project_id}/lts/struct/template give a stream the rule of a
// built-in or custom template (struct_templates.go), with quick analysis
// on the fields the body selects.

// structConfig is the body of POST and PUT, the SDK's StructConfig plus
// the demo_fields, tag_fields and quick_analysis members OTC documents.
type structConfig struct {
	LogGroupId    string              `json:"log_group_id"`
	LogStreamId   string              `json:"log_stream_id"`
	TemplateId    string              `json:"template_id"`
	TemplateName  string              `json:"template_name"`
	TemplateType  string              `json:"template_type"`
	DemoFields    []structConfigField `json:"demo_fields"`
	TagFields     []structConfigField `json:"tag_fields"`
	QuickAnalysis wire.Bool           `json:"quick_analysis"`
}

// structConfigField selects a template field for quick analysis.
type structConfigField struct {
	FieldName  string    `json:"field_name"`
	IsAnalysis wire.Bool `json:"is_analysis"`
}

// Template types of structConfig.
const (
	templateBuiltIn = "built_in"
	templateCustom  = "custom"
)

// validate checks the body's own fields; the caller still resolves the
// template (by template_id for custom, builtInTemplateRule(template_name)
// for built_in).
func (c *structConfig) validate() error {
	switch {
	case c.LogGroupId == "":
		return invalid("log_group_id is required")
	case c.LogStreamId == "":
		return invalid("log_stream_id is required")
	case c.TemplateType != templateBuiltIn && c.TemplateType != templateCustom:
		return ltscore.NotInList("template_type", templateBuiltIn, templateCustom)
	case c.TemplateName == "" || utf8.RuneCountInString(c.TemplateName) > maxTemplateNameLen:
		return invalid("template_name must be 1 to %d characters", maxTemplateNameLen)
	case c.TemplateType == templateCustom && c.TemplateId == "":
		return invalid("template_id is required when template_type is custom")
	}
	return nil
}

// builtInTemplateRule returns the rule of a built-in template by name, or
// LTS.2014 naming the templates there are.
func builtInTemplateRule(name string) (structuring.Rule, error) {
	_, canonical, ok := structuring.BuiltInFormat(name)
	if !ok {
		return structuring.Rule{}, ltscore.ErrTemplateInvalid.WithMsg("%s: template_name is not in the list [%s]",
			ltscore.ErrTemplateInvalid.Msg, strings.Join(structuring.BuiltInTemplates(), ", "))
	}
	r := structuring.Rule{Kind: structuring.KindBuiltIn, Template: canonical}
	if err := r.Validate(); err != nil {
		return structuring.Rule{}, ltscore.ErrTemplateInvalid.WithMsg("%s: %v", ltscore.ErrTemplateInvalid.Msg, err)
	}
	return r, nil
}

func (s *Service) createStructConfig(w http.ResponseWriter, r *http.Request) error {
	return s.putStructConfig(w, r, false)
}

func (s *Service) updateStructConfig(w http.ResponseWriter, r *http.Request) error {
	return s.putStructConfig(w, r, true)
}

// putStructConfig serves the v3 POST (create or replace) and PUT (replace
// only): the stream's rule becomes a copy of a built-in or custom template,
// with the quick-analysis choices of the body.
func (s *Service) putStructConfig(w http.ResponseWriter, r *http.Request, update bool) error {
	var in structConfig
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	project := r.PathValue("project_id")
	if err := s.checkStream(r.Context(), project, "log_group_id", in.LogGroupId, "log_stream_id", in.LogStreamId); err != nil {
		return err
	}
	template := ltscore.TemplateRef{ID: in.TemplateId, Name: in.TemplateName, Type: in.TemplateType}
	var rule structuring.Rule
	if in.TemplateType == templateBuiltIn {
		var err error
		if rule, err = builtInTemplateRule(in.TemplateName); err != nil {
			return err
		}
	} else {
		t, err := s.core.ConfigTemplate(r.Context(), project, in.TemplateId)
		if err != nil {
			return err
		}
		rule, template.Name = t.Rule, t.Name
	}
	if err := selectAnalysis(&rule, &in); err != nil {
		return err
	}
	set := s.core.SetRule
	if update {
		set = s.core.ReplaceRule
	}
	id, err := set(r.Context(), project, in.LogGroupId, in.LogStreamId, rule, template)
	if err != nil {
		return err
	}
	writeText(w, http.StatusCreated, id)
	return nil
}

// selectAnalysis applies a v3 body's quick-analysis choices to the
// template's rule: quick_analysis marks every field, then demo_fields and
// tag_fields set the fields they name, which must be the template's.
func selectAnalysis(rule *structuring.Rule, in *structConfig) error {
	if len(in.DemoFields) == 0 && len(in.TagFields) == 0 && !in.QuickAnalysis.Value {
		return nil
	}
	p, err := structuring.Compile(rule)
	if err != nil {
		return ltscore.StructuringError(err)
	}
	fields := slices.Clone(p.Fields())
	if fields == nil && (len(in.DemoFields) > 0 || in.QuickAnalysis.Value) {
		return invalid("demo_fields: the template (%s without a field list) has no fixed fields to analyse", rule.Kind)
	}
	tags := slices.Clone(rule.Tags)
	for i := range fields {
		fields[i].Analysis = fields[i].Analysis || in.QuickAnalysis.Value
	}
	for i := range tags {
		tags[i].Analysis = tags[i].Analysis || in.QuickAnalysis.Value
	}
	for i, f := range in.DemoFields {
		k := slices.IndexFunc(fields, func(s structuring.FieldSpec) bool { return s.Name == f.FieldName })
		if k < 0 {
			return invalid("demo_fields[%d].field_name %q is not a field of the template", i, f.FieldName)
		}
		fields[k].Analysis = f.IsAnalysis.Value
	}
	for i, f := range in.TagFields {
		k := slices.IndexFunc(tags, func(s structuring.TagSpec) bool { return s.Name == f.FieldName })
		if k < 0 {
			return invalid("tag_fields[%d].field_name %q is not a tag field of the template", i, f.FieldName)
		}
		tags[k].Analysis = f.IsAnalysis.Value
	}
	rule.Fields, rule.Tags = fields, tags
	if err := rule.Validate(); err != nil {
		return ltscore.StructuringError(err)
	}
	return nil
}
