package quality

import "testing"

func TestBodyVariableCount(t *testing.T) {
	tests := []struct {
		name       string
		components string
		want       int
	}{
		{name: "unknown components", components: "", want: -1},
		{name: "not JSON", components: "{", want: -1},
		{name: "no body", components: `[{"type":"FOOTER","text":"bye"}]`, want: -1},
		{name: "body without variables", components: `[{"type":"BODY","text":"Hello there"}]`, want: 0},
		{name: "positional, one repeated", components: `[{"type":"HEADER","format":"TEXT","text":"Hi {{1}}"},
			{"type":"BODY","text":"Dear {{1}}, your order {{2}} ships; {{1}}, thanks."}]`, want: 2},
		{name: "named", components: `[{"type":"BODY","text":"Hi {{first_name}}, code {{code}} ok"}]`, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BodyVariableCount([]byte(tc.components)); got != tc.want {
				t.Errorf("BodyVariableCount = %d, want %d", got, tc.want)
			}
		})
	}
}
