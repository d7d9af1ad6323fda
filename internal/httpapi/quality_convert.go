package httpapi

import (
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/quality"
)

// Conversions from the quality domain to the generated wire types.

func toQualityAttr(a quality.Attr) openapi.QualityAttr {
	return openapi.QualityAttr{Value: a.Value, At: optTime(a.At)}
}

func optDetail(d map[string]any) *map[string]any {
	if len(d) == 0 {
		return nil
	}
	return &d
}

func toQualityAlert(a quality.Alert) openapi.QualityAlert {
	return openapi.QualityAlert{
		Id: a.ID, TenantId: a.TenantID, Kind: a.Kind, SubjectKind: openapi.QualitySubjectKind(a.SubjectKind),
		SubjectId: a.SubjectID, SubjectLabel: a.SubjectLabel, Severity: openapi.AlertSeverity(a.Severity),
		Value: a.Value, Baseline: optString(a.Baseline), Detail: optDetail(a.Detail), OpenedAt: a.OpenedAt.UTC(),
		ResolvedAt: optTime(a.ResolvedAt), AcknowledgedAt: optTime(a.AcknowledgedAt), AcknowledgedBy: optString(a.AcknowledgedBy),
	}
}

func toQualityAlerts(list []quality.Alert) []openapi.QualityAlert {
	out := make([]openapi.QualityAlert, len(list))
	for i, a := range list {
		out[i] = toQualityAlert(a)
	}
	return out
}

func toQualityAlertList(l quality.List[quality.Alert]) openapi.QualityAlertList {
	return openapi.QualityAlertList{Items: toQualityAlerts(l.Items), NextCursor: nextCursor(l.NextCursor)}
}

func toLegacyFlag(f *quality.LegacyFlag) *openapi.LegacyFlag {
	if f == nil {
		return nil
	}
	since := make([]openapi.QualityRatingAt, len(f.QualitySince))
	for i, r := range f.QualitySince {
		since[i] = openapi.QualityRatingAt{Rating: r.Rating, Label: r.Label, At: r.At.UTC()}
	}
	return &openapi.LegacyFlag{
		Since: f.Since.UTC(), Deadline: f.Deadline.UTC(), DaysLeft: f.DaysLeft, QualitySince: since,
		CurrentQuality: f.CurrentQuality, MediumOrHighSince: optTime(f.MediumOrHighSince),
		ProjectedOutcome: openapi.LegacyFlagProjectedOutcome(f.ProjectedOutcome),
		CurrentTier:      optString(f.CurrentTier), ProjectedTier: optString(f.ProjectedTier),
	}
}

func toQualityNumber(n quality.NumberView) openapi.QualityNumber {
	return openapi.QualityNumber{
		Id: n.ID, TenantId: n.TenantID, WabaId: n.WABAID, PhoneNumberId: n.PhoneNumberID, DisplayDigits: n.DisplayDigits,
		DisplayPhoneNumber: n.DisplayPhoneNumber, VerifiedName: n.VerifiedName,
		QualityRating: toQualityAttr(n.QualityRating), QualityLabel: n.QualityLabel, Status: toQualityAttr(n.Status),
		NameStatus: toQualityAttr(n.NameStatus), Throughput: toQualityAttr(n.Throughput), LegacyTier: toQualityAttr(n.LegacyTier),
		MessagingLimit: toQualityAttr(n.MessagingLimit), FlaggedSince: optTime(n.FlaggedSince),
		DiscoveredVia: openapi.QualityNumberDiscoveredVia(n.DiscoveredVia), Onboarded: n.Onboarded,
		FirstSeenAt: n.FirstSeenAt.UTC(), PolledAt: optTime(n.PolledAt), UpdatedAt: n.UpdatedAt.UTC(),
		LegacyFlag: toLegacyFlag(n.Legacy), OpenAlerts: toQualityAlerts(n.OpenAlerts),
	}
}

func toQualityTemplate(t quality.TemplateView) openapi.QualityTemplate {
	return openapi.QualityTemplate{
		TenantId: t.TenantID, TemplateId: t.TemplateID, WabaId: t.WABAID, Name: t.Name, Language: t.Language,
		Status: toQualityAttr(t.Status), StatusReason: optString(t.StatusReason), QualityScore: toQualityAttr(t.QualityScore),
		QualityLabel: t.QualityLabel, Category: toQualityAttr(t.Category), PreviousCategory: optString(t.PreviousCategory),
		PendingCategory: optString(t.PendingCategory), PendingCategoryAt: optTime(t.PendingCategoryAt), PauseCount: t.PauseCount,
		DiscoveredVia: openapi.QualityTemplateDiscoveredVia(t.DiscoveredVia), FirstSeenAt: t.FirstSeenAt.UTC(),
		PolledAt: optTime(t.PolledAt), UpdatedAt: t.UpdatedAt.UTC(), OpenAlerts: toQualityAlerts(t.OpenAlerts),
	}
}

func toQualityHistory(l quality.List[quality.HistoryEntry]) openapi.QualityHistoryList {
	out := openapi.QualityHistoryList{Items: make([]openapi.QualityHistoryEntry, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, h := range l.Items {
		out.Items[i] = openapi.QualityHistoryEntry{
			Id: h.ID, Attribute: h.Attribute, OldValue: h.OldValue, Value: h.Value, EventTime: h.EventTime.UTC(),
			ReceivedAt: h.ReceivedAt.UTC(), Source: openapi.QualityHistoryEntrySource(h.Source), EventId: h.EventID,
			Late: h.Late, Detail: optDetail(h.Detail),
		}
	}
	return out
}

func toQualityRollup(r quality.Rollup) openapi.QualityRollup {
	out := openapi.QualityRollup{TimeZone: r.TimeZone, Attribute: r.Attribute, From: apiDate(r.From), To: apiDate(r.To),
		Days: make([]openapi.QualityDay, len(r.Days))}
	for i, d := range r.Days {
		out.Days[i] = openapi.QualityDay{Date: apiDate(d.Date), Lowest: d.Lowest, LowestLabel: d.LowestLabel, Last: d.Last, Changes: d.Changes}
	}
	return out
}

// apiDate turns a YYYY-MM-DD string from the domain into a wire date.
func apiDate(s string) openapi_types.Date {
	t, _ := time.Parse(time.DateOnly, s)
	return openapi_types.Date{Time: t}
}

func toQualitySummary(s quality.Summary) openapi.QualitySummary {
	out := openapi.QualitySummary{
		WorstNumberRating: s.WorstNumberRating, NumbersByRating: s.NumbersByRating, NumbersByStatus: s.NumbersByStatus,
		FlaggedNumbers: s.FlaggedNumbers, NumbersNotOnboarded: s.NumbersNotOnboarded, WorstTemplateScore: s.WorstTemplateScore,
		TemplatesByScore: s.TemplatesByScore, TemplatesByStatus: s.TemplatesByStatus, OpenAlerts: s.OpenAlerts,
		Portfolios: make([]openapi.PortfolioLimit, len(s.Portfolios)),
	}
	for i, p := range s.Portfolios {
		out.Portfolios[i] = openapi.PortfolioLimit{WabaId: p.WABAID, Limit: p.Limit, NextLimit: optString(p.NextLimit),
			Path: optString(p.Path), QualityEligible: p.QualityEligible, Blockers: p.Blockers}
	}
	return out
}
