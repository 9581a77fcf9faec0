package fgs

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"

	"logtank/internal/catalog"
)

// routing is how an alias shares traffic with its additional version: a
// weight in percent, or rules on the invocation's headers and cookies. It
// is stored as the catalog's FunctionAlias.Routing and echoed as sent.
type routing struct {
	Weights  map[string]int64           `json:"additional_version_weights,omitempty"`
	Strategy map[string]versionStrategy `json:"additional_version_strategy,omitempty"`
}

// versionStrategy sends an invocation to its version when the rules match:
// all of them with combine_type "and" (the default), any with "or".
type versionStrategy struct {
	Rules       []strategyRule `json:"rules"`
	CombineType string         `json:"combine_type,omitempty"`
}

// strategyRule compares a request header or cookie named param with value:
// equal for op "=", one of the comma-separated values for op "in".
// rule_type and op match in any case and are echoed as sent.
type strategyRule struct {
	RuleType string `json:"rule_type"`
	Param    string `json:"param"`
	Op       string `json:"op"`
	Value    string `json:"value"`
}

func decodeRouting(a catalog.FunctionAlias) (routing, error) {
	var rt routing
	if len(a.Routing) == 0 {
		return rt, nil
	}
	if err := json.Unmarshal(a.Routing, &rt); err != nil {
		return rt, internal(err)
	}
	return rt, nil
}

// route picks the version an invocation through an alias runs: the
// additional version when its rules match the request, or when pick says
// so for its weight, else the main version.
func (rt routing) route(main string, r *http.Request, pick func(weight int64) bool) string {
	for v, st := range rt.Strategy {
		if st.matches(r) {
			return v
		}
		return main
	}
	for v, w := range rt.Weights {
		if pick(w) {
			return v
		}
	}
	return main
}

// shares deals the traffic of weighted aliases. Each alias has a deck of
// 100 cards, as many of them marked as its weight, in random order; every
// invocation draws the next card and an empty deck is shuffled again. So
// the additional version gets exactly its percentage of every 100
// invocations, in an order nobody can predict, where independent draws
// would stray from it by chance (by ±3% at 2,000 invocations, one time in
// 300). Decks live in memory: each server node deals its own.
type shares struct {
	mu    sync.Mutex
	decks map[string]*deck
	// shuffle permutes n cards with swap, as rand.Shuffle does.
	shuffle func(n int, swap func(i, j int))
}

type deck struct {
	cards []bool
	next  int
}

// maxDecks bounds the decks kept: past it, all are dealt afresh.
const maxDecks = 10000

func newShares() *shares {
	return &shares{decks: map[string]*deck{}, shuffle: rand.Shuffle}
}

// draw tells whether the next invocation of the alias known by key goes to
// its additional version. The key names the alias as last modified, so a
// changed alias starts a new deck.
func (s *shares) draw(key string, weight int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.decks[key]
	if d == nil {
		if len(s.decks) >= maxDecks {
			clear(s.decks)
		}
		d = &deck{cards: make([]bool, 100)}
		for i := range min(max(weight, 0), 100) {
			d.cards[i] = true
		}
		d.next = len(d.cards)
		s.decks[key] = d
	}
	if d.next == len(d.cards) {
		s.shuffle(len(d.cards), func(i, j int) { d.cards[i], d.cards[j] = d.cards[j], d.cards[i] })
		d.next = 0
	}
	d.next++
	return d.cards[d.next-1]
}

// matches evaluates the rules against r. A strategy without rules sends
// nothing to its version.
func (st versionStrategy) matches(r *http.Request) bool {
	if len(st.Rules) == 0 {
		return false
	}
	// With "or" the first matching rule decides, with "and" the first
	// failing one.
	or := strings.EqualFold(st.CombineType, "or")
	for _, rule := range st.Rules {
		if rule.matches(r) == or {
			return or
		}
	}
	return !or
}

func (rule strategyRule) matches(r *http.Request) bool {
	var got string
	switch strings.ToLower(rule.RuleType) {
	case "header":
		vals := r.Header.Values(rule.Param)
		if len(vals) == 0 {
			return false
		}
		got = vals[0]
	case "cookie":
		c, err := r.Cookie(rule.Param)
		if err != nil {
			return false
		}
		got = c.Value
	default:
		return false
	}
	if strings.EqualFold(rule.Op, "in") {
		return slices.Contains(splitValues(rule.Value), got)
	}
	return got == rule.Value
}

func splitValues(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
