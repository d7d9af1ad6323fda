package config

import "testing"

func TestEmbeddedSignupApp(t *testing.T) {
	tests := []struct {
		name    string
		secrets string
		appID   string
		want    SignupApp
		ok      bool
	}{
		{"the only app", "111:s1", "", SignupApp{ID: "111", Secret: "s1"}, true},
		{"the named app", "111:s1,222:s2", "222", SignupApp{ID: "222", Secret: "s2"}, true},
		{"several apps, none named", "111:s1,222:s2", "", SignupApp{}, false},
		{"no apps", "", "", SignupApp{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Config{MetaAppSecrets: tc.secrets, MetaAppID: tc.appID}.EmbeddedSignupApp()
			if got != tc.want || ok != tc.ok {
				t.Fatalf("got %+v, %t; want %+v, %t", got, ok, tc.want, tc.ok)
			}
		})
	}
}
