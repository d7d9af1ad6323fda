package metasim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"time"
)

// Meta's edit limits for templates that are approved: one edit a day and
// ten in thirty days.
const (
	editsPerDay   = 1
	editsPerMonth = 10
)

// templateReview is the simulator's side of the template write API: the
// templates created through it that await review, and each template's edit
// times for Meta's edit limits.
type templateReview struct {
	pending []int64
	edits   map[int64][]time.Time
}

// jsonBody reads a JSON request body and puts it back for requestParams.
func jsonBody(r *http.Request) []byte {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Body == nil || r.Method == http.MethodGet || ct != "application/json" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// templateWrite is the body of a creation or an edit.
type templateWrite struct {
	Name       string              `json:"name"`
	Language   string              `json:"language"`
	Category   string              `json:"category"`
	Components []TemplateComponent `json:"components"`
}

// writeTemplates answers POST and DELETE /{waba}/message_templates; runs
// with g.mu held.
func (g *Graph) writeTemplates(req graphRequest, ws *wabaState) graphResult {
	switch req.method {
	case http.MethodPost:
		return g.createTemplate(req, ws)
	case http.MethodDelete:
		return g.deleteTemplates(req, ws)
	}
	return g.fail(errNoObject(req.method, req.object))
}

func (g *Graph) createTemplate(req graphRequest, ws *wabaState) graphResult {
	var in templateWrite
	if err := json.Unmarshal(req.body, &in); err != nil {
		return g.fail(errParam("Invalid parameter: the body is not a template"))
	}
	switch {
	case in.Name == "":
		return g.fail(errParam("The parameter name is required"))
	case in.Language == "":
		return g.fail(errParam("The parameter language is required"))
	case !slices.Contains([]string{"MARKETING", "UTILITY", "AUTHENTICATION"}, in.Category):
		return g.fail(errParam("Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}"))
	case !slices.ContainsFunc(in.Components, func(c TemplateComponent) bool { return c.Type == "BODY" }):
		return g.fail(errParam("Param components must include a BODY component"))
	}
	for _, other := range ws.templates {
		if other.Name == in.Name && other.Language == in.Language {
			return g.fail(errTemplateExists(in.Language))
		}
	}
	g.seq++
	t := g.templateDefaults(Template{ID: 1_000_000_000_000_000 + g.seq, WABAID: ws.ID, Name: in.Name, Language: in.Language,
		Status: "PENDING", Category: in.Category, Components: in.Components})
	ts := &templateState{Template: t, seq: g.seq}
	g.templates[t.ID] = ts
	ws.templates = append(ws.templates, ts)
	g.review.pending = append(g.review.pending, t.ID)
	return ok(map[string]any{"id": fmt.Sprint(t.ID), "status": t.Status, "category": t.Category})
}

// editTemplate answers POST /{template_id}. Only APPROVED, REJECTED and
// PAUSED templates can be edited; an approved template keeps its category
// and is limited to one edit a day and ten in thirty days.
func (g *Graph) editTemplate(req graphRequest, ts *templateState) graphResult {
	var in templateWrite
	if err := json.Unmarshal(req.body, &in); err != nil || (in.Components == nil && in.Category == "") {
		return g.fail(errParam("Invalid parameter: send components or category"))
	}
	switch ts.Status {
	case "APPROVED", "REJECTED", "PAUSED":
	default:
		return g.fail(errTemplateNotEditable(ts.Status))
	}
	now := g.now()
	if ts.Status == "APPROVED" {
		if in.Category != "" && in.Category != ts.Category {
			return g.fail(errParam("The category of an approved template cannot be changed"))
		}
		if g.editsSince(ts.ID, now.Add(-24*time.Hour)) >= editsPerDay || g.editsSince(ts.ID, now.Add(-30*24*time.Hour)) >= editsPerMonth {
			return g.fail(errTemplateEditLimit())
		}
	}
	if g.review.edits == nil {
		g.review.edits = map[int64][]time.Time{}
	}
	g.review.edits[ts.ID] = append(g.review.edits[ts.ID], now)
	if in.Components != nil {
		ts.Components = in.Components
	}
	if in.Category != "" {
		ts.Category = in.Category
	}
	// An edit goes back to review, as on Meta.
	ts.Status = "PENDING"
	g.review.pending = append(g.review.pending, ts.ID)
	return ok(map[string]any{"success": true})
}

func (g *Graph) editsSince(id int64, since time.Time) int {
	n := 0
	for _, at := range g.review.edits[id] {
		if at.After(since) {
			n++
		}
	}
	return n
}

// deleteTemplates answers DELETE /{waba}/message_templates?name=[&hsm_id=]:
// every language of the name, or the one template hsm_id names.
func (g *Graph) deleteTemplates(req graphRequest, ws *wabaState) graphResult {
	name, hsm := req.params.Get("name"), req.params.Get("hsm_id")
	if name == "" {
		return g.fail(errParam("The parameter name is required"))
	}
	keep := ws.templates[:0:0]
	deleted := 0
	for _, ts := range ws.templates {
		if ts.Name == name && (hsm == "" || fmt.Sprint(ts.ID) == hsm) {
			delete(g.templates, ts.ID)
			deleted++
			continue
		}
		keep = append(keep, ts)
	}
	if deleted == 0 {
		return g.fail(errTemplateMissing(name))
	}
	ws.templates = keep
	return ok(map[string]any{"success": true})
}

// ReviewPending approves every template created or edited through the API
// since the last call and returns one signed-ready
// message_template_status_update body per template, for an Emitter to post,
// so a template goes through the whole lifecycle a real submission does.
func (g *Graph) ReviewPending() [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out [][]byte
	now := g.now()
	for _, id := range g.review.pending {
		ts, live := g.templates[id]
		if !live || ts.Status != "PENDING" {
			continue
		}
		ts.Status = "APPROVED"
		out = append(out, TemplateStatusBody(now, ts.WABAID, TemplateStatus{
			Event: "APPROVED", ID: ts.ID, Name: ts.Name, Language: ts.Language, Reason: "NONE", Category: ts.Category,
		}))
	}
	g.review.pending = nil
	return out
}

// errTemplateExists is Meta's answer for a second template with a name
// and language the WABA already holds.
func errTemplateExists(language string) *graphError {
	return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 2388024,
		Message: "Invalid parameter: Message template already exists: there is already " + language + " content for this template."}
}

func errTemplateNotEditable(status string) *graphError {
	return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 2388040,
		Message: "Invalid parameter: a template in status " + status + " cannot be edited."}
}

func errTemplateEditLimit() *graphError {
	return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 2388049,
		Message: "Invalid parameter: an approved template can be edited once a day and ten times in thirty days."}
}

func errTemplateMissing(name string) *graphError {
	return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 2593002,
		Message: "Invalid parameter: message template " + name + " not found."}
}
