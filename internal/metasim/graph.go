package metasim

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultCallBudget is Meta's default Business Management API budget: 200
// calls per hour per app per WABA.
const DefaultCallBudget = 200

// App is the Meta app the simulated BSP operates; it is what subscribed_apps
// lists.
type App struct {
	ID   string
	Name string
	Link string
}

// Graph simulates the Graph API subset wabsp reads. It is an http.Handler
// answering under any version prefix (/v25.0/...), holds its state in memory
// and is safe for concurrent use. Create it with NewGraph, populate it with
// AddWABA, AddPhoneNumber and AddTemplate, and change it with the Set*
// mutators while wabsp polls it.
type Graph struct {
	now    func() time.Time
	budget int
	window time.Duration
	app    App

	mu        sync.Mutex
	seq       int64 // ids and paging order
	traces    int64
	wabas     map[string]*wabaState
	wabaOrder []string
	phones    map[string]*phoneState
	templates map[int64]*templateState
	calls     []Call
	// onboarding is Embedded Signup's state (graph_onboarding.go).
	onboarding *onboardingState
	// review holds what the template write API needs beyond the state.
	review templateReview
	sends  sendState
}

// GraphOption configures a Graph.
type GraphOption func(*Graph)

// WithClock replaces time.Now, so tests can move the rate-limit window
// without sleeping.
func WithClock(now func() time.Time) GraphOption {
	return func(g *Graph) { g.now = now }
}

// WithCallBudget sets the per-WABA call budget per rolling hour.
func WithCallBudget(n int) GraphOption {
	return func(g *Graph) {
		if n > 0 {
			g.budget = n
		}
	}
}

// WithApp sets the app reported by subscribed_apps.
func WithApp(app App) GraphOption {
	return func(g *Graph) { g.app = app }
}

// NewGraph returns an empty Graph.
func NewGraph(opts ...GraphOption) *Graph {
	g := &Graph{
		now:       time.Now,
		budget:    DefaultCallBudget,
		window:    time.Hour,
		app:       App{ID: "100000000000001", Name: "wabsp", Link: "https://wabsp.example.com/"},
		wabas:     map[string]*wabaState{},
		phones:    map[string]*phoneState{},
		templates: map[int64]*templateState{},
	}
	for _, opt := range opts {
		opt(g)
	}
	return g
}

// Call is one request the Graph answered, for asserting what a client did.
type Call struct {
	At     time.Time
	Method string
	// Path is the request path as sent, version prefix included.
	Path string
	// Object is the node id addressed and Edge the edge ("" for node reads).
	Object string
	Edge   string
	Query  url.Values
	// WABAID is the WABA the call was charged to ("" when unresolved).
	WABAID string
	Status int
	// ErrorCode is the Graph error code, 0 on success.
	ErrorCode int
}

// Calls returns the calls answered so far, oldest first.
func (g *Graph) Calls() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// ResetCalls forgets the call log (not the rate-limit usage).
func (g *Graph) ResetCalls() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = nil
}

type graphRequest struct {
	r      *http.Request
	method string
	object string
	edge   string
	deep   bool // more path segments than node/edge
	params url.Values
	token  string
	// body is a JSON request body, for writes whose parameters are not
	// flat strings (template components).
	body []byte
}

type graphResult struct {
	status  int
	body    any
	usage   string
	wabaID  string
	errCode int
}

// ServeHTTP answers one Graph API request.
func (g *Graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if phoneID, ok := messagesPath(r); ok {
		g.serveMessage(w, r, phoneID)
		return
	}
	req := parseGraphRequest(r)
	g.mu.Lock()
	res := g.serve(req)
	g.calls = append(g.calls, Call{
		At: g.now(), Method: r.Method, Path: r.URL.Path, Object: req.object, Edge: req.edge,
		Query: r.URL.Query(), WABAID: res.wabaID, Status: res.status, ErrorCode: res.errCode,
	})
	g.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if res.usage != "" {
		w.Header().Set("X-Business-Use-Case-Usage", res.usage)
	}
	w.WriteHeader(res.status)
	_ = json.NewEncoder(w).Encode(res.body)
}

var versionSegment = regexp.MustCompile(`^v\d+(\.\d+)?$`)

func parseGraphRequest(r *http.Request) graphRequest {
	segs := strings.FieldsFunc(r.URL.Path, func(c rune) bool { return c == '/' })
	if len(segs) > 0 && versionSegment.MatchString(segs[0]) {
		segs = segs[1:]
	}
	body := jsonBody(r)
	req := graphRequest{r: r, method: r.Method, params: requestParams(r), deep: len(segs) > 2, body: body}
	if len(segs) > 0 {
		req.object = segs[0]
	}
	if len(segs) > 1 {
		req.edge = segs[1]
	}
	req.token = req.params.Get("access_token")
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			req.token = strings.TrimSpace(tok)
		}
	}
	return req
}

// requestParams merges the query string with a form or JSON body, since Graph
// accepts parameters in either place.
func requestParams(r *http.Request) url.Values {
	params := r.URL.Query()
	if r.Body == nil || r.Method == http.MethodGet {
		return params
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err == nil {
			for k, v := range body {
				if s, ok := v.(string); ok {
					params.Set(k, s)
				}
			}
		}
		return params
	}
	if err := r.ParseForm(); err == nil {
		maps.Copy(params, r.PostForm)
	}
	return params
}

// serve runs with g.mu held.
func (g *Graph) serve(req graphRequest) graphResult {
	if req.object == "" || req.deep {
		return g.fail(errUnknownPath(req.r.URL.Path))
	}
	if res, hit := g.injected(req); hit {
		return res
	}
	if req.object == "oauth" {
		return g.exchangeCode(req)
	}
	if !g.tokenKnown(req.token) {
		return g.fail(errBadToken(req.token == ""))
	}
	ws, node := g.resolve(req.object)
	if ws == nil || ws.AccessToken != req.token {
		return g.fail(errNoObject(req.method, req.object))
	}
	now := g.now()
	var res graphResult
	if g.admit(ws, now) {
		res = g.dispatch(req, ws, node)
	} else {
		res = g.fail(errThrottled())
	}
	res.usage = g.usageHeader(ws, now)
	res.wabaID = ws.ID
	return res
}

func (g *Graph) tokenKnown(token string) bool {
	if token == "" {
		return false
	}
	for _, ws := range g.wabas {
		if ws.AccessToken == token {
			return true
		}
	}
	return false
}

// resolve finds the node with the given id and the WABA it belongs to.
func (g *Graph) resolve(id string) (*wabaState, any) {
	if ws, ok := g.wabas[id]; ok {
		return ws, ws
	}
	if ps, ok := g.phones[id]; ok {
		return g.wabas[ps.WABAID], ps
	}
	if tid, err := parseTemplateID(id); err == nil {
		if ts, ok := g.templates[tid]; ok {
			return g.wabas[ts.WABAID], ts
		}
	}
	return nil, nil
}

func (g *Graph) dispatch(req graphRequest, ws *wabaState, node any) graphResult {
	if ts, isTemplate := node.(*templateState); isTemplate && req.edge == "" && req.method == http.MethodPost {
		return g.editTemplate(req, ts)
	}
	if req.edge == "" {
		if req.method != http.MethodGet {
			return g.fail(errNoObject(req.method, req.object))
		}
		return g.renderNode(req, node)
	}
	if req.edge == "register" {
		return g.register(req, node)
	}
	if _, isWABA := node.(*wabaState); !isWABA {
		return g.fail(errUnknownPath("/" + req.edge))
	}
	switch req.edge {
	case "phone_numbers", "message_templates":
		if req.edge == "message_templates" && req.method != http.MethodGet {
			return g.writeTemplates(req, ws)
		}
		if req.method != http.MethodGet {
			return g.fail(errNoObject(req.method, req.object))
		}
		if req.edge == "phone_numbers" {
			return g.listPhoneNumbers(req, ws)
		}
		return g.listTemplates(req, ws)
	case "subscribed_apps":
		return g.subscribedApps(req, ws)
	default:
		return g.fail(errUnknownPath("/" + req.edge))
	}
}

func (g *Graph) renderNode(req graphRequest, node any) graphResult {
	var (
		body map[string]any
		gerr *graphError
	)
	fields := req.params.Get("fields")
	switch n := node.(type) {
	case *wabaState:
		body, gerr = wabaFields.render(&n.WABA, fields)
	case *phoneState:
		body, gerr = phoneFields.render(&n.PhoneNumber, fields)
	case *templateState:
		body, gerr = templateFields.render(&n.Template, fields)
	}
	if gerr != nil {
		return g.fail(gerr)
	}
	return ok(body)
}

func (g *Graph) subscribedApps(req graphRequest, ws *wabaState) graphResult {
	switch req.method {
	case http.MethodPost:
		// Subscribing again without an override removes it, as on Meta.
		ws.sub = &Subscription{
			AppID: g.app.ID, AppName: g.app.Name, AppLink: g.app.Link,
			OverrideCallbackURI: req.params.Get("override_callback_uri"),
			VerifyToken:         req.params.Get("verify_token"),
		}
		return ok(map[string]any{"success": true})
	case http.MethodDelete:
		ws.sub = nil
		return ok(map[string]any{"success": true})
	case http.MethodGet:
		data := []any{}
		if s := ws.sub; s != nil {
			item := map[string]any{"whatsapp_business_api_data": map[string]any{
				"id": s.AppID, "link": s.AppLink, "name": s.AppName,
			}}
			if s.OverrideCallbackURI != "" {
				item["override_callback_uri"] = s.OverrideCallbackURI
			}
			data = append(data, item)
		}
		return ok(map[string]any{"data": data})
	default:
		return g.fail(errNoObject(req.method, req.object))
	}
}

func ok(body any) graphResult {
	return graphResult{status: http.StatusOK, body: body}
}
