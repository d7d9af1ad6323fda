package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// partnerChecker answers whether a tenant is assigned to a partner;
// tenants.Service implements it.
type partnerChecker interface {
	PartnerHasTenant(ctx context.Context, partnerID, tenantID uuid.UUID) (bool, error)
}

// partnerCacheLimit bounds the cache; past it, expired entries go first.
const partnerCacheLimit = 10000

// partnerCache remembers positive PartnerHasTenant answers for ttl, so a
// partner's calls do not each cost a query. Only "yes" is cached: a new
// assignment works at once, and an unassignment is dropped from this
// process's cache at once and from other processes' within ttl.
type partnerCache struct {
	check partnerChecker
	ttl   time.Duration

	mu      sync.Mutex
	expires map[[2]uuid.UUID]time.Time
}

func newPartnerCache(check partnerChecker, ttl time.Duration) *partnerCache {
	return &partnerCache{check: check, ttl: ttl, expires: map[[2]uuid.UUID]time.Time{}}
}

func (pc *partnerCache) has(ctx context.Context, partnerID, tenantID uuid.UUID) (bool, error) {
	key := [2]uuid.UUID{partnerID, tenantID}
	now := time.Now()
	pc.mu.Lock()
	exp, ok := pc.expires[key]
	pc.mu.Unlock()
	if ok && now.Before(exp) {
		return true, nil
	}
	yes, err := pc.check.PartnerHasTenant(ctx, partnerID, tenantID)
	if err != nil || !yes || pc.ttl <= 0 {
		return yes, err
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.expires) >= partnerCacheLimit {
		pc.evictLocked(now)
	}
	pc.expires[key] = now.Add(pc.ttl)
	return true, nil
}

// forget drops an assignment, after this process unassigned it.
func (pc *partnerCache) forget(partnerID, tenantID uuid.UUID) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	delete(pc.expires, [2]uuid.UUID{partnerID, tenantID})
}

func (pc *partnerCache) evictLocked(now time.Time) {
	for k, exp := range pc.expires {
		if !now.Before(exp) {
			delete(pc.expires, k)
		}
	}
	for k := range pc.expires {
		if len(pc.expires) < partnerCacheLimit {
			return
		}
		delete(pc.expires, k)
	}
}
