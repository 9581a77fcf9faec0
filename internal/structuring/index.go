package structuring

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// IndexConfig is the index configuration of a stream, as the catalog
// stores it: its JSON (encoding/json of the struct) is the storage form,
// which Compile turns into what ingestion and search use. The JSON names
// are those the configuration was first stored with and must stay so, or
// stored configurations would read back empty; callers validate a
// configuration before storing it.
type IndexConfig struct {
	FullTextIndex           FullTextIndex `json:"fullTextIndex"`
	Fields                  []FieldIndex  `json:"fields"`
	SqlAnalysisEnable       bool          `json:"sqlAnalysisEnable"`
	LogStreamId             string        `json:"logStreamId"`
	FastAnalysisSampleCount int64         `json:"fastAnalysisSampleCount"`
}

// FullTextIndex is the full-text index of a stream.
type FullTextIndex struct {
	Enable         bool     `json:"enable"`
	CaseSensitive  bool     `json:"caseSensitive"`
	IncludeChinese bool     `json:"includeChinese"`
	Tokenizer      string   `json:"tokenizer"`
	Ascii          []string `json:"ascii,omitempty"`
}

// FieldIndex is the index of one field.
type FieldIndex struct {
	FieldType            string          `json:"fieldType"`
	FieldName            string          `json:"fieldName"`
	CaseSensitive        bool            `json:"caseSensitive"`
	IncludeChinese       bool            `json:"includeChinese"`
	Tokenizer            string          `json:"tokenizer"`
	QuickAnalysis        bool            `json:"quickAnalysis"`
	Ascii                []string        `json:"ascii,omitempty"`
	LtsSubFieldsInfoList []SubFieldIndex `json:"ltsSubFieldsInfoList,omitempty"`
	FieldAnalysisAlias   string          `json:"fieldAnalysisAlias,omitempty"`
}

// SubFieldIndex is a sub-field of a json field index.
type SubFieldIndex struct {
	FieldType          string `json:"fieldType"`
	FieldName          string `json:"fieldName"`
	QuickAnalysis      bool   `json:"quickAnalysis"`
	FieldAnalysisAlias string `json:"fieldAnalysisAlias,omitempty"`
}

// DelimiterSet checks a tokenizer string and its ascii list and returns
// their delimiter set (see delimiters). The error, an *Error, names the
// field at+".tokenizer" or at+".ascii[i]".
func DelimiterSet(at, tokenizer string, ascii []string) (string, error) {
	d, err := delimiters(at, tokenizer, ascii)
	if err != nil {
		return "", err // not the typed nil of a *Error
	}
	return d, nil
}

// delimiters is the delimiter set of a tokenizer string and its ascii
// list: every character of tokenizer, plus each ascii entry, which is an
// ASCII code in decimal ("1" is U+0001, the way the console lists the
// invisible characters) or a single character.
func delimiters(at, tokenizer string, ascii []string) (string, *Error) {
	if len(tokenizer) > 256 {
		return "", invalidf(at+".tokenizer", "must be at most 256 characters, got %d", len(tokenizer))
	}
	if len(ascii) > 128 {
		return "", invalidf(at+".ascii", "must have at most 128 entries, got %d", len(ascii))
	}
	var b strings.Builder
	b.WriteString(tokenizer)
	for i, a := range ascii {
		if n, err := strconv.Atoi(a); err == nil {
			if n < 0 || n > 127 {
				return "", invalidf(fmt.Sprintf("%s.ascii[%d]", at, i), "%q must be an ASCII code 0-127", a)
			}
			b.WriteByte(byte(n))
			continue
		}
		if utf8.RuneCountInString(a) != 1 {
			return "", invalidf(fmt.Sprintf("%s.ascii[%d]", at, i), "%q must be an ASCII code or a single character", a)
		}
		b.WriteString(a)
	}
	return b.String(), nil
}

// CompiledIndex is what ingestion and search need of an index
// configuration: per stream, whether the full text is indexed, its case
// sensitivity and its delimiters (for logquery.NewTokenizer); per field the
// same, by field name.
type CompiledIndex struct {
	FullText      bool
	CaseSensitive bool
	// Delimiters is the full delimiter set: the tokenizer's characters plus
	// the ascii ones. Empty means the stream keeps the default delimiters.
	Delimiters string
	Fields     map[string]CompiledField
}

// CompiledField is the index of one field.
type CompiledField struct {
	Type          string // string, long, float or json
	CaseSensitive bool
	Delimiters    string
	QuickAnalysis bool
	Alias         string
}

// Compile returns the compiled form of a normalized configuration.
func (c *IndexConfig) Compile() CompiledIndex {
	d, _ := delimiters("fullTextIndex", c.FullTextIndex.Tokenizer, c.FullTextIndex.Ascii)
	out := CompiledIndex{FullText: c.FullTextIndex.Enable, CaseSensitive: c.FullTextIndex.CaseSensitive,
		Delimiters: d, Fields: make(map[string]CompiledField, len(c.Fields))}
	for _, f := range c.Fields {
		fd, _ := delimiters("", f.Tokenizer, f.Ascii)
		out.Fields[f.FieldName] = CompiledField{Type: f.FieldType, CaseSensitive: f.CaseSensitive,
			Delimiters: fd, QuickAnalysis: f.QuickAnalysis, Alias: f.FieldAnalysisAlias}
		for _, s := range f.LtsSubFieldsInfoList {
			out.Fields[f.FieldName+"."+s.FieldName] = CompiledField{Type: s.FieldType, CaseSensitive: f.CaseSensitive,
				Delimiters: fd, QuickAnalysis: s.QuickAnalysis, Alias: s.FieldAnalysisAlias}
		}
	}
	return out
}
