package lts

import (
	"fmt"
	"net/http"

	"logtank/internal/ltscore"
	"logtank/internal/structuring"
	"logtank/internal/wire"
)

// This file serves the index configuration of a stream
// (/v1.0/{project_id}/groups/{group_id}/stream/{stream_id}/index/config).
// A configuration is a structuring.IndexConfig, whose JSON names are those
// of the API; the core stores it and applies it to the searches that follow.

// Limits of an index configuration (lts.md §11.3).
const (
	maxSubFields               = 100
	maxAliasLen                = 256
	minFastAnalysisSampleCount = 100_000
	maxFastAnalysisSampleCount = 10_000_000
)

// ltsIndexConfigInfo is the body of POST, field for field the SDK's
// LtsIndexConfigInfo, read leniently; normalize turns it into the
// configuration to store.
type ltsIndexConfigInfo struct {
	FullTextIndex           *ltsFullTextIndexInfo `json:"fullTextIndex"`
	Fields                  []ltsFieldsInfo       `json:"fields"`
	SqlAnalysisEnable       wire.Bool             `json:"sqlAnalysisEnable"`
	LogStreamId             string                `json:"logStreamId"`
	FastAnalysisSampleCount wire.Int              `json:"fastAnalysisSampleCount"`
}

// ltsFullTextIndexInfo is the SDK's LtsFullTextIndexInfo.
type ltsFullTextIndexInfo struct {
	Enable         wire.Bool `json:"enable"`
	CaseSensitive  wire.Bool `json:"caseSensitive"`
	IncludeChinese wire.Bool `json:"includeChinese"`
	Tokenizer      string    `json:"tokenizer"`
	Ascii          []string  `json:"ascii"`
}

// ltsFieldsInfo is the SDK's LtsFieldsInfo.
type ltsFieldsInfo struct {
	FieldType            string             `json:"fieldType"`
	FieldName            string             `json:"fieldName"`
	CaseSensitive        wire.Bool          `json:"caseSensitive"`
	IncludeChinese       wire.Bool          `json:"includeChinese"`
	Tokenizer            string             `json:"tokenizer"`
	QuickAnalysis        wire.Bool          `json:"quickAnalysis"`
	Ascii                []string           `json:"ascii"`
	LtsSubFieldsInfoList []ltsSubFieldsInfo `json:"ltsSubFieldsInfoList"`
	FieldAnalysisAlias   *string            `json:"fieldAnalysisAlias"`
}

// ltsSubFieldsInfo is the SDK's LtsSubFieldsInfo.
type ltsSubFieldsInfo struct {
	FieldType          string    `json:"fieldType"`
	FieldName          string    `json:"fieldName"`
	QuickAnalysis      wire.Bool `json:"quickAnalysis"`
	FieldAnalysisAlias *string   `json:"fieldAnalysisAlias"`
}

// normalize validates the body and returns its configuration. Its errors
// are LTS.1901 or LTS.0009 naming the field (fields[3].fieldType...).
func (in *ltsIndexConfigInfo) normalize() (structuring.IndexConfig, error) {
	if in.LogStreamId == "" {
		return structuring.IndexConfig{}, invalid("logStreamId is required")
	}
	if in.FullTextIndex == nil {
		return structuring.IndexConfig{}, invalid("fullTextIndex is required")
	}
	c := structuring.IndexConfig{LogStreamId: in.LogStreamId, SqlAnalysisEnable: in.SqlAnalysisEnable.Value,
		FastAnalysisSampleCount: ltscore.DefaultFastAnalysisSampleCount, Fields: []structuring.FieldIndex{}}
	if in.FastAnalysisSampleCount.Set {
		n := in.FastAnalysisSampleCount.Value
		if n < minFastAnalysisSampleCount || n > maxFastAnalysisSampleCount {
			return structuring.IndexConfig{}, invalid("fastAnalysisSampleCount must be between %d and %d, got %d",
				minFastAnalysisSampleCount, maxFastAnalysisSampleCount, n)
		}
		c.FastAnalysisSampleCount = n
	}
	ft := in.FullTextIndex
	c.FullTextIndex = structuring.FullTextIndex{Enable: ft.Enable.Value, CaseSensitive: ft.CaseSensitive.Value,
		IncludeChinese: ft.IncludeChinese.Value, Tokenizer: ft.Tokenizer, Ascii: ft.Ascii}
	if _, err := structuring.DelimiterSet("fullTextIndex", ft.Tokenizer, ft.Ascii); err != nil {
		return structuring.IndexConfig{}, ltscore.StructuringError(err)
	}
	if len(in.Fields) > structuring.MaxFields {
		return structuring.IndexConfig{}, invalid("fields must have at most %d fields, got %d", structuring.MaxFields, len(in.Fields))
	}
	seen := make(map[string]int, len(in.Fields))
	for i, f := range in.Fields {
		at := fmt.Sprintf("fields[%d]", i)
		if err := structuring.CheckFieldName(at+".fieldName", f.FieldName); err != nil {
			return structuring.IndexConfig{}, ltscore.StructuringError(err)
		}
		if j, dup := seen[f.FieldName]; dup {
			return structuring.IndexConfig{}, invalid("%s.fieldName %q is already indexed by fields[%d]", at, f.FieldName, j)
		}
		seen[f.FieldName] = i
		switch f.FieldType {
		case "string", "long", "float", "json":
		default:
			return structuring.IndexConfig{}, ltscore.NotInList(at+".fieldType", "string", "long", "float", "json")
		}
		if _, err := structuring.DelimiterSet(at, f.Tokenizer, f.Ascii); err != nil {
			return structuring.IndexConfig{}, ltscore.StructuringError(err)
		}
		alias := deref(f.FieldAnalysisAlias)
		if len(alias) > maxAliasLen {
			return structuring.IndexConfig{}, invalid("%s.fieldAnalysisAlias must be at most %d characters, got %d", at, maxAliasLen, len(alias))
		}
		out := structuring.FieldIndex{FieldType: f.FieldType, FieldName: f.FieldName, CaseSensitive: f.CaseSensitive.Value,
			IncludeChinese: f.IncludeChinese.Value, Tokenizer: f.Tokenizer, QuickAnalysis: f.QuickAnalysis.Value,
			Ascii: f.Ascii, FieldAnalysisAlias: alias}
		if len(f.LtsSubFieldsInfoList) > 0 && f.FieldType != "json" {
			return structuring.IndexConfig{}, invalid("%s.ltsSubFieldsInfoList is allowed only when fieldType is json", at)
		}
		if len(f.LtsSubFieldsInfoList) > maxSubFields {
			return structuring.IndexConfig{}, invalid("%s.ltsSubFieldsInfoList must have at most %d fields, got %d", at, maxSubFields, len(f.LtsSubFieldsInfoList))
		}
		subSeen := map[string]bool{}
		for k, s := range f.LtsSubFieldsInfoList {
			sat := fmt.Sprintf("%s.ltsSubFieldsInfoList[%d]", at, k)
			if err := structuring.CheckFieldName(sat+".fieldName", s.FieldName); err != nil {
				return structuring.IndexConfig{}, ltscore.StructuringError(err)
			}
			if subSeen[s.FieldName] {
				return structuring.IndexConfig{}, invalid("%s.fieldName %q is listed twice", sat, s.FieldName)
			}
			subSeen[s.FieldName] = true
			switch s.FieldType {
			case "string", "long", "float":
			default:
				return structuring.IndexConfig{}, ltscore.NotInList(sat+".fieldType", "string", "long", "float")
			}
			salias := deref(s.FieldAnalysisAlias)
			if len(salias) > maxAliasLen {
				return structuring.IndexConfig{}, invalid("%s.fieldAnalysisAlias must be at most %d characters, got %d", sat, maxAliasLen, len(salias))
			}
			out.LtsSubFieldsInfoList = append(out.LtsSubFieldsInfoList, structuring.SubFieldIndex{FieldType: s.FieldType,
				FieldName: s.FieldName, QuickAnalysis: s.QuickAnalysis.Value, FieldAnalysisAlias: salias})
		}
		c.Fields = append(c.Fields, out)
	}
	return c, nil
}

// indexSaved is the answer of a stored index configuration, in the
// SDK's CreateLogStreamIndexResponse shape.
type indexSaved struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	Result       string `json:"result"`
}

func (s *Service) createIndexConfig(w http.ResponseWriter, r *http.Request) error {
	var in ltsIndexConfigInfo
	if err := decode(r, &in); err != nil {
		return err
	}
	cfg, err := in.normalize()
	if err != nil {
		return err
	}
	project, groupID, streamID := r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("stream_id")
	if cfg.LogStreamId != streamID {
		return invalid("logStreamId %q is not the stream of the request path (%s)", cfg.LogStreamId, streamID)
	}
	if err := s.core.SetIndexConfig(r.Context(), project, groupID, streamID, cfg); err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, indexSaved{ErrorCode: ingestSuccessCode, ErrorMessage: "The index configuration is saved.", Result: streamID})
	return nil
}

func (s *Service) showIndexConfig(w http.ResponseWriter, r *http.Request) error {
	project, groupID, streamID := r.PathValue("project_id"), r.PathValue("group_id"), r.PathValue("stream_id")
	cfg, _, err := s.core.IndexConfig(r.Context(), project, groupID, streamID)
	if err != nil {
		return err
	}
	wire.WriteJSON(w, http.StatusOK, cfg)
	return nil
}
