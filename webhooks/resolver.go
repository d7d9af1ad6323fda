package webhooks

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// routeKey is what a change offers to identify its owner; empty means absent.
type routeKey struct {
	PhoneNumberID string
	WABAID        string
	Digits        string
}

// target is a resolved owner: the tenant plus the WABA and number ids known
// for the change.
type target struct {
	Tenant  uuid.UUID
	WABAID  string
	PhoneID string
}

type phoneRef struct {
	Tenant  uuid.UUID
	WABAID  string
	PhoneID string
}

// lookup holds the answers for one batch of keys.
type lookup struct {
	phones map[string]phoneRef
	wabas  map[string]uuid.UUID
	digits map[string][]phoneRef
}

// resolve applies the routing rules: a known phone_number_id wins (its WABA
// is authoritative); then the WABA (entry.id, or waba_info.waba_id in partner
// events), where display digits name the number within that WABA; then, for
// changes that name their number only by digits, a number anywhere as long as
// exactly one tenant has it.
func (l *lookup) resolve(k routeKey) (target, bool) {
	if k.PhoneNumberID != "" {
		if p, ok := l.phones[k.PhoneNumberID]; ok {
			return target(p), true
		}
	}
	if k.WABAID != "" {
		if tenant, ok := l.wabas[k.WABAID]; ok {
			t := target{Tenant: tenant, WABAID: k.WABAID, PhoneID: k.PhoneNumberID}
			if t.PhoneID == "" && k.Digits != "" {
				for _, p := range l.digits[k.Digits] {
					if p.WABAID == k.WABAID {
						t.PhoneID = p.PhoneID
						break
					}
				}
			}
			return t, true
		}
	}
	if k.Digits != "" {
		if refs := l.digits[k.Digits]; len(refs) == 1 {
			return target(refs[0]), true
		}
	}
	return target{}, false
}

// maxCached bounds each cache map; past it the map starts over rather than
// growing with every id ever seen.
const maxCached = 100_000

type cached[T any] struct {
	val     T
	found   bool
	expires time.Time
}

// resolver looks tenants up by Meta ids with a short-lived in-memory cache,
// since routing runs for every change and the answer rarely changes.
type resolver struct {
	db              *pg.DB
	hitTTL, missTTL time.Duration

	mu     sync.Mutex
	phones map[string]cached[phoneRef]
	wabas  map[string]cached[uuid.UUID]
	digits map[string]cached[[]phoneRef]
}

func newResolver(db *pg.DB, hitTTL, missTTL time.Duration) *resolver {
	return &resolver{
		db: db, hitTTL: hitTTL, missTTL: missTTL,
		phones: map[string]cached[phoneRef]{},
		wabas:  map[string]cached[uuid.UUID]{},
		digits: map[string]cached[[]phoneRef]{},
	}
}

// lookup answers every id the keys mention, from the cache unless fresh.
func (r *resolver) lookup(ctx context.Context, keys []routeKey, fresh bool) (*lookup, error) {
	l := &lookup{phones: map[string]phoneRef{}, wabas: map[string]uuid.UUID{}, digits: map[string][]phoneRef{}}
	needPhones, needWABAs, needDigits := map[string]bool{}, map[string]bool{}, map[string]bool{}
	now := time.Now()
	r.mu.Lock()
	for _, k := range keys {
		fromCache(r.phones, k.PhoneNumberID, now, fresh, l.phones, needPhones)
		fromCache(r.wabas, k.WABAID, now, fresh, l.wabas, needWABAs)
		fromCache(r.digits, k.Digits, now, fresh, l.digits, needDigits)
	}
	r.mu.Unlock()
	if len(needPhones)+len(needWABAs)+len(needDigits) == 0 {
		return l, nil
	}
	phones, wabas, digits := setKeys(needPhones), setKeys(needWABAs), setKeys(needDigits)
	if err := r.query(ctx, l, phones, wabas, digits); err != nil {
		return nil, err
	}
	r.remember(l, phones, wabas, digits, now)
	return l, nil
}

// fromCache copies a live cache entry for key into out, or adds key to need.
func fromCache[T any](cache map[string]cached[T], key string, now time.Time, fresh bool, out map[string]T, need map[string]bool) {
	if key == "" || need[key] {
		return
	}
	if _, done := out[key]; done {
		return
	}
	if c, ok := cache[key]; ok && !fresh && now.Before(c.expires) {
		if c.found {
			out[key] = c.val
		}
		return
	}
	need[key] = true
}

func setKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	return keys
}

// The lookups below are the one place that reads tenant-owned tables without
// a tenant filter: finding the tenant is their purpose. They run as the
// owning role.
const (
	lookupPhonesSQL = `
SELECT p.phone_number_id, p.tenant_id, w.waba_id
FROM phone_numbers p JOIN wabas w ON w.tenant_id = p.tenant_id AND w.id = p.waba_ref
WHERE p.phone_number_id = ANY($1)`
	lookupWABAsSQL  = `SELECT waba_id, tenant_id FROM wabas WHERE waba_id = ANY($1)`
	lookupDigitsSQL = `
SELECT p.display_digits, p.tenant_id, w.waba_id, p.phone_number_id
FROM phone_numbers p JOIN wabas w ON w.tenant_id = p.tenant_id AND w.id = p.waba_ref
WHERE p.display_digits = ANY($1)
ORDER BY p.phone_number_id`
)

func (r *resolver) query(ctx context.Context, l *lookup, phones, wabas, digits []string) error {
	b := &pgx.Batch{}
	if len(phones) > 0 {
		b.Queue(lookupPhonesSQL, phones).Query(func(rows pgx.Rows) error {
			var id string
			var p phoneRef
			_, err := pgx.ForEachRow(rows, []any{&id, &p.Tenant, &p.WABAID}, func() error {
				p.PhoneID = id
				l.phones[id] = p
				return nil
			})
			return err
		})
	}
	if len(wabas) > 0 {
		b.Queue(lookupWABAsSQL, wabas).Query(func(rows pgx.Rows) error {
			var id string
			var tenant uuid.UUID
			_, err := pgx.ForEachRow(rows, []any{&id, &tenant}, func() error {
				l.wabas[id] = tenant
				return nil
			})
			return err
		})
	}
	if len(digits) > 0 {
		b.Queue(lookupDigitsSQL, digits).Query(func(rows pgx.Rows) error {
			var d string
			var p phoneRef
			_, err := pgx.ForEachRow(rows, []any{&d, &p.Tenant, &p.WABAID, &p.PhoneID}, func() error {
				l.digits[d] = append(l.digits[d], p)
				return nil
			})
			return err
		})
	}
	if err := r.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("webhooks: tenant lookup: %w", err)
	}
	return nil
}

func (r *resolver) remember(l *lookup, phones, wabas, digits []string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	store(r, &r.phones, phones, l.phones, now)
	store(r, &r.wabas, wabas, l.wabas, now)
	store(r, &r.digits, digits, l.digits, now)
}

func store[T any](r *resolver, cache *map[string]cached[T], keys []string, found map[string]T, now time.Time) {
	if len(*cache)+len(keys) > maxCached {
		*cache = map[string]cached[T]{}
	}
	for _, k := range keys {
		v, ok := found[k]
		ttl := r.hitTTL
		if !ok {
			ttl = r.missTTL
		}
		if ttl <= 0 {
			delete(*cache, k)
			continue
		}
		(*cache)[k] = cached[T]{val: v, found: ok, expires: now.Add(ttl)}
	}
}

// digitsOf keeps only the digits of a display number: Meta sends
// "15550783881" in webhooks and "+1 555-078-3881" in Graph reads.
func digitsOf(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
