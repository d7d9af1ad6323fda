package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/wabsp/wabsp/openapi"
)

// readinessTimeout bounds each readiness check, so a hung dependency makes
// the instance unready instead of hanging the load balancer's probe.
const readinessTimeout = 2 * time.Second

// GetJwks implements openapi.StrictServerInterface.
func (s *Server) GetJwks(context.Context, openapi.GetJwksRequestObject) (openapi.GetJwksResponseObject, error) {
	set := s.keyring.JWKS()
	out := openapi.JWKSet{Keys: make([]openapi.JWK, len(set.Keys))}
	for i, k := range set.Keys {
		out.Keys[i] = openapi.JWK{Kty: k.Kty, Kid: k.Kid, Crv: optString(k.Crv), X: optString(k.X),
			Alg: optString(k.Alg), Use: optString(k.Use)}
	}
	return openapi.GetJwks200JSONResponse(out), nil
}

// GetHealth implements openapi.StrictServerInterface.
func (s *Server) GetHealth(context.Context, openapi.GetHealthRequestObject) (openapi.GetHealthResponseObject, error) {
	return openapi.GetHealth200JSONResponse{Status: openapi.HealthStatusOk}, nil
}

// GetReadiness implements openapi.StrictServerInterface. Failed checks are
// named with a fixed phrase; their errors go to the log only.
func (s *Server) GetReadiness(ctx context.Context, _ openapi.GetReadinessRequestObject) (openapi.GetReadinessResponseObject, error) {
	checks := map[string]string{}
	ready := true
	record := func(name string, err error, failure string) {
		if err == nil {
			checks[name] = "ok"
			return
		}
		ready = false
		checks[name] = failure
		s.log.Warn("readiness check failed", "check", name, "err", err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, readinessTimeout)
	defer cancel()

	record("postgres", s.db.Ping(ctx), "unreachable")
	if s.redis != nil {
		record("redis", s.redis.Ping(ctx).Err(), "unreachable")
	}
	current, latest, err := s.db.MigrationStatus(ctx)
	switch {
	case err != nil:
		record("migrations", err, "unknown")
	case current != latest:
		record("migrations", fmt.Errorf("schema at version %d, this build expects %d", current, latest),
			fmt.Sprintf("schema at version %d, expected %d", current, latest))
	default:
		record("migrations", nil, "")
	}
	if !ready {
		return openapi.GetReadiness503JSONResponse{Status: openapi.ReadinessStatusUnavailable, Checks: checks}, nil
	}
	return openapi.GetReadiness200JSONResponse{Status: openapi.ReadinessStatusOk, Checks: checks}, nil
}
