package structuring

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is the structuring method of a rule, named as the wire's parse_type.
type Kind string

// The structuring methods of LTS.
const (
	KindBuiltIn Kind = "built_in"
	KindJSON    Kind = "json"
	KindRegex   Kind = "custom_regex"
	KindSplit   Kind = "split"
	KindNginx   Kind = "nginx"
)

const kindList = "built_in, json, custom_regex, split, nginx"

// JSON flattening depth: LTS documents 1 to 4 levels, 3 when unset.
const (
	MinLayers     = 1
	MaxLayers     = 4
	DefaultLayers = 3
)

// Rule is a structuring rule of one stream, independent of the wire shape
// it came in (v2 body or v3 template). Its JSON (encoding/json of the
// struct) is the storage form; read it back with UnmarshalRule.
type Rule struct {
	Kind Kind `json:"kind"`
	// Regex is the custom_regex expression as the user wrote it; the
	// (?<name>...) group form is accepted.
	Regex string `json:"regex,omitempty"`
	// Delimiters of a split rule: a token ends at the first occurrence of
	// any of them. The wire carries exactly one (tokenizer), already with
	// its escapes (`\t`, `\x01`) resolved.
	Delimiters []string `json:"delimiters,omitempty"`
	// LogFormat is the nginx log_format line; empty means nginx combined.
	LogFormat string `json:"log_format,omitempty"`
	// Layers is the json flattening depth, MinLayers..MaxLayers.
	Layers int `json:"layers,omitempty"`
	// Template names a built-in template (see BuiltInTemplates).
	Template string `json:"template,omitempty"`
	// Fields are the configured fields, in output order. Empty means every
	// field the method finds (see the package comment).
	Fields []FieldSpec `json:"fields,omitempty"`
	// Tags are the label fields (hostname, pathFile...) the rule declares.
	Tags []TagSpec `json:"tags,omitempty"`
	// Sample is the example line the rule was designed on (demoLog).
	Sample string `json:"sample,omitempty"`
}

// FieldSpec is one configured field: where its value comes from (Key or
// Index, depending on the Kind), the column it becomes (Name) and its Type.
type FieldSpec struct {
	// Key is the flattened json path ("a.b"), the regex group name or the
	// nginx variable name (without '$').
	Key string `json:"key,omitempty"`
	// Index is the 0-based token position of a split rule, or the 1-based
	// group number of a regex field without a named group.
	Index int `json:"index,omitempty"`
	// Name is the field's column name (the user-defined name if any).
	Name string `json:"name"`
	Type Type   `json:"type"`
	// Sample is the value in the example line (the wire's content).
	Sample string `json:"sample,omitempty"`
	// Analysis is the wire's isAnalysis (quick analysis on the field).
	Analysis bool `json:"analysis,omitempty"`
}

// TagSpec is a label field declared by a rule (the wire's tag_fields).
type TagSpec struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Sample   string `json:"sample,omitempty"`
	Analysis bool   `json:"analysis,omitempty"`
}

// UnmarshalRule reads a rule stored by encoding/json and validates it.
func UnmarshalRule(b []byte) (Rule, error) {
	var r Rule
	if err := json.Unmarshal(b, &r); err != nil {
		return Rule{}, fmt.Errorf("structuring: stored rule: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// Validate checks the rule as a whole; Compile calls it. The error is an
// *Error whose Field is the v2 wire name of the culprit.
func (r *Rule) Validate() error {
	if _, err := compile(r); err != nil {
		return err // not the typed nil of a *Error
	}
	return nil
}

// checkFields applies the rules shared by every method: at most MaxFields,
// each name valid and used once, tag names too.
func (r *Rule) checkFields() *Error {
	if len(r.Fields) > MaxFields {
		return invalidf("demo_fields", "must have at most %d fields, got %d", MaxFields, len(r.Fields))
	}
	if len(r.Tags) > MaxFields {
		return invalidf("tag_fields", "must have at most %d fields, got %d", MaxFields, len(r.Tags))
	}
	seen := make(map[string]string, len(r.Fields)+len(r.Tags))
	for i, f := range r.Fields {
		field := fmt.Sprintf("demo_fields[%d].fieldName", i)
		if err := checkFieldName(field, f.Name); err != nil {
			return err
		}
		if f.Type > Float {
			return notInList(fmt.Sprintf("demo_fields[%d].type", i), "string, long, float")
		}
		if prev, dup := seen[f.Name]; dup {
			return invalidf(field, "%q is already used by %s", f.Name, prev)
		}
		seen[f.Name] = field
	}
	for i, t := range r.Tags {
		field := fmt.Sprintf("tag_fields[%d].fieldName", i)
		if err := checkFieldName(field, t.Name); err != nil {
			return err
		}
		if t.Type > Float {
			return notInList(fmt.Sprintf("tag_fields[%d].type", i), "string, long, float")
		}
		if prev, dup := seen[t.Name]; dup {
			return invalidf(field, "%q is already used by %s", t.Name, prev)
		}
		seen[t.Name] = field
	}
	return nil
}

// ParseKind reads the name of a structuring method, ignoring surrounding
// spaces. The error, an *Error, names field: the request field that
// carried the name.
func ParseKind(field, s string) (Kind, error) {
	switch k := Kind(strings.TrimSpace(s)); k {
	case KindBuiltIn, KindJSON, KindRegex, KindSplit, KindNginx:
		return k, nil
	}
	return "", notInList(field, kindList)
}

// Schema is the fields a valid rule gives every matched line, in output
// order: its configured fields, or those its method finds by itself
// (nginx variables, regex groups). It is nil for an invalid rule and for
// json and split rules without a field list, whose fields depend on the
// line.
func (r *Rule) Schema() []FieldSpec {
	if len(r.Fields) > 0 {
		return r.Fields
	}
	p, err := compile(r)
	if err != nil {
		return nil
	}
	return p.fields
}
