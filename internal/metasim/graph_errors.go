package metasim

import (
	"fmt"
	"net/http"
	"strings"
)

// graphError is the "error" object of a Graph error body.
type graphError struct {
	status      int
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode,omitempty"`
	IsTransient bool   `json:"is_transient,omitempty"`
	FBTraceID   string `json:"fbtrace_id"`
}

// fail turns e into a response; runs with g.mu held.
func (g *Graph) fail(e *graphError) graphResult {
	g.traces++
	e.FBTraceID = fmt.Sprintf("A%011X", g.traces)
	return graphResult{status: e.status, body: map[string]any{"error": e}, errCode: e.Code}
}

func errBadToken(missing bool) *graphError {
	msg := "Invalid OAuth access token - Cannot parse access token"
	if missing {
		msg = "An active access token must be used to query information about the current user."
	}
	return &graphError{status: http.StatusUnauthorized, Message: msg, Type: "OAuthException", Code: 190}
}

// errNoObject is Graph's answer both for ids that do not exist and for ids
// the token may not see: it does not tell the two apart.
func errNoObject(method, id string) *graphError {
	return &graphError{
		status: http.StatusBadRequest,
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to "+
			"missing permissions, or does not support this operation. Please read the Graph API documentation at "+
			"https://developers.facebook.com/docs/graph-api", strings.ToLower(method), id),
		Type: "GraphMethodException", Code: 100, Subcode: 33,
	}
}

func errUnknownPath(path string) *graphError {
	return &graphError{
		status:  http.StatusBadRequest,
		Message: "Unknown path components: " + path,
		Type:    "OAuthException", Code: 2500,
	}
}

func errField(field, nodeType string) *graphError {
	return errParam(fmt.Sprintf("Tried accessing nonexisting field (%s) on node type (%s)", field, nodeType))
}

func errParam(msg string) *graphError {
	return &graphError{status: http.StatusBadRequest, Message: "(#100) " + msg, Type: "OAuthException", Code: 100}
}

func errThrottled() *graphError {
	return &graphError{
		status: http.StatusBadRequest,
		Message: "(#80008) There have been too many calls to this WhatsApp Business account: its business use case " +
			"rate limit is reached. Wait a bit and try again. For more info, please refer to " +
			"https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
		Type: "OAuthException", Code: 80008, Subcode: 2446079, IsTransient: true,
	}
}
