package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pg"
)

// Lockout policy for console logins: after MaxFailedLogins wrong passwords
// in a row the account refuses every login, right or wrong, for LockoutFor.
const (
	MaxFailedLogins = 5
	LockoutFor      = 15 * time.Minute
	// ResetLinkTTL is how long an invitation or password-reset link works.
	ResetLinkTTL = 24 * time.Hour
)

// dummyPassword is checked against when a login cannot succeed, so it
// costs the same as one that could.
var dummyPassword = sync.OnceValue(func() string {
	h, _ := hashPassword("wabsp-unknown-user")
	return h
})

// ErrBadLogin is the one answer to a failed login, whatever the reason
// (unknown email, wrong password, locked, disabled), so that the answer
// does not tell which emails have accounts.
var ErrBadLogin = apperr.New(apperr.Unauthenticated, "email or password is wrong, or the account is locked")

// User is a human console user. Its role and tenant or partner are those of
// an API client, so it acts as the same auth.Principal.
type User struct {
	ID        uuid.UUID
	Email     string
	Role      auth.Role
	TenantID  uuid.UUID // RoleTenant only
	PartnerID uuid.UUID // RolePartner only
	CreatedAt time.Time
}

// Principal is what the user acts as: the same type, and so the same
// authorization rules, as an API client with its role. Console users only
// read, except admins, whose admin scope stands for every scope.
func (u User) Principal() auth.Principal {
	scopes := []string{auth.ScopeTenantsRead, auth.ScopeQualityRead, auth.ScopeBillingRead,
		auth.ScopeOptinsRead, auth.ScopeInsightsRead, auth.ScopeWebhooksRead}
	if u.Role == auth.RoleAdmin {
		scopes = []string{auth.ScopeAdmin}
	}
	return auth.Principal{ClientID: u.ID, ClientName: u.Email, Role: u.Role,
		TenantID: u.TenantID, PartnerID: u.PartnerID, Scopes: scopes}
}

// NewUser is an invitation.
type NewUser struct {
	Email     string
	Role      auth.Role
	TenantID  uuid.UUID
	PartnerID uuid.UUID
}

// Invitation is a created user and the one-time link token it sets its
// password with.
type Invitation struct {
	User  User
	Token string
}

// InviteUser creates a console user without a password and a link to set
// one. Admins invite any role; partners invite users of their own tenants
// only; tenants invite no one.
func (s *Service) InviteUser(ctx context.Context, by auth.Principal, n NewUser) (Invitation, error) {
	n.Email = strings.ToLower(strings.TrimSpace(n.Email))
	if err := s.mayInvite(ctx, by, n); err != nil {
		return Invitation{}, err
	}
	if _, err := mail.ParseAddress(n.Email); err != nil || !strings.Contains(n.Email, "@") {
		return Invitation{}, apperr.New(apperr.Invalid, "email is not an address")
	}
	p := User{ID: newID(), Email: n.Email, Role: n.Role, TenantID: n.TenantID, PartnerID: n.PartnerID}.Principal()
	if err := p.Validate(); err != nil {
		return Invitation{}, apperr.New(apperr.Invalid, "%s", err.Error())
	}
	var inv Invitation
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO console_users (id, email, role, tenant_id, partner_id)
			VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
			p.ClientID, n.Email, string(n.Role), nullUUID(n.TenantID), nullUUID(n.PartnerID)).Scan(&inv.User.CreatedAt)
		if err != nil {
			return pg.Translate(err, "console user")
		}
		inv.User = User{ID: p.ClientID, Email: n.Email, Role: n.Role, TenantID: n.TenantID,
			PartnerID: n.PartnerID, CreatedAt: inv.User.CreatedAt}
		inv.Token, err = issueReset(ctx, tx, inv.User.ID, time.Now())
		return err
	})
	return inv, err
}

func (s *Service) mayInvite(ctx context.Context, by auth.Principal, n NewUser) error {
	switch by.Role {
	case auth.RoleAdmin:
		return nil
	case auth.RolePartner:
		if n.Role != auth.RoleTenant {
			return apperr.New(apperr.Forbidden, "a partner invites users of its tenants only")
		}
		return auth.MayActFor(ctx, by, n.TenantID, false, s.PartnerHasTenant)
	}
	return apperr.New(apperr.Forbidden, "only admins and partners invite users")
}

// Login checks an email and password and returns the user. Failures count
// towards the lockout; a success clears the count.
func (s *Service) Login(ctx context.Context, email, password string, now time.Time) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var u User
	var hash string
	var tenantID, partnerID *uuid.UUID
	var locked *time.Time
	var disabled bool
	err := s.db.QueryRow(ctx, `
		SELECT id, email, role, tenant_id, partner_id, password_hash, locked_until, disabled_at IS NOT NULL, created_at
		FROM console_users WHERE email = $1`, email).
		Scan(&u.ID, &u.Email, &u.Role, &tenantID, &partnerID, &hash, &locked, &disabled, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the time a real check would, so timing does not reveal
		// which emails exist.
		_, _ = checkPassword(dummyPassword(), password)
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, pg.Translate(err, "console user")
	}
	u.TenantID, u.PartnerID = uuidOrNil(tenantID), uuidOrNil(partnerID)
	if disabled || hash == "" || (locked != nil && now.Before(*locked)) {
		_, _ = checkPassword(dummyPassword(), password)
		return User{}, ErrBadLogin
	}
	ok, err := checkPassword(hash, password)
	if err != nil {
		return User{}, err
	}
	if !ok {
		return User{}, s.countFailure(ctx, u.ID, now)
	}
	_, err = s.db.Exec(ctx, `UPDATE console_users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, u.ID)
	return u, pg.Translate(err, "console user")
}

// countFailure records a wrong password and locks the account once the
// count reaches MaxFailedLogins.
func (s *Service) countFailure(ctx context.Context, id uuid.UUID, now time.Time) error {
	_, err := s.db.Exec(ctx, `
		UPDATE console_users SET failed_logins = failed_logins + 1,
			locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
		WHERE id = $1`, id, MaxFailedLogins, now.Add(LockoutFor))
	if err != nil {
		return pg.Translate(err, "console user")
	}
	return ErrBadLogin
}

// IssuePasswordReset returns a one-time link token for the user; only
// admins issue them.
func (s *Service) IssuePasswordReset(ctx context.Context, by auth.Principal, userID uuid.UUID) (string, error) {
	if by.Role != auth.RoleAdmin {
		return "", apperr.New(apperr.Forbidden, "only admins issue password resets")
	}
	var token string
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM console_users WHERE id = $1)`, userID).Scan(&exists); err != nil {
			return pg.Translate(err, "console user")
		}
		if !exists {
			return apperr.New(apperr.NotFound, "no such console user")
		}
		var err error
		token, err = issueReset(ctx, tx, userID, time.Now())
		return err
	})
	return token, err
}

// ResetPassword sets the password of the link's user and spends the link.
// It also clears the lockout and ends the user's sessions.
func (s *Service) ResetPassword(ctx context.Context, token, password string, now time.Time) error {
	if len(password) < MinPasswordLength {
		return apperr.New(apperr.Invalid, "the password needs at least %d characters", MinPasswordLength)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		var userID uuid.UUID
		err := tx.QueryRow(ctx, `
			UPDATE console_password_resets SET used_at = $2
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
			RETURNING user_id`, tokenHash(token), now).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "the link is unknown, used or expired")
		}
		if err != nil {
			return pg.Translate(err, "password reset")
		}
		if _, err := tx.Exec(ctx, `
			UPDATE console_users SET password_hash = $2, failed_logins = 0, locked_until = NULL
			WHERE id = $1`, userID, hash); err != nil {
			return pg.Translate(err, "console user")
		}
		_, err = tx.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, userID)
		return pg.Translate(err, "console session")
	})
}

func issueReset(ctx context.Context, tx pgx.Tx, userID uuid.UUID, now time.Time) (string, error) {
	token := randomToken()
	_, err := tx.Exec(ctx, `
		INSERT INTO console_password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		tokenHash(token), userID, now.Add(ResetLinkTTL))
	return token, pg.Translate(err, "console user")
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// UserIDByEmail returns the id of the console user with email.
func (s *Service) UserIDByEmail(ctx context.Context, email string) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.QueryRow(ctx, `SELECT id FROM console_users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&id)
	return id, pg.Translate(err, "console user")
}
