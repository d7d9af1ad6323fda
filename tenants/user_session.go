package tenants

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// SessionTTL is how long a console session lives without a new login.
const SessionTTL = 12 * time.Hour

// Session is a server-side console session. ID is the cookie value; only its
// hash is stored.
type Session struct {
	ID        string
	CSRFToken string
	User      *User // nil for the anonymous pre-login session
	ExpiresAt time.Time
}

// StartSession creates a session for userID (uuid.Nil: anonymous). Login
// always starts a new one and ends the old, so an id planted before login
// is worth nothing after it (no session fixation).
func (s *Service) StartSession(ctx context.Context, userID uuid.UUID, now time.Time) (Session, error) {
	sess := Session{ID: randomToken(), CSRFToken: randomToken(), ExpiresAt: now.Add(SessionTTL)}
	_, err := s.db.Exec(ctx, `
		INSERT INTO console_sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`,
		tokenHash(sess.ID), nullUUID(userID), sess.CSRFToken, sess.ExpiresAt)
	if err != nil {
		return Session{}, pg.Translate(err, "console session")
	}
	if userID != uuid.Nil {
		u, err := s.consoleUser(ctx, userID)
		if err != nil {
			return Session{}, err
		}
		sess.User = &u
	}
	return sess, nil
}

// LookupSession returns the live session with cookie value id.
func (s *Service) LookupSession(ctx context.Context, id string, now time.Time) (Session, error) {
	sess := Session{ID: id}
	var userID *uuid.UUID
	err := s.db.QueryRow(ctx, `
		SELECT s.user_id, s.csrf_token, s.expires_at FROM console_sessions s
		LEFT JOIN console_users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL`,
		tokenHash(id), now).Scan(&userID, &sess.CSRFToken, &sess.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, apperr.New(apperr.Unauthenticated, "no such session")
	}
	if err != nil {
		return Session{}, pg.Translate(err, "console session")
	}
	if userID != nil {
		u, err := s.consoleUser(ctx, *userID)
		if err != nil {
			return Session{}, err
		}
		sess.User = &u
	}
	return sess, nil
}

// EndSession deletes the session with cookie value id; an unknown id is not
// an error.
func (s *Service) EndSession(ctx context.Context, id string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, tokenHash(id))
	return pg.Translate(err, "console session")
}

func (s *Service) consoleUser(ctx context.Context, id uuid.UUID) (User, error) {
	var u User
	var tenantID, partnerID *uuid.UUID
	err := s.db.QueryRow(ctx, `
		SELECT id, email, role, tenant_id, partner_id, created_at FROM console_users WHERE id = $1`, id).
		Scan(&u.ID, &u.Email, &u.Role, &tenantID, &partnerID, &u.CreatedAt)
	u.TenantID, u.PartnerID = uuidOrNil(tenantID), uuidOrNil(partnerID)
	return u, pg.Translate(err, "console user")
}
