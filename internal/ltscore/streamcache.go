package ltscore

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"logtank/internal/catalog"
	"logtank/internal/structuring"
)

// streamCache maps every stream to its project, group and TTL, its
// compiled structuring rule and its compiled index configuration, so that
// ingestion and queries do not ask the catalog on each request. The service
// reloads it after every change it makes to groups, streams, rules or index
// configurations.
type streamCache struct {
	db  *catalog.DB
	log *slog.Logger
	// reloading serializes reloads, so that an older catalog snapshot
	// never replaces a newer one.
	reloading sync.Mutex
	mu        sync.RWMutex
	m         map[string]catalog.StreamRef
	// named finds a stream's id by project, group and stream, each of
	// the two by id or by name: shippers name them, and resolving names
	// through the catalog cost three queries a request.
	named map[namedStream]string
	// rules and index are by stream id; a stream without one is absent.
	rules map[string]*streamRule
	index map[string]*structuring.CompiledIndex
}

// streamRule is a stream's compiled rule and what ingestion counted with
// it. The counters live in memory only: they start at zero when the server
// starts and when the rule changes.
type streamRule struct {
	id        string
	updatedMS int64
	parser    *structuring.Parser
	// unparsed counts lines that did not match the rule; failed counts
	// values missing or not convertible to their type (set to the default).
	unparsed, failed atomic.Int64
}

func (c *streamCache) reload(ctx context.Context) error {
	c.reloading.Lock()
	defer c.reloading.Unlock()
	refs, err := c.db.StreamRefs(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]catalog.StreamRef, len(refs))
	named := make(map[namedStream]string, 4*len(refs))
	for _, r := range refs {
		m[r.ID] = r
		named[namedStream{r.ProjectID, r.GroupName, r.Name}] = r.ID
		named[namedStream{r.ProjectID, r.GroupName, r.ID}] = r.ID
		named[namedStream{r.ProjectID, r.GroupID, r.Name}] = r.ID
	}
	// Ids win over names that happen to look like them.
	for _, r := range refs {
		named[namedStream{r.ProjectID, r.GroupID, r.ID}] = r.ID
	}
	stored, err := c.db.StructRules(ctx)
	if err != nil {
		return err
	}
	configs, err := c.db.IndexConfigs(ctx)
	if err != nil {
		return err
	}
	c.mu.RLock()
	old := c.rules
	c.mu.RUnlock()
	rules := make(map[string]*streamRule, len(stored))
	for _, sr := range stored {
		// An unchanged rule keeps its parser and its counters.
		if prev := old[sr.StreamID]; prev != nil && prev.id == sr.ID && prev.updatedMS == sr.UpdatedMS {
			rules[sr.StreamID] = prev
			continue
		}
		p, err := compileStored(sr.Rule)
		if err != nil {
			// A rule this version cannot compile must not stop the server:
			// the stream is ingested unstructured, and the log says why.
			c.logger().Error("structuring rule not applied", "stream", sr.StreamID, "rule", sr.ID, "err", err)
			continue
		}
		rules[sr.StreamID] = &streamRule{id: sr.ID, updatedMS: sr.UpdatedMS, parser: p}
	}
	index := make(map[string]*structuring.CompiledIndex, len(configs))
	for _, ic := range configs {
		var cfg structuring.IndexConfig
		if err := json.Unmarshal([]byte(ic.Config), &cfg); err != nil {
			c.logger().Error("index configuration not applied", "stream", ic.StreamID, "err", err)
			continue
		}
		compiled := cfg.Compile()
		index[ic.StreamID] = &compiled
	}
	c.mu.Lock()
	c.m, c.named, c.rules, c.index = m, named, rules, index
	c.mu.Unlock()
	return nil
}

func (c *streamCache) logger() *slog.Logger {
	if c.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.log
}

func compileStored(text string) (*structuring.Parser, error) {
	r, err := structuring.UnmarshalRule([]byte(text))
	if err != nil {
		return nil, err
	}
	return structuring.Compile(&r)
}

func (c *streamCache) get(id string) (catalog.StreamRef, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.m[id]
	return r, ok
}

type namedStream struct{ project, group, stream string }

// lookup returns the id of project's stream named (by id or name) in the
// group named (by id or name).
func (c *streamCache) lookup(project, group, stream string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.named[namedStream{project, group, stream}]
	return id, ok
}

// rule returns the stream's compiled rule, or nil.
func (c *streamCache) rule(id string) *streamRule {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rules[id]
}

// indexOf returns the stream's compiled index configuration, or nil when
// it has none (the defaults apply).
func (c *streamCache) indexOf(id string) *structuring.CompiledIndex {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.index[id]
}

func (c *streamCache) exists(id string) bool {
	_, ok := c.get(id)
	return ok
}

func (c *streamCache) ttl(id string) time.Duration {
	r, ok := c.get(id)
	if !ok {
		return 0
	}
	return time.Duration(r.TTLDays) * 24 * time.Hour
}
