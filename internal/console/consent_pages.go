package console

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/optins"
)

// Consent is the part of the opt-ins domain the consent pages read.
type Consent interface {
	ListLedger(ctx context.Context, tenantID uuid.UUID, f optins.LedgerFilter, p optins.Page) (optins.List[optins.Entry], error)
	FindContact(ctx context.Context, tenantID uuid.UUID, ref optins.ContactRef) (optins.ContactDetail, error)
	ContactHistory(ctx context.Context, tenantID, contactID uuid.UUID) (optins.ContactDetail, []optins.Entry, error)
	CheckEligibility(ctx context.Context, tenantID uuid.UUID, ref optins.ContactRef, q optins.EligibilityQuery) (optins.Eligibility, error)
}

// ledgerRows bounds the ledger search table; the export takes the rest.
const ledgerRows = 200

// The search forms' choices.
var (
	purposes = []optins.Purpose{optins.PurposeMarketing, optins.PurposeUtility, optins.PurposeAuthentication, optins.PurposeAll}
	actions  = []optins.Action{optins.ActionOptIn, optins.ActionOptOut}
	sources  = []optins.Source{optins.SourceAPI, optins.SourceImport, optins.SourceWebForm, optins.SourceInboundKeyword,
		optins.SourceQuickReply, optins.SourceUserPreferences}
	kinds = []optins.Kind{optins.KindFreeForm, optins.KindMarketing, optins.KindUtility, optins.KindAuthentication,
		optins.KindAuthenticationInternational}
)

// contactRef reads the contact a form names: its WhatsApp id or BSUID.
func contactRef(ctx *fiber.Ctx) optins.ContactRef {
	return optins.ContactRef{WaID: ctx.Query("wa_id"), BSUID: ctx.Query("bsuid")}
}

// ledgerFilter reads the search form. A date is a day in UTC; to is
// inclusive.
func ledgerFilter(ctx *fiber.Ctx) (optins.LedgerFilter, error) {
	f := optins.LedgerFilter{Purpose: optins.Purpose(ctx.Query("purpose")), Action: optins.Action(ctx.Query("action")),
		Source: optins.Source(ctx.Query("source"))}
	for _, d := range []struct {
		field string
		to    *time.Time
		next  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		v := ctx.Query(d.field)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return f, apperr.InvalidField(d.field, "must be a date (YYYY-MM-DD)")
		}
		*d.to = t.AddDate(0, 0, d.next)
	}
	return f, nil
}

func (c *console) consentPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	data := map[string]any{"Purposes": purposes, "Actions": actions, "Sources": sources, "Kinds": kinds, "Q": ctx.Queries()}
	entries, err := c.searchLedger(ctx, t.ID)
	switch {
	case apperr.Is(err, apperr.Invalid), apperr.Is(err, apperr.NotFound):
		data["Error"] = err.Error()
	case err != nil:
		return err
	default:
		data["Entries"] = entries
	}
	return c.renderTenant(ctx, "consent.html", "Consent", data)
}

// searchLedger runs the search form; a contact named but unknown is
// not found.
func (c *console) searchLedger(ctx *fiber.Ctx, tenantID uuid.UUID) ([]optins.Entry, error) {
	f, err := ledgerFilter(ctx)
	if err != nil {
		return nil, err
	}
	if ref := contactRef(ctx); ref.WaID != "" || ref.BSUID != "" {
		d, err := c.cfg.Consent.FindContact(ctx.UserContext(), tenantID, ref)
		if err != nil {
			return nil, err
		}
		f.ContactID = d.ID
	}
	list, err := c.cfg.Consent.ListLedger(ctx.UserContext(), tenantID, f, optins.Page{Limit: ledgerRows})
	return list.Items, err
}

func (c *console) contactPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	id, err := uuid.Parse(ctx.Params("contact_id"))
	if err != nil {
		return c.notFound(ctx)
	}
	d, entries, err := c.cfg.Consent.ContactHistory(ctx.UserContext(), t.ID, id)
	if err != nil {
		return c.notFoundOr(ctx, err)
	}
	title := d.WaID
	if title == "" {
		title = d.BSUID
	}
	return c.renderTenant(ctx, "contact.html", "Contact "+title, map[string]any{"Contact": d, "Entries": entries})
}

func (c *console) eligibilityPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	data := map[string]any{"Kinds": kinds, "Q": ctx.Queries()}
	ref := contactRef(ctx)
	if ref.WaID != "" || ref.BSUID != "" {
		e, err := c.cfg.Consent.CheckEligibility(ctx.UserContext(), t.ID, ref,
			optins.EligibilityQuery{Kind: optins.Kind(ctx.Query("kind", string(optins.KindMarketing))), PhoneNumberID: ctx.Query("phone_number_id")})
		switch {
		case apperr.Is(err, apperr.Invalid):
			data["Error"] = err.Error()
		case err != nil:
			return err
		default:
			data["Result"] = e
		}
	}
	return c.renderTenant(ctx, "eligibility.html", "Eligibility", data)
}
