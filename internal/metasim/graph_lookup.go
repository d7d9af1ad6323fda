package metasim

import "slices"

// WABAs returns the registered WABAs in the order they were added.
func (g *Graph) WABAs() []WABA {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]WABA, 0, len(g.wabaOrder))
	for _, id := range g.wabaOrder {
		out = append(out, g.wabas[id].WABA)
	}
	return out
}

// PhoneNumber returns the phone number with the given id.
func (g *Graph) PhoneNumber(id string) (PhoneNumber, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps, ok := g.phones[id]
	if !ok {
		return PhoneNumber{}, false
	}
	return ps.PhoneNumber, true
}

// PhoneNumbers returns a WABA's phone numbers in the order they were added.
func (g *Graph) PhoneNumbers(wabaID string) []PhoneNumber {
	g.mu.Lock()
	defer g.mu.Unlock()
	ws, ok := g.wabas[wabaID]
	if !ok {
		return nil
	}
	out := make([]PhoneNumber, 0, len(ws.phones))
	for _, ps := range ws.phones {
		out = append(out, ps.PhoneNumber)
	}
	return out
}

// Template returns the template with the given id.
func (g *Graph) Template(id int64) (Template, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ts, ok := g.templates[id]
	if !ok {
		return Template{}, false
	}
	return cloneTemplate(ts.Template), true
}

// Templates returns a WABA's templates in the order they were added.
func (g *Graph) Templates(wabaID string) []Template {
	g.mu.Lock()
	defer g.mu.Unlock()
	ws, ok := g.wabas[wabaID]
	if !ok {
		return nil
	}
	out := make([]Template, 0, len(ws.templates))
	for _, ts := range ws.templates {
		out = append(out, cloneTemplate(ts.Template))
	}
	return out
}

func cloneTemplate(t Template) Template {
	t.Components = slices.Clone(t.Components)
	return t
}

// Subscriptions returns the apps subscribed to a WABA's webhooks.
func (g *Graph) Subscriptions(wabaID string) []Subscription {
	g.mu.Lock()
	defer g.mu.Unlock()
	ws, ok := g.wabas[wabaID]
	if !ok || ws.sub == nil {
		return nil
	}
	return []Subscription{*ws.sub}
}
