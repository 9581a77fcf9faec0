package ltscore

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"logtank/internal/apierr"
	"logtank/internal/logstore"
	"logtank/internal/structuring"
)

// wantCode fails unless err is the catalogue error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: got %v, want %s", what, err, code)
	}
}

// splitRule is a valid rule: two space-separated fields.
func splitRule(second string) structuring.Rule {
	return structuring.Rule{Kind: structuring.KindSplit, Delimiters: []string{" "}, Fields: []structuring.FieldSpec{
		{Index: 0, Name: "word", Type: structuring.String}, {Index: 1, Name: second, Type: structuring.Long},
	}}
}

// TestStreamConfigTargets checks that every operation on a stream's rule
// or index configuration refuses a group or stream that is not the
// project's, and that nothing is stored then.
func TestStreamConfigTargets(t *testing.T) {
	c, _ := openCore(t, Config{})
	ctx := context.Background()
	const other = "0b5e5b6c-0000-4000-8000-0000000000ff"
	targets := []struct {
		name                   string
		project, group, stream string
		code                   string
	}{
		{"missing group", project, other, stream, "LTS.0201"},
		{"missing stream", project, group, other, "LTS.0208"},
		{"another project's group", "ffffffffffffffffffffffffffffffff", group, stream, "LTS.0201"},
	}
	ops := []struct {
		name string
		run  func(project, group, stream string) error
	}{
		{"CheckStream", func(p, g, s string) error { return c.CheckStream(ctx, p, g, s) }},
		{"SetRule", func(p, g, s string) error {
			_, err := c.SetRule(ctx, p, g, s, splitRule("n"), TemplateRef{})
			return err
		}},
		{"ReplaceRule", func(p, g, s string) error {
			_, err := c.ReplaceRule(ctx, p, g, s, splitRule("n"), TemplateRef{})
			return err
		}},
		{"Rule", func(p, g, s string) error {
			_, err := c.Rule(ctx, p, g, s)
			return err
		}},
		{"SetIndexConfig", func(p, g, s string) error {
			return c.SetIndexConfig(ctx, p, g, s, defaultIndexConfig(s))
		}},
		{"IndexConfig", func(p, g, s string) error {
			_, _, err := c.IndexConfig(ctx, p, g, s)
			return err
		}},
	}
	for _, tg := range targets {
		for _, op := range ops {
			wantCode(t, tg.name+": "+op.name, op.run(tg.project, tg.group, tg.stream), tg.code)
		}
	}
	if _, err := c.Rule(ctx, project, group, stream); err == nil {
		t.Error("a rule was stored for a refused target")
	}
	if _, stored, err := c.IndexConfig(ctx, project, group, stream); err != nil || stored {
		t.Errorf("an index configuration was stored for a refused target: %v %v", stored, err)
	}
}

// TestSetRuleReplaces checks that a rule replacing another keeps its id and
// creation time, and that one replaced within the same millisecond is
// still a new version to ingestion: its parser applies and its counters
// start at zero.
func TestSetRuleReplaces(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	c, _ := openCore(t, Config{Now: func() time.Time { return now }})
	ctx := context.Background()

	id, err := c.SetRule(ctx, project, group, stream, splitRule("n"), TemplateRef{})
	if err != nil {
		t.Fatal(err)
	}
	entries := []logstore.Entry{{Content: "a 1"}, {Content: "unmatched"}}
	c.structureEntries(stream, nil, entries)
	first, err := c.Rule(ctx, project, group, stream)
	if err != nil || first.ID != id || first.CreatedMS != now.UnixMilli() || first.UpdatedMS != now.UnixMilli() {
		t.Fatalf("first rule %+v %v", first, err)
	}
	if first.Stats.Unparsed+first.Stats.Failed == 0 {
		t.Fatalf("first rule counted nothing: %+v", first.Stats)
	}

	template := TemplateRef{ID: "t1", Name: "mine", Type: "custom"}
	again, err := c.SetRule(ctx, project, group, stream, splitRule("count"), template)
	if err != nil || again != id {
		t.Fatalf("replacing rule id %q %v, want %q", again, err, id)
	}
	second, err := c.Rule(ctx, project, group, stream)
	if err != nil {
		t.Fatal(err)
	}
	if second.CreatedMS != first.CreatedMS || second.UpdatedMS != first.UpdatedMS+1 || second.Template != template {
		t.Errorf("replaced rule %+v, want created %d, updated %d, template %+v", second, first.CreatedMS, first.UpdatedMS+1, template)
	}
	if second.Stats != (RuleStats{}) {
		t.Errorf("replaced rule kept the counters of the rule it replaced: %+v", second.Stats)
	}
	entries = []logstore.Entry{{Content: "b 2"}}
	c.structureEntries(stream, nil, entries)
	if len(entries[0].Fields) != 2 || entries[0].Fields[1].Name != "count" {
		t.Errorf("ingestion still applies the replaced rule: %+v", entries[0].Fields)
	}
}

// TestRuleRefused checks the answers about a stream without a rule and
// about rules that are not valid, and that a deleted rule no longer
// applies.
func TestRuleRefused(t *testing.T) {
	c, _ := openCore(t, Config{})
	ctx := context.Background()
	cases := []struct {
		name string
		run  func() error
		code string
	}{
		{"Rule", func() error { _, err := c.Rule(ctx, project, group, stream); return err }, "LTS.0102"},
		{"ReplaceRule of the v2 API", func() error {
			_, err := c.ReplaceRule(ctx, project, group, stream, splitRule("n"), TemplateRef{})
			return err
		}, "LTS.0102"},
		{"ReplaceRule of a v3 configuration", func() error {
			_, err := c.ReplaceRule(ctx, project, group, stream, splitRule("n"), TemplateRef{Name: "nginx", Type: "built_in"})
			return err
		}, "LTS.2016"},
		{"DeleteRule of an unknown id", func() error { return c.DeleteRule(ctx, project, "no-such-rule") }, "LTS.0102"},
		{"SetRule of a regex that does not compile", func() error {
			_, err := c.SetRule(ctx, project, group, stream, structuring.Rule{Kind: structuring.KindRegex, Regex: "(a"}, TemplateRef{})
			return err
		}, "LTS.0009"},
		{"SetRule of an unknown method", func() error {
			_, err := c.SetRule(ctx, project, group, stream, structuring.Rule{Kind: "xml"}, TemplateRef{})
			return err
		}, "LTS.1901"},
		{"CreateTemplate of a regex that does not compile", func() error {
			_, err := c.CreateTemplate(ctx, project, Template{Name: "bad", Type: "regex", Rule: structuring.Rule{Kind: structuring.KindRegex, Regex: "(a"}})
			return err
		}, "LTS.0009"},
	}
	for _, tc := range cases {
		wantCode(t, tc.name, tc.run(), tc.code)
	}

	id, err := c.SetRule(ctx, project, group, stream, splitRule("n"), TemplateRef{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DeleteRule of another project", c.DeleteRule(ctx, "ffffffffffffffffffffffffffffffff", id), "LTS.0102")
	if err := c.DeleteRule(ctx, project, id); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Rule after DeleteRule", func() error { _, err := c.Rule(ctx, project, group, stream); return err }(), "LTS.0102")
	entries := []logstore.Entry{{Content: "a 1"}}
	c.structureEntries(stream, nil, entries)
	if entries[0].Fields != nil {
		t.Errorf("a deleted rule still applies: %+v", entries[0].Fields)
	}
}

// TestIndexConfig checks the default configuration of a stream, and that a
// stored one is answered and applied to searches.
func TestIndexConfig(t *testing.T) {
	c, _ := openCore(t, Config{})
	ctx := context.Background()
	cfg, stored, err := c.IndexConfig(ctx, project, group, stream)
	if err != nil || stored || !reflect.DeepEqual(cfg, defaultIndexConfig(stream)) || cfg.FastAnalysisSampleCount != DefaultFastAnalysisSampleCount {
		t.Fatalf("default configuration %+v %v %v", cfg, stored, err)
	}
	if _, ok := c.IndexSettings(stream); ok {
		t.Fatal("a stream without a configuration has index settings")
	}
	want := structuring.IndexConfig{
		FullTextIndex: structuring.FullTextIndex{Enable: true, CaseSensitive: true, Tokenizer: " "},
		Fields:        []structuring.FieldIndex{{FieldType: "long", FieldName: "n", QuickAnalysis: true}},
		LogStreamId:   stream, SqlAnalysisEnable: true, FastAnalysisSampleCount: 200_000,
	}
	if err := c.SetIndexConfig(ctx, project, group, stream, want); err != nil {
		t.Fatal(err)
	}
	got, stored, err := c.IndexConfig(ctx, project, group, stream)
	if err != nil || !stored || !reflect.DeepEqual(got, want) {
		t.Errorf("stored configuration %+v %v %v, want %+v", got, stored, err, want)
	}
	if ix, ok := c.IndexSettings(stream); !ok || !ix.CaseSensitive || ix.Delimiters != " " {
		t.Errorf("the stored configuration does not apply to searches: %+v %v", ix, ok)
	}
}

// TestCustomTemplates checks the life of a project's custom templates and
// the answer of each operation for a template the project does not have.
func TestCustomTemplates(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	c, _ := openCore(t, Config{Now: func() time.Time { return now }})
	ctx := context.Background()
	made, err := c.CreateTemplate(ctx, project, Template{Name: "words", Type: "split", Rule: splitRule("n")})
	if err != nil || made.ID == "" || made.CreatedMS != now.UnixMilli() {
		t.Fatalf("CreateTemplate %+v %v", made, err)
	}
	_, err = c.CreateTemplate(ctx, project, Template{Name: "words", Type: "split", Rule: splitRule("m")})
	wantCode(t, "CreateTemplate of a used name", err, "LTS.0009")
	if _, err := c.CreateTemplate(ctx, "ffffffffffffffffffffffffffffffff", Template{Name: "words", Type: "split", Rule: splitRule("m")}); err != nil {
		t.Errorf("another project cannot use the name: %v", err)
	}
	for _, get := range []func(context.Context, string, string) (Template, error){c.Template, c.ConfigTemplate} {
		got, err := get(ctx, project, made.ID)
		if err != nil || !reflect.DeepEqual(got, made) {
			t.Errorf("template %+v %v, want %+v", got, err, made)
		}
	}
	list, err := c.Templates(ctx, project)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], made) {
		t.Errorf("Templates %+v %v", list, err)
	}
	if err := c.DeleteTemplate(ctx, project, made.ID); err != nil {
		t.Fatal(err)
	}
	absent := []struct {
		name string
		run  func() error
		code string
	}{
		{"Template", func() error { _, err := c.Template(ctx, project, made.ID); return err }, "LTS.2017"},
		{"ConfigTemplate", func() error { _, err := c.ConfigTemplate(ctx, project, made.ID); return err }, "LTS.2014"},
		{"DeleteTemplate", func() error { return c.DeleteTemplate(ctx, project, made.ID) }, "LTS.2017"},
	}
	for _, tc := range absent {
		wantCode(t, tc.name+" of a deleted template", tc.run(), tc.code)
	}
	if list, err := c.Templates(ctx, project); err != nil || len(list) != 0 {
		t.Errorf("Templates after delete %+v %v", list, err)
	}
}
