package lts

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// This file serves the v2 rule API: /v2/{project_id}/lts/struct/template
// sets, shows and deletes the structuring rule of a stream.

// structTemplateInfo is the body of POST and PUT, field for field the
// SDK's LtsStructTemplateInfo. Numbers and booleans are read leniently
// (also as JSON strings).
type structTemplateInfo struct {
	DemoFields  []structFieldInfo `json:"demo_fields"`
	TagFields   []tagField        `json:"tag_fields"`
	Content     string            `json:"content"`
	LogGroupId  string            `json:"log_group_id"`
	ParseType   string            `json:"parse_type"`
	LogStreamId string            `json:"log_stream_id"`
	ProjectId   string            `json:"project_id"`
	RegexRules  *string           `json:"regex_rules"`
	Layers      wire.Int          `json:"layers"`
	Tokenizer   *string           `json:"tokenizer"`
	LogFormat   *string           `json:"log_format"`
	Rule        *builtInRule      `json:"rule"`
}

// structFieldInfo is the SDK's StructFieldInfo (camelCase on the wire).
type structFieldInfo struct {
	IsAnalysis      wire.Bool `json:"isAnalysis"`
	Content         *string   `json:"content"`
	FieldName       *string   `json:"fieldName"`
	Type            string    `json:"type"`
	UserDefinedName *string   `json:"userDefinedName"`
	Index           wire.Int  `json:"index"`
}

// tagField is the SDK's TagField.
type tagField struct {
	FieldName  string    `json:"fieldName"`
	Type       string    `json:"type"`
	Content    *string   `json:"content"`
	IsAnalysis wire.Bool `json:"isAnalysis"`
}

// builtInRule is the SDK's Rule of a v2 body: the system template of a
// built_in rule (its name in Param; Type is read when Param is empty).
type builtInRule struct {
	Type  string `json:"type"`
	Param string `json:"param"`
}

// deleteStructTemplateReqBody is the body of DELETE.
type deleteStructTemplateReqBody struct {
	Id string `json:"id"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseFieldType reads a field's type; LTS treats an untyped field as a
// string.
func parseFieldType(field, s string) (structuring.Type, error) {
	if s == "" {
		return structuring.String, nil
	}
	t, ok := structuring.ParseType(strings.ToLower(s))
	if !ok {
		return 0, ltscore.NotInList(field, "string", "long", "float")
	}
	return t, nil
}

// ruleFromV2 converts and validates a v2 body. Its errors are LTS.1901 or
// LTS.0009 naming the body's field (parse_type, regex_rules,
// demo_fields[i]...).
func ruleFromV2(in *structTemplateInfo) (structuring.Rule, error) {
	kind, err := structuring.ParseKind("parse_type", in.ParseType)
	if err != nil {
		return structuring.Rule{}, ltscore.StructuringError(err)
	}
	r := structuring.Rule{Kind: kind, Sample: in.Content}
	if len(in.DemoFields) > structuring.MaxFields {
		return structuring.Rule{}, invalid("demo_fields must have at most %d fields, got %d", structuring.MaxFields, len(in.DemoFields))
	}
	for i, d := range in.DemoFields {
		typ, err := parseFieldType(fmt.Sprintf("demo_fields[%d].type", i), d.Type)
		if err != nil {
			return structuring.Rule{}, err
		}
		if d.Index.Value < math.MinInt32 || d.Index.Value > math.MaxInt32 {
			return structuring.Rule{}, invalid("demo_fields[%d].index must be a 32-bit integer, got %d", i, d.Index.Value)
		}
		f := structuring.FieldSpec{Key: deref(d.FieldName), Index: int(d.Index.Value), Type: typ,
			Sample: deref(d.Content), Analysis: d.IsAnalysis.Value}
		f.Name = deref(d.UserDefinedName)
		if f.Name == "" {
			f.Name = f.Key
		}
		if f.Name == "" && kind == structuring.KindSplit {
			f.Name = structuring.SplitFieldName(f.Index)
		}
		r.Fields = append(r.Fields, f)
	}
	if len(in.TagFields) > structuring.MaxFields {
		return structuring.Rule{}, invalid("tag_fields must have at most %d fields, got %d", structuring.MaxFields, len(in.TagFields))
	}
	for i, tf := range in.TagFields {
		typ, err := parseFieldType(fmt.Sprintf("tag_fields[%d].type", i), tf.Type)
		if err != nil {
			return structuring.Rule{}, err
		}
		r.Tags = append(r.Tags, structuring.TagSpec{Name: tf.FieldName, Type: typ, Sample: deref(tf.Content), Analysis: tf.IsAnalysis.Value})
	}
	switch kind {
	case structuring.KindRegex:
		r.Regex = deref(in.RegexRules)
	case structuring.KindJSON:
		if in.Layers.Set {
			if in.Layers.Value < structuring.MinLayers || in.Layers.Value > structuring.MaxLayers {
				return structuring.Rule{}, invalid("layers must be between %d and %d, got %d", structuring.MinLayers, structuring.MaxLayers, in.Layers.Value)
			}
			r.Layers = int(in.Layers.Value)
		} else {
			r.Layers = structuring.DefaultLayers
		}
	case structuring.KindSplit:
		if in.Tokenizer == nil || *in.Tokenizer == "" {
			return structuring.Rule{}, invalid("tokenizer is required when parse_type is split")
		}
		d, err := structuring.ParseDelimiter(*in.Tokenizer)
		if err != nil {
			return structuring.Rule{}, ltscore.StructuringError(err)
		}
		r.Delimiters = []string{d}
	case structuring.KindNginx:
		r.LogFormat = deref(in.LogFormat)
	case structuring.KindBuiltIn:
		if in.Rule == nil || in.Rule.Param == "" && in.Rule.Type == "" {
			return structuring.Rule{}, invalid("rule is required when parse_type is built_in")
		}
		r.Template = in.Rule.Param
		if r.Template == "" {
			r.Template = in.Rule.Type
		}
		if _, canonical, ok := structuring.BuiltInFormat(r.Template); ok {
			r.Template = canonical
		}
	}
	if err := r.Validate(); err != nil {
		return structuring.Rule{}, ltscore.StructuringError(err)
	}
	return r, nil
}

// showStructTemplateResponse is the answer of GET, with the JSON names of
// the SDK's ShowStructTemplateResponse.
type showStructTemplateResponse struct {
	DemoFields           []structFieldInfoReturn        `json:"demoFields"`
	TagFields            []tagFieldsInfo                `json:"tagFields"`
	DemoLog              string                         `json:"demoLog,omitempty"`
	DemoLabel            string                         `json:"demoLabel,omitempty"`
	Id                   string                         `json:"id,omitempty"`
	LogGroupId           string                         `json:"logGroupId,omitempty"`
	Rule                 *showStructTemplateRule        `json:"rule,omitempty"`
	ClusterInfo          *showStructTemplateClusterInfo `json:"cluster_info,omitempty"`
	LogStreamId          string                         `json:"logStreamId,omitempty"`
	ProjectId            string                         `json:"projectId,omitempty"`
	TemplateName         string                         `json:"templateName,omitempty"`
	Regex                string                         `json:"regex,omitempty"`
	CustomTimeInfo       *customTimeInfo                `json:"custom_time_info,omitempty"`
	UploadOriginalLog    *bool                          `json:"uploadOriginalLog,omitempty"`
	UploadParseFailedLog *bool                          `json:"uploadParseFailedLog,omitempty"`
}

// structFieldInfoReturn is the SDK's StructFieldInfoReturn.
type structFieldInfoReturn struct {
	FieldName  string `json:"fieldName"`
	Type       string `json:"type"`
	Content    string `json:"content"`
	IsAnalysis bool   `json:"isAnalysis"`
	Index      int32  `json:"index"`
}

// tagFieldsInfo is the SDK's TagFieldsInfo.
type tagFieldsInfo struct {
	FieldName  string `json:"fieldName"`
	Type       string `json:"type"`
	Content    string `json:"content"`
	IsAnalysis bool   `json:"isAnalysis"`
	Index      int32  `json:"index"`
}

// showStructTemplateRule is the SDK's ShowStructTemplateRule: the method
// and its v3 param (see templateParam).
type showStructTemplateRule struct {
	Param string `json:"param"`
	Type  string `json:"type"`
}

// showStructTemplateClusterInfo is the SDK's ShowStructTemplateclusterInfo.
type showStructTemplateClusterInfo struct {
	ClusterName           string `json:"cluster_name,omitempty"`
	KafkaBootstrapServers string `json:"kafka_bootstrap_servers,omitempty"`
	KafkaSslEnable        bool   `json:"kafka_ssl_enable"`
}

// customTimeInfo is the SDK's CustomTimeInfo.
type customTimeInfo struct {
	Enable     bool   `json:"enable"`
	Key        string `json:"key,omitempty"`
	Value      string `json:"value,omitempty"`
	TimeFormat string `json:"time_format,omitempty"`
}

// showMeta is what the GET answer carries beside the rule.
type showMeta struct {
	ID, ProjectID, LogGroupID, LogStreamID, TemplateName string
}

// showRule renders a valid rule as the GET answer. Fields a method finds
// by itself (nginx variables, regex groups) are listed when the rule has
// no field list; json and split without one list none.
func showRule(r *structuring.Rule, m showMeta) showStructTemplateResponse {
	out := showStructTemplateResponse{
		DemoFields: []structFieldInfoReturn{}, TagFields: []tagFieldsInfo{},
		DemoLog: r.Sample, Id: m.ID, LogGroupId: m.LogGroupID, LogStreamId: m.LogStreamID,
		ProjectId: m.ProjectID, TemplateName: m.TemplateName,
		Rule: &showStructTemplateRule{Type: string(r.Kind), Param: templateParam(r)},
	}
	for i, f := range r.Schema() {
		idx := i
		if r.Kind == structuring.KindSplit || r.Kind == structuring.KindRegex {
			idx = f.Index
		}
		out.DemoFields = append(out.DemoFields, structFieldInfoReturn{FieldName: f.Name, Type: f.Type.String(),
			Content: f.Sample, IsAnalysis: f.Analysis, Index: int32(idx)})
	}
	for i, t := range r.Tags {
		out.TagFields = append(out.TagFields, tagFieldsInfo{FieldName: t.Name, Type: t.Type.String(),
			Content: t.Sample, IsAnalysis: t.Analysis, Index: int32(i)})
	}
	switch r.Kind {
	case structuring.KindRegex:
		out.Regex = r.Regex
	case structuring.KindNginx, structuring.KindBuiltIn:
		out.Regex = structuring.GeneratedRegex(r)
	}
	return out
}

func (s *Service) createStructTemplate(w http.ResponseWriter, r *http.Request) error {
	return s.putV2Rule(w, r, false)
}

func (s *Service) updateStructTemplate(w http.ResponseWriter, r *http.Request) error {
	return s.putV2Rule(w, r, true)
}

// putV2Rule serves POST (create or replace) and PUT (replace only) of the
// v2 rule of a stream.
func (s *Service) putV2Rule(w http.ResponseWriter, r *http.Request, update bool) error {
	var in structTemplateInfo
	if err := decode(r, &in); err != nil {
		return err
	}
	project := r.PathValue("project_id")
	if in.ProjectId != "" && in.ProjectId != project {
		return invalid("project_id %q is not the project of the request path", in.ProjectId)
	}
	if err := s.checkStream(r.Context(), project, "log_group_id", in.LogGroupId, "log_stream_id", in.LogStreamId); err != nil {
		return err
	}
	rule, err := ruleFromV2(&in)
	if err != nil {
		return err
	}
	set, status := s.core.SetRule, http.StatusCreated
	if update {
		set, status = s.core.ReplaceRule, http.StatusOK
	}
	id, err := set(r.Context(), project, in.LogGroupId, in.LogStreamId, rule, ltscore.TemplateRef{})
	if err != nil {
		return err
	}
	writeText(w, status, id)
	return nil
}

// showStructJSON is the GET answer: the SDK's ShowStructTemplateResponse
// plus what ingestion counted with the rule since the server started (or
// since the rule last changed). The SDK ignores the extra keys.
type showStructJSON struct {
	showStructTemplateResponse
	UnparsedLines int64 `json:"unparsedLines"`
	FailedValues  int64 `json:"failedValues"`
}

func (s *Service) showStructTemplate(w http.ResponseWriter, r *http.Request) error {
	project, q := r.PathValue("project_id"), r.URL.Query()
	groupID, streamID := q.Get("logGroupId"), q.Get("logStreamId")
	if err := s.checkStream(r.Context(), project, "logGroupId", groupID, "logStreamId", streamID); err != nil {
		return err
	}
	sr, err := s.core.Rule(r.Context(), project, groupID, streamID)
	if err != nil {
		return err
	}
	out := showStructJSON{showStructTemplateResponse: showRule(&sr.Rule, showMeta{
		ID: sr.ID, ProjectID: project, LogGroupID: sr.GroupID, LogStreamID: streamID, TemplateName: sr.Template.Name,
	}), UnparsedLines: sr.Stats.Unparsed, FailedValues: sr.Stats.Failed}
	wire.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteStructTemplate(w http.ResponseWriter, r *http.Request) error {
	var in deleteStructTemplateReqBody
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Id == "" {
		return invalid("id is required")
	}
	if err := s.core.DeleteRule(r.Context(), r.PathValue("project_id"), in.Id); err != nil {
		return err
	}
	writeText(w, http.StatusOK, in.Id)
	return nil
}
