package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// Server implements the generated strict server: each method takes the
// caller from the context, converts the request to domain input, calls the
// domain and converts the result back. Authorization happened before it, in
// authorizer; errors go to the app's error handler.
type Server struct {
	log      *slog.Logger
	db       *pg.DB
	redis    redis.UniversalClient
	tenants  *tenants.Service
	issuer   *auth.Issuer
	keyring  *auth.Keyring
	partners *partnerCache
	now      func() time.Time
	webhooks *webhooks.Service
	jobs     Jobs
	quality  *quality.Service
	billing  *billing.Service
	optins   *optins.Service
	outbound *outbound.Service
	insights *insights.Service
	onboard  WABAOnboarder

	onboardings     *onboarding.Service
	onboardingQueue OnboardingQueue
	graph           TemplateGraph
	// sends and submitter serve the guarded send API; nil answers 503.
	sends     *sending.Store
	submitter *sending.Submitter
	// tracker and numberPolls start monitoring a number registered through
	// the API; nil leaves it to the scheduled polls.
	tracker     NumberTracker
	numberPolls NumberPolls
	// campaigns serves bulk sends; nil answers 503.
	campaigns *sending.Campaigns
}

var _ openapi.StrictServerInterface = (*Server)(nil)

// principal returns the caller. The authorizer has already refused calls
// without one to every non-public operation.
func principal(ctx context.Context) auth.Principal {
	p, _ := auth.PrincipalFrom(ctx)
	return p
}

// actor is the caller as the audit log records it.
func actor(ctx context.Context) tenants.Actor {
	return tenants.ActorFor(principal(ctx), requestIDFrom(ctx))
}

// page converts the paging parameters every list shares.
func page(limit *int, cursor *string) tenants.Page {
	var p tenants.Page
	if limit != nil {
		p.Limit = *limit
	}
	if cursor != nil {
		p.Cursor = *cursor
	}
	return p
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
