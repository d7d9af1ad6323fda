package insights

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// unit is one fold: what it loaded, the rows it changes and the roll-up
// deltas that follow.
type unit struct {
	tenantID uuid.UUID
	now      time.Time
	loc      *time.Location
	hours    BusinessHours
	journeys []Journey

	old       map[string]message  // stored rows as loaded
	msgs      map[string]*message // the rows this fold touches, as they become
	replies   map[string]reply    // stored replies to the messages touched
	seenIn    map[string]bool     // inbound wamids already stored
	firstSeen map[string]firstSeen
	history   map[threadKey]bool // threads with inbound messages stored
	anyThread bool               // rebuild turns without checking history

	inbound     []inboundRow
	firstChange map[string][2]firstSeen // contact → old, new first inbound
	periods     []periodRow
	threads     map[threadKey]time.Time // thread → time to rebuild turns from
	hitSources  []string                // sources whose journey hits are replaced
	hits        []hitRow
	exposures   map[[2]string]bool // (experiment, contact) to recompute
	events      []Event
	d           *deltas
	// queuedWrites counts the statements write queued ahead of the reads.
	queuedWrites int
}

type threadKey struct{ phone, contact string }

type reply struct {
	at    time.Time
	wamid string
}

func newUnit(tenantID uuid.UUID, now time.Time) *unit {
	return &unit{tenantID: tenantID, now: now.UTC().Truncate(time.Microsecond), old: map[string]message{}, msgs: map[string]*message{},
		replies: map[string]reply{}, seenIn: map[string]bool{}, firstSeen: map[string]firstSeen{},
		history: map[threadKey]bool{}, firstChange: map[string][2]firstSeen{},
		threads: map[threadKey]time.Time{}, exposures: map[[2]string]bool{}, d: newDeltas()}
}

// The lookups below probe the table once per key through a LATERAL
// subquery (OFFSET 0 keeps the planner from flattening it): a join or an
// = ANY filter can turn into a scan of the tenant's rows when the planner
// has no statistics yet (a table filling up fast) or caches a generic plan.
const selectMessagesSQL = `
SELECT m.wamid, m.phone_number_id, m.contact, m.at, m.resp_at, m.day, coalesce(m.hour, 0), m.sent_at,
    m.delivered_at, m.read_at, m.failed_at, coalesce(m.error_code, 0), m.error_title, m.replied_at,
    coalesce(m.reply_wamid, ''), m.annotated_at, m.template_name, m.template_language, m.agent, m.automated,
    m.campaign, m.journey, m.journey_step, m.experiment, m.variant
FROM unnest($2::text[]) AS k(wamid)
CROSS JOIN LATERAL (SELECT m.* FROM insight_message_keys x JOIN insight_messages m
    ON m.tenant_id = x.tenant_id AND m.wamid = x.wamid AND m.month = x.month
    WHERE x.tenant_id = $1 AND x.wamid = k.wamid OFFSET 0) m`

// load takes the tenant's insights lock and reads everything the fold of in
// needs, in one round trip.
func (u *unit) load(ctx context.Context, tx pgx.Tx, in input) error {
	wamids, inWamids, contacts := in.keys()
	pairsPhone, pairsContact := in.outboundThreads()
	b := &pgx.Batch{}
	// The lock is a statement of its own: every read after it takes its
	// snapshot once the lock is held, so it sees what the fold before it
	// committed.
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, lockKey(u.tenantID))
	// Journeys are few per tenant, and a status can complete what an earlier
	// annotation started, so they are always read, with the settings.
	b.Queue(`SELECT t.time_zone, s.business_hours,
		    (SELECT coalesce(jsonb_agg(jsonb_build_object('id', j.id, 'key', j.key, 'name', j.name,
		        'steps', j.steps, 'created_at', j.created_at) ORDER BY j.created_at, j.id), '[]')
		     FROM insight_journeys j WHERE j.tenant_id = $1)
		FROM tenants t LEFT JOIN insight_settings s ON s.tenant_id = t.id WHERE t.id = $1`, u.tenantID)
	var reads []func(pgx.BatchResults) error
	if len(wamids) > 0 {
		b.Queue(selectMessagesSQL, u.tenantID, wamids)
		b.Queue(`SELECT i.context_id, i.at, i.wamid FROM unnest($2::text[]) AS k(id)
			CROSS JOIN LATERAL (SELECT context_id, at, wamid FROM insight_inbound i
			    WHERE i.tenant_id = $1 AND i.context_id = k.id OFFSET 0) i`, u.tenantID, wamids)
		reads = append(reads, u.readMessages, u.readReplies)
	}
	if len(inWamids) > 0 {
		b.Queue(`SELECT i.wamid FROM unnest($2::text[]) AS k(wamid)
			CROSS JOIN LATERAL (SELECT wamid FROM insight_inbound i
			    WHERE i.tenant_id = $1 AND i.wamid = k.wamid OFFSET 0) i`, u.tenantID, inWamids)
		b.Queue(`SELECT c.contact, c.first_inbound_at, c.first_day FROM unnest($2::text[]) AS k(contact)
			CROSS JOIN LATERAL (SELECT * FROM insight_contacts c
			    WHERE c.tenant_id = $1 AND c.contact = k.contact OFFSET 0) c`, u.tenantID, contacts)
		reads = append(reads, u.readSeenInbound, u.readFirstSeen)
	}
	if len(pairsPhone) > 0 {
		b.Queue(`SELECT u.phone, u.contact FROM unnest($2::text[], $3::text[]) AS u(phone, contact)
			CROSS JOIN LATERAL (SELECT 1 FROM insight_inbound i WHERE i.tenant_id = $1
			    AND i.phone_number_id = u.phone AND i.contact = u.contact LIMIT 1) i`, u.tenantID, pairsPhone, pairsContact)
		reads = append(reads, u.readHistory)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("insights: lock: %w", err)
	}
	if err := u.readSettings(br); err != nil {
		return err
	}
	for _, read := range reads {
		if err := read(br); err != nil {
			return err
		}
	}
	return br.Close()
}

func (u *unit) readSettings(br pgx.BatchResults) error {
	var zone string
	var hours, journeys []byte
	if err := br.QueryRow().Scan(&zone, &hours, &journeys); err != nil {
		return fmt.Errorf("insights: read tenant settings: %w", err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	u.loc = loc
	if len(hours) > 0 {
		if err := json.Unmarshal(hours, &u.hours); err != nil {
			return fmt.Errorf("insights: decode business hours: %w", err)
		}
	}
	if err := json.Unmarshal(journeys, &u.journeys); err != nil {
		return fmt.Errorf("insights: decode journeys: %w", err)
	}
	for i := range u.journeys {
		u.journeys[i].CreatedAt = u.journeys[i].CreatedAt.UTC()
	}
	return nil
}

func (u *unit) readMessages(br pgx.BatchResults) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return err
		}
		u.old[m.wamid] = m
		cp := m
		u.msgs[m.wamid] = &cp
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read messages: %w", err)
	}
	return nil
}

func scanMessage(rows pgx.Rows) (message, error) {
	var m message
	var at, resp, sent, delivered, read, failed, replied, annotated pgtype.Timestamptz
	var d pgtype.Date
	a := &m.ann
	err := rows.Scan(&m.wamid, &m.phone, &m.contact, &at, &resp, &d, &m.hour, &sent, &delivered, &read,
		&failed, &m.errCode, &m.errTitle, &replied, &m.replyWamid, &annotated,
		&a.TemplateName, &a.TemplateLanguage, &a.Agent, &a.Automated, &a.Campaign, &a.Journey, &a.JourneyStep,
		&a.Experiment, &a.Variant)
	if err != nil {
		return m, fmt.Errorf("insights: scan message: %w", err)
	}
	a.WAMID = m.wamid
	m.at, m.respAt, m.sent, m.delivered, m.read = tz(at), tz(resp), tz(sent), tz(delivered), tz(read)
	m.failed, m.replied, m.annotatedAt = tz(failed), tz(replied), tz(annotated)
	if d.Valid {
		m.day = dateOf(d.Time)
	}
	return m, nil
}

func (u *unit) readReplies(br pgx.BatchResults) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		var ctxID, wamid string
		var at time.Time
		if err := rows.Scan(&ctxID, &at, &wamid); err != nil {
			return fmt.Errorf("insights: scan reply: %w", err)
		}
		if r, ok := u.replies[ctxID]; !ok || at.Before(r.at) || (at.Equal(r.at) && wamid < r.wamid) {
			u.replies[ctxID] = reply{at.UTC(), wamid}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read replies: %w", err)
	}
	return nil
}

func (u *unit) readSeenInbound(br pgx.BatchResults) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		var wamid string
		if err := rows.Scan(&wamid); err != nil {
			return fmt.Errorf("insights: scan inbound: %w", err)
		}
		u.seenIn[wamid] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read inbound: %w", err)
	}
	return nil
}

func (u *unit) readFirstSeen(br pgx.BatchResults) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		var contact string
		var at, d time.Time
		if err := rows.Scan(&contact, &at, &d); err != nil {
			return fmt.Errorf("insights: scan contact: %w", err)
		}
		u.firstSeen[contact] = firstSeen{at.UTC(), dateOf(d)}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read contacts: %w", err)
	}
	return nil
}

// readHistory notes the threads that have inbound messages stored.
func (u *unit) readHistory(br pgx.BatchResults) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		var k threadKey
		if err := rows.Scan(&k.phone, &k.contact); err != nil {
			return fmt.Errorf("insights: scan thread: %w", err)
		}
		u.history[k] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read threads: %w", err)
	}
	return nil
}

// tz converts a nullable timestamp; NULL is the zero time.
func tz(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// pgTime is the inverse of tz.
func pgTime(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// keys returns the message wamids the fold touches (statuses, the targets
// of replies, annotations), the inbound wamids and the inbound contacts.
func (in input) keys() (wamids, inbound, contacts []string) {
	seen := map[string]bool{}
	add := func(w string) {
		if w != "" && !seen[w] {
			seen[w] = true
			wamids = append(wamids, w)
		}
	}
	for _, s := range in.statuses {
		add(s.wamid)
	}
	for _, a := range in.annotations {
		add(a.WAMID)
	}
	seenC := map[string]bool{}
	for _, m := range in.inbound {
		add(m.contextID)
		inbound = append(inbound, m.wamid)
		if !seenC[m.contact] {
			seenC[m.contact] = true
			contacts = append(contacts, m.contact)
		}
	}
	return wamids, inbound, contacts
}

// outboundThreads lists the threads the statuses belong to.
func (in input) outboundThreads() (phones, contacts []string) {
	seen := map[threadKey]bool{}
	for _, s := range in.statuses {
		k := threadKey{s.phone, s.contact}
		if s.contact != "" && !seen[k] {
			seen[k] = true
			phones, contacts = append(phones, k.phone), append(contacts, k.contact)
		}
	}
	return phones, contacts
}
