package lts

import (
	"context"
	"sync"
	"time"

	"logtank/internal/catalog"
)

// streamCache maps every stream to its project, group and TTL, so that
// ingestion and queries do not ask the catalog on each request. The service
// reloads it after every change it makes to groups or streams.
type streamCache struct {
	db *catalog.DB
	mu sync.RWMutex
	m  map[string]catalog.StreamRef
}

func (c *streamCache) reload(ctx context.Context) error {
	refs, err := c.db.StreamRefs(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]catalog.StreamRef, len(refs))
	for _, r := range refs {
		m[r.ID] = r
	}
	c.mu.Lock()
	c.m = m
	c.mu.Unlock()
	return nil
}

func (c *streamCache) get(id string) (catalog.StreamRef, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.m[id]
	return r, ok
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
