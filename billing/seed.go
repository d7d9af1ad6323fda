package billing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The seed data ships inside the binary. ratecard-usd.csv is Meta's USD
// cards of 2025-07-01, 2026-07-01 and 2026-10-01 as far as public sources
// give them, in the RateColumns format; its verified column is true only for
// the rates checked against a Meta page. markets.csv places calling codes in
// rate-card markets with the day each placement took effect. docs/billing.md
// says where both come from.
//
//go:embed seed/ratecard-usd.csv seed/markets.csv
var seedFS embed.FS

// Seed loads the embedded calling-code table and rate cards. It is
// idempotent: markets are upserted, and the rates load once per distinct
// file (its digest is the load's idempotency key), so a binary shipping a
// corrected card adds a version that replaces the sets it changes.
func (s *Service) Seed(ctx context.Context) error {
	markets, err := seedMarkets()
	if err != nil {
		return err
	}
	if err := s.storeMarkets(ctx, markets); err != nil {
		return err
	}
	raw, err := seedFS.ReadFile("seed/ratecard-usd.csv")
	if err != nil {
		return fmt.Errorf("billing: seed rates: %w", err)
	}
	rates, err := ParseRatesCSV(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("billing: seed rates: %w", err)
	}
	sum := sha256.Sum256(raw)
	_, err = s.ImportRates(ctx, SystemActor("seed"), RateImport{
		IdempotencyKey: "seed:ratecard-usd:" + hex.EncodeToString(sum[:8]),
		Note:           "Meta USD rate cards 2025-07-01, 2026-07-01, 2026-10-01 (seed; unverified rows marked)",
		Rates:          rates,
	})
	if err != nil {
		return fmt.Errorf("billing: seed rates: %w", err)
	}
	return nil
}

// seedMarkets reads the embedded calling-code table. The first row of a
// code and day is the code's main country.
func seedMarkets() ([]MarketPlacement, error) {
	raw, err := seedFS.ReadFile("seed/markets.csv")
	if err != nil {
		return nil, fmt.Errorf("billing: seed markets: %w", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, fmt.Errorf("billing: seed markets: %v", err)
	}
	seen := map[[2]string]bool{}
	out := make([]MarketPlacement, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		if len(rec) != 5 {
			return nil, fmt.Errorf("billing: seed markets: want 5 columns, got %d", len(rec))
		}
		from, err := time.Parse(DateLayout, rec[4])
		if err != nil {
			return nil, fmt.Errorf("billing: seed markets: %w", err)
		}
		k := [2]string{rec[0], rec[4]}
		out = append(out, MarketPlacement{CallingCode: rec[0], Country: rec[1], ISO2: rec[2], Market: rec[3],
			EffectiveFrom: from, Primary: !seen[k]})
		seen[k] = true
	}
	return out, nil
}

func (s *Service) storeMarkets(ctx context.Context, rows []MarketPlacement) error {
	n := len(rows)
	codes, isos, countries, markets := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	froms, primary := make([]time.Time, n), make([]bool, n)
	for i, r := range rows {
		codes[i], isos[i], countries[i], markets[i], froms[i], primary[i] = r.CallingCode, r.ISO2, r.Country, r.Market, r.EffectiveFrom, r.Primary
	}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO billing_markets (calling_code, iso2, country, market, effective_from, is_primary)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::bool[])
			ON CONFLICT (calling_code, iso2, effective_from) DO UPDATE SET
			    country = excluded.country, market = excluded.market, is_primary = excluded.is_primary
			WHERE (billing_markets.country, billing_markets.market, billing_markets.is_primary)
			    IS DISTINCT FROM (excluded.country, excluded.market, excluded.is_primary)`,
			codes, isos, countries, markets, froms, primary)
		return err
	})
	if err != nil {
		return fmt.Errorf("billing: seed markets: %w", err)
	}
	s.forgetMarkets()
	return nil
}
