package billing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// RateImport is one load of rates.
type RateImport struct {
	// IdempotencyKey, when set, makes a retried load return the first
	// result; reusing it for different rates is a conflict.
	IdempotencyKey string
	Note           string
	Rates          []Rate
}

// RateVersion describes a stored load.
type RateVersion struct {
	ID             int64     `json:"id"`
	Note           string    `json:"note"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	RowCount       int       `json:"row_count"`
	CreatedAt      time.Time `json:"created_at"`
	// Replayed is true when the answer is the stored result of an earlier
	// load with the same idempotency key.
	Replayed bool `json:"-"`
}

// rateImportLock serialises loads, so the overlap check sees every stored
// rate.
const rateImportLock = 72_019_406

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// ImportRates validates and stores a load of rates as a new version. Sets
// (market × category × effective_from) it contains replace the stored ones
// whole. It is rejected, with errors by row, when a rate is malformed,
// negative, for a market or category no card has, when tiers are given for
// a category without volume tiers, or when effective ranges overlap, within
// the load or with stored sets.
func (s *Service) ImportRates(ctx context.Context, a Actor, in RateImport) (RateVersion, error) {
	if len(in.Rates) == 0 {
		return RateVersion{}, apperr.InvalidField("rates", "at least one rate is required")
	}
	for i := range in.Rates {
		in.Rates[i].Category = NormalizeCategory(in.Rates[i].Category)
	}
	markets, err := s.marketTable(ctx)
	if err != nil {
		return RateVersion{}, err
	}
	digest := rateDigest(in)
	var v RateVersion
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, rateImportLock); err != nil {
			return err
		}
		if in.IdempotencyKey != "" {
			prev, found, err := versionByKey(ctx, tx, in.IdempotencyKey, digest)
			if err != nil || found {
				v = prev
				return err
			}
		}
		stored, err := loadRates(ctx, tx, currenciesOf(in.Rates)...)
		if err != nil {
			return err
		}
		if err := validateRates(in.Rates, stored, markets); err != nil {
			return err
		}
		v, err = insertRates(ctx, tx, a, in, digest)
		return err
	})
	return v, err
}

func versionByKey(ctx context.Context, tx pgx.Tx, key string, digest []byte) (RateVersion, bool, error) {
	var v RateVersion
	var sum []byte
	err := tx.QueryRow(ctx, `
		SELECT id, note, idempotency_key, row_count, created_at, request_sha256
		FROM billing_rate_versions WHERE idempotency_key = $1`, key).
		Scan(&v.ID, &v.Note, &v.IdempotencyKey, &v.RowCount, &v.CreatedAt, &sum)
	if err == pgx.ErrNoRows {
		return RateVersion{}, false, nil
	}
	if err != nil {
		return RateVersion{}, false, fmt.Errorf("billing: rate version: %w", err)
	}
	if !bytes.Equal(sum, digest) {
		return RateVersion{}, false, apperr.New(apperr.Conflict, "idempotency key already used for a different rate card")
	}
	v.Replayed = true
	return v, true, nil
}

func insertRates(ctx context.Context, tx pgx.Tx, a Actor, in RateImport, digest []byte) (RateVersion, error) {
	v := RateVersion{Note: in.Note, IdempotencyKey: in.IdempotencyKey, RowCount: len(in.Rates)}
	err := tx.QueryRow(ctx, `
		INSERT INTO billing_rate_versions (note, idempotency_key, request_sha256, row_count, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at`,
		in.Note, nullString(in.IdempotencyKey), digest, len(in.Rates), nullUUID(a.ID)).Scan(&v.ID, &v.CreatedAt)
	if err != nil {
		return v, pg.Translate(err, "rate card")
	}
	rows := make([][]any, len(in.Rates))
	for i, r := range in.Rates {
		var to any
		if !r.EffectiveTo.IsZero() {
			to = r.EffectiveTo
		}
		rows[i] = []any{v.ID, r.Currency, r.Market, r.Category, r.EffectiveFrom, to, r.TierFrom, int64(r.Rate), r.Verified, r.Source}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"billing_rates"},
		[]string{"version_id", "currency", "market", "category", "effective_from", "effective_to", "tier_from", "rate_micros", "verified", "source"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return v, pg.Translate(err, "rate card")
	}
	return v, audit(ctx, tx, a, uuid.Nil, "billing.rates.import", "rate_card", fmt.Sprint(v.ID),
		map[string]any{"rows": len(in.Rates), "note": in.Note, "currencies": currenciesOf(in.Rates)})
}

// rateDigest fingerprints a load for its idempotency key.
func rateDigest(in RateImport) []byte {
	var buf bytes.Buffer
	buf.WriteString(in.Note + "\n")
	rates := slices.Clone(in.Rates)
	for i := range rates {
		rates[i].Line, rates[i].Version = 0, 0
	}
	_ = WriteRatesCSV(&buf, rates) // a bytes.Buffer does not fail
	sum := sha256.Sum256(buf.Bytes())
	return sum[:]
}

func currenciesOf(rates []Rate) []string {
	var out []string
	for _, r := range rates {
		if !slices.Contains(out, r.Currency) {
			out = append(out, r.Currency)
		}
	}
	slices.Sort(out)
	return out
}

// validateRates checks a load row by row and against the stored rates it
// would join.
func validateRates(rates, stored []Rate, markets *marketTable) error {
	errs := rowErrors{}
	first := map[[5]string]int{}
	for i, r := range rates {
		at := r.where(i)
		if !currencyRE.MatchString(r.Currency) {
			errs.add(at, "currency must be an ISO 4217 code such as USD")
		}
		if !markets.known(r.Market) {
			errs.add(at, "market %q is not a rate-card market", r.Market)
		}
		if !slices.Contains(RateCategories, r.Category) {
			errs.add(at, "category %q is not a rate-card category", r.Category)
		} else if _, tiered := tierGroup(r.Category); r.TierFrom > 0 && !tiered {
			errs.add(at, "%s has no volume tiers", r.Category)
		}
		if r.Rate < 0 {
			errs.add(at, "rate must not be negative")
		}
		if r.TierFrom < 0 {
			errs.add(at, "tier_from must not be negative")
		}
		if !r.EffectiveTo.IsZero() && !r.EffectiveTo.After(r.EffectiveFrom) {
			errs.add(at, "effective_to must be after effective_from")
		}
		k := [5]string{r.Currency, r.Market, r.Category, r.EffectiveFrom.Format(DateLayout), fmt.Sprint(r.TierFrom)}
		if j, dup := first[k]; dup {
			errs.add(at, "duplicates %s", rates[j].where(j))
		} else {
			first[k] = i
		}
	}
	if len(errs) == 0 {
		checkSets(rates, stored, errs)
	}
	return errs.err("rate card")
}

// checkSets checks what only whole sets show: tiers of a set share one end
// and include the list rate, and no two sets of a market and category are in
// force on the same day.
func checkSets(rates, stored []Rate, errs rowErrors) {
	index := map[setKey][]int{}
	for i, r := range rates {
		index[r.setKey()] = append(index[r.setKey()], i)
	}
	for _, idx := range index {
		hasList := false
		for _, i := range idx {
			hasList = hasList || rates[i].TierFrom == 0
			if !rates[i].EffectiveTo.Equal(rates[idx[0]].EffectiveTo) {
				errs.add(rates[i].where(i), "tiers of one set must share effective_to")
			}
		}
		if !hasList {
			errs.add(rates[idx[0]].where(idx[0]), "a set of tiers needs a tier_from 0 row")
		}
	}
	// Stored sets the load replaces drop out; the rest must not overlap.
	type span struct {
		from, to time.Time
		row      int // -1 for a stored set
	}
	spans := map[[3]string][]span{}
	seen := map[setKey]bool{}
	for i, r := range rates {
		if k := r.setKey(); !seen[k] {
			seen[k] = true
			mk := [3]string{r.Currency, r.Market, r.Category}
			spans[mk] = append(spans[mk], span{r.EffectiveFrom, r.EffectiveTo, i})
		}
	}
	for _, b := range buildBooks(stored) {
		for mc, sets := range b.sets {
			for _, st := range sets {
				k := setKey{b.currency, mc[0], mc[1], st.from}
				if !seen[k] {
					mk := [3]string{b.currency, mc[0], mc[1]}
					spans[mk] = append(spans[mk], span{st.from, st.to, -1})
				}
			}
		}
	}
	for _, list := range spans {
		slices.SortFunc(list, func(a, b span) int { return a.from.Compare(b.from) })
		for j := 1; j < len(list); j++ {
			prev, next := list[j-1], list[j]
			if prev.to.IsZero() || !prev.to.After(next.from) {
				continue
			}
			msg := fmt.Sprintf("effective range overlaps the set starting %s", next.from.Format(DateLayout))
			if prev.row >= 0 {
				errs.add(rates[prev.row].where(prev.row), "%s", msg)
			}
			if next.row >= 0 {
				errs.add(rates[next.row].where(next.row), "effective range overlaps the set starting %s, which runs to %s",
					prev.from.Format(DateLayout), prev.to.Format(DateLayout))
			}
		}
	}
}
