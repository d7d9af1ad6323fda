package httpapi

import (
	"testing"
	"unsafe"
)

// TestMethodLabelIsTheAppsOwnString checks that the label outlives the
// request's buffer: overwriting the bytes the method came from must not
// change it.
func TestMethodLabelIsTheAppsOwnString(t *testing.T) {
	tests := []struct{ name, method, want string }{
		{"get", "GET", "GET"},
		{"post", "POST", "POST"},
		{"unknown method", "BREW", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := []byte(tt.method)
			got := methodLabel(unsafe.String(&buf[0], len(buf)))
			copy(buf, "XXXX")
			if got != tt.want {
				t.Errorf("methodLabel(%q) = %q after its buffer was reused, want %q", tt.method, got, tt.want)
			}
		})
	}
}
