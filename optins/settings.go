package optins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

func loadSettings(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (Settings, error) {
	st := DefaultSettings()
	var kw, btn []byte
	err := tx.QueryRow(ctx, `SELECT default_keywords, keywords, buttons FROM optin_settings WHERE tenant_id = $1`,
		tenantID).Scan(&st.DefaultKeywords, &kw, &btn)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("optins: read settings: %w", err)
	}
	if err := json.Unmarshal(kw, &st.Keywords); err != nil {
		return st, fmt.Errorf("optins: decode keywords: %w", err)
	}
	if err := json.Unmarshal(btn, &st.Buttons); err != nil {
		return st, fmt.Errorf("optins: decode buttons: %w", err)
	}
	return st, nil
}

// Settings returns a tenant's keyword and button settings.
func (s *Service) Settings(ctx context.Context, tenantID uuid.UUID) (Settings, error) {
	var st Settings
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		st, err = loadSettings(ctx, tx, tenantID)
		return err
	})
	return st, pg.Translate(err, "opt-in settings")
}

// PutSettings replaces a tenant's keyword and button settings. Keywords are
// validated as they will be matched: two that normalise alike are refused.
func (s *Service) PutSettings(ctx context.Context, tenantID uuid.UUID, st Settings) (Settings, error) {
	if err := st.validate(); err != nil {
		return Settings{}, err
	}
	kw, err := json.Marshal(st.Keywords)
	if err != nil {
		return Settings{}, fmt.Errorf("optins: encode keywords: %w", err)
	}
	btn, err := json.Marshal(st.Buttons)
	if err != nil {
		return Settings{}, fmt.Errorf("optins: encode buttons: %w", err)
	}
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO optin_settings (tenant_id, default_keywords, keywords, buttons) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id) DO UPDATE SET default_keywords = excluded.default_keywords,
				keywords = excluded.keywords, buttons = excluded.buttons, updated_at = now()`,
			tenantID, st.DefaultKeywords, kw, btn)
		return err
	})
	if err != nil {
		return Settings{}, pg.Translate(err, "opt-in settings")
	}
	return st, nil
}
