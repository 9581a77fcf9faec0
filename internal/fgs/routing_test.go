package fgs

import (
	"net/http"
	"strconv"
	"testing"
)

func request(headers map[string]string) *http.Request {
	r, _ := http.NewRequest("POST", "/", nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestStrategyRules(t *testing.T) {
	canary := strategyRule{RuleType: "Header", Param: "x-canary", Op: "=", Value: "yes"}
	group := strategyRule{RuleType: "cookie", Param: "group", Op: "IN", Value: "beta, staff"}
	cases := []struct {
		name    string
		st      versionStrategy
		headers map[string]string
		want    bool
	}{
		{"header equal", versionStrategy{Rules: []strategyRule{canary}}, map[string]string{"X-Canary": "yes"}, true},
		{"header name in any case", versionStrategy{Rules: []strategyRule{canary}}, map[string]string{"x-CANARY": "yes"}, true},
		{"header value differs", versionStrategy{Rules: []strategyRule{canary}}, map[string]string{"X-Canary": "Yes"}, false},
		{"header absent", versionStrategy{Rules: []strategyRule{canary}}, nil, false},
		{"cookie in list", versionStrategy{Rules: []strategyRule{group}}, map[string]string{"Cookie": "a=1; group=staff"}, true},
		{"cookie not in list", versionStrategy{Rules: []strategyRule{group}}, map[string]string{"Cookie": "group=ops"}, false},
		{"and needs all", versionStrategy{Rules: []strategyRule{canary, group}}, map[string]string{"X-Canary": "yes"}, false},
		{"and with all", versionStrategy{Rules: []strategyRule{canary, group}, CombineType: "AND"},
			map[string]string{"X-Canary": "yes", "Cookie": "group=beta"}, true},
		{"or needs one", versionStrategy{Rules: []strategyRule{canary, group}, CombineType: "or"}, map[string]string{"Cookie": "group=beta"}, true},
		{"or with none", versionStrategy{Rules: []strategyRule{canary, group}, CombineType: "or"}, nil, false},
		{"no rules", versionStrategy{}, map[string]string{"X-Canary": "yes"}, false},
	}
	for _, c := range cases {
		if got := c.st.matches(request(c.headers)); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

func TestRouteByWeight(t *testing.T) {
	rt := routing{Weights: map[string]int64{"v2": 30}}
	for pick, want := range map[bool]string{true: "v2", false: "v1"} {
		if got := rt.route("v1", request(nil), func(w int64) bool { return pick && w == 30 }); got != want {
			t.Errorf("pick %v: got %s, want %s", pick, got, want)
		}
	}
	if got := (routing{}).route("v1", request(nil), func(int64) bool { return true }); got != "v1" {
		t.Errorf("no routing: %s", got)
	}
	// A strategy decides alone: no weighted pick.
	st := routing{Strategy: map[string]versionStrategy{"v2": {Rules: []strategyRule{{RuleType: "header", Param: "x", Op: "=", Value: "1"}}}}}
	if got := st.route("v1", request(map[string]string{"X": "1"}), func(int64) bool { return false }); got != "v2" {
		t.Errorf("strategy: %s", got)
	}
}

func TestSharesDealExactPercentages(t *testing.T) {
	s := newShares()
	for _, w := range []int64{0, 1, 30, 99, 100} {
		key := "alias-" + strconv.FormatInt(w, 10)
		for round := range 3 {
			n := 0
			for range 100 {
				if s.draw(key, w) {
					n++
				}
			}
			if int64(n) != w {
				t.Errorf("weight %d, round %d: %d of 100", w, round, n)
			}
		}
	}
	// The order is random: two decks of the same weight differ.
	a, b := newShares(), newShares()
	same := true
	for range 100 {
		if a.draw("k", 50) != b.draw("k", 50) {
			same = false
		}
	}
	if same {
		t.Error("two shuffles of 100 cards came out the same")
	}
}
