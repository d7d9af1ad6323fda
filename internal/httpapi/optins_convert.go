package httpapi

import (
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/optins"
)

// Conversions between the opt-ins domain and the wire types.

func fromContactRef(r openapi.ContactRef) optins.ContactRef {
	return optins.ContactRef{ID: deref(r.Id), WaID: deref(r.WaId), BSUID: deref(r.Bsuid)}
}

func toContactRef(r optins.ContactRef) openapi.ContactRef {
	return openapi.ContactRef{Id: optUUID(r.ID), WaId: optString(r.WaID), Bsuid: optString(r.BSUID)}
}

func fromEvidence(e openapi.ConsentEvidence) optins.Evidence {
	return optins.Evidence{
		NoticeText: deref(e.NoticeText), URL: deref(e.Url), IP: deref(e.Ip), UserAgent: deref(e.UserAgent),
		MessageID: deref(e.MessageId), MessageText: deref(e.MessageText), Note: deref(e.Note),
	}
}

func toEvidence(e optins.Evidence) openapi.ConsentEvidence {
	return openapi.ConsentEvidence{
		NoticeText: optString(e.NoticeText), Url: optString(e.URL), Ip: optString(e.IP), UserAgent: optString(e.UserAgent),
		MessageId: optString(e.MessageID), MessageText: optString(e.MessageText), Note: optString(e.Note),
	}
}

func optUUIDPtr(id *uuid.UUID) *uuid.UUID {
	if id == nil || *id == uuid.Nil {
		return nil
	}
	return id
}

func toContact(c optins.Contact) openapi.Contact {
	return openapi.Contact{
		Id: c.ID, WaId: optString(c.WaID), Bsuid: optString(c.BSUID), ParentBsuid: optString(c.ParentBSUID),
		Username: optString(c.Username), ProfileName: optString(c.ProfileName), Source: c.Source, Status: c.Status,
		MovedTo: optUUIDPtr(c.MovedTo), MovedFrom: optUUIDPtr(c.MovedFrom), MovedAt: optTime(c.MovedAt),
		IdentityChangedAt: optTime(c.IdentityChangedAt), IdentityAcknowledgedAt: optTime(c.IdentityAcknowledgedAt),
		FirstInboundAt: optTime(c.FirstInboundAt), LastInboundAt: optTime(c.LastInboundAt), ErasedAt: optTime(c.ErasedAt),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}

func toStateEntry(e *optins.StateEntry) *openapi.ConsentStateEntry {
	if e == nil {
		return nil
	}
	return &openapi.ConsentStateEntry{EntryId: e.EntryID, Action: openapi.ConsentAction(e.Action),
		Source: openapi.ConsentSource(e.Source), OccurredAt: e.OccurredAt.UTC()}
}

func toContactDetail(d optins.ContactDetail) openapi.ContactDetail {
	c := toContact(d.Contact)
	out := openapi.ContactDetail{
		Id: c.Id, WaId: c.WaId, Bsuid: c.Bsuid, ParentBsuid: c.ParentBsuid, Username: c.Username,
		ProfileName: c.ProfileName, Source: c.Source, Status: c.Status, MovedTo: c.MovedTo, MovedFrom: c.MovedFrom,
		MovedAt: c.MovedAt, IdentityChangedAt: c.IdentityChangedAt, IdentityAcknowledgedAt: c.IdentityAcknowledgedAt,
		FirstInboundAt: c.FirstInboundAt, LastInboundAt: c.LastInboundAt, ErasedAt: c.ErasedAt,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Consents: make([]openapi.ConsentState, len(d.Consents)), Windows: make([]openapi.ContactWindow, len(d.Windows)),
	}
	for i, st := range d.Consents {
		out.Consents[i] = openapi.ConsentState{Purpose: openapi.ConsentPurpose(st.Purpose),
			Consent: toStateEntry(st.Consent), Meta: toStateEntry(st.Meta)}
	}
	for i, w := range d.Windows {
		out.Windows[i] = openapi.ContactWindow{PhoneNumberId: w.PhoneNumberID, LastInboundAt: w.LastInboundAt.UTC(),
			ServiceWindowEnds: w.ServiceWindowEnds.UTC(), ReferralAt: optTime(w.ReferralAt),
			FreeEntryPointEnds: optTime(w.FreeEntryPointEnds)}
	}
	return out
}

func toConsentEntry(e optins.Entry) openapi.ConsentEntry {
	return openapi.ConsentEntry{
		Id: e.ID, ContactId: e.ContactID, WaId: optString(e.WaID), Bsuid: optString(e.BSUID),
		Purpose: openapi.ConsentPurpose(e.Purpose), Action: openapi.ConsentAction(e.Action),
		Source: openapi.ConsentSource(e.Source), Evidence: toEvidence(e.Evidence),
		PhoneNumberId: optString(e.PhoneNumberID), Actor: e.Actor, OccurredAt: e.OccurredAt.UTC(),
		RecordedAt: e.RecordedAt.UTC(), ImportId: optUUIDPtr(e.ImportID), ErasedAt: optTime(e.ErasedAt),
	}
}

func toEligibility(e optins.Eligibility) openapi.Eligibility {
	out := openapi.Eligibility{
		Contact: toContactRef(e.Contact), ContactId: optUUIDPtr(e.ContactID), Allowed: e.Allowed,
		Reasons: make([]openapi.EligibilityReasons, len(e.Reasons)), Basis: toStateEntry(e.Basis),
		MovedTo: optUUIDPtr(e.MovedTo), PhoneNumberId: optString(e.PhoneNumberID),
		ServiceWindowEnds: optTime(e.ServiceWindowEnds), FreeEntryPointEnds: optTime(e.FreeEntryPointEnds),
	}
	for i, r := range e.Reasons {
		out.Reasons[i] = openapi.EligibilityReasons(r)
	}
	return out
}

func toOptinSettings(s optins.Settings) openapi.OptinSettings {
	out := openapi.OptinSettings{DefaultKeywords: s.DefaultKeywords,
		Keywords: make([]openapi.OptinKeyword, len(s.Keywords)), Buttons: make([]openapi.OptinButton, len(s.Buttons))}
	for i, k := range s.Keywords {
		out.Keywords[i] = openapi.OptinKeyword{Text: k.Text, Action: openapi.ConsentAction(k.Action),
			Purpose: openapi.ConsentPurpose(k.Purpose), Language: optString(k.Language)}
	}
	for i, b := range s.Buttons {
		out.Buttons[i] = openapi.OptinButton{Payload: b.Payload, Action: openapi.ConsentAction(b.Action),
			Purpose: openapi.ConsentPurpose(b.Purpose)}
	}
	return out
}

func toContactImport(x optins.ImportResult) openapi.ContactImport {
	out := openapi.ContactImport{
		Id: x.ID, Format: openapi.ContactImportFormat(x.Format), Actor: x.Actor, RowsTotal: x.Total,
		RowsImported: x.Imported, RowsRejected: x.Rejected, CreatedAt: x.CreatedAt.UTC(),
	}
	if len(x.Errors) > 0 {
		errs := make([]openapi.ImportRowError, len(x.Errors))
		for i, e := range x.Errors {
			errs[i] = openapi.ImportRowError{Line: e.Line, Field: e.Field, Reason: e.Reason}
		}
		out.Errors = &errs
	}
	if x.ErrorsTruncated {
		t := true
		out.ErrorsTruncated = &t
	}
	return out
}
