package config

import (
	"fmt"
	"net/url"
)

// SignupApp is the Meta app Embedded Signup runs under: its code exchange
// needs the app's id and secret.
type SignupApp struct {
	ID     string
	Secret string
}

// EmbeddedSignupApp returns the app named by WABSP_META_APP_ID among
// WABSP_META_APP_SECRETS, or the only app listed when the id is unset. ok
// is false when neither names one app: onboarding then cannot exchange codes.
func (c Config) EmbeddedSignupApp() (app SignupApp, ok bool) {
	apps, err := c.AppSecrets()
	if err != nil {
		return SignupApp{}, false
	}
	for _, a := range apps {
		if a.AppID == c.MetaAppID || (c.MetaAppID == "" && len(apps) == 1) {
			return SignupApp{ID: a.AppID, Secret: string(a.Secret)}, true
		}
	}
	return SignupApp{}, false
}

type signupProblem struct{ variable, problem string }

func (c Config) checkSignup() *signupProblem {
	if c.MetaAppID != "" {
		if _, ok := c.EmbeddedSignupApp(); !ok {
			return &signupProblem{"WABSP_META_APP_ID", fmt.Sprintf("app %s has no secret in WABSP_META_APP_SECRETS", c.MetaAppID)}
		}
	}
	if c.MetaCallbackOverrideURL == "" {
		return nil
	}
	u, err := url.Parse(c.MetaCallbackOverrideURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return &signupProblem{"WABSP_META_CALLBACK_OVERRIDE_URL", "must be an absolute https URL"}
	}
	if c.MetaVerifyToken == "" {
		return &signupProblem{"WABSP_META_CALLBACK_OVERRIDE_URL", "needs WABSP_META_VERIFY_TOKEN, which Meta checks it with"}
	}
	return nil
}
