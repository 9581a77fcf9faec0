package conformance

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	fg "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/functiongraph/v2/model"
)

// versionedFunction creates a Python function and publishes n versions,
// v1..vn, each answering {"version": "vN"}.
func versionedFunction(t *testing.T, c *fg.FunctionGraphClient, name string, n int) {
	t.Helper()
	createFunction(t, c, name, "Python3.9", "index.handler", pythonVersion(t, "v0"))
	for i := 1; i <= n; i++ {
		v := "v" + strconv.Itoa(i)
		updateCode(t, c, name, pythonVersion(t, v))
		publish(t, c, name, v)
	}
}

func strPtr(s string) *string { return &s }

func pythonVersion(t *testing.T, v string) []byte {
	return zipOf(t, zipFile{name: "index.py", text: "def handler(event, context):\n    return {\"version\": \"" + v + "\"}\n"})
}

// The seed's three requests, as its documentation prints them.
var seedAliasBodies = []string{
	`{ "name" : "a1", "version" : "v1" }`,
	`{ "name" : "a1", "version" : "v1", "additional_version_weights" : { "v2" : 50 } }`,
	`{ "name" : "a1", "version" : "v1", "additional_version_strategy" : { "v2" : { "combine_type" : "and", "rules" : [ { "rule_type" : "Header", "param" : "version", "op" : "=", "value" : "v1" } ] } } }`,
}

func TestFGSAliasSeedExamples(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	versionedFunction(t, c, "seed", 2)
	path := "/v2/" + testProject + "/fgs/functions/" + urnOf("seed", "latest") + "/aliases"
	sign := signer(testAK, testSK, testProject, time.Now())
	wantKeys := [][]string{
		{"alias_urn", "description", "last_modified", "name", "version"},
		{"additional_version_weights", "alias_urn", "description", "last_modified", "name", "version"},
		{"additional_version_strategy", "alias_urn", "description", "last_modified", "name", "version"},
	}
	for i, body := range seedAliasBodies {
		status, _, raw := e.raw("POST", path, []byte(body), http.Header{"Content-Type": {"application/json"}}, sign)
		if status != http.StatusOK {
			t.Fatalf("example %d: %d %s", i+1, status, raw)
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys[i]) {
			t.Fatalf("example %d: fields %v, want %v: %s", i+1, keys, wantKeys[i], raw)
		}
		if got["name"] != "a1" || got["version"] != "v1" || got["description"] != "" || got["alias_urn"] != urnOf("seed", "!a1") {
			t.Fatalf("example %d: %s", i+1, raw)
		}
		if _, err := time.Parse("2006-01-02 15:04:05", got["last_modified"].(string)); err != nil {
			t.Fatalf("example %d: last_modified %v: %v", i+1, got["last_modified"], err)
		}
		switch i {
		case 1:
			if w := got["additional_version_weights"].(map[string]any); len(w) != 1 || w["v2"] != 50.0 {
				t.Fatalf("weights: %s", raw)
			}
		case 2:
			// rule_type is echoed as sent, "Header".
			if !strings.Contains(string(raw), `"additional_version_strategy":{"v2":{"rules":[{"rule_type":"Header","param":"version","op":"=","value":"v1"}],"combine_type":"and"}}`) {
				t.Fatalf("strategy: %s", raw)
			}
		}
		// The SDK reads the same answer.
		shown, err := c.ShowVersionAlias(&model.ShowVersionAliasRequest{FunctionUrn: urnOf("seed", ""), AliasName: "a1"})
		if err != nil || *shown.Name != "a1" || *shown.Version != "v1" || shown.LastModified == nil || time.Time(*shown.LastModified).IsZero() {
			t.Fatalf("example %d: show: %+v %v", i+1, shown, err)
		}
		if _, err := c.DeleteVersionAlias(&model.DeleteVersionAliasRequest{FunctionUrn: urnOf("seed", ""), AliasName: "a1"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFGSAliasSDKLifecycle(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	versionedFunction(t, c, "life", 3)
	urn := urnOf("life", "")

	// Create with the SDK, each way the seed shows.
	desc := "stable"
	weights := map[string]int32{"v2": 30}
	created, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urn, Body: &model.CreateVersionAliasRequestBody{
		Name: "prod", Version: "v1", Description: &desc, AdditionalVersionWeights: weights,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *created.Name != "prod" || *created.Version != "v1" || *created.Description != "stable" || *created.AliasUrn != urnOf("life", "!prod") ||
		created.AdditionalVersionWeights["v2"] != 30 || created.AdditionalVersionStrategy != nil {
		t.Fatalf("created %+v", created)
	}
	header, cookie := model.GetVersionStrategyRulesRuleTypeEnum().HEADER, model.GetVersionStrategyRulesRuleTypeEnum().COOKIE
	eq, in := model.GetVersionStrategyRulesOpEnum().EQUAL, model.GetVersionStrategyRulesOpEnum().IN
	or := model.GetVersionStrategyCombineTypeEnum().OR
	p1, v1, p2, v2 := "x-canary", "yes", "group", "beta, internal"
	rules := []model.VersionStrategyRules{{RuleType: &header, Param: &p1, Op: &eq, Value: &v1}, {RuleType: &cookie, Param: &p2, Op: &in, Value: &v2}}
	if _, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urn, Body: &model.CreateVersionAliasRequestBody{
		Name: "beta", Version: "v2", AdditionalVersionStrategy: map[string]model.VersionStrategy{"v3": {Rules: &rules, CombineType: &or}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urn, Body: &model.CreateVersionAliasRequestBody{Name: "edge", Version: "latest"}}); err != nil {
		t.Fatal(err)
	}

	list, err := c.ListVersionAliases(&model.ListVersionAliasesRequest{FunctionUrn: urn})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range *list.Body {
		names = append(names, a.Name)
		if a.AliasUrn != urnOf("life", "!"+a.Name) || a.LastModified == nil {
			t.Fatalf("listed %+v", a)
		}
	}
	if !slices.Equal(names, []string{"prod", "beta", "edge"}) || (*list.Body)[0].AdditionalVersionWeights["v2"] != 30 {
		t.Fatalf("list: %+v", *list.Body)
	}

	shown, err := c.ShowVersionAlias(&model.ShowVersionAliasRequest{FunctionUrn: urn, AliasName: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	st := shown.AdditionalVersionStrategy["v3"]
	if st.Rules == nil || len(*st.Rules) != 2 || (*st.Rules)[1].RuleType.Value() != "cookie" || st.CombineType.Value() != "or" {
		t.Fatalf("show: %+v", shown)
	}

	// Update replaces: without the maps the alias stops shifting traffic.
	updated, err := c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urn, AliasName: "prod", Body: &model.UpdateVersionAliasRequestBody{Version: "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	if *updated.Version != "v1" || updated.AdditionalVersionWeights != nil || *updated.Description != "stable" {
		t.Fatalf("updated %+v", updated)
	}
	newDesc := "moved"
	updated, err = c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urn, AliasName: "edge", Body: &model.UpdateVersionAliasRequestBody{
		Version: "v3", Description: &newDesc, AdditionalVersionWeights: map[string]int32{"v1": 100},
	}})
	if err != nil || *updated.Version != "v3" || *updated.Description != "moved" || updated.AdditionalVersionWeights["v1"] != 100 {
		t.Fatalf("updated %+v %v", updated, err)
	}

	if _, err := c.DeleteVersionAlias(&model.DeleteVersionAliasRequest{FunctionUrn: urn, AliasName: "beta"}); err != nil {
		t.Fatal(err)
	}
	if list, err = c.ListVersionAliases(&model.ListVersionAliasesRequest{FunctionUrn: urn}); err != nil || len(*list.Body) != 2 {
		t.Fatalf("after delete: %+v %v", list, err)
	}
	// The alias URN works as the function_urn of the alias APIs too.
	if _, err := c.ShowVersionAlias(&model.ShowVersionAliasRequest{FunctionUrn: urnOf("life", "!prod"), AliasName: "prod"}); err != nil {
		t.Fatal(err)
	}
}

func TestFGSAliasEmptyListIsArray(t *testing.T) {
	e := start(t, "")
	createFunction(t, e.fgs(), "bare", "Python3.9", "index.handler", nil)
	status, _, raw := e.raw("GET", "/v2/"+testProject+"/fgs/functions/"+urnOf("bare", "")+"/aliases", nil, nil, signer(testAK, testSK, testProject, time.Now()))
	if status != http.StatusOK || strings.TrimSpace(string(raw)) != "[]" {
		t.Fatalf("%d %s", status, raw)
	}
}

func TestFGSAliasErrors(t *testing.T) {
	e := start(t, "")
	c := e.fgs()
	versionedFunction(t, c, "errs", 2)
	urn := urnOf("errs", "")
	create := func(body *model.CreateVersionAliasRequestBody) error {
		_, err := c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urn, Body: body})
		return err
	}
	rule := func(ruleType, param, op string) map[string]model.VersionStrategy {
		var rt model.VersionStrategyRulesRuleType
		var o model.VersionStrategyRulesOp
		_ = rt.UnmarshalJSON([]byte(`"` + ruleType + `"`))
		_ = o.UnmarshalJSON([]byte(`"` + op + `"`))
		v := "x"
		return map[string]model.VersionStrategy{"v2": {Rules: &[]model.VersionStrategyRules{{RuleType: &rt, Param: &param, Op: &o, Value: &v}}}}
	}
	for _, name := range []string{"", "1a", "a-", "a b", "ä", strings.Repeat("a", 65)} {
		t.Run("FSS.1014 "+name, func(t *testing.T) {
			wantErr(t, create(&model.CreateVersionAliasRequestBody{Name: name, Version: "v1"}), 400, "FSS.1014")
		})
	}
	if err := create(&model.CreateVersionAliasRequestBody{Name: strings.Repeat("a", 64), Version: "v1"}); err != nil {
		t.Fatalf("a 64-character name: %v", err)
	}
	if _, err := c.DeleteVersionAlias(&model.DeleteVersionAliasRequest{FunctionUrn: urn, AliasName: strings.Repeat("a", 64)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		body   *model.CreateVersionAliasRequestBody
		status int
		code   string
	}{
		{"no version", &model.CreateVersionAliasRequestBody{Name: "a"}, 400, "FSS.1015"},
		{"bad version", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v 1"}, 400, "FSS.1015"},
		{"missing version", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v9"}, 404, "FSS.1052"},
		{"missing additional", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionWeights: map[string]int32{"v9": 10}}, 400, "FSS.1091"},
		{"latest additional", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionWeights: map[string]int32{"latest": 10}}, 400, "FSS.1091"},
		{"two additional", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 10, "latest": 5}}, 400, "FSS.1091"},
		{"weight over 100", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 101}}, 400, "FSS.1092"},
		{"negative weight", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": -1}}, 400, "FSS.1092"},
		{"additional is main", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v2", AdditionalVersionWeights: map[string]int32{"v2": 10}}, 400, "FSS.1093"},
		{"strategy on main", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v2", AdditionalVersionStrategy: rule("header", "p", "=")}, 400, "FSS.1093"},
		{"both maps", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 10}, AdditionalVersionStrategy: rule("header", "p", "=")}, 400, "FSS.0400"},
		{"rule type", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionStrategy: rule("query", "p", "=")}, 400, "FSS.0400"},
		{"rule param", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionStrategy: rule("header", "p q", "=")}, 400, "FSS.0400"},
		{"rule op", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", AdditionalVersionStrategy: rule("header", "p", "!=")}, 400, "FSS.0400"},
		{"description", &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1", Description: strPtr(strings.Repeat("d", 513))}, 400, "FSS.1019"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, create(tc.body), tc.status, tc.code) })
	}
	// Rule types and ops match in any case.
	for i, rt := range []string{"Header", "HEADER", "Cookie"} {
		name := "case" + string(rune('a'+i))
		body := &model.CreateVersionAliasRequestBody{Name: name, Version: "v1", AdditionalVersionStrategy: rule(rt, "p", "IN")}
		if err := create(body); err != nil {
			t.Fatalf("rule_type %s: %v", rt, err)
		}
		shown, err := c.ShowVersionAlias(&model.ShowVersionAliasRequest{FunctionUrn: urn, AliasName: name})
		if err != nil || (*shown.AdditionalVersionStrategy["v2"].Rules)[0].RuleType.Value() != rt {
			t.Fatalf("rule_type %s not echoed: %+v %v", rt, shown, err)
		}
		if _, err := c.DeleteVersionAlias(&model.DeleteVersionAliasRequest{FunctionUrn: urn, AliasName: name}); err != nil {
			t.Fatal(err)
		}
	}

	// Names are unique; a version is the main version of one alias.
	if err := create(&model.CreateVersionAliasRequestBody{Name: "one", Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 0}}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, create(&model.CreateVersionAliasRequestBody{Name: "one", Version: "v2"}), 409, "FSS.1063")
	wantErr(t, create(&model.CreateVersionAliasRequestBody{Name: "two", Version: "v1"}), 409, "FSS.1066")
	_, err := c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urn, AliasName: "one", Body: &model.UpdateVersionAliasRequestBody{Version: "v1", AdditionalVersionWeights: map[string]int32{"v2": 200}}})
	wantErr(t, err, 400, "FSS.1092")

	// A version that is an alias's additional version cannot be deleted.
	_, err = c.DeleteFunction(&model.DeleteFunctionRequest{FunctionUrn: urnOf("errs", "v2")})
	wantErr(t, err, 403, "FSS.1094")

	// Missing function, missing alias.
	_, err = c.CreateVersionAlias(&model.CreateVersionAliasRequest{FunctionUrn: urnOf("nope", ""), Body: &model.CreateVersionAliasRequestBody{Name: "a", Version: "v1"}})
	wantErr(t, err, 404, "FSS.1051")
	_, err = c.ListVersionAliases(&model.ListVersionAliasesRequest{FunctionUrn: urnOf("nope", "")})
	wantErr(t, err, 404, "FSS.1051")
	_, err = c.ShowVersionAlias(&model.ShowVersionAliasRequest{FunctionUrn: urn, AliasName: "ghost"})
	wantErr(t, err, 404, "FSS.1053")
	_, err = c.UpdateVersionAlias(&model.UpdateVersionAliasRequest{FunctionUrn: urn, AliasName: "ghost", Body: &model.UpdateVersionAliasRequestBody{Version: "v1"}})
	wantErr(t, err, 404, "FSS.1053")
	_, err = c.DeleteVersionAlias(&model.DeleteVersionAliasRequest{FunctionUrn: urn, AliasName: "ghost"})
	wantErr(t, err, 404, "FSS.1053")

	// At most 10 aliases; each needs its own main version.
	if _, err := c.DeleteVersionAlias(&model.DeleteVersionAliasRequest{FunctionUrn: urn, AliasName: "one"}); err != nil {
		t.Fatal(err)
	}
	for i := 3; i <= 10; i++ {
		v := "v" + strconv.Itoa(i)
		updateCode(t, c, "errs", pythonVersion(t, v))
		publish(t, c, "errs", v)
	}
	for i, v := range []string{"latest", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"} {
		if err := create(&model.CreateVersionAliasRequestBody{Name: "q" + strconv.Itoa(i), Version: v}); err != nil {
			t.Fatalf("alias %d of 10: %v", i+1, err)
		}
	}
	wantErr(t, create(&model.CreateVersionAliasRequestBody{Name: "q10", Version: "v10"}), 403, "FSS.1043")
}
