package httpapi

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// Conversions from domain values to the generated wire types. Times go out
// in UTC, as the API promises.

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func optTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nextCursor(s string) *string { return optString(s) }

func toTenant(t tenants.Tenant) openapi.Tenant {
	return openapi.Tenant{
		Id:              t.ID,
		Name:            t.Name,
		Slug:            t.Slug,
		Status:          openapi.TenantStatus(t.Status),
		TimeZone:        t.TimeZone,
		Currency:        t.Currency,
		Plan:            t.Plan,
		RetentionDays:   t.RetentionDays,
		SuspendedAt:     optTime(t.SuspendedAt),
		SuspendedReason: optString(t.SuspendedReason),
		CreatedAt:       t.CreatedAt.UTC(),
		UpdatedAt:       t.UpdatedAt.UTC(),
	}
}

func toTenantList(l tenants.List[tenants.Tenant]) openapi.TenantList {
	out := openapi.TenantList{Items: make([]openapi.Tenant, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, t := range l.Items {
		out.Items[i] = toTenant(t)
	}
	return out
}

func toTenantSummary(t tenants.Tenant) openapi.TenantSummary {
	return openapi.TenantSummary{Id: t.ID, Name: t.Name, Slug: t.Slug, Status: openapi.TenantStatus(t.Status)}
}

func toPartner(p tenants.Partner) openapi.Partner {
	return openapi.Partner{Id: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC()}
}

func toClient(c tenants.Client) openapi.ApiClient {
	return openapi.ApiClient{
		Id:         c.ID,
		ClientId:   c.ClientID,
		Name:       c.Name,
		Role:       openapi.Role(c.Role),
		TenantId:   optUUID(c.TenantID),
		PartnerId:  optUUID(c.PartnerID),
		Scopes:     c.Scopes,
		DisabledAt: optTime(c.DisabledAt),
		CreatedAt:  c.CreatedAt.UTC(),
		LastUsedAt: optTime(c.LastUsedAt),
	}
}

func toWABA(w tenants.WABA) openapi.WABA {
	return openapi.WABA{
		Id:               w.ID,
		TenantId:         w.TenantID,
		WabaId:           w.WABAID,
		BusinessId:       optString(w.BusinessID),
		Name:             w.Name,
		Currency:         w.Currency,
		TimeZone:         w.TimeZone,
		HasAccessToken:   w.HasAccessToken,
		AccessTokenKeyId: optString(w.AccessTokenKeyID),
		CreatedAt:        w.CreatedAt.UTC(),
		UpdatedAt:        w.UpdatedAt.UTC(),
	}
}

func toPhoneNumber(p tenants.PhoneNumber) openapi.PhoneNumber {
	return openapi.PhoneNumber{
		Id:                 p.ID,
		TenantId:           p.TenantID,
		WabaRef:            p.WABARef,
		PhoneNumberId:      p.PhoneNumberID,
		DisplayPhoneNumber: p.DisplayPhoneNumber,
		VerifiedName:       p.VerifiedName,
		CreatedAt:          p.CreatedAt.UTC(),
	}
}

func toAuditEntry(e tenants.AuditEntry) openapi.AuditEntry {
	return openapi.AuditEntry{
		Id:           e.ID,
		At:           e.At.UTC(),
		ActorId:      optUUID(e.ActorID),
		ActorRole:    e.ActorRole,
		TenantId:     optUUID(e.TenantID),
		Action:       e.Action,
		ResourceType: e.ResourceType,
		ResourceId:   e.ResourceID,
		Before:       jsonObject(e.Before),
		After:        jsonObject(e.After),
		RequestId:    optString(e.RequestID),
	}
}

// jsonObject decodes a stored JSON object; anything else is left out.
func jsonObject(raw json.RawMessage) *map[string]any {
	if len(raw) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil
	}
	return &m
}
