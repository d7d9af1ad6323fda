package auth

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// defaultCacheSize bounds the cache well above the number of clients one
// process sees within a TTL, so eviction of live entries is rare.
const defaultCacheSize = 10000

// clientCache remembers ClientChecker answers for a short time so that a
// request does not cost a database round trip per token.
type clientCache struct {
	ttl   time.Duration
	limit int

	mu      sync.Mutex
	entries map[uuid.UUID]cacheEntry
}

type cacheEntry struct {
	active  bool
	expires time.Time
}

func newClientCache(ttl time.Duration, limit int) *clientCache {
	return &clientCache{ttl: ttl, limit: limit, entries: make(map[uuid.UUID]cacheEntry)}
}

// get returns the cached answer for id, if one is still fresh at now.
func (c *clientCache) get(id uuid.UUID, now time.Time) (active, ok bool) {
	if c.ttl <= 0 {
		return false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[id]
	if !found {
		return false, false
	}
	if !now.Before(e.expires) {
		delete(c.entries, id)
		return false, false
	}
	return e.active, true
}

// put stores an answer. When the cache is full it first drops expired
// entries, then, if still full, an arbitrary one: losing a live entry costs
// one extra check, while growing without bound could exhaust memory.
func (c *clientCache) put(id uuid.UUID, active bool, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, found := c.entries[id]; !found && len(c.entries) >= c.limit {
		c.evictLocked(now)
	}
	c.entries[id] = cacheEntry{active: active, expires: now.Add(c.ttl)}
}

func (c *clientCache) evictLocked(now time.Time) {
	for id, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, id)
		}
	}
	for id := range c.entries {
		if len(c.entries) < c.limit {
			return
		}
		delete(c.entries, id)
	}
}

func (c *clientCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
