package httpapi

import (
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/openapi"
)

// insightRange turns the API's inclusive days into the domain's half-open
// range; a missing end is left for the domain to default.
func insightRange(from, to *openapi_types.Date) insights.Range {
	var r insights.Range
	if from != nil {
		r.From = from.Time
	}
	if to != nil {
		r.To = to.Time.AddDate(0, 0, 1)
	}
	return r
}

// dayDate parses a domain day ("YYYY-MM-DD"); "" is absent.
func dayDate(s string) *openapi_types.Date {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &openapi_types.Date{Time: t}
}

// mustDate is dayDate for days that are always set.
func mustDate(s string) openapi_types.Date {
	if d := dayDate(s); d != nil {
		return *d
	}
	return openapi_types.Date{}
}

func fromAnnotation(a openapi.Annotation) insights.Annotation {
	return insights.Annotation{WAMID: a.Wamid, TemplateName: deref(a.TemplateName),
		TemplateLanguage: deref(a.TemplateLanguage), Agent: deref(a.Agent), Automated: deref(a.Automated),
		Campaign: deref(a.Campaign), Journey: deref(a.Journey), JourneyStep: deref(a.JourneyStep),
		Experiment: deref(a.Experiment), Variant: deref(a.Variant)}
}

func toResponseStats(s insights.ResponseStats) openapi.ResponseStats {
	return openapi.ResponseStats{Turns: s.Turns, Answered: s.Answered, Unanswered: s.Unanswered,
		MedianSeconds: s.Median, P90Seconds: s.P90, MeanSeconds: s.Mean}
}

func toResponseRow(r insights.ResponseRow) openapi.ResponseTimesRow {
	return openapi.ResponseTimesRow{PhoneNumberId: optString(r.PhoneNumberID), Agent: r.Agent, Automated: r.Automated,
		Period: dayDate(r.Period), FirstResponse: toResponseStats(r.FirstResponse), Response: toResponseStats(r.Response)}
}

func toResponseTimes(rt insights.ResponseTimes) openapi.ResponseTimes {
	out := openapi.ResponseTimes{TimeZone: rt.TimeZone, Clock: openapi.ResponseTimesClock(rt.Clock),
		Total: toResponseRow(rt.Total), Groups: make([]openapi.ResponseTimesRow, len(rt.Groups))}
	for i, g := range rt.Groups {
		out.Groups[i] = toResponseRow(g)
	}
	return out
}

func toFunnelRow(r insights.FunnelRow) openapi.FunnelRow {
	return openapi.FunnelRow{PhoneNumberId: optString(r.PhoneNumberID), Template: optString(r.Template),
		Campaign: optString(r.Campaign), Period: dayDate(r.Period), Messages: r.Messages, Sent: r.Sent,
		Delivered: r.Delivered, Read: r.Read, Replied: r.Replied, Failed: r.Failed,
		Rates: openapi.FunnelRates{DeliveredOfSent: r.Rates.DeliveredOfSent, ReadOfDelivered: r.Rates.ReadOfDelivered,
			RepliedOfDelivered: r.Rates.RepliedOfDelivered, FailedOfMessages: r.Rates.FailedOfMessages}}
}

func toMessageFunnel(f insights.Funnel) openapi.MessageFunnel {
	out := openapi.MessageFunnel{TimeZone: f.TimeZone, Total: toFunnelRow(f.Total),
		Groups: make([]openapi.FunnelRow, len(f.Groups)), Failures: make([]openapi.FunnelFailure, len(f.Failures)),
		Received: f.Received, ReadVsDelivered: f.ReadVsDelivered, ReceivedVsDelivered: f.ReceivedVsDelivered,
		DeliveredVsSent: f.DeliveredVsSent}
	for i, g := range f.Groups {
		out.Groups[i] = toFunnelRow(g)
	}
	for i, x := range f.Failures {
		out.Failures[i] = openapi.FunnelFailure{Code: int(x.Code), Title: x.Title, Failed: x.Failed}
	}
	return out
}

func toHourCells(cs []insights.HourCell) []openapi.HourCell {
	out := make([]openapi.HourCell, len(cs))
	for i, c := range cs {
		out[i] = openapi.HourCell{Weekday: openapi.HourCellWeekday(c.Weekday), Hour: c.Hour, Inbound: c.Inbound, Outbound: c.Outbound}
	}
	return out
}

func toBusiestHours(h insights.BusiestHours) openapi.BusiestHours {
	return openapi.BusiestHours{TimeZone: h.TimeZone, Hours: toHourCells(h.Hours), Busiest: toHourCells(h.Busiest)}
}

func toContactActivity(a insights.ContactActivity) openapi.ContactActivity {
	out := openapi.ContactActivity{TimeZone: a.TimeZone, Grain: openapi.ContactActivityGrain(a.Grain),
		Periods: make([]openapi.ContactPeriod, len(a.Periods)), GainedBySource: make([]openapi.ContactSourceCount, len(a.GainedBySource))}
	for i, p := range a.Periods {
		out.Periods[i] = openapi.ContactPeriod{Period: mustDate(p.Period), Active: p.Active, New: p.New, Returning: p.Returning}
	}
	for i, s := range a.GainedBySource {
		out.GainedBySource[i] = openapi.ContactSourceCount{Source: s.Source, Contacts: s.Contacts}
	}
	return out
}

func toBusinessHours(h insights.BusinessHours) openapi.BusinessHours {
	out := openapi.BusinessHours{Intervals: make([]openapi.BusinessInterval, len(h.Intervals))}
	for i, iv := range h.Intervals {
		out.Intervals[i] = openapi.BusinessInterval{Day: openapi.BusinessIntervalDay(iv.Day), Open: iv.Open, Close: iv.Close}
	}
	return out
}

func fromBusinessHours(h openapi.BusinessHours) insights.BusinessHours {
	out := insights.BusinessHours{Intervals: make([]insights.Interval, len(h.Intervals))}
	for i, iv := range h.Intervals {
		out.Intervals[i] = insights.Interval{Day: string(iv.Day), Open: iv.Open, Close: iv.Close}
	}
	return out
}

func toJourney(j insights.Journey) openapi.Journey {
	out := openapi.Journey{Id: j.ID, Key: j.Key, Name: j.Name, CreatedAt: j.CreatedAt.UTC(),
		Steps: make([]openapi.JourneyStep, len(j.Steps))}
	for i, st := range j.Steps {
		out.Steps[i] = openapi.JourneyStep{Key: st.Key, Match: openapi.JourneyStepMatch(st.Match), Value: st.Value}
	}
	return out
}

func toJourneyResults(r insights.JourneyResults) openapi.JourneyResults {
	out := openapi.JourneyResults{Journey: toJourney(r.Journey), TimeZone: r.TimeZone, From: mustDate(r.From),
		To: mustDate(r.To), Entered: r.Entered, Completed: r.Completed, CompletionRate: r.CompletionRate,
		LoopingContacts: r.Looping, Loops: r.Loops, Steps: make([]openapi.JourneyStepResult, len(r.Steps))}
	for i, st := range r.Steps {
		out.Steps[i] = openapi.JourneyStepResult{Step: st.Step, Key: st.Key, Reached: st.Reached, DropOff: st.DropOff,
			StoppedHere: st.StoppedHere, LoopsBack: st.LoopsBack, MedianSecondsToNext: st.MedianSecondsToNext}
	}
	return out
}

func toComparison(c *insights.Comparison) *openapi.ProportionComparison {
	if c == nil {
		return nil
	}
	return &openapi.ProportionComparison{Difference: c.Difference, CiLow: c.CILow, CiHigh: c.CIHigh, Z: c.Z,
		PValue: c.PValue, Significant: c.Significant}
}

func toExperiment(x insights.Experiment) openapi.Experiment {
	out := openapi.Experiment{Id: x.ID, Key: x.Key, Name: x.Name, JourneyId: x.JourneyID, CreatedAt: x.CreatedAt.UTC(),
		Variants: make([]openapi.ExperimentVariant, len(x.Variants))}
	for i, v := range x.Variants {
		out.Variants[i] = openapi.ExperimentVariant{Key: v.Key, Weight: v.Weight}
	}
	return out
}

func toExperimentResults(r insights.ExperimentResults) openapi.ExperimentResults {
	out := openapi.ExperimentResults{Experiment: toExperiment(r.Experiment), TimeZone: r.TimeZone, Control: r.Control,
		Variants: make([]openapi.VariantCounts, len(r.Variants)), Metrics: make([]openapi.ExperimentMetric, len(r.Metrics))}
	for i, v := range r.Variants {
		out.Variants[i] = openapi.VariantCounts{Variant: v.Variant, Weight: v.Weight, Messages: v.Messages, Sent: v.Sent,
			Delivered: v.Delivered, Read: v.Read, Replied: v.Replied, Failed: v.Failed, Blocked: v.Blocked,
			Exposed: v.Exposed, OptedOut: v.OptedOut, Completed: v.Completed}
	}
	for i, m := range r.Metrics {
		out.Metrics[i] = openapi.ExperimentMetric{Metric: openapi.ExperimentMetricMetric(m.Metric),
			Kind: openapi.ExperimentMetricKind(m.Kind), Variant: m.Variant, Successes: m.Successes, Trials: m.Trials,
			Rate: m.Rate, Comparison: toComparison(m.Comparison)}
	}
	return out
}
