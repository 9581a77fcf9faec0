package structuring

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"logtank/internal/wire"
)

// Limits of an index configuration (lts.md §11.3).
const (
	MaxSubFields                   = 100
	MaxAliasLen                    = 256
	MinFastAnalysisSampleCount     = 100_000
	MaxFastAnalysisSampleCount     = 10_000_000
	DefaultFastAnalysisSampleCount = 100_000
)

// LtsIndexConfigInfo is the body of POST /v1.0/{project_id}/groups/{group_id}/stream/{stream_id}/index/config,
// field for field the SDK's LtsIndexConfigInfo, read leniently. It is for
// decoding only; Normalize turns it into an IndexConfig.
type LtsIndexConfigInfo struct {
	FullTextIndex           *LtsFullTextIndexInfo `json:"fullTextIndex"`
	Fields                  []LtsFieldsInfo       `json:"fields"`
	SqlAnalysisEnable       wire.Bool             `json:"sqlAnalysisEnable"`
	LogStreamId             string                `json:"logStreamId"`
	FastAnalysisSampleCount wire.Int              `json:"fastAnalysisSampleCount"`
}

// LtsFullTextIndexInfo is the SDK's LtsFullTextIndexInfo.
type LtsFullTextIndexInfo struct {
	Enable         wire.Bool `json:"enable"`
	CaseSensitive  wire.Bool `json:"caseSensitive"`
	IncludeChinese wire.Bool `json:"includeChinese"`
	Tokenizer      string    `json:"tokenizer"`
	Ascii          []string  `json:"ascii"`
}

// LtsFieldsInfo is the SDK's LtsFieldsInfo.
type LtsFieldsInfo struct {
	FieldType            string             `json:"fieldType"`
	FieldName            string             `json:"fieldName"`
	CaseSensitive        wire.Bool          `json:"caseSensitive"`
	IncludeChinese       wire.Bool          `json:"includeChinese"`
	Tokenizer            string             `json:"tokenizer"`
	QuickAnalysis        wire.Bool          `json:"quickAnalysis"`
	Ascii                []string           `json:"ascii"`
	LtsSubFieldsInfoList []LtsSubFieldsInfo `json:"ltsSubFieldsInfoList"`
	FieldAnalysisAlias   *string            `json:"fieldAnalysisAlias"`
}

// LtsSubFieldsInfo is the SDK's LtsSubFieldsInfo.
type LtsSubFieldsInfo struct {
	FieldType          string    `json:"fieldType"`
	FieldName          string    `json:"fieldName"`
	QuickAnalysis      wire.Bool `json:"quickAnalysis"`
	FieldAnalysisAlias *string   `json:"fieldAnalysisAlias"`
}

// IndexConfig is a validated index configuration. Its JSON is both the
// storage form and the GET answer (the SDK's ListLogStreamIndexResponse
// reads fullTextIndex, fields and logStreamId from it).
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

// Normalize validates the body and returns its configuration. Errors are
// *Error values naming the field (fields[3].fieldType...).
func (in *LtsIndexConfigInfo) Normalize() (IndexConfig, error) {
	if in.LogStreamId == "" {
		return IndexConfig{}, invalidf("logStreamId", "is required")
	}
	if in.FullTextIndex == nil {
		return IndexConfig{}, invalidf("fullTextIndex", "is required")
	}
	c := IndexConfig{LogStreamId: in.LogStreamId, SqlAnalysisEnable: in.SqlAnalysisEnable.Value,
		FastAnalysisSampleCount: DefaultFastAnalysisSampleCount, Fields: []FieldIndex{}}
	if in.FastAnalysisSampleCount.Set {
		n := in.FastAnalysisSampleCount.Value
		if n < MinFastAnalysisSampleCount || n > MaxFastAnalysisSampleCount {
			return IndexConfig{}, invalidf("fastAnalysisSampleCount", "must be between %d and %d, got %d",
				MinFastAnalysisSampleCount, MaxFastAnalysisSampleCount, n)
		}
		c.FastAnalysisSampleCount = n
	}
	ft := in.FullTextIndex
	c.FullTextIndex = FullTextIndex{Enable: ft.Enable.Value, CaseSensitive: ft.CaseSensitive.Value,
		IncludeChinese: ft.IncludeChinese.Value, Tokenizer: ft.Tokenizer, Ascii: ft.Ascii}
	if _, err := delimiters("fullTextIndex", ft.Tokenizer, ft.Ascii); err != nil {
		return IndexConfig{}, err
	}
	if len(in.Fields) > MaxFields {
		return IndexConfig{}, invalidf("fields", "must have at most %d fields, got %d", MaxFields, len(in.Fields))
	}
	seen := make(map[string]int, len(in.Fields))
	for i, f := range in.Fields {
		at := fmt.Sprintf("fields[%d]", i)
		if err := checkFieldName(at+".fieldName", f.FieldName); err != nil {
			return IndexConfig{}, err
		}
		if j, dup := seen[f.FieldName]; dup {
			return IndexConfig{}, invalidf(at+".fieldName", "%q is already indexed by fields[%d]", f.FieldName, j)
		}
		seen[f.FieldName] = i
		switch f.FieldType {
		case "string", "long", "float", "json":
		default:
			return IndexConfig{}, notInList(at+".fieldType", "string, long, float, json")
		}
		if _, err := delimiters(at, f.Tokenizer, f.Ascii); err != nil {
			return IndexConfig{}, err
		}
		alias := deref(f.FieldAnalysisAlias)
		if len(alias) > MaxAliasLen {
			return IndexConfig{}, invalidf(at+".fieldAnalysisAlias", "must be at most %d characters, got %d", MaxAliasLen, len(alias))
		}
		out := FieldIndex{FieldType: f.FieldType, FieldName: f.FieldName, CaseSensitive: f.CaseSensitive.Value,
			IncludeChinese: f.IncludeChinese.Value, Tokenizer: f.Tokenizer, QuickAnalysis: f.QuickAnalysis.Value,
			Ascii: f.Ascii, FieldAnalysisAlias: alias}
		if len(f.LtsSubFieldsInfoList) > 0 && f.FieldType != "json" {
			return IndexConfig{}, invalidf(at+".ltsSubFieldsInfoList", "is allowed only when fieldType is json")
		}
		if len(f.LtsSubFieldsInfoList) > MaxSubFields {
			return IndexConfig{}, invalidf(at+".ltsSubFieldsInfoList", "must have at most %d fields, got %d", MaxSubFields, len(f.LtsSubFieldsInfoList))
		}
		subSeen := map[string]bool{}
		for k, s := range f.LtsSubFieldsInfoList {
			sat := fmt.Sprintf("%s.ltsSubFieldsInfoList[%d]", at, k)
			if err := checkFieldName(sat+".fieldName", s.FieldName); err != nil {
				return IndexConfig{}, err
			}
			if subSeen[s.FieldName] {
				return IndexConfig{}, invalidf(sat+".fieldName", "%q is listed twice", s.FieldName)
			}
			subSeen[s.FieldName] = true
			switch s.FieldType {
			case "string", "long", "float":
			default:
				return IndexConfig{}, notInList(sat+".fieldType", "string, long, float")
			}
			salias := deref(s.FieldAnalysisAlias)
			if len(salias) > MaxAliasLen {
				return IndexConfig{}, invalidf(sat+".fieldAnalysisAlias", "must be at most %d characters, got %d", MaxAliasLen, len(salias))
			}
			out.LtsSubFieldsInfoList = append(out.LtsSubFieldsInfoList, SubFieldIndex{FieldType: s.FieldType,
				FieldName: s.FieldName, QuickAnalysis: s.QuickAnalysis.Value, FieldAnalysisAlias: salias})
		}
		c.Fields = append(c.Fields, out)
	}
	return c, nil
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
