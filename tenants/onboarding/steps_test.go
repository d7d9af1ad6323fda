package onboarding

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/graph"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		transient bool
		code      int
	}{
		{"invalid code", &graph.Error{Status: 400, Code: 100, Subcode: 36007, Message: "Invalid verification code format."}, false, 100},
		{"bad app secret", &graph.Error{Status: 400, Code: 1, Message: "Error validating client secret."}, false, 1},
		{"token invalid", &graph.Error{Status: 401, Code: 190}, false, 190},
		{"PIN mismatch", &graph.Error{Status: 400, Code: 133005}, false, 133005},
		{"register rate limit", &graph.Error{Status: 400, Code: 133016}, true, 133016},
		{"throughput", &graph.Error{Status: 400, Code: 130429}, true, 130429},
		{"Meta says transient", &graph.Error{Status: 400, Code: 131000, IsTransient: true}, true, 131000},
		{"Meta's server failed", &graph.Error{Status: 502, Code: 1}, true, 1},
		{"wrapped throttling", fmt.Errorf("step: %w", &graph.RateLimitError{RetryAfter: time.Minute,
			Err: &graph.Error{Status: 400, Code: 80008}}), true, 80008},
		{"budget held back by the client", &graph.RateLimitError{RetryAfter: time.Minute}, true, 0},
		{"WABA of another tenant", apperr.New(apperr.Conflict, "taken"), false, 0},
		{"database down", errors.New("dial tcp: refused"), true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			me, transient := classify(tc.err)
			if transient != tc.transient || me.Code != tc.code || me.Message == "" {
				t.Fatalf("got %+v transient %t; want code %d transient %t", me, transient, tc.code, tc.transient)
			}
		})
	}
	if me, _ := classify(errors.New("pq: secret internals")); me.Message != "wabsp could not complete the step" {
		t.Fatalf("internal error text shown: %q", me.Message)
	}
}
