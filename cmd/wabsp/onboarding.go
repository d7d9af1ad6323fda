package main

import (
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/workers"
)

// onboardingTasks builds the Embedded Signup step handler. Without an app
// to exchange codes with, the exchange step fails naming the variable.
func (s *system) onboardingTasks(client *asynq.Client, poller *workers.QualityPoller) *workers.OnboardingTasks {
	app, _ := s.cfg.EmbeddedSignupApp()
	return &workers.OnboardingTasks{
		Queue: workers.Onboarder{Client: client},
		Runner: &onboarding.Runner{
			Service: s.onboardings, Meta: s.graph, WABAs: s.tenants,
			Watcher: workers.OnboardingWatcher{Poller: poller},
			App: onboarding.App{ID: app.ID, Secret: app.Secret,
				CallbackOverrideURL: s.cfg.MetaCallbackOverrideURL, VerifyToken: s.cfg.MetaVerifyToken},
		},
	}
}
