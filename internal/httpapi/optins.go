package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/optins"
)

var errNoOptins = apperr.New(apperr.Unavailable, "opt-ins are not available")

// optinsActor names the caller as a consent ledger actor.
func optinsActor(ctx context.Context) string {
	p := principal(ctx)
	return optins.ClientActor(string(p.Role), p.ClientID)
}

func optinsPage(limit *int, cursor *string) optins.Page {
	return optins.Page{Limit: deref(limit), Cursor: deref(cursor)}
}

// ListContacts implements openapi.StrictServerInterface.
func (s *Server) ListContacts(ctx context.Context, r openapi.ListContactsRequestObject) (openapi.ListContactsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	f := optins.ContactFilter{
		Status: string(deref(r.Params.Status)), Source: string(deref(r.Params.Source)),
		WaID: deref(r.Params.WaId), BSUID: deref(r.Params.Bsuid), IdentityPending: r.Params.IdentityPending,
	}
	l, err := s.optins.ListContacts(ctx, r.TenantId, f, optinsPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ContactList{Items: make([]openapi.Contact, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, c := range l.Items {
		out.Items[i] = toContact(c)
	}
	return openapi.ListContacts200JSONResponse(out), nil
}

// CreateContact implements openapi.StrictServerInterface.
func (s *Server) CreateContact(ctx context.Context, r openapi.CreateContactRequestObject) (openapi.CreateContactResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	c, err := s.optins.CreateContact(ctx, r.TenantId, optins.NewContact{
		WaID: deref(r.Body.WaId), BSUID: deref(r.Body.Bsuid), ProfileName: deref(r.Body.ProfileName),
	})
	if err != nil {
		return nil, err
	}
	return openapi.CreateContact201JSONResponse(toContact(c)), nil
}

// GetContact implements openapi.StrictServerInterface.
func (s *Server) GetContact(ctx context.Context, r openapi.GetContactRequestObject) (openapi.GetContactResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	d, err := s.optins.GetContact(ctx, r.TenantId, r.ContactId)
	if err != nil {
		return nil, err
	}
	return openapi.GetContact200JSONResponse(toContactDetail(d)), nil
}

// GetContactConsentHistory implements openapi.StrictServerInterface.
func (s *Server) GetContactConsentHistory(ctx context.Context, r openapi.GetContactConsentHistoryRequestObject) (openapi.GetContactConsentHistoryResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	d, entries, err := s.optins.ContactHistory(ctx, r.TenantId, r.ContactId)
	if err != nil {
		return nil, err
	}
	out := openapi.ConsentHistory{Contact: toContactDetail(d), Entries: make([]openapi.ConsentEntry, len(entries))}
	for i, e := range entries {
		out.Entries[i] = toConsentEntry(e)
	}
	return openapi.GetContactConsentHistory200JSONResponse(out), nil
}

// AcknowledgeContactIdentity implements openapi.StrictServerInterface.
func (s *Server) AcknowledgeContactIdentity(ctx context.Context, r openapi.AcknowledgeContactIdentityRequestObject) (openapi.AcknowledgeContactIdentityResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	c, err := s.optins.AcknowledgeIdentity(ctx, r.TenantId, r.ContactId)
	if err != nil {
		return nil, err
	}
	return openapi.AcknowledgeContactIdentity200JSONResponse(toContact(c)), nil
}

// EraseContact implements openapi.StrictServerInterface.
func (s *Server) EraseContact(ctx context.Context, r openapi.EraseContactRequestObject) (openapi.EraseContactResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	c, err := s.optins.Erase(ctx, r.TenantId, r.ContactId)
	if err != nil {
		return nil, err
	}
	return openapi.EraseContact200JSONResponse(toContact(c)), nil
}

// ledgerFilter converts the filters listConsents and exportConsents share.
func ledgerFilter(contact *uuid.UUID, purpose *openapi.ConsentPurpose, action *openapi.ConsentAction,
	source *openapi.ConsentSource, from, to *time.Time) optins.LedgerFilter {
	return optins.LedgerFilter{
		ContactID: deref(contact), Purpose: optins.Purpose(deref(purpose)), Action: optins.Action(deref(action)),
		Source: optins.Source(deref(source)), From: deref(from), To: deref(to),
	}
}

// ListConsents implements openapi.StrictServerInterface.
func (s *Server) ListConsents(ctx context.Context, r openapi.ListConsentsRequestObject) (openapi.ListConsentsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	p := r.Params
	l, err := s.optins.ListLedger(ctx, r.TenantId, ledgerFilter(p.ContactId, p.Purpose, p.Action, p.Source, p.From, p.To),
		optinsPage(p.Limit, p.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ConsentEntryList{Items: make([]openapi.ConsentEntry, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, e := range l.Items {
		out.Items[i] = toConsentEntry(e)
	}
	return openapi.ListConsents200JSONResponse(out), nil
}

// RecordConsent implements openapi.StrictServerInterface.
func (s *Server) RecordConsent(ctx context.Context, r openapi.RecordConsentRequestObject) (openapi.RecordConsentResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	b := r.Body
	in := optins.ConsentInput{
		Contact: fromContactRef(b.Contact), ProfileName: deref(b.ProfileName), Purpose: optins.Purpose(b.Purpose),
		Action: optins.Action(b.Action), Source: optins.Source(b.Source), Evidence: fromEvidence(b.Evidence),
		PhoneNumberID: deref(b.PhoneNumberId), OccurredAt: deref(b.OccurredAt),
	}
	e, err := s.optins.RecordConsent(ctx, r.TenantId, optinsActor(ctx), in, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.RecordConsent201JSONResponse(toConsentEntry(e)), nil
}

// maxExportEntries bounds one CSV export, which is built in memory.
const maxExportEntries = 200_000

var errExportTooLarge = apperr.New(apperr.Invalid, "more than %d entries match; narrow from and to", maxExportEntries)

// ExportConsents implements openapi.StrictServerInterface.
func (s *Server) ExportConsents(ctx context.Context, r openapi.ExportConsentsRequestObject) (openapi.ExportConsentsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	p := r.Params
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "contact_id", "wa_id", "bsuid", "purpose", "action", "source", "occurred_at",
		"recorded_at", "actor", "notice_text", "url", "ip", "user_agent", "message_id", "message_text", "note",
		"phone_number_id", "import_id", "erased_at"})
	n := 0
	err := s.optins.ExportLedger(ctx, r.TenantId, ledgerFilter(p.ContactId, p.Purpose, p.Action, p.Source, p.From, p.To),
		func(e optins.Entry) error {
			if n++; n > maxExportEntries {
				return errExportTooLarge
			}
			ev := e.Evidence
			return w.Write([]string{strconv.FormatInt(e.ID, 10), e.ContactID.String(), e.WaID, e.BSUID,
				string(e.Purpose), string(e.Action), string(e.Source), csvTime(&e.OccurredAt), csvTime(&e.RecordedAt),
				e.Actor, ev.NoticeText, ev.URL, ev.IP, ev.UserAgent, ev.MessageID, ev.MessageText, ev.Note,
				e.PhoneNumberID, csvUUID(e.ImportID), csvTime(e.ErasedAt)})
		})
	if err != nil {
		return nil, err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return openapi.ExportConsents200TextcsvResponse{Body: &buf, ContentLength: int64(buf.Len())}, nil
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvUUID(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

// CheckEligibility implements openapi.StrictServerInterface.
func (s *Server) CheckEligibility(ctx context.Context, r openapi.CheckEligibilityRequestObject) (openapi.CheckEligibilityResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	e, err := s.optins.CheckEligibility(ctx, r.TenantId, fromContactRef(r.Body.Contact),
		optins.EligibilityQuery{Kind: optins.Kind(r.Body.Kind), PhoneNumberID: deref(r.Body.PhoneNumberId)})
	if err != nil {
		return nil, err
	}
	return openapi.CheckEligibility200JSONResponse(toEligibility(e)), nil
}

// CheckEligibilityBulk implements openapi.StrictServerInterface.
func (s *Server) CheckEligibilityBulk(ctx context.Context, r openapi.CheckEligibilityBulkRequestObject) (openapi.CheckEligibilityBulkResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	refs := make([]optins.ContactRef, len(r.Body.Contacts))
	for i, c := range r.Body.Contacts {
		refs[i] = fromContactRef(c)
	}
	l, err := s.optins.CheckEligibilityBulk(ctx, r.TenantId, refs,
		optins.EligibilityQuery{Kind: optins.Kind(r.Body.Kind), PhoneNumberID: deref(r.Body.PhoneNumberId)})
	if err != nil {
		return nil, err
	}
	out := openapi.EligibilityList{Items: make([]openapi.Eligibility, len(l))}
	for i, e := range l {
		out.Items[i] = toEligibility(e)
	}
	return openapi.CheckEligibilityBulk200JSONResponse(out), nil
}

// GetOptinSettings implements openapi.StrictServerInterface.
func (s *Server) GetOptinSettings(ctx context.Context, r openapi.GetOptinSettingsRequestObject) (openapi.GetOptinSettingsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	st, err := s.optins.Settings(ctx, r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.GetOptinSettings200JSONResponse(toOptinSettings(st)), nil
}

// UpdateOptinSettings implements openapi.StrictServerInterface.
func (s *Server) UpdateOptinSettings(ctx context.Context, r openapi.UpdateOptinSettingsRequestObject) (openapi.UpdateOptinSettingsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	in := optins.Settings{DefaultKeywords: r.Body.DefaultKeywords}
	for _, k := range r.Body.Keywords {
		in.Keywords = append(in.Keywords, optins.Keyword{Text: k.Text, Action: optins.Action(k.Action),
			Purpose: optins.Purpose(k.Purpose), Language: deref(k.Language)})
	}
	for _, b := range r.Body.Buttons {
		in.Buttons = append(in.Buttons, optins.Button{Payload: b.Payload, Action: optins.Action(b.Action), Purpose: optins.Purpose(b.Purpose)})
	}
	st, err := s.optins.PutSettings(ctx, r.TenantId, in)
	if err != nil {
		return nil, err
	}
	return openapi.UpdateOptinSettings200JSONResponse(toOptinSettings(st)), nil
}

// ImportContacts implements openapi.StrictServerInterface.
func (s *Server) ImportContacts(ctx context.Context, r openapi.ImportContactsRequestObject) (openapi.ImportContactsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	var format string
	var body []byte
	switch {
	case r.JSONBody != nil:
		b, err := json.Marshal(r.JSONBody.Rows)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.Invalid, "the rows could not be read")
		}
		format, body = optins.FormatJSON, b
	case r.Body != nil:
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, apperr.Wrap(err, apperr.Invalid, "the file could not be read")
		}
		format, body = optins.FormatCSV, b
	default:
		return nil, errNoBody
	}
	res, err := s.optins.Import(ctx, r.TenantId, optinsActor(ctx), format, body, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.ImportContacts201JSONResponse(toContactImport(res)), nil
}

// ListContactImports implements openapi.StrictServerInterface.
func (s *Server) ListContactImports(ctx context.Context, r openapi.ListContactImportsRequestObject) (openapi.ListContactImportsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	l, err := s.optins.ListImports(ctx, r.TenantId, optinsPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ContactImportList{Items: make([]openapi.ContactImport, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, x := range l.Items {
		out.Items[i] = toContactImport(x)
	}
	return openapi.ListContactImports200JSONResponse(out), nil
}

// GetContactImport implements openapi.StrictServerInterface.
func (s *Server) GetContactImport(ctx context.Context, r openapi.GetContactImportRequestObject) (openapi.GetContactImportResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	x, err := s.optins.GetImport(ctx, r.TenantId, r.ImportId)
	if err != nil {
		return nil, err
	}
	return openapi.GetContactImport200JSONResponse(toContactImport(x)), nil
}

// ListContactImportErrors implements openapi.StrictServerInterface.
func (s *Server) ListContactImportErrors(ctx context.Context, r openapi.ListContactImportErrorsRequestObject) (openapi.ListContactImportErrorsResponseObject, error) {
	if s.optins == nil {
		return nil, errNoOptins
	}
	l, err := s.optins.ListImportErrors(ctx, r.TenantId, r.ImportId, optinsPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ImportRowErrorList{Items: make([]openapi.ImportRowError, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, e := range l.Items {
		out.Items[i] = openapi.ImportRowError{Line: e.Line, Field: e.Field, Reason: e.Reason}
	}
	return openapi.ListContactImportErrors200JSONResponse(out), nil
}
