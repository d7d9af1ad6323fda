package billing

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wabsp/wabsp/internal/apperr"
)

// RateColumns is the header rate cards are exported with and may be loaded
// with. Only effective_from, currency, market, category and rate are
// required; version is written on export and ignored on load.
var RateColumns = []string{"effective_from", "effective_to", "currency", "market", "category", "tier_from", "rate", "verified", "source", "version"}

var requiredRateColumns = []string{"effective_from", "currency", "market", "category", "rate"}

// maxRowErrors bounds the row errors one answer lists.
const maxRowErrors = 100

// rowErrors collects problems by row ("line 12") for an Invalid error.
type rowErrors map[string]string

func (e rowErrors) add(where, format string, args ...any) {
	if len(e) >= maxRowErrors {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if prev, ok := e[where]; ok {
		msg = prev + "; " + msg
	}
	e[where] = msg
}

func (e rowErrors) err(what string) error {
	if len(e) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("%s: %d rows have errors", what, len(e)), Fields: e}
}

// where names a rate's row: its CSV line, or its index in a JSON list.
func (r Rate) where(i int) string {
	if r.Line > 0 {
		return "line " + strconv.Itoa(r.Line)
	}
	return fmt.Sprintf("rows[%d]", i)
}

// ParseRatesCSV reads a rate card in the RateColumns format. Every row is
// checked for its own shape (dates, numbers, a negative rate); problems are
// returned together, keyed by line.
func ParseRatesCSV(r io.Reader) ([]Rate, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "rate card: no header row")
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(RateColumns, h) {
			return nil, apperr.New(apperr.Invalid, "rate card: unknown column %q", h)
		}
		col[h] = i
	}
	for _, c := range requiredRateColumns {
		if _, ok := col[c]; !ok {
			return nil, apperr.New(apperr.Invalid, "rate card: column %q is missing", c)
		}
	}
	errs := rowErrors{}
	var out []Rate
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs.add("line "+strconv.Itoa(line), "not valid CSV")
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rate, ok := parseRateRecord(get, "line "+strconv.Itoa(line), errs)
		if ok {
			rate.Line = line
			out = append(out, rate)
		}
	}
	if err := errs.err("rate card"); err != nil {
		return nil, err
	}
	return out, nil
}

func parseRateRecord(get func(string) string, where string, errs rowErrors) (Rate, bool) {
	r := Rate{Currency: get("currency"), Market: get("market"), Category: get("category"), Source: get("source")}
	n := len(errs)
	var err error
	if r.EffectiveFrom, err = time.Parse(DateLayout, get("effective_from")); err != nil {
		errs.add(where, "effective_from is not a date (YYYY-MM-DD)")
	}
	if s := get("effective_to"); s != "" {
		if r.EffectiveTo, err = time.Parse(DateLayout, s); err != nil {
			errs.add(where, "effective_to is not a date (YYYY-MM-DD)")
		}
	}
	if s := get("tier_from"); s != "" {
		if r.TierFrom, err = strconv.ParseInt(s, 10, 64); err != nil || r.TierFrom < 0 {
			errs.add(where, "tier_from must be a whole number of messages, 0 or more")
		}
	}
	if r.Rate, err = ParseSignedMicros(get("rate")); err != nil {
		errs.add(where, "rate is not a decimal with at most 6 decimals")
	} else if r.Rate < 0 {
		errs.add(where, "rate must not be negative")
	}
	switch v := strings.ToLower(get("verified")); v {
	case "", "false", "no", "0":
	case "true", "yes", "1":
		r.Verified = true
	default:
		errs.add(where, "verified must be true or false")
	}
	return r, len(errs) == n
}

// WriteRatesCSV writes rates in the RateColumns format, the one
// ParseRatesCSV reads.
func WriteRatesCSV(w io.Writer, rates []Rate) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RateColumns); err != nil {
		return err
	}
	for _, r := range rates {
		to := ""
		if !r.EffectiveTo.IsZero() {
			to = r.EffectiveTo.Format(DateLayout)
		}
		rec := []string{r.EffectiveFrom.Format(DateLayout), to, r.Currency, r.Market, r.Category,
			strconv.FormatInt(r.TierFrom, 10), r.Rate.String(), strconv.FormatBool(r.Verified), r.Source,
			strconv.FormatInt(r.Version, 10)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
