package auth

import (
	"fmt"
	"slices"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Scopes limit what a client may do within the tenants its role reaches.
const (
	ScopeTenantsRead   = "tenants:read"
	ScopeTenantsWrite  = "tenants:write"
	ScopeQualityRead   = "quality:read"
	ScopeQualityWrite  = "quality:write"
	ScopeBillingRead   = "billing:read"
	ScopeBillingWrite  = "billing:write"
	ScopeOptinsRead    = "optins:read"
	ScopeOptinsWrite   = "optins:write"
	ScopeInsightsRead  = "insights:read"
	ScopeInsightsWrite = "insights:write"
	ScopeWebhooksRead  = "webhooks:read"
	ScopeWebhooksWrite = "webhooks:write"
	ScopeMessagesRead  = "messages:read"
	ScopeMessagesWrite = "messages:write"
	// ScopeAdmin grants every scope and the /v1/admin operations. Only
	// admin clients may hold it.
	ScopeAdmin = "admin"
)

var allScopes = []string{
	ScopeTenantsRead, ScopeTenantsWrite,
	ScopeQualityRead, ScopeQualityWrite,
	ScopeBillingRead, ScopeBillingWrite,
	ScopeOptinsRead, ScopeOptinsWrite,
	ScopeInsightsRead, ScopeInsightsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite,
	ScopeMessagesRead, ScopeMessagesWrite,
	ScopeAdmin,
}

// AllScopes returns every scope wabsp knows, in a stable order.
func AllScopes() []string { return slices.Clone(allScopes) }

// DefaultScopes returns the scopes a new client of role r gets when none are
// asked for: everything its role may hold. An unknown role gets none.
func DefaultScopes(r Role) []string {
	switch r {
	case RoleAdmin:
		return AllScopes()
	case RolePartner, RoleTenant:
		return slices.DeleteFunc(AllScopes(), func(s string) bool { return s == ScopeAdmin })
	}
	return nil
}

// ValidateScopes checks that every scope is known and that role r may hold
// it. The error is an apperr.Invalid naming the "scope" field.
func ValidateScopes(r Role, scopes []string) error {
	if !r.Valid() {
		return apperr.InvalidField("role", fmt.Sprintf("unknown role %q", r))
	}
	for _, s := range scopes {
		if !slices.Contains(allScopes, s) {
			return apperr.InvalidField("scope", fmt.Sprintf("unknown scope %q", s))
		}
		if s == ScopeAdmin && r != RoleAdmin {
			return apperr.InvalidField("scope", fmt.Sprintf("scope %q is reserved for admin clients", s))
		}
	}
	return nil
}
