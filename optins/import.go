package optins

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// MaxImportRows bounds one import.
const MaxImportRows = 2_000_000

// RowError is one problem with one import row. Line is the CSV line, or the
// row's position in a JSON array, from 1.
type RowError struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ImportResult summarises an import: the good rows are all in, the bad
// ones all out. Errors holds the first MaxReportedErrors problems of the
// rejected rows; ListImportErrors has them all.
type ImportResult struct {
	ID              uuid.UUID  `json:"id"`
	Format          string     `json:"format"`
	Actor           string     `json:"actor"`
	Total           int        `json:"rows_total"`
	Imported        int        `json:"rows_imported"`
	Rejected        int        `json:"rows_rejected"`
	CreatedAt       time.Time  `json:"created_at"`
	Errors          []RowError `json:"errors,omitempty"`
	ErrorsTruncated bool       `json:"errors_truncated,omitempty"`
}

// MaxReportedErrors bounds the row errors an import answers with.
const MaxReportedErrors = 1000

// Import loads contacts with their consent from a CSV or JSON file (see
// ImportColumns). Each row is validated on its own: malformed numbers,
// unknown purposes, missing evidence, a second row for the same contact and
// purpose are rejected with their line and reason, and every other row is
// imported, all in one transaction, so a failure leaves nothing behind.
// A file that cannot be read as a whole (bad header, broken quoting) is
// refused. Each imported row is a ledger entry; contacts new to the tenant
// arrive as "import". Imports emit no per-row events: the tenant holds the
// file. With an idempotency key, the same key and file return the first
// result.
func (s *Service) Import(ctx context.Context, tenantID uuid.UUID, actor, format string, body []byte, idempotencyKey string) (ImportResult, error) {
	if _, err := newRecordReader(format, body); err != nil {
		return ImportResult{}, err
	}
	request := append([]byte(format+"\n"), body...)
	var out ImportResult
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		out, _, err = idempotent(ctx, tx, tenantID, "import", idempotencyKey, request, func() (ImportResult, error) {
			return s.importRows(ctx, tx, tenantID, actor, format, body)
		})
		return err
	})
	if err != nil {
		return ImportResult{}, pg.Translate(err, "import")
	}
	return out, nil
}

func (s *Service) importRows(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, actor, format string, body []byte) (ImportResult, error) {
	rr, err := newRecordReader(format, body)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{ID: newID(), Format: format, Actor: actor, CreatedAt: s.now().UTC()}
	if err := tuneForBulk(ctx, tx); err != nil {
		return res, err
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE import_rows (line int, new_id uuid, wa_id text, bsuid text, name text, purpose text,
			action text, source text, occurred_at timestamptz, notice text, url text, ip text, ua text,
			msg_id text, note text, phone text) ON COMMIT DROP`); err != nil {
		return res, fmt.Errorf("optins: import: %w", err)
	}
	src := &importSource{rr: rr, now: res.CreatedAt, seen: map[uint64]int32{}, seed: maphash.MakeSeed()}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"},
		[]string{"line", "new_id", "wa_id", "bsuid", "name", "purpose", "action", "source", "occurred_at",
			"notice", "url", "ip", "ua", "msg_id", "note", "phone"}, src)
	if err != nil {
		if src.fatal != nil {
			return res, src.fatal
		}
		return res, fmt.Errorf("optins: import: copy rows: %w", err)
	}
	res.Total, res.Imported, res.Rejected, res.Errors = src.total, int(n), src.rejected, src.errors
	if err := s.loadImported(ctx, tx, tenantID, res, !src.bsuidOnly); err != nil {
		return res, err
	}
	if len(res.Errors) > MaxReportedErrors {
		res.Errors, res.ErrorsTruncated = res.Errors[:MaxReportedErrors], true
	}
	return res, nil
}

// loadImported moves the copied rows into contacts, the ledger and the
// projection with three set-based statements, and records the import.
func (s *Service) loadImported(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, res ImportResult, byWaIDOnly bool) error {
	if res.Imported > 0 {
		if _, err := tx.Exec(ctx, `ANALYZE import_rows`); err != nil {
			return fmt.Errorf("optins: import: %w", err)
		}
		// A key already taken by an active contact, or by an earlier row of
		// this file, is not inserted again: DO NOTHING also skips rows that
		// conflict with ones this statement inserted. A row naming both keys
		// whose BSUID another contact holds still creates its number's
		// contact, without the BSUID, so its entry is not lost.
		if _, err := tx.Exec(ctx, `
			INSERT INTO contacts (id, tenant_id, wa_id, bsuid, profile_name, source)
			SELECT r.new_id, $1, r.wa_id,
				CASE WHEN r.wa_id IS NULL OR r.bsuid IS NULL OR NOT EXISTS (SELECT 1 FROM contacts o
					WHERE o.tenant_id = $1 AND o.status = 'active' AND o.bsuid = r.bsuid) THEN r.bsuid END,
				coalesce(r.name, ''), 'import'
			FROM import_rows r
			ON CONFLICT DO NOTHING`, tenantID); err != nil {
			return fmt.Errorf("optins: import contacts: %w", err)
		}
		if _, err := tx.Exec(ctx, importLedgerSQL(byWaIDOnly), tenantID, res.Actor, res.CreatedAt, res.ID); err != nil {
			return fmt.Errorf("optins: import ledger: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO contact_imports (id, tenant_id, format, actor, rows_total, rows_imported, rows_rejected, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		res.ID, tenantID, res.Format, res.Actor, res.Total, res.Imported, res.Rejected, res.CreatedAt); err != nil {
		return fmt.Errorf("optins: record import: %w", err)
	}
	if len(res.Errors) == 0 {
		return nil
	}
	// COPY refuses tables under row-level security, so the errors go in
	// as arrays, a bounded chunk per statement.
	const chunk = 50_000
	for start := 0; start < len(res.Errors); start += chunk {
		part := res.Errors[start:min(start+chunk, len(res.Errors))]
		lines := make([]int32, len(part))
		fields, reasons := make([]string, len(part)), make([]string, len(part))
		for i, e := range part {
			lines[i], fields[i], reasons[i] = int32(e.Line), e.Field, e.Reason
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO contact_import_errors (tenant_id, import_id, line, field, reason)
			SELECT $1, $2, t.line, t.field, t.reason FROM unnest($3::int[], $4::text[], $5::text[]) AS t(line, field, reason)`,
			tenantID, res.ID, lines, fields, reasons); err != nil {
			return fmt.Errorf("optins: record import errors: %w", err)
		}
	}
	return nil
}

// importLedgerSQL appends the copied rows to the ledger and moves the
// projection, in one statement. Rows name their contact by wa_id, else by
// BSUID. When every row has a wa_id, validation already made (contact,
// purpose) unique in the file, so the projection needs no de-duplicating
// sort, which is most of the cost of a large import.
func importLedgerSQL(byWaIDOnly bool) string {
	match := `coalesce(cw.id, cb.id) AS contact_id, coalesce(cw.wa_id, cb.wa_id) AS c_wa_id,
				coalesce(cw.bsuid, cb.bsuid) AS c_bsuid
			FROM import_rows r
			LEFT JOIN contacts cw ON cw.tenant_id = $1 AND cw.status = 'active' AND cw.wa_id = r.wa_id
			LEFT JOIN contacts cb ON cb.tenant_id = $1 AND cb.status = 'active' AND cb.bsuid = r.bsuid AND r.wa_id IS NULL`
	project := `SELECT DISTINCT ON (contact_id, purpose) $1, contact_id, purpose, 'consent', action, source, occurred_at, id
		FROM ins ORDER BY contact_id, purpose, occurred_at DESC, id DESC`
	if byWaIDOnly {
		match = `cw.id AS contact_id, cw.wa_id AS c_wa_id, cw.bsuid AS c_bsuid
			FROM import_rows r
			JOIN contacts cw ON cw.tenant_id = $1 AND cw.status = 'active' AND cw.wa_id = r.wa_id`
		project = `SELECT $1, contact_id, purpose, 'consent', action, source, occurred_at, id FROM ins`
	}
	return `
		WITH m AS (
			SELECT r.*, ` + match + `
		), ins AS (
			INSERT INTO consent_ledger (tenant_id, contact_id, wa_id, bsuid, purpose, action, source, notice_text,
				evidence_url, evidence_ip, evidence_user_agent, message_id, evidence_note, phone_number_id, actor,
				occurred_at, recorded_at, import_id)
			SELECT $1, m.contact_id, m.c_wa_id, m.c_bsuid, m.purpose, m.action, m.source, m.notice, m.url,
				m.ip::inet, m.ua, m.msg_id, m.note, m.phone, $2, m.occurred_at, $3, $4
			FROM m WHERE m.contact_id IS NOT NULL
			RETURNING id, contact_id, purpose, action, source, occurred_at
		)
		INSERT INTO consent_state (tenant_id, contact_id, purpose, track, action, source, occurred_at, entry_id)
		` + project + `
		ON CONFLICT (tenant_id, contact_id, purpose, track) DO UPDATE
		SET action = excluded.action, source = excluded.source, occurred_at = excluded.occurred_at,
			entry_id = excluded.entry_id
		WHERE (excluded.occurred_at, excluded.entry_id) > (consent_state.occurred_at, consent_state.entry_id)`
}

// importSource validates rows as COPY pulls them, so a file is read once
// and never held as rows in memory. Rejected rows are kept as errors.
type importSource struct {
	rr       recordReader
	now      time.Time
	seed     maphash.Seed
	seen     map[uint64]int32 // (contact key, purpose) → first line
	cur      []any
	total    int
	rejected int
	errors   []RowError
	fatal    error
	// bsuidOnly is set once a good row names its contact by BSUID alone.
	bsuidOnly bool
	// bsuids maps the BSUIDs of rows naming both keys to their wa_id.
	bsuids map[string]string
}

func (s *importSource) Next() bool {
	for {
		rec, err := s.rr.next()
		if err == io.EOF {
			return false
		}
		if err != nil {
			s.fatal = err
			return false
		}
		s.total++
		if s.total > MaxImportRows {
			s.fatal = apperr.New(apperr.PayloadTooLarge, "an import holds at most %d rows", MaxImportRows)
			return false
		}
		if row, ok := s.validate(rec); ok {
			s.cur = row
			return true
		}
		s.rejected++
	}
}

func (s *importSource) Values() ([]any, error) { return s.cur, nil }

func (s *importSource) Err() error { return s.fatal }

// validate checks one row and returns its COPY values, or records its
// problems.
func (s *importSource) validate(rec record) ([]any, bool) {
	if rec.bad != "" {
		s.errors = append(s.errors, RowError{Line: rec.line, Field: "row", Reason: rec.bad})
		return nil, false
	}
	v := &rec.fields
	f := fieldErrors{}
	wa, bsuid := "", v[colBSUID]
	if v[colWaID] != "" {
		var ok bool
		if wa, ok = ParseWaID(v[colWaID]); !ok {
			f.add("wa_id", "not a phone number in E.164 digits")
		}
	}
	if bsuid != "" && !validBSUID(bsuid) {
		f.add("bsuid", "not a business-scoped user id")
	}
	if v[colWaID] == "" && bsuid == "" {
		f.add("wa_id", "a wa_id or a bsuid is required")
	}
	action := Action(v[colAction])
	if action == "" {
		action = ActionOptIn
	}
	var at time.Time
	if v[colOccurredAt] == "" {
		f.add("occurred_at", "is required")
	} else if t, err := time.Parse(time.RFC3339, v[colOccurredAt]); err != nil {
		f.add("occurred_at", "must be an RFC 3339 time")
	} else {
		at = t.UTC()
	}
	ev := Evidence{NoticeText: v[colNotice], URL: v[colURL], IP: v[colIP], UserAgent: v[colUA],
		MessageID: v[colMessageID], Note: v[colNote]}
	validateConsent(f, Purpose(v[colPurpose]), action, Source(v[colSource]), &ev, nonZero(at, s.now), s.now)
	if len(f) == 0 && wa != "" && bsuid != "" {
		if s.bsuids == nil {
			s.bsuids = map[string]string{}
		}
		if other, ok := s.bsuids[bsuid]; ok && other != wa {
			f.add("bsuid", "another row gives this bsuid to a different wa_id")
		} else {
			s.bsuids[bsuid] = wa
		}
	}
	if len(f) == 0 {
		key := wa
		if key == "" {
			key = "b:" + bsuid
		}
		h := maphash.String(s.seed, key+"|"+v[colPurpose])
		if first, dup := s.seen[h]; dup {
			f.add("row", fmt.Sprintf("duplicate of line %d (same contact and purpose)", first))
		} else {
			s.seen[h] = int32(rec.line)
		}
	}
	if len(f) > 0 {
		for _, field := range sortedKeys(f) {
			s.errors = append(s.errors, RowError{Line: rec.line, Field: field, Reason: f[field]})
		}
		return nil, false
	}
	ev = cleanEvidence(ev)
	if wa == "" {
		s.bsuidOnly = true
	}
	return []any{int32(rec.line), newID(), ptr(wa), ptr(bsuid), ptr(clean(v[colName], 500)), v[colPurpose],
		string(action), v[colSource], at, ptr(ev.NoticeText), ptr(ev.URL), ptr(ev.IP), ptr(ev.UserAgent),
		ptr(ev.MessageID), ptr(ev.Note), ptr(clean(v[colPhone], maxIDLen))}, true
}

func nonZero(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return t
}

// GetImport returns an import's summary; its errors are listed by
// ListImportErrors.
func (s *Service) GetImport(ctx context.Context, tenantID, importID uuid.UUID) (ImportResult, error) {
	var r ImportResult
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `
			SELECT id, format, actor, rows_total, rows_imported, rows_rejected, created_at
			FROM contact_imports WHERE tenant_id = $1 AND id = $2`, tenantID, importID).
			Scan(&r.ID, &r.Format, &r.Actor, &r.Total, &r.Imported, &r.Rejected, &r.CreatedAt)
	})
	r.CreatedAt = r.CreatedAt.UTC()
	return r, pg.Translate(err, "import")
}

// ListImports returns a tenant's imports, newest first.
func (s *Service) ListImports(ctx context.Context, tenantID uuid.UUID, p Page) (List[ImportResult], error) {
	at, id, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[ImportResult]{}, err
	}
	size := p.Size()
	var out []ImportResult
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id, format, actor, rows_total, rows_imported, rows_rejected, created_at
			FROM contact_imports WHERE tenant_id = $1
				AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
			ORDER BY created_at DESC, id DESC LIMIT $4`, tenantID, at, id, size+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImportResult, error) {
			var x ImportResult
			err := r.Scan(&x.ID, &x.Format, &x.Actor, &x.Total, &x.Imported, &x.Rejected, &x.CreatedAt)
			x.CreatedAt = x.CreatedAt.UTC()
			return x, err
		})
		return err
	})
	if err != nil {
		return List[ImportResult]{}, pg.Translate(err, "imports")
	}
	return paging.Paginate(out, size, func(x ImportResult) (time.Time, string) { return x.CreatedAt, x.ID.String() }), nil
}

// ListImportErrors returns an import's rejected rows in line order. The
// cursor is the last line shown.
func (s *Service) ListImportErrors(ctx context.Context, tenantID, importID uuid.UUID, p Page) (List[RowError], error) {
	after := 0
	if p.Cursor != "" {
		n, err := strconv.Atoi(p.Cursor)
		if err != nil || n < 0 {
			return List[RowError]{}, paging.ErrBadCursor
		}
		after = n
	}
	size := p.Size()
	var out []RowError
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT true FROM contact_imports WHERE tenant_id = $1 AND id = $2`,
			tenantID, importID).Scan(&ok); err != nil {
			return err
		}
		// Whole lines per page, so a row's problems never straddle two.
		rows, err := tx.Query(ctx, `
			SELECT line, field, reason FROM contact_import_errors
			WHERE tenant_id = $1 AND import_id = $2 AND line > $3
				AND line <= coalesce((SELECT max(line) FROM (SELECT DISTINCT line FROM contact_import_errors
					WHERE tenant_id = $1 AND import_id = $2 AND line > $3 ORDER BY line LIMIT $4) l), $3)
			ORDER BY line, field`, tenantID, importID, after, size)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RowError])
		return err
	})
	if err != nil {
		return List[RowError]{}, pg.Translate(err, "import")
	}
	list := List[RowError]{Items: out}
	if list.Items == nil {
		list.Items = []RowError{}
	}
	if len(out) > 0 {
		var lines int
		prev := -1
		for _, e := range out {
			if e.Line != prev {
				lines++
				prev = e.Line
			}
		}
		if lines == size {
			list.NextCursor = strconv.Itoa(out[len(out)-1].Line)
		}
	}
	return list, nil
}
