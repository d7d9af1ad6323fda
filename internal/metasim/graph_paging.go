package metasim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	defaultPageLimit = 25
	maxPageLimit     = 100
)

// pageRequest is the limit and cursor of a list request. Cursors encode the
// position (insertion order) of an item, so paging stays consistent while
// objects are added between pages.
type pageRequest struct {
	limit  int
	after  int64
	before int64
}

func parsePageRequest(params url.Values) (pageRequest, *graphError) {
	p := pageRequest{limit: defaultPageLimit, after: -1, before: -1}
	if s := params.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageLimit {
			return p, errParam("Param limit must be a number between 1 and 100")
		}
		p.limit = n
	}
	for _, c := range []struct {
		name string
		dst  *int64
	}{{"after", &p.after}, {"before", &p.before}} {
		if s := params.Get(c.name); s != "" {
			seq, ok := decodeCursor(s)
			if !ok {
				return p, errParam("Invalid cursor for param " + c.name)
			}
			*c.dst = seq
		}
	}
	return p, nil
}

func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("pos:" + strconv.FormatInt(seq, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	n, ok := strings.CutPrefix(string(b), "pos:")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	return seq, err == nil
}

// window picks the page [lo, hi) out of seqs, which ascend.
func (p pageRequest) window(seqs []int64) (lo, hi int) {
	switch {
	case p.after >= 0:
		lo = len(seqs)
		for i, s := range seqs {
			if s > p.after {
				lo = i
				break
			}
		}
		return lo, min(lo+p.limit, len(seqs))
	case p.before >= 0:
		hi = 0
		for i, s := range seqs {
			if s < p.before {
				hi = i + 1
			}
		}
		return max(hi-p.limit, 0), hi
	default:
		return 0, min(p.limit, len(seqs))
	}
}

// listBody renders a page the way Graph does: data plus cursors, and next or
// previous URLs (absolute, built from the request) only when more items lie
// in that direction.
func listBody(r *http.Request, data []any, seqs []int64, lo, hi int) map[string]any {
	if lo >= hi {
		return map[string]any{"data": []any{}}
	}
	first, last := encodeCursor(seqs[lo]), encodeCursor(seqs[hi-1])
	paging := map[string]any{"cursors": map[string]string{"before": first, "after": last}}
	if hi < len(seqs) {
		paging["next"] = pageURL(r, "after", last)
	}
	if lo > 0 {
		paging["previous"] = pageURL(r, "before", first)
	}
	return map[string]any{"data": data, "paging": paging}
}

func pageURL(r *http.Request, key, cursor string) string {
	q := r.URL.Query()
	q.Del("after")
	q.Del("before")
	q.Set(key, cursor)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func (g *Graph) listPhoneNumbers(req graphRequest, ws *wabaState) graphResult {
	page, gerr := parsePageRequest(req.params)
	if gerr != nil {
		return g.fail(gerr)
	}
	seqs := make([]int64, len(ws.phones))
	for i, ps := range ws.phones {
		seqs[i] = ps.seq
	}
	lo, hi := page.window(seqs)
	data := make([]any, 0, hi-lo)
	for _, ps := range ws.phones[lo:hi] {
		item, gerr := phoneFields.render(&ps.PhoneNumber, req.params.Get("fields"))
		if gerr != nil {
			return g.fail(gerr)
		}
		data = append(data, item)
	}
	return ok(listBody(req.r, data, seqs, lo, hi))
}

func (g *Graph) listTemplates(req graphRequest, ws *wabaState) graphResult {
	page, gerr := parsePageRequest(req.params)
	if gerr != nil {
		return g.fail(gerr)
	}
	var matched []*templateState
	for _, ts := range ws.templates {
		if templateMatches(&ts.Template, req.params) {
			matched = append(matched, ts)
		}
	}
	seqs := make([]int64, len(matched))
	for i, ts := range matched {
		seqs[i] = ts.seq
	}
	lo, hi := page.window(seqs)
	data := make([]any, 0, hi-lo)
	for _, ts := range matched[lo:hi] {
		item, gerr := templateFields.render(&ts.Template, req.params.Get("fields"))
		if gerr != nil {
			return g.fail(gerr)
		}
		data = append(data, item)
	}
	return ok(listBody(req.r, data, seqs, lo, hi))
}

// templateMatches applies the list filters; each takes one value or a
// comma-separated list, enums compared case-insensitively.
func templateMatches(t *Template, params url.Values) bool {
	filters := []struct {
		param string
		value string
		fold  bool
	}{
		{"status", t.Status, true},
		{"category", t.Category, true},
		{"quality_score", t.QualityScore, true},
		{"name", t.Name, false},
		{"language", t.Language, false},
	}
	for _, f := range filters {
		want := params.Get(f.param)
		if want == "" {
			continue
		}
		if !anyEqual(strings.Split(want, ","), f.value, f.fold) {
			return false
		}
	}
	return true
}

func anyEqual(candidates []string, v string, fold bool) bool {
	for _, c := range candidates {
		c = strings.TrimSpace(c)
		if c == v || (fold && strings.EqualFold(c, v)) {
			return true
		}
	}
	return false
}
