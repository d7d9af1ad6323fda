package main

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/workers"
)

// The WABA the demo onboards through Embedded Signup, as the simulator
// knows it.
const (
	demoSignupWABA  = "109000000000001"
	demoSignupPhone = "109000000000002"
	demoSignupToken = "demo-signup-business-token"
	demoSignupCode  = "demo-embedded-signup-code"
)

// demoSignup plays what a partner's page does after Embedded Signup: it
// hands wabsp the code, WABA and number of a second Acme Retail WABA, and
// the workers take it through every step against the simulator. On a rerun
// the onboarding exists and nothing changes.
func demoSignup(ctx context.Context, sys *system, graph *metasim.Graph, tenantID uuid.UUID) (uuid.UUID, error) {
	app, ok := sys.cfg.EmbeddedSignupApp()
	if !ok {
		return uuid.Nil, fmt.Errorf("demo signup: no Meta app configured")
	}
	graph.SetAppSecret(app.Secret)
	if err := graph.AddWABA(metasim.WABA{ID: demoSignupWABA, Name: "Acme Retail Signup", AccessToken: demoSignupToken}); err != nil {
		return uuid.Nil, err
	}
	if _, err := graph.AddPhoneNumber(metasim.PhoneNumber{ID: demoSignupPhone, WABAID: demoSignupWABA,
		DisplayPhoneNumber: "12125550199", VerifiedName: "Acme Retail"}); err != nil {
		return uuid.Nil, err
	}
	if _, err := graph.AddTemplate(metasim.Template{WABAID: demoSignupWABA, Name: "welcome_signup", Language: "en_US",
		Status: "APPROVED", Category: "UTILITY"}); err != nil {
		return uuid.Nil, err
	}
	graph.AddSignupCode(demoSignupCode, demoSignupToken)
	o, _, err := sys.onboardings.Create(ctx, tenantID, "demo", onboarding.New{
		Code: demoSignupCode, WABAID: demoSignupWABA, PhoneNumberID: demoSignupPhone,
	})
	if err != nil {
		return uuid.Nil, err
	}
	q := workers.Onboarder{Client: asynq.NewClientFromRedisClient(sys.rdb)}
	return o.ID, q.StartOnboarding(ctx, o)
}

func printSignup(w io.Writer, base, tenantID string, id uuid.UUID) {
	fmt.Fprintf(w, "Embedded Signup: a second Acme Retail WABA is being onboarded step by step:\n\n"+
		"  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/tenants/%s/onboardings/%s\n"+
		"  curl -s -H \"Authorization: Bearer $TOKEN\" %s/v1/admin/onboardings\n\n", base, tenantID, id, base)
}
